//! A window of pieces scanned in parallel: each piece's starting header (guessed, or found
//! exactly when the guess fails), the workers' folds, and the pieces' states held until they
//! are handed back in input order.

use std::ops::ControlFlow;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;

use super::{ChunkAt, Piece, Sink};
use crate::acct::broken::header_line;
use crate::acct::chunk::{changes_header, header_start};
use crate::acct::guard::GuardedMap;
use crate::acct::header::Header;
use crate::acct::source::Block;
use crate::scan::records::{ChunkReport, Target, scan_chunk};
use crate::scan::{Engine, Progress};

/// Scans pieces in parallel, each starting under its header, into the workers' folds.
pub(super) fn scan_pieces<F: Send, S>(
    folds: &[Mutex<Option<F>>],
    eng: &Engine<'_>,
    sink: &S,
    pieces: &[Piece<'_>],
    headers: &[Option<Arc<Header>>],
    progress: Option<&Progress>,
) -> Vec<(S::Chunk, ChunkReport)>
where
    S: Sink<Fold = F>,
{
    pieces
        .par_iter()
        .zip(headers)
        .map(|(piece, header)| {
            let worker = rayon::current_thread_index().unwrap_or(0) % folds.len();
            let mut slot = folds[worker].lock().unwrap_or_else(PoisonError::into_inner);
            let fold = slot.get_or_insert_with(|| sink.new_fold());
            let mut chunk = sink.new_chunk();
            let rep = scan_chunk(
                eng,
                piece.data,
                header.clone(),
                &mut Target {
                    sink,
                    fold,
                    chunk: &mut chunk,
                },
            );
            if let Some(p) = progress {
                p.bytes_done.fetch_add(rep.bytes, Ordering::Relaxed);
                p.records.fetch_add(rep.records, Ordering::Relaxed);
            }
            (chunk, rep)
        })
        .collect()
}

/// A window [`super::Driver::step_ahead`] scanned and will hand on at its next call.
pub struct Ahead<C>(pub(super) Option<Scanned<C>>);

impl<C> Default for Ahead<C> {
    fn default() -> Self {
        Ahead(None)
    }
}

impl<C> std::fmt::Debug for Ahead<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Ahead(window)"
        } else {
            "Ahead(none)"
        })
    }
}

/// A scanned window: what holds its bytes, and each piece's state with its offset and first
/// line, to hand on in order.
pub(super) struct Scanned<C> {
    pub(super) file: usize,
    pub(super) window: Window,
    pub(super) states: Vec<(C, u64, u64)>,
}

impl<C> Scanned<C> {
    /// Hands each piece's state to `consume`, in order; true if it stopped.
    pub(super) fn deliver(
        self,
        consume: &mut impl FnMut(C, &ChunkAt<'_>) -> ControlFlow<()>,
    ) -> bool {
        let pieces = self.window.pieces();
        for ((state, offset, line), piece) in self.states.into_iter().zip(&pieces) {
            let at = ChunkAt {
                file: self.file,
                offset,
                line,
                data: piece.data,
                block: piece.block,
            };
            if consume(state, &at).is_break() {
                return true;
            }
        }
        false
    }
}

/// The pieces of one window and what holds their bytes.
pub(super) enum Window {
    Mapped(Arc<GuardedMap>, Vec<(usize, usize)>),
    Stream(Vec<Block>),
}

impl Window {
    pub(super) fn pieces(&self) -> Vec<Piece<'_>> {
        match self {
            Window::Mapped(map, bounds) => bounds
                .iter()
                .map(|(s, e)| Piece {
                    data: &map[*s..*e],
                    block: None,
                    skipped: 0,
                })
                .collect(),
            Window::Stream(blocks) => blocks
                .iter()
                .map(|b| Piece {
                    data: &b.data,
                    block: Some(&b.data),
                    skipped: b.skipped,
                })
                .collect(),
        }
    }
}

/// The header each piece of a window starts under.
pub(super) struct StartHeaders {
    pub(super) headers: Vec<Option<Arc<Header>>>,
    /// Header changes the pieces before the last may report without invalidating the guess
    /// (1 when the window opens with a header line other than the one in effect); `None`:
    /// found exactly.
    pub(super) expected: Option<u64>,
}

impl StartHeaders {
    /// Whether every piece started under the right header, given what scanning them found.
    pub(super) fn held<T>(&self, done: &[(T, ChunkReport)]) -> bool {
        let before_last = &done[..done.len().saturating_sub(1)];
        self.expected.is_none_or(|n| {
            before_last
                .iter()
                .map(|(_, r)| r.header_changes)
                .sum::<u64>()
                == n
        })
    }
}

/// The guess: the first piece starts under `initial`, the others under the header the window
/// opens with (its first line, when that is a header line, else `initial`).
pub(super) fn guess_headers(pieces: &[Piece<'_>], initial: Option<Arc<Header>>) -> StartHeaders {
    let (mut later, mut expected) = (initial.clone(), 0);
    if let Some(first) = pieces.first()
        && first.data.starts_with(b"type,")
        && let Some(line) = first_line(first.data)
        && changes_header(initial.as_ref(), line)
    {
        later = Header::parse(line);
        expected = 1;
    }
    let mut headers = vec![later; pieces.len()];
    if let Some(h) = headers.first_mut() {
        *h = initial;
    }
    StartHeaders {
        headers,
        expected: Some(expected),
    }
}

/// The exact start headers: every header line of every piece found first (in parallel).
pub(super) fn exact_headers(pieces: &[Piece<'_>], initial: Option<Arc<Header>>) -> StartHeaders {
    let last_lines: Vec<Option<&[u8]>> = pieces
        .par_iter()
        .map(|p| last_header_line(p.data))
        .collect();
    let mut headers = Vec::with_capacity(pieces.len());
    let mut current = initial;
    for line in last_lines {
        headers.push(current.clone());
        if let Some(line) = line
            && changes_header(current.as_ref(), line)
        {
            current = Header::parse(line);
        }
    }
    StartHeaders {
        headers,
        expected: None,
    }
}

/// The workers' folds merged into the first (not into a new one, which would hold a copy of
/// the first beside it: twice the memory of a large sender's domains at the end of a scan).
pub(super) fn merged<S: Sink>(sink: &S, mut folds: impl Iterator<Item = S::Fold>) -> S::Fold {
    let mut out = folds.next().unwrap_or_else(|| sink.new_fold());
    for f in folds {
        sink.merge(&mut out, f);
    }
    out
}

/// The last header line (`type,...`, without its line ending) that starts in `data`, where the
/// scan starts a record ([`header_start`]; a broken one is no header: `acct::broken`).
pub(super) fn last_header_line(data: &[u8]) -> Option<&[u8]> {
    // Searched forward: memmem's forward search is vectorised and its reverse one is not (the
    // reverse search took a quarter of a streamed scan's time). Header lines are few.
    let starts: Vec<usize> = memchr::memmem::find_iter(data, b"type,")
        .filter(|&at| header_start(data, at))
        .collect();
    starts
        .into_iter()
        .rev()
        .find_map(|at| header_line(data, at))
}

/// The first record of `data` as the scan reads it, without its line ending (`None` if it is
/// broken).
pub(super) fn first_line(data: &[u8]) -> Option<&[u8]> {
    header_line(data, 0)
}

/// Takes back the progress of pieces that are scanned again.
pub(super) fn unreport<T>(progress: Option<&Progress>, done: &[(T, ChunkReport)]) {
    if let Some(p) = progress {
        for (_, rep) in done {
            p.bytes_done.fetch_sub(rep.bytes, Ordering::Relaxed);
            p.records.fetch_sub(rep.records, Ordering::Relaxed);
        }
    }
}
