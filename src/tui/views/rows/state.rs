//! The Rows view's own state, as each view's is in `tui/state.rs`: its list (selection and
//! scroll, which Backspace restores with every view's), the parsed rows around the selection,
//! the row shown in full and its scroll, the text being found, whether the view follows the
//! end, and a copy waiting to be sent.

use super::copy::osc52;
use super::index::RowIndex;
use super::search::{Find, Outcome, Scan};
use crate::acct::header::Col;
use crate::classify::Classifier;
use crate::model::{Code, RecordKind};
use crate::tui::reader::{ParsedRow, Reader};
use crate::tui::state::{TableState, top};
use crate::tui::widgets::wrap;

/// How many rows around the selection are kept parsed.
const WINDOW: usize = 200;

/// The columns of a complaint (`f` row) the detail shows first: the feedback report's.
pub const FEEDBACK: [&str; 7] = [
    "repSourceIp",
    "feedbackType",
    "format",
    "userAgent",
    "reportingMta",
    "reportedDomain",
    "header_X-HmXmrOriginalRecipient",
];

#[derive(Debug)]
pub struct RowsState {
    /// The selected row and the first shown.
    pub list: TableState,
    /// The selected row is shown in full, one field a line.
    pub detail: bool,
    /// The first line of the row in full shown.
    pub detail_scroll: usize,
    /// Parsed rows from `from` on.
    pub from: usize,
    pub cache: Vec<ParsedRow>,
    reader: Reader,
    /// The text `f` looks for; `n` / `N` look again.
    pub find: Option<Find>,
    /// The prompt open is `f`'s, not the filter's.
    pub finding: bool,
    /// The texts looked for in this session, oldest first (↑ / ↓ in `f`'s prompt).
    pub finds_used: Vec<String>,
    /// A search going on, a frame's worth at a time, and the scan generation of its index.
    pub scan: Option<(Scan, u64)>,
    /// The selection when `f` was pressed: found rows are counted from it as the text is
    /// typed, and Esc (or a text in no row) goes back to it.
    pub origin: usize,
    /// The selection follows the last row as rows are added (End; `--follow`).
    pub tail: bool,
    /// An OSC 52 sequence for the terminal (the runtime writes it and clears it).
    pub clipboard: Option<String>,
}

impl Default for RowsState {
    fn default() -> Self {
        RowsState {
            list: top(),
            detail: false,
            detail_scroll: 0,
            from: 0,
            cache: Vec::new(),
            reader: Reader::default(),
            find: None,
            finding: false,
            finds_used: Vec::new(),
            scan: None,
            origin: 0,
            tail: false,
            clipboard: None,
        }
    }
}

impl RowsState {
    /// Forgets the parsed rows (a new snapshot may have moved them).
    pub fn invalidate(&mut self) {
        self.cache.clear();
    }

    /// Parses the rows around `sel` unless the ones a window of `height` shows are parsed.
    pub fn load(&mut self, idx: &RowIndex, sel: usize, height: usize) {
        let have = self.from..self.from + self.cache.len();
        let want_end = (sel + height + 1).min(idx.len);
        if !self.cache.is_empty()
            && have.contains(&sel.saturating_sub(height))
            && want_end <= have.end
        {
            return;
        }
        let from = sel.saturating_sub(WINDOW / 2);
        let to = (from + WINDOW).min(idx.len);
        self.from = from;
        let reader = &mut self.reader;
        self.cache = (from..to)
            .filter_map(|i| idx.get(i))
            .map(|loc| reader.read(&loc))
            .collect();
    }

    /// The parsed row at index `i`, if in the window.
    pub fn row(&self, i: usize) -> Option<&ParsedRow> {
        i.checked_sub(self.from).and_then(|k| self.cache.get(k))
    }

    /// Starts looking for `f` after `sel` (or before; `inclusive`: from `sel` itself).
    pub fn search(
        &mut self,
        f: &Find,
        len: usize,
        sel: usize,
        forward: bool,
        inclusive: bool,
        generation: u64,
    ) {
        self.scan = Some((Scan::new(len, f, sel, forward, inclusive), generation));
    }

    /// One frame of the search going on: the outcome once it is over (the search then ends).
    pub fn search_step(&mut self, idx: &RowIndex) -> Option<Outcome> {
        let (scan, _) = self.scan.as_mut()?;
        let out = scan.step(idx, &mut self.reader)?;
        self.scan = None;
        Some(out)
    }

    /// What the operator is told of a search going on or over.
    pub fn search_note(scan: &Scan, out: Option<Outcome>) -> String {
        let text = &scan.find.text;
        match out {
            None => format!(
                "finding `{text}`… {} (Esc stops)",
                crate::fmt::percent(scan.done as u64, scan.total as u64)
            ),
            Some(Outcome::Found(i)) => {
                format!("`{text}`: row {}", crate::fmt::thousands(i as u64 + 1))
            }
            Some(Outcome::Wrapped(i)) => format!(
                "`{text}`: row {} (search wrapped to the {})",
                crate::fmt::thousands(i as u64 + 1),
                if scan.forward { "top" } else { "bottom" }
            ),
            Some(Outcome::NotFound) => format!("`{text}` is in none of the rows"),
        }
    }

    /// Copies the selected row's recipient (`whole`: the row as written) to the clipboard.
    pub fn copy(&mut self, sel: usize, whole: bool) -> String {
        let Some(r) = self.row(sel) else {
            return "no row to copy".into();
        };
        let (text, what) = if whole {
            (r.raw.clone(), "the row".to_string())
        } else {
            let rcpt = rcpt(r).to_string();
            if rcpt.is_empty() {
                return "this row has no recipient (Y copies the whole row)".into();
            }
            (rcpt.clone(), rcpt)
        };
        self.clipboard = Some(osc52(&text));
        format!("copied {what} to the clipboard (OSC 52)")
    }

    /// Scrolls the row in full by `delta` lines: never past its last line.
    pub fn scroll(&mut self, delta: isize, lines: usize, height: usize) {
        let max = lines.saturating_sub(height.max(1));
        self.detail_scroll = (self.detail_scroll as isize + delta).clamp(0, max as isize) as usize;
    }
}

/// The row's kind, from its `type`.
pub fn kind(r: &ParsedRow) -> Option<RecordKind> {
    RecordKind::from_bytes(r.get(Col::Type).as_bytes())
}

/// The recipient: `rcpt`, or for a complaint without one the original recipient header.
pub fn rcpt(r: &ParsedRow) -> &str {
    match r.get(Col::Rcpt) {
        "" if kind(r) == Some(RecordKind::Feedback) => r.get(Col::HmXmrOriginalRecipient),
        x => x,
    }
}

/// Our sending IP: `dlvSourceIp`, or for a complaint `repSourceIp` (its `dlvSourceIp` is the
/// feedback provider's host).
pub fn source_ip(r: &ParsedRow) -> &str {
    if kind(r) == Some(RecordKind::Feedback) {
        r.named("repSourceIp").unwrap_or_default()
    } else {
        r.get(Col::DlvSourceIp)
    }
}

/// The response code as the summary buckets it (rows with a response only).
pub fn code(r: &ParsedRow, c: &Classifier) -> Option<Code> {
    kind(r)
        .filter(|k| k.has_response())
        .map(|_| {
            c.classify(
                r.get(Col::DsnDiag).as_bytes(),
                r.get(Col::DsnStatus).as_bytes(),
            )
        })
        .filter(|code| *code != Code::None)
}

/// What the row in full shows, as (name, value): the file line, the code, for a complaint its
/// feedback columns first, then every field in file order.
pub fn fields(r: &ParsedRow, c: &Classifier) -> Vec<(String, String)> {
    let mut out = vec![(
        "(line)".to_string(),
        format!("{} line {}", r.file, crate::fmt::thousands(r.line)),
    )];
    if let Some(code) = code(r, c) {
        let info = c.describe(code);
        let mut v = c.code_name(code);
        for part in [
            info.provider,
            info.kind.map(crate::model::ResponseKind::as_str),
        ]
        .into_iter()
        .flatten()
        {
            v.push_str(" · ");
            v.push_str(part);
        }
        out.push(("(code)".into(), v));
    }
    let all = r.fields();
    if kind(r) == Some(RecordKind::Feedback) {
        for name in FEEDBACK {
            if let Some((k, v)) = all.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
                let v = if name == "repSourceIp" && !v.is_empty() {
                    format!("{v} (our sending IP)")
                } else {
                    (*v).to_string()
                };
                out.push((k.clone(), v));
            }
        }
        for (k, v) in &all {
            if FEEDBACK.iter().any(|n| k.eq_ignore_ascii_case(n)) {
                continue;
            }
            let v = if (k == "dlvSourceIp" || k == "srcMta") && !v.is_empty() {
                format!("{v} (the feedback provider's, not ours)")
            } else {
                (*v).to_string()
            };
            out.push((k.clone(), v));
        }
    } else {
        out.extend(all.into_iter().map(|(k, v)| (k, v.to_string())));
    }
    out
}

/// Width of the names' column in the row in full.
pub fn name_width(fields: &[(String, String)]) -> usize {
    fields
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(30)
}

/// The row in full as lines of `width`: (name on the first line of a field, else empty; a
/// piece of the value). Every value whole, wrapped under itself.
pub fn lines(r: &ParsedRow, c: &Classifier, width: usize) -> Vec<(String, String)> {
    let fields = fields(r, c);
    let kw = name_width(&fields);
    let vw = width.saturating_sub(kw + 2).max(10);
    let mut out = Vec::new();
    for (k, v) in fields {
        let parts = wrap(&v, vw);
        if parts.is_empty() {
            out.push((k, String::new()));
            continue;
        }
        for (i, p) in parts.into_iter().enumerate() {
            out.push((if i == 0 { k.clone() } else { String::new() }, p));
        }
    }
    out
}
