//! A minimal table that renders as aligned plain text or as a markdown table, so the text and
//! markdown reports share one layout.

use std::fmt::Write as _;

use crate::fmt::width;

/// Column alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Rows of cells under a header.
#[derive(Clone, Debug, Default)]
pub struct Table {
    head: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(head: &[(&str, Align)]) -> Table {
        Table {
            head: head.iter().map(|(h, a)| ((*h).to_string(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Aligned plain text, indented by two spaces, columns two spaces apart.
    pub fn text(&self) -> String {
        let widths: Vec<usize> = (0..self.head.len())
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| r.get(i).map_or(0, |c| width(c)))
                    .chain(std::iter::once(width(&self.head[i].0)))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: Vec<&str>| {
            let mut s = String::from(" ");
            for (i, c) in cells.iter().enumerate() {
                let pad = widths[i].saturating_sub(width(c));
                s.push(' ');
                let last = i + 1 == cells.len();
                match self.head[i].1 {
                    Align::Left if last => s.push_str(c),
                    Align::Left => {
                        s.push_str(c);
                        s.push_str(&" ".repeat(pad));
                    }
                    Align::Right => {
                        s.push_str(&" ".repeat(pad));
                        s.push_str(c);
                    }
                }
                s.push(' ');
            }
            s.trim_end().to_string() + "\n"
        };
        let mut out = line(self.head.iter().map(|(h, _)| h.as_str()).collect());
        for r in &self.rows {
            out += &line(r.iter().map(String::as_str).collect());
        }
        out
    }

    /// A GitHub-flavoured markdown table.
    pub fn markdown(&self) -> String {
        let esc = |c: &str| c.replace('|', "\\|");
        let mut out = String::from("|");
        for (h, _) in &self.head {
            let _ = write!(out, " {} |", esc(h));
        }
        out += "\n|";
        for (_, a) in &self.head {
            out += match a {
                Align::Left => " --- |",
                Align::Right => " ---: |",
            };
        }
        out += "\n";
        for r in &self.rows {
            out += "|";
            for c in r {
                let _ = write!(out, " {} |", esc(c));
            }
            out += "\n";
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_both_ways() {
        let mut t = Table::new(&[("key", Align::Left), ("n", Align::Right)]);
        t.row(vec!["outlook.com".into(), "1,234".into()]);
        t.row(vec!["a|b".into(), "5".into()]);
        assert_eq!(
            t.text(),
            "  key              n\n  outlook.com  1,234\n  a|b              5\n"
        );
        assert_eq!(
            t.markdown(),
            "| key | n |\n| --- | ---: |\n| outlook.com | 1,234 |\n| a\\|b | 5 |\n"
        );
    }

    #[test]
    fn columns_align_in_display_columns_with_wide_and_combining_text() {
        let mut t = Table::new(&[
            ("domain", Align::Left),
            ("subject", Align::Left),
            ("n", Align::Right),
        ]);
        // `münchen.de` with a combining diaeresis: 11 chars, 10 columns.
        t.row(vec!["mu\u{308}nchen.de".into(), "ascii".into(), "1".into()]);
        // CJK: 4 chars, 8 columns.
        t.row(vec!["例え.jp".into(), "お知らせ".into(), "22".into()]);
        assert_eq!(
            t.text(),
            "  domain      subject    n\n  mu\u{308}nchen.de  ascii      1\n  例え.jp     お知らせ  22\n"
        );
        for line in t.text().lines() {
            assert_eq!(width(line), 26, "{line}");
        }
    }
}
