//! Bursts of one response code (RP-002 by default, any `--burst-code`): spans where the code came
//! back much faster than its background rate, overall and per sending IP. Detection reads the
//! per-minute counts of the burst codes that the main scan collects ([`CodeMinutes`]); the VMTAs
//! and domains of each burst come from the same counts (see [`Detail`]).
//!
//! The rule (docs/analyses.md explains it with the defaults):
//! 1. background `b` = median count per minute of the code over every minute of the scan that has
//!    any row (quiet minutes count as 0, so a rare code has a background of 0);
//! 2. threshold `T` = max(`--burst-min`, ceil(3 x b x W)) for a window of `W` minutes
//!    (`--burst-window`);
//! 3. a window of `W` minutes starting at a minute with the code is dense when it holds at least
//!    `T`; overlapping dense windows make one span;
//! 4. each span is trimmed at both ends to minutes holding at least ceil(T / W) (the rate the
//!    threshold stands for), so stray background rows next to a burst do not stretch it;
//! 5. spans whose quiet gap is shorter than a window are merged.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::classify::Classifier;
use crate::model::Code;
use crate::scan::Row;

/// A burst is this many times denser than the background.
pub const BACKGROUND_FACTOR: f64 = 3.0;

/// The article's response to RP-002 rate limiting.
pub const RP002_ACTION: &str =
    "Reduce max-connect-rate; increase retry-after to 30m; lower max-smtp-out";

/// One burst of a code, overall (`source_ip` None) or on one sending IP.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Burst {
    /// The code's display name (`RP-002`, `4.7.650`).
    pub code: String,
    /// The sending IP the burst was measured on; `None`: all IPs together.
    pub source_ip: Option<String>,
    /// First and last minute of the burst (Unix seconds UTC, minute starts, inclusive).
    #[serde(serialize_with = "super::ser::time")]
    pub start: i64,
    #[serde(serialize_with = "super::ser::time")]
    pub end: i64,
    /// Rows with the code from `start` to the end of the `end` minute.
    pub count: u64,
    pub peak_per_minute: u64,
    /// Rows of the burst per sending IP, VMTA and rolled-up domain, largest first.
    #[serde(serialize_with = "super::ser::pairs")]
    pub source_ips: Vec<(String, u64)>,
    #[serde(serialize_with = "super::ser::pairs")]
    pub vmtas: Vec<(String, u64)>,
    #[serde(serialize_with = "super::ser::pairs")]
    pub domains: Vec<(String, u64)>,
    pub action: String,
    /// The background rate (median rows per minute) the burst stood out from.
    pub background_per_minute: f64,
    /// Rows a window needed to be dense.
    pub threshold: u64,
}

/// A span found in a per-minute series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: i64,
    pub end: i64,
    pub count: u64,
    pub peak: u64,
}

/// What detection found in one series, with the numbers it used.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    pub spans: Vec<Span>,
    pub background: f64,
    pub threshold: u64,
}

/// Median of `values` padded with zeros up to `n` values (the quiet minutes).
fn median_with_zeros(values: &[u64], n: usize) -> f64 {
    let n = n.max(values.len());
    if n == 0 {
        return 0.0;
    }
    let mut v: Vec<u64> = values.to_vec();
    v.sort_unstable();
    let zeros = n - v.len();
    let at = |i: usize| if i < zeros { 0 } else { v[i - zeros] };
    if n % 2 == 1 {
        at(n / 2) as f64
    } else {
        (at(n / 2 - 1) + at(n / 2)) as f64 / 2.0
    }
}

/// Finds the bursts of one series: minute start -> count (minutes with no row absent).
/// `active_minutes` is how many minutes of the scan had any row; `window` is in seconds.
pub fn detect(
    series: &BTreeMap<i64, u64>,
    active_minutes: usize,
    window: i64,
    burst_min: u64,
) -> Detection {
    let w = (window / 60).max(1);
    let events: Vec<(i64, u64)> = series
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(m, n)| (*m, *n))
        .collect();
    let counts: Vec<u64> = events.iter().map(|e| e.1).collect();
    let background = median_with_zeros(&counts, active_minutes);
    let threshold = burst_min
        .max((BACKGROUND_FACTOR * background * w as f64).ceil() as u64)
        .max(1);
    let hot = threshold.div_ceil(w as u64).max(1);
    // Dense windows anchored at each event minute: any dense window holds the same events as the
    // one starting at its first event, so these anchors find every dense span.
    let mut components: Vec<(usize, usize)> = Vec::new();
    let (mut j, mut sum) = (0, 0u64);
    for i in 0..events.len() {
        while j < events.len() && events[j].0 < events[i].0 + w * 60 {
            sum += events[j].1;
            j += 1;
        }
        if sum >= threshold {
            match components.last_mut() {
                Some(last) if last.1 >= i => last.1 = last.1.max(j - 1),
                _ => components.push((i, j - 1)),
            }
        }
        sum -= events[i].1;
    }
    let mut spans: Vec<(usize, usize)> = components
        .into_iter()
        .filter_map(|(a, b)| {
            let first = (a..=b).find(|k| events[*k].1 >= hot)?;
            let last = (a..=b).rev().find(|k| events[*k].1 >= hot)?;
            Some((first, last))
        })
        .collect();
    // Merge spans whose quiet gap is shorter than a window.
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for s in spans.drain(..) {
        match merged.last_mut() {
            Some(last) if events[s.0].0 - events[last.1].0 - 60 < w * 60 => last.1 = s.1,
            _ => merged.push(s),
        }
    }
    let spans = merged
        .into_iter()
        .map(|(a, b)| Span {
            start: events[a].0,
            end: events[b].0,
            count: events[a..=b].iter().map(|e| e.1).sum(),
            peak: events[a..=b].iter().map(|e| e.1).max().unwrap_or(0),
        })
        .collect();
    Detection {
        spans,
        background,
        threshold,
    }
}

/// The action for bursts of a code: the article's for RP-002, else the rule's or the code's.
fn action(classifier: &Classifier, code: Code) -> String {
    if classifier.code_name(code) == "RP-002" {
        return RP002_ACTION.to_string();
    }
    classifier.describe(code).action.map_or_else(
        || "Slow down toward the destinations hit (max-connect-rate, max-smtp-out) and check the response text".to_string(),
        str::to_string,
    )
}

/// Detects the bursts of every code in `codes`, overall and per sending IP, ordered by start,
/// then scope (overall first, then IP), then code. `active_minutes` is how many minutes of the
/// scan had any row. VMTAs and domains are left empty for [`Detail`] to fill.
pub fn find(
    minutes: &CodeMinutes,
    active_minutes: usize,
    classifier: &Classifier,
    codes: &[Code],
    window: i64,
    burst_min: u64,
) -> Vec<Burst> {
    // (code, minute, sending IP) -> rows: the collected rows without their VMTA and domain.
    let mut per_minute: BTreeMap<(Code, i64, &[u8]), u64> = BTreeMap::new();
    for ((m, c, ip, _, _), n) in &minutes.counts {
        *per_minute.entry((*c, *m, ip)).or_default() += n;
    }
    let mut out = Vec::new();
    for &code in codes {
        let mut overall: BTreeMap<i64, u64> = BTreeMap::new();
        let mut per_ip: BTreeMap<&[u8], BTreeMap<i64, u64>> = BTreeMap::new();
        let of_code = per_minute.range((code, i64::MIN, &b""[..])..);
        for ((c, m, ip), n) in of_code.clone() {
            if *c != code {
                break;
            }
            *overall.entry(*m).or_default() += n;
            *per_ip.entry(ip).or_default().entry(*m).or_default() += n;
        }
        let name = classifier.code_name(code);
        let act = action(classifier, code);
        let scopes = std::iter::once((None, overall)).chain(
            per_ip
                .into_iter()
                .map(|(ip, s)| (Some(String::from_utf8_lossy(ip).into_owned()), s)),
        );
        for (scope, series) in scopes {
            let d = detect(&series, active_minutes, window, burst_min);
            for s in d.spans {
                let mut ips: BTreeMap<&[u8], u64> = BTreeMap::new();
                for ((c, m, ip), n) in per_minute.range((code, s.start, &b""[..])..) {
                    if *c != code || *m > s.end {
                        break;
                    }
                    if scope.as_deref().is_none_or(|sc| sc.as_bytes() == *ip) {
                        *ips.entry(ip).or_default() += n;
                    }
                }
                out.push(Burst {
                    code: name.clone(),
                    source_ip: scope.clone(),
                    start: s.start,
                    end: s.end,
                    count: s.count,
                    peak_per_minute: s.peak,
                    source_ips: ranked(
                        ips.into_iter()
                            .map(|(k, n)| (String::from_utf8_lossy(k).into_owned(), n)),
                    ),
                    vmtas: Vec::new(),
                    domains: Vec::new(),
                    action: act.clone(),
                    background_per_minute: d.background,
                    threshold: d.threshold,
                });
            }
        }
    }
    out.sort_by(|a, b| (a.start, &a.source_ip, &a.code).cmp(&(b.start, &b.source_ip, &b.code)));
    out
}

/// Pairs ordered by count descending, then key.
pub fn ranked(pairs: impl IntoIterator<Item = (String, u64)>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = pairs.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// One burst's rows: first and last minute (starts), the IP (`None`: any), the burst's index.
type Window = (i64, i64, Option<Box<[u8]>>, usize);

/// Where to look for the rows of the bursts, per code.
#[derive(Debug, Default)]
pub struct Windows {
    by_code: Vec<(Code, Vec<Window>)>,
}

impl Windows {
    pub fn new(bursts: &[Burst], classifier: &Classifier) -> Windows {
        let mut by_code: Vec<(Code, Vec<Window>)> = Vec::new();
        for (i, b) in bursts.iter().enumerate() {
            let Some(code) = classifier.parse_code(&b.code) else {
                continue;
            };
            let w = (
                b.start,
                b.end,
                b.source_ip.as_ref().map(|s| s.as_bytes().into()),
                i,
            );
            match by_code.iter_mut().find(|(c, _)| *c == code) {
                Some((_, v)) => v.push(w),
                None => by_code.push((code, vec![w])),
            }
        }
        Windows { by_code }
    }

    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}

/// (minute, code, sending IP, VMTA, recipient domain).
type MinuteKey = (i64, Code, Box<[u8]>, Box<[u8]>, Box<[u8]>);

/// Rows of the burst codes per minute, sending IP, VMTA and recipient domain: collected during
/// the main scan (bounded by the number of rows with a burst code), so finding which VMTAs and
/// domains a burst hit needs no second read of the files.
#[derive(Clone, Debug, Default)]
pub struct CodeMinutes {
    counts: FxHashMap<MinuteKey, u64>,
}

impl CodeMinutes {
    /// Counts a row if its code is one of `codes`.
    #[inline]
    pub fn row(&mut self, codes: &[Code], row: &Row<'_>) {
        let (Some(t), true) = (row.keys.time, codes.contains(&row.keys.code)) else {
            return;
        };
        let k = &row.keys;
        *self
            .counts
            .entry((
                t.div_euclid(60) * 60,
                k.code,
                k.source_ip.into(),
                k.vmta.into(),
                k.rcpt_domain.into(),
            ))
            .or_default() += 1;
    }

    pub fn merge(&mut self, other: CodeMinutes) {
        for (k, n) in other.counts {
            *self.counts.entry(k).or_default() += n;
        }
    }
}

/// VMTAs and recipient domains of the rows inside each burst.
#[derive(Debug, Default)]
pub struct Detail {
    vmtas: FxHashMap<(usize, Box<[u8]>), u64>,
    domains: FxHashMap<(usize, Box<[u8]>), u64>,
}

impl Detail {
    /// Counts `n` rows of one minute, code, IP, VMTA and recipient domain into every burst of
    /// that code and scope whose span holds the minute.
    #[allow(clippy::too_many_arguments)] // the dimensions of one cell of CodeMinutes
    fn add(
        &mut self,
        windows: &Windows,
        code: Code,
        minute: i64,
        ip: &[u8],
        vmta: &[u8],
        domain: &[u8],
        n: u64,
    ) {
        let Some((_, ws)) = windows.by_code.iter().find(|(c, _)| *c == code) else {
            return;
        };
        for (start, end, scope, i) in ws {
            if minute < *start || minute > *end || scope.as_deref().is_some_and(|s| s != ip) {
                continue;
            }
            *self.vmtas.entry((*i, vmta.into())).or_default() += n;
            *self.domains.entry((*i, domain.into())).or_default() += n;
        }
    }

    /// The bursts' VMTAs and domains from the per-minute counts the main scan collected.
    pub fn from_minutes(windows: &Windows, minutes: &CodeMinutes) -> Detail {
        let mut d = Detail::default();
        for ((minute, code, ip, vmta, domain), n) in &minutes.counts {
            d.add(windows, *code, *minute, ip, vmta, domain, *n);
        }
        d
    }

    pub fn merge(&mut self, other: Detail) {
        for (k, n) in other.vmtas {
            *self.vmtas.entry(k).or_default() += n;
        }
        for (k, n) in other.domains {
            *self.domains.entry(k).or_default() += n;
        }
    }

    /// Writes the VMTAs and rolled-up domains into the bursts.
    pub fn fill(self, bursts: &mut [Burst], resolve: &dyn Fn(&str) -> String) {
        let mut vmtas: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); bursts.len()];
        let mut domains: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); bursts.len()];
        for ((i, v), n) in self.vmtas {
            *vmtas[i]
                .entry(String::from_utf8_lossy(&v).into_owned())
                .or_default() += n;
        }
        for ((i, d), n) in self.domains {
            let lower = String::from_utf8_lossy(&d).to_lowercase();
            let rolled = resolve(&lower);
            *domains[i].entry(rolled).or_default() += n;
        }
        for ((b, v), d) in bursts.iter_mut().zip(vmtas).zip(domains) {
            b.vmtas = ranked(v);
            b.domains = ranked(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(i64, u64)]) -> BTreeMap<i64, u64> {
        points.iter().map(|(m, n)| (m * 60, *n)).collect()
    }

    /// (case, per-minute points, active minutes, window s, burst-min, expected spans as
    /// (start minute, end minute, count, peak)).
    #[allow(clippy::type_complexity)]
    const CASES: &[(
        &str,
        &[(i64, u64)],
        usize,
        i64,
        u64,
        &[(i64, i64, u64, u64)],
    )] = &[
        ("nothing", &[], 100, 300, 10, &[]),
        (
            "a handful in one minute",
            &[(5, 12)],
            100,
            300,
            10,
            &[(5, 5, 12, 12)],
        ),
        (
            "a handful spread thin",
            &[(0, 3), (10, 3), (20, 3)],
            100,
            300,
            10,
            &[],
        ),
        (
            "just at burst-min within a window",
            &[(3, 4), (5, 3), (7, 3)],
            100,
            300,
            10,
            &[(3, 7, 10, 4)],
        ),
        (
            "stray background beside a burst does not stretch it",
            &[
                (0, 1),
                (8, 1),
                (10, 20),
                (11, 20),
                (12, 20),
                (14, 1),
                (30, 1),
            ],
            100,
            300,
            10,
            &[(10, 12, 60, 20)],
        ),
        (
            "two bursts a window apart stay two",
            &[(10, 20), (20, 20)],
            100,
            300,
            10,
            &[(10, 10, 20, 20), (20, 20, 20, 20)],
        ),
        (
            "two bursts closer than a window merge",
            &[(10, 20), (13, 20)],
            100,
            300,
            10,
            &[(10, 13, 40, 20)],
        ),
    ];

    #[test]
    fn detection_cases() {
        for (name, points, active, window, min, want) in CASES {
            let d = detect(&series(points), *active, *window, *min);
            let got: Vec<(i64, i64, u64, u64)> = d
                .spans
                .iter()
                .map(|s| (s.start / 60, s.end / 60, s.count, s.peak))
                .collect();
            assert_eq!(got, *want, "{name}");
        }
    }

    #[test]
    fn a_steady_rate_is_background_not_a_burst() {
        // 5 a minute all day, then 60 a minute for 10 minutes.
        let mut s: BTreeMap<i64, u64> = (0..600).map(|m| (m * 60, 5)).collect();
        for m in 300..310 {
            s.insert(m * 60, 60);
        }
        let d = detect(&s, 600, 300, 10);
        assert!((d.background - 5.0).abs() < f64::EPSILON);
        assert_eq!(d.threshold, 75, "3 x 5/min x 5 min");
        assert_eq!(
            d.spans,
            [Span {
                start: 300 * 60,
                end: 309 * 60,
                count: 600,
                peak: 60
            }]
        );
    }

    #[test]
    fn median_counts_quiet_minutes() {
        assert!((median_with_zeros(&[7, 9], 10) - 0.0).abs() < f64::EPSILON);
        assert!((median_with_zeros(&[1, 2, 3], 3) - 2.0).abs() < f64::EPSILON);
        assert!((median_with_zeros(&[4, 6], 2) - 5.0).abs() < f64::EPSILON);
        assert!((median_with_zeros(&[], 0) - 0.0).abs() < f64::EPSILON);
    }
}
