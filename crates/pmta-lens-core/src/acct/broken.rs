//! Records the scan gives up on, and where the next one starts: a record longer than
//! [`MAX_RECORD`], and a record holding NUL bytes (a crash left a hole of zeros in the file).
//!
//! Both rules depend only on the bytes from the record's start on, never on where a chunk or a
//! stream block ends, so parallel chunks and streamed blocks give the sequential result (see
//! `acct::chunk`). Both end the broken record at a *stop* found by [`find_stop`]: the first
//! newline, or a record start right after a run of NUL bytes (a hole that swallowed a newline
//! must not take the good row after it along). Neither crosses a chunk boundary (a newline
//! followed by a record start): the newline is a stop.
//!
//! The limit keeps memory bounded whatever the input (`/dev/zero`, a gzip bomb of one endless
//! line): a stream never holds more than a block and one record's worth of bytes.

use memchr::{memchr, memchr2};

use super::record::{FieldSplitter, RecordEnd, Split, is_record_start};

/// The longest record the scan reads, line ending included. `PowerMTA` writes rows of well
/// under 4 KiB even with every column and a long subject; anything longer is damage (or not an
/// accounting log) and is reported as malformed, "record longer than 64 KiB".
pub const MAX_RECORD: usize = 64 << 10;

/// Bytes past a record's last byte that decide where it ends (a newline inside quotes ends the
/// record if a record start, at most `type,`, follows it).
pub const LOOKAHEAD: usize = 8;

/// Why a record is broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broken {
    TooLong,
    Nul,
}

impl Broken {
    pub fn reason(self) -> &'static str {
        match self {
            Broken::TooLong => "record longer than 64 KiB (skipped to the next line)",
            Broken::Nul => "NUL bytes: a hole in the file (skipped to the next line)",
        }
    }
}

/// The end of the record at `pos` of `data`, as split by `split` (which was split within
/// [`view`]), if the record is broken: why, where the next record starts, and the newlines in
/// between. `nul` says whether `data` may hold NUL bytes at all (a chunk without any skips the
/// search). `complete`: `data` ends where the input ends (else `None` when the end is not in
/// `data` yet).
#[inline]
pub fn broken(
    data: &[u8],
    pos: usize,
    split: &Split,
    nul: bool,
    complete: bool,
) -> Option<Option<(Broken, usize, u64)>> {
    let nul_at = if nul {
        memchr(0, &data[pos..split.next]).map(|k| pos + k)
    } else {
        None
    };
    let (why, from) = match nul_at {
        Some(z) => (Broken::Nul, z),
        None if split.next - pos > MAX_RECORD => (Broken::TooLong, pos + MAX_RECORD),
        None => return None,
    };
    Some(match find_stop(&data[from..], false, complete) {
        Stop::At { at, .. } => {
            let next = from + at;
            let newlines = memchr::memchr_iter(b'\n', &data[pos..next]).count() as u64;
            Some((why, next, newlines))
        }
        Stop::Undecided { .. } => None,
    })
}

/// The part of `data` the splitter may look at for the record at `pos`: a record that reaches
/// its end is longer than [`MAX_RECORD`] whatever follows.
#[inline]
pub fn view(data: &[u8], pos: usize) -> &[u8] {
    &data[..data.len().min(pos.saturating_add(MAX_RECORD + LOOKAHEAD))]
}

/// Where the scan goes on after a broken part of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The next record starts at `at` (after a newline, or at a record start after NUL bytes;
    /// `after_nul` then). At the end of complete data, `at` is its length.
    At { at: usize, after_nul: bool },
    /// Not in the data yet: nothing before `keep` can be a stop; `nul` says whether the byte
    /// before `keep` is a NUL.
    Undecided { keep: usize, nul: bool },
}

/// The first stop in `data`: the position after its first newline, or a record start right
/// after NUL bytes. `nul_before`: the byte before `data` is a NUL. `complete`: nothing follows
/// `data`.
pub fn find_stop(data: &[u8], nul_before: bool, complete: bool) -> Stop {
    let len = data.len();
    let mut at = 0;
    let mut after_nul = nul_before;
    loop {
        if after_nul && at < len {
            // A record start needs up to five bytes to be recognised.
            if !complete && at + 5 > len {
                return Stop::Undecided {
                    keep: at,
                    nul: true,
                };
            }
            if is_record_start(data, at) {
                return Stop::At {
                    at,
                    after_nul: true,
                };
            }
        }
        let Some(k) = memchr2(b'\n', 0, &data[at..]) else {
            return if complete {
                Stop::At {
                    at: len,
                    after_nul: false,
                }
            } else {
                Stop::Undecided {
                    keep: len,
                    nul: after_nul && at == len,
                }
            };
        };
        let k = at + k;
        if data[k] == b'\n' {
            return Stop::At {
                at: k + 1,
                after_nul: false,
            };
        }
        at = data[k..]
            .iter()
            .position(|b| *b != 0)
            .map_or(len, |p| k + p);
        after_nul = true;
        if at == len {
            return if complete {
                Stop::At {
                    at: len,
                    after_nul: false,
                }
            } else {
                Stop::Undecided {
                    keep: len,
                    nul: true,
                }
            };
        }
    }
}

/// Where the record at `pos` ends as the scan reads it (the next record's start, with
/// [`broken`] applied), or `None` when `data` (not `complete`) does not hold enough to tell.
/// Also gives whether it is broken. For the stream reader, which must cut blocks where the scan
/// would be.
pub fn record_end(
    splitter: &mut FieldSplitter,
    data: &[u8],
    pos: usize,
    complete: bool,
) -> Option<(usize, Option<Broken>)> {
    if !complete && data.len() < pos + MAX_RECORD + LOOKAHEAD {
        // Without the whole view, a record that ends near the end of `data` may end elsewhere.
        let split = splitter.split_first(data, pos, 1);
        let decided = split.end != RecordEnd::EndOfInput && split.next + LOOKAHEAD <= data.len();
        if !decided {
            return None;
        }
        return match broken(data, pos, &split, true, false) {
            None => Some((split.next, None)),
            Some(Some((why, next, _))) => Some((next, Some(why))),
            Some(None) => None,
        };
    }
    let split = splitter.split_first(view(data, pos), pos, 1);
    match broken(data, pos, &split, true, complete) {
        None => Some((split.next, None)),
        Some(Some((why, next, _))) => Some((next, Some(why))),
        Some(None) => None,
    }
}

/// The line at `off` (without its line ending), unless the record there is broken: the scan
/// never takes a broken record for a header, so neither may those who look for header lines.
pub fn header_line(data: &[u8], off: usize) -> Option<&[u8]> {
    let split = FieldSplitter::default().split_first(view(data, off), off, usize::MAX);
    if broken(data, off, &split, true, true).is_some() {
        return None;
    }
    Some(&data[off..split.content_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_a_newline_or_a_record_start_after_nuls() {
        assert_eq!(
            find_stop(b"abc\nd,1", false, true),
            Stop::At {
                at: 4,
                after_nul: false
            }
        );
        assert_eq!(
            find_stop(b"ab\0\0\0d,1\n", false, true),
            Stop::At {
                at: 5,
                after_nul: true
            }
        );
        // NULs followed by something else: on to the newline
        assert_eq!(
            find_stop(b"ab\0\0x,1\nd,2", false, true),
            Stop::At {
                at: 8,
                after_nul: false
            }
        );
        assert_eq!(
            find_stop(b"\0\0\0", false, true),
            Stop::At {
                at: 3,
                after_nul: false
            }
        );
        // more may follow
        assert_eq!(
            find_stop(b"ab\0\0", false, false),
            Stop::Undecided { keep: 4, nul: true }
        );
        assert_eq!(
            find_stop(b"ab\0\0ty", false, false),
            Stop::Undecided { keep: 4, nul: true }
        );
        assert_eq!(
            find_stop(b"abc", false, false),
            Stop::Undecided {
                keep: 3,
                nul: false
            }
        );
        // a record start right at the start, after NULs before it
        assert_eq!(
            find_stop(b"d,1,x\n", true, false),
            Stop::At {
                at: 0,
                after_nul: true
            }
        );
    }

    #[test]
    fn a_long_record_is_broken_at_the_limit_and_ends_at_the_next_newline() {
        let mut data = b"d,".to_vec();
        data.resize(MAX_RECORD + 100, b'x');
        data.extend_from_slice(b"\nd,1\n");
        let mut s = FieldSplitter::default();
        let (next, why) = record_end(&mut s, &data, 0, true).expect("decided");
        assert_eq!(why, Some(Broken::TooLong));
        assert_eq!(&data[next..], b"d,1\n");
        // one byte shorter than the limit, line ending included: a record like any other
        let mut ok = b"d,".to_vec();
        ok.resize(MAX_RECORD - 1, b'x');
        ok.push(b'\n');
        assert_eq!(record_end(&mut s, &ok, 0, true), Some((MAX_RECORD, None)));
    }
}
