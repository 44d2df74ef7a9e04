//! Finding text in the Rows view (`f`, then `n` / `N`): the rows of the index are searched in
//! the file, a piece at a time (each piece's bytes in one read, one regex pass over them), from
//! the selection onward, wrapping at the ends. So a search covers every matching row of the
//! files, not only those on screen or parsed.

use regex::bytes::{Regex, RegexBuilder};

use super::index::RowIndex;
use crate::tui::reader::Reader;

/// A text to find: matched literally in a row's bytes as written, ignoring case unless the
/// text has a capital letter (as `less` and vim's smartcase do).
#[derive(Clone, Debug)]
pub struct Find {
    pub text: String,
    re: Regex,
}

impl Find {
    /// `None` for an empty text.
    pub fn new(text: &str) -> Option<Find> {
        if text.is_empty() {
            return None;
        }
        let re = RegexBuilder::new(&regex::escape(text))
            .case_insensitive(!text.chars().any(char::is_uppercase))
            .build()
            .ok()?;
        Some(Find {
            text: text.to_string(),
            re,
        })
    }

    /// Whether `s` holds the text.
    pub fn is_in(&self, s: &str) -> bool {
        self.re.is_match(s.as_bytes())
    }
}

/// Where a search landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Found(usize),
    /// Found after going past the last row to the first (or the first to the last).
    Wrapped(usize),
    NotFound,
}

/// The next row after `sel` (or the previous, `forward` false) that holds the text, wrapping
/// once around the index; `sel` itself last.
pub fn next(idx: &RowIndex, reader: &mut Reader, f: &Find, sel: usize, forward: bool) -> Outcome {
    let len = idx.len;
    if len == 0 {
        return Outcome::NotFound;
    }
    let sel = sel.min(len - 1);
    let (ahead, behind) = if forward {
        ((sel + 1, len), (0, sel + 1))
    } else {
        ((0, sel), (sel, len))
    };
    if let Some(i) = first_in(idx, reader, f, ahead, forward) {
        return Outcome::Found(i);
    }
    match first_in(idx, reader, f, behind, forward) {
        Some(i) if i == sel => Outcome::Found(i),
        Some(i) => Outcome::Wrapped(i),
        None => Outcome::NotFound,
    }
}

/// The first row of `from..to` (the last, searching backward) that holds the text.
fn first_in(
    idx: &RowIndex,
    reader: &mut Reader,
    f: &Find,
    (from, to): (usize, usize),
    forward: bool,
) -> Option<usize> {
    if from >= to {
        return None;
    }
    let mut firsts = Vec::with_capacity(idx.segments.len());
    let mut n = 0;
    for s in &idx.segments {
        firsts.push(n);
        n += s.rows.len();
    }
    let order: Box<dyn Iterator<Item = usize>> = if forward {
        Box::new(0..idx.segments.len())
    } else {
        Box::new((0..idx.segments.len()).rev())
    };
    for k in order {
        let seg = &idx.segments[k];
        let first = firsts[k];
        let (lo, hi) = (
            from.max(first) - first,
            to.min(first + seg.rows.len()).saturating_sub(first),
        );
        if lo >= hi {
            continue;
        }
        let Some((a, b)) = seg.span(lo, hi) else {
            continue;
        };
        let Some(path) = idx.paths.get(seg.file) else {
            continue;
        };
        // A piece that cannot be read now (its file is gone) is passed over.
        let Ok(bytes) = reader.span(path, seg.buffer.as_ref(), seg.base + a, seg.base + b) else {
            continue;
        };
        let mut hits = f.re.find_iter(&bytes).filter_map(|m| {
            let at = u32::try_from(a + m.start() as u64).ok()?;
            seg.rows.row_at(at).filter(|r| (lo..hi).contains(r))
        });
        let hit = if forward { hits.next() } else { hits.last() };
        if let Some(r) = hit {
            return Some(first + r);
        }
    }
    None
}
