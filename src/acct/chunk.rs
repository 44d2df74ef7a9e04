//! Cuts a mapped file into record-aligned chunks for parallel scanning, and finds the header in
//! effect at each chunk's start.
//!
//! A chunk starts right after a newline that is followed by a record start (`d,` ... `type,`,
//! see [`is_record_start`]). The record splitter treats exactly those newlines as record
//! boundaries even inside a broken quoted field, so scanning the chunks one by one gives the same
//! records as scanning the whole file at once, for every choice of split points.

use std::sync::Arc;

use memchr::memchr;
use memchr::memmem;

use super::header::Header;
use super::record::{FieldSplitter, is_record_start};

/// Default chunk size: large enough to amortise per-chunk work, small enough to balance 2-64
/// threads on a file of a few hundred MB.
pub const DEFAULT_CHUNK_SIZE: usize = 4 << 20;

/// Start offsets of the chunks of `data`, the first always 0 (empty for empty data).
pub fn split_points(data: &[u8], target: usize) -> Vec<usize> {
    let target = target.max(1);
    let mut starts = Vec::new();
    if data.is_empty() {
        return starts;
    }
    starts.push(0);
    let mut want = target;
    while want < data.len() {
        let Some(b) = next_boundary(data, want) else {
            break;
        };
        starts.push(b);
        want = b + target;
    }
    starts
}

/// The first record boundary at or after `from` (the offset just after a qualifying newline).
pub fn next_boundary(data: &[u8], from: usize) -> Option<usize> {
    // A boundary at `from` itself needs the newline before it.
    let mut at = from.saturating_sub(1);
    while let Some(k) = memchr(b'\n', &data[at..]) {
        let nl = at + k;
        if nl + 1 >= data.len() {
            return None;
        }
        if is_record_start(data, nl + 1) {
            return Some(nl + 1);
        }
        at = nl + 1;
    }
    None
}

/// The header lines of `data` with their offsets, in order.
pub fn headers(data: &[u8]) -> Vec<(usize, Arc<Header>)> {
    headers_in(data, 0, data.len())
}

/// The header lines of `data` that start within `start..end`, in order. Chunks search their own
/// range in parallel, so finding headers costs no serial pass over the file.
pub fn headers_in(data: &[u8], start: usize, end: usize) -> Vec<(usize, Arc<Header>)> {
    let mut offsets = Vec::new();
    if start == 0 && end > 0 && data.starts_with(b"type,") {
        offsets.push(0);
    }
    // A header line starting at `start` has its newline at `start - 1`.
    let from = start.saturating_sub(1);
    let to = (end + 5).min(data.len());
    offsets.extend(
        memmem::find_iter(&data[from..to], b"\ntype,")
            .map(|p| from + p + 1)
            .filter(|off| (start..end).contains(off)),
    );
    let mut splitter = FieldSplitter::default();
    offsets
        .into_iter()
        .filter_map(|off| {
            let split = splitter.split(data, off);
            Header::parse(&data[off..split.content_end]).map(|h| (off, h))
        })
        .collect()
}

/// The header in effect for a chunk starting at `start`: the last one that begins before it.
pub fn header_before(headers: &[(usize, Arc<Header>)], start: usize) -> Option<Arc<Header>> {
    let i = headers.partition_point(|(off, _)| *off < start);
    i.checked_sub(1).map(|i| Arc::clone(&headers[i].1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_only_before_record_starts() {
        let data = b"type,a\nd,\"x\ny\",1\nb,2\n";
        let starts = split_points(data, 1);
        // never inside the quoted "x\ny" (y is not a record start)
        assert_eq!(starts, [0, 7, 17]);
        for s in &starts[1..] {
            assert!(is_record_start(data, *s));
        }
    }

    #[test]
    fn large_target_gives_one_chunk() {
        assert_eq!(split_points(b"type,a\nd,1\n", 1 << 20), [0]);
        assert!(split_points(b"", 10).is_empty());
    }

    #[test]
    fn headers_found_per_range_add_up_to_the_whole() {
        let data = b"type,a,b\nd,1,2\ntype,b,a\nd,3,4\ntype,c\n";
        let whole: Vec<usize> = headers(data).iter().map(|(o, _)| *o).collect();
        assert_eq!(whole, [0, 15, 30]);
        for cut in 0..=data.len() {
            let mut parts: Vec<usize> = headers_in(data, 0, cut).iter().map(|(o, _)| *o).collect();
            parts.extend(headers_in(data, cut, data.len()).iter().map(|(o, _)| *o));
            assert_eq!(parts, whole, "cut at {cut}");
        }
    }

    #[test]
    fn finds_every_header() {
        let data = b"type,a,b\nd,1,2\ntype,b,a\nd,3,4";
        let hs = headers(data);
        assert_eq!(hs.len(), 2);
        assert_eq!(hs[1].0, 15);
        assert_eq!(hs[1].1.names, ["type", "b", "a"]);
        assert_eq!(
            header_before(&hs, 15).map(|h| h.names.clone()),
            Some(hs[0].1.names.clone())
        );
        assert_eq!(
            header_before(&hs, 16).map(|h| h.names.clone()),
            Some(hs[1].1.names.clone())
        );
        assert!(header_before(&hs, 0).is_none());
    }
}
