//! Cuts a mapped file into record-aligned chunks for parallel scanning, and decides the header
//! in effect at each chunk's start.
//!
//! A chunk starts right after a newline that is followed by a record start (`d,` ... `type,`,
//! see [`is_record_start`]). The record splitter treats exactly those newlines as record
//! boundaries even inside a broken quoted field, so scanning the chunks one by one gives the same
//! records as scanning the whole file at once, for every choice of split points.
//!
//! Headers: a file almost always has one header line, at its start. Searching the whole file for
//! further `type,` lines before scanning cost about a quarter of a summary's time, so chunks
//! start *speculatively* with the header the range opens with ([`start_headers`]) and count the
//! header lines that change the columns; [`StartHeaders::held`] then tells whether the guess was
//! right for every chunk. When it was not (a `record-fields` change in mid-file), the caller scans
//! again with the headers found exactly ([`start_headers`] with `exact`).

use std::sync::Arc;

use memchr::memchr;
use memchr::memmem;
use rayon::prelude::*;

use super::broken::header_line;
use super::header::Header;
use super::record::is_record_start;

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

/// Whether the scan starts a record at `off` if `type,` is there: at the start of the data,
/// after a newline, or after NUL bytes (a hole ends its broken record right before a record
/// start that follows it, `acct::broken`; the scan then reads the header line after the hole).
pub fn header_start(data: &[u8], off: usize) -> bool {
    off == 0 || matches!(data[off - 1], b'\n' | 0)
}

/// The header lines of `data` that start within `start..end`, in order. Chunks search their own
/// range in parallel, so finding headers costs no serial pass over the file.
pub fn headers_in(data: &[u8], start: usize, end: usize) -> Vec<(usize, Arc<Header>)> {
    let to = (end + 4).min(data.len());
    if start >= to {
        return Vec::new();
    }
    memmem::find_iter(&data[start..to], b"type,")
        .map(|p| start + p)
        .filter(|&off| off < end && header_start(data, off))
        .filter_map(|off| {
            header_line(data, off)
                .and_then(Header::parse)
                .map(|h| (off, h))
        })
        .collect()
}

/// The header in effect for a chunk starting at `start`: the last one that begins before it.
pub fn header_before(headers: &[(usize, Arc<Header>)], start: usize) -> Option<Arc<Header>> {
    let i = headers.partition_point(|(off, _)| *off < start);
    i.checked_sub(1).map(|i| Arc::clone(&headers[i].1))
}

/// Whether a header line (`line`, without its line ending) read while `current` is in effect
/// changes the columns. A repeat of the same line (files joined with `cat`) changes nothing.
pub fn changes_header(current: Option<&Arc<Header>>, line: &[u8]) -> bool {
    current.is_none_or(|h| h.raw != line)
}

/// The header each chunk of a range begins with, and how many header changes the range's own
/// first line explains.
#[derive(Debug)]
pub struct StartHeaders {
    pub headers: Vec<Option<Arc<Header>>>,
    /// Header changes the chunks may report without invalidating the guess: 1 when the range
    /// opens with a header line other than `initial`, else 0. `None`: found exactly, no guess.
    expected: Option<u64>,
}

impl StartHeaders {
    /// Whether every chunk started with the right header, given each chunk's count of header
    /// changes (in chunk order). Changes in the last chunk affect no other chunk's start.
    pub fn held(&self, changes: &[u64]) -> bool {
        let before_last = &changes[..changes.len().saturating_sub(1)];
        self.expected
            .is_none_or(|n| before_last.iter().sum::<u64>() == n)
    }
}

/// The headers the chunks starting at `starts` (offsets into `data`, ascending; the last chunk
/// ends at `end`) begin with, `initial` being the header in effect before the first chunk.
///
/// Not `exact`: the first chunk gets `initial`, the others the header the range opens with (its
/// first line, when that is a header line, else `initial`): right unless a later header line
/// changes the columns, which [`StartHeaders::held`] detects. `exact`: every header line of the
/// range is found first (each chunk's part searched in parallel) and each chunk gets the last
/// one before it.
pub fn start_headers(
    data: &[u8],
    starts: &[usize],
    end: usize,
    initial: Option<Arc<Header>>,
    exact: bool,
) -> StartHeaders {
    let ends = starts.iter().skip(1).copied().chain([end]);
    if exact {
        let found: Vec<(usize, Arc<Header>)> = starts
            .par_iter()
            .zip(ends.collect::<Vec<_>>())
            .map(|(s, e)| headers_in(data, *s, e))
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect();
        let headers = starts
            .iter()
            .map(|s| header_before(&found, *s).or_else(|| initial.clone()))
            .collect();
        return StartHeaders {
            headers,
            expected: None,
        };
    }
    let (mut later, mut expected) = (initial.clone(), 0);
    if let Some(&first) = starts.first()
        && data[first..].starts_with(b"type,")
        && let Some(line) = header_line(&data[..end], first)
        && changes_header(initial.as_ref(), line)
    {
        later = Header::parse(line);
        expected = 1;
    }
    let mut headers = vec![later; starts.len()];
    if let Some(h) = headers.first_mut() {
        *h = initial;
    }
    StartHeaders {
        headers,
        expected: Some(expected),
    }
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

    /// Chunk starts of `data` cut before every line.
    fn line_starts(data: &[u8]) -> Vec<usize> {
        let mut v = vec![0];
        v.extend(memchr::memchr_iter(b'\n', data).map(|i| i + 1));
        v.retain(|s| *s < data.len());
        v
    }

    fn names(h: Option<&Arc<Header>>) -> Option<Vec<String>> {
        h.map(|h| h.names.clone())
    }

    #[test]
    fn the_guess_is_the_leading_header_and_holds_when_nothing_changes_it() {
        let data = b"type,a,b\nd,1,2\ntype,a,b\nd,3,4\n";
        let starts = line_starts(data);
        let sh = start_headers(data, &starts, data.len(), None, false);
        assert_eq!(
            names(sh.headers[0].as_ref()),
            None,
            "the first chunk reads its own"
        );
        for h in &sh.headers[1..] {
            assert_eq!(
                names(h.as_ref()),
                Some(vec!["type".into(), "a".into(), "b".into()])
            );
        }
        // chunk 0 reads the leading header (one change); the repeat at line 3 changes nothing
        assert!(sh.held(&[1, 0, 0, 0]));
        assert!(!sh.held(&[1, 0, 1, 0]), "a change before the last chunk");
        assert!(
            sh.held(&[1, 0, 0, 1]),
            "a change in the last chunk misleads no one"
        );
    }

    #[test]
    fn a_range_without_a_leading_header_guesses_the_header_before_it() {
        let data = b"d,1,2\nd,3,4\n";
        let before = Header::parse(b"type,a,b");
        let sh = start_headers(data, &[0, 6], data.len(), before.clone(), false);
        assert!(
            sh.headers
                .iter()
                .all(|h| names(h.as_ref()) == names(before.as_ref()))
        );
        assert!(sh.held(&[0, 0]));
        assert!(!sh.held(&[1, 0]));
        // the same header line again is no change either
        let again = b"type,a,b\nd,1,2\n";
        let sh = start_headers(again, &[0, 9], again.len(), before.clone(), false);
        assert!(sh.held(&[0, 0]));
    }

    #[test]
    fn exact_headers_match_the_last_header_line_before_each_chunk() {
        let data = b"type,a,b\nd,1,2\ntype,b,a\nd,3,4\n";
        let starts = line_starts(data);
        let sh = start_headers(data, &starts, data.len(), None, true);
        let got: Vec<_> = sh.headers.iter().map(|h| names(h.as_ref())).collect();
        let ab = Some(vec!["type".to_string(), "a".into(), "b".into()]);
        let ba = Some(vec!["type".to_string(), "b".into(), "a".into()]);
        assert_eq!(got, [None, ab.clone(), ab, ba]);
        assert!(sh.held(&[1, 0, 1, 0]), "found exactly: nothing to check");
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
