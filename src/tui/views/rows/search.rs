//! Finding text in the Rows view (`f`, then `n` / `N`): the rows of the index are searched in
//! the file, a piece at a time (each piece's bytes in one read, one regex pass over them), from
//! the selection onward, wrapping at the ends. So a search covers every matching row of the
//! files, not only those on screen or parsed. A [`Scan`] does it a bounded slice at a time
//! (at most [`STEP_ROWS`] rows a slice, [`FRAME_ROWS`] and about [`FRAME_TIME`] a frame), so
//! a search through a day's file never freezes the screen and Esc can stop it.

use std::time::{Duration, Instant};

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

/// Rows searched in one slice (one read, one regex pass).
pub const STEP_ROWS: usize = 32_768;
/// At most this many rows searched per frame...
pub const FRAME_ROWS: usize = 262_144;
/// ... and slices begun only within this time of the frame's first.
pub const FRAME_TIME: Duration = Duration::from_millis(15);

/// A search going on through the index: the rows left to search, in the order searched.
#[derive(Clone, Debug)]
pub struct Scan {
    pub find: Find,
    pub forward: bool,
    /// The row the search counts from (found again last: `Found`, not `Wrapped`).
    pub sel: usize,
    /// The rows ahead of the selection, then those behind it (past an end, wrapping).
    parts: [(usize, usize); 2],
    part: usize,
    /// Rows searched so far, and in all.
    pub done: usize,
    pub total: usize,
    /// From `sel` itself: a search as the text is typed.
    pub typed: bool,
}

impl Scan {
    /// A search for the next row after `sel` (the previous, `forward` false), or with
    /// `inclusive` from `sel` itself (as typed: the selection may already hold the text).
    pub fn new(len: usize, f: &Find, sel: usize, forward: bool, inclusive: bool) -> Scan {
        let sel = sel.min(len.saturating_sub(1));
        let parts = match (forward, inclusive) {
            (true, false) => [(sel + 1, len), (0, sel + 1)],
            (true, true) => [(sel, len), (0, sel)],
            (false, false) => [(0, sel), (sel, len)],
            (false, true) => [(0, sel + 1), (sel + 1, len)],
        };
        Scan {
            find: f.clone(),
            forward,
            sel,
            parts: if len == 0 { [(0, 0), (0, 0)] } else { parts },
            part: 0,
            done: 0,
            total: len,
            typed: inclusive,
        }
    }

    /// Searches one frame's worth; the outcome once the search is over.
    pub fn step(&mut self, idx: &RowIndex, reader: &mut Reader) -> Option<Outcome> {
        let start = Instant::now();
        let mut rows = 0;
        while rows < FRAME_ROWS && (rows == 0 || start.elapsed() < FRAME_TIME) {
            let Some(&(from, to)) = self.parts.get(self.part) else {
                return Some(Outcome::NotFound);
            };
            let to = to.min(idx.len);
            if from >= to {
                self.part += 1;
                continue;
            }
            // the next slice: at the near end of what is left of this part
            let (lo, hi) = if self.forward {
                (from, (from + STEP_ROWS).min(to))
            } else {
                (to.saturating_sub(STEP_ROWS).max(from), to)
            };
            let hit = first_in(idx, reader, &self.find, (lo, hi), self.forward);
            rows += hi - lo;
            self.done += hi - lo;
            if let Some(i) = hit {
                return Some(if self.part == 1 && i != self.sel {
                    Outcome::Wrapped(i)
                } else {
                    Outcome::Found(i)
                });
            }
            self.parts[self.part] = if self.forward { (hi, to) } else { (from, lo) };
        }
        None
    }
}

/// The next row after `sel` (or the previous, `forward` false) that holds the text, wrapping
/// once around the index; `sel` itself last. All at once (a [`Scan`] to its end).
pub fn next(idx: &RowIndex, reader: &mut Reader, f: &Find, sel: usize, forward: bool) -> Outcome {
    let mut scan = Scan::new(idx.len, f, sel, forward, false);
    loop {
        if let Some(o) = scan.step(idx, reader) {
            return o;
        }
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

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    #[test]
    fn a_search_goes_on_from_the_selection_and_wraps_once_around_every_row() {
        let mut text = String::from("type,timeLogged,rcpt\n");
        for i in 0..40 {
            let who = if i == 3 || i == 30 { "alpha" } else { "beta" };
            let _ = writeln!(text, "d,2026-01-14 10:00:{i:02}+0000,{who}{i}@x.example");
        }
        // small pieces: the rows found are in different segments
        let (_dir, idx, _) = super::super::index::tests::indexed(&text, 64);
        assert!(idx.segments.len() > 2);
        let mut reader = Reader::default();
        let f = Find::new("alpha").expect("a text");
        let mut next = |sel, forward| next(&idx, &mut reader, &f, sel, forward);
        assert_eq!(next(0, true), Outcome::Found(3));
        assert_eq!(next(3, true), Outcome::Found(30));
        assert_eq!(
            next(30, true),
            Outcome::Wrapped(3),
            "past the last: from the top"
        );
        assert_eq!(
            next(3, false),
            Outcome::Wrapped(30),
            "before the first: from the bottom"
        );
        assert_eq!(next(39, false), Outcome::Found(30));
        // the only row holding it is the selection: found there, after a whole turn
        let one = Find::new("alpha30").expect("a text");
        assert_eq!(
            super::next(&idx, &mut reader, &one, 30, true),
            Outcome::Found(30)
        );
        // smart case: a capital asks for that case; none holds it
        let caps = Find::new("ALPHA").expect("a text");
        assert_eq!(
            super::next(&idx, &mut reader, &caps, 0, true),
            Outcome::NotFound
        );
        let any = Find::new("Alpha").expect("a text");
        assert_eq!(
            super::next(&idx, &mut reader, &any, 0, true),
            Outcome::NotFound
        );
        assert!(Find::new("").is_none());
    }
}
