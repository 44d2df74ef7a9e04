//! The Prometheus text exposition format (version 0.0.4), as `node_exporter`'s textfile collector
//! and `promtool check metrics` read it: per family a `# HELP` and a `# TYPE` line, then its
//! samples, no timestamps. Label values escape `\`, `"` and newline; help text `\` and newline.
//!
//! Samples are gathered before anything is written: one series (family and label values) can be
//! fed several times (values summed), which is how the tail of a dimension folds into `(other)`,
//! and no series can come out twice. Output is ordered: families as declared, series by label
//! values, so the same scan gives the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Metric types this crate writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Gauge,
}

impl Type {
    fn as_str(self) -> &'static str {
        match self {
            Type::Gauge => "gauge",
        }
    }
}

/// A family: its name, help, type, label names and series.
#[derive(Debug)]
struct Family {
    name: &'static str,
    help: &'static str,
    kind: Type,
    labels: &'static [&'static str],
    series: BTreeMap<Vec<String>, f64>,
}

/// A family declared in an [`Exposition`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FamilyId(usize);

/// Families and their samples, written out by [`Exposition::render`].
#[derive(Debug, Default)]
pub struct Exposition {
    families: Vec<Family>,
}

impl Exposition {
    /// Declares a family. Names and label names are the program's own, checked in tests
    /// against the format's grammar.
    pub fn family(
        &mut self,
        name: &'static str,
        help: &'static str,
        kind: Type,
        labels: &'static [&'static str],
    ) -> FamilyId {
        debug_assert!(
            self.families.iter().all(|f| f.name != name),
            "{name} declared twice"
        );
        self.families.push(Family {
            name,
            help,
            kind,
            labels,
            series: BTreeMap::new(),
        });
        FamilyId(self.families.len() - 1)
    }

    /// Adds `value` to a series (made at 0 if new): label values in the family's label order.
    pub fn add(&mut self, family: FamilyId, values: &[&str], value: f64) {
        *self.slot(family, values) += value;
    }

    /// Sets a series' value (for what cannot be summed: ratios, peaks, timestamps).
    pub fn set(&mut self, family: FamilyId, values: &[&str], value: f64) {
        *self.slot(family, values) = value;
    }

    /// Raises a series to `value` if it is lower (a peak over folded series).
    pub fn max(&mut self, family: FamilyId, values: &[&str], value: f64) {
        let slot = self.slot(family, values);
        if value > *slot {
            *slot = value;
        }
    }

    fn slot(&mut self, family: FamilyId, values: &[&str]) -> &mut f64 {
        let f = &mut self.families[family.0];
        debug_assert_eq!(values.len(), f.labels.len(), "{}: label values", f.name);
        let key: Vec<String> = values.iter().map(|v| (*v).to_string()).collect();
        f.series.entry(key).or_insert(0.0)
    }

    /// The exposition text. A family without series is left out (its HELP and TYPE too).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for f in &self.families {
            if f.series.is_empty() {
                continue;
            }
            let _ = writeln!(out, "# HELP {} {}", f.name, escape_help(f.help));
            let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind.as_str());
            for (values, v) in &f.series {
                out.push_str(f.name);
                if !f.labels.is_empty() {
                    out.push('{');
                    for (i, (l, v)) in f.labels.iter().zip(values).enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        let _ = write!(out, "{l}=\"{}\"", escape_label(v));
                    }
                    out.push('}');
                }
                let _ = writeln!(out, " {}", number(*v));
            }
        }
        out
    }
}

/// A sample value: integers without a fraction, the special values as the format spells them.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        // Rust writes the shortest form that reads back exactly, never with an exponent:
        // `5`, `0.25`, `0.0000001`, all of which the format's float syntax accepts.
        format!("{v}")
    }
}

fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_series_and_escaping() {
        let mut e = Exposition::default();
        let rows = e.family("t_rows", "Rows by type.", Type::Gauge, &["type"]);
        let resp = e.family("t_resp", "A \\ help\nline.", Type::Gauge, &["code", "vmta"]);
        let empty = e.family("t_empty", "Never fed.", Type::Gauge, &[]);
        let plain = e.family("t_plain", "No labels.", Type::Gauge, &[]);
        e.add(rows, &["t"], 2.0);
        e.add(rows, &["d"], 5.0);
        e.add(rows, &["t"], 1.0);
        e.add(resp, &["RP-002", "v\"1\\\nx"], 0.25);
        e.set(plain, &[], 1_795_220_091.0);
        e.max(plain, &[], 7.0);
        let _ = empty;
        assert_eq!(
            e.render(),
            "# HELP t_rows Rows by type.\n\
             # TYPE t_rows gauge\n\
             t_rows{type=\"d\"} 5\n\
             t_rows{type=\"t\"} 3\n\
             # HELP t_resp A \\\\ help\\nline.\n\
             # TYPE t_resp gauge\n\
             t_resp{code=\"RP-002\",vmta=\"v\\\"1\\\\\\nx\"} 0.25\n\
             # HELP t_plain No labels.\n\
             # TYPE t_plain gauge\n\
             t_plain 1795220091\n"
        );
    }

    #[test]
    fn numbers() {
        let cases = [
            (0.0, "0"),
            (3.0, "3"),
            (0.125, "0.125"),
            (1e-7, "0.0000001"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (9_007_199_254_740_992.0, "9007199254740992"),
        ];
        for (v, want) in cases {
            assert_eq!(number(v), want);
        }
    }
}
