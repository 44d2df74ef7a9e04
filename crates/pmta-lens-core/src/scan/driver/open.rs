//! Opening inputs for the driver: files mapped (or read ahead when followed), streams
//! decompressed on threads of their own, and what a failure or a file that shrank does.

use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::window::last_header_line;
use super::{Driver, STREAM_BLOCK, Source};
use crate::acct::chunk::split_points;
use crate::acct::discover::InputKind;
use crate::acct::guard::GuardedMap;
use crate::acct::header::Header;
use crate::acct::source::{BOM, GzipEnd, Opened, open, read_ahead};
use crate::error::InputError;
use crate::scan::follow::Followed;

impl<F: Send> Driver<F> {
    /// Opens input `i`; a failure is reported and the input skipped.
    pub(super) fn open(&mut self, i: usize) {
        if self.follow && self.opts.mmap && self.cursors[i].input.kind == InputKind::Plain {
            self.open_followed(i);
            return;
        }
        let input = &self.cursors[i].input;
        let opened = match &self.opts.maps {
            Some(cache) => cache.open(input, self.opts.mmap),
            None => open(input, self.opts.mmap),
        };
        let source = match opened {
            Ok(Opened::Mapped(map)) => {
                // A byte order mark before the header is no part of it.
                let bom = if map.starts_with(BOM) { BOM.len() } else { 0 };
                let end = if self.follow {
                    memchr::memrchr(b'\n', &map).map_or(0, |p| p + 1)
                } else {
                    map.len()
                }
                .max(bom);
                if let Some(p) = &self.opts.progress {
                    p.bytes_total.fetch_add(map.len() as u64, Ordering::Relaxed);
                }
                let from = self.start_from(i, &map, bom, end);
                self.cursors[i].offset = from as u64;
                self.report.files[i].bytes += bom as u64;
                Source::Mapped {
                    starts: split_points(&map[from..end], self.opts.chunk_size)
                        .into_iter()
                        .map(|s| s + from)
                        .collect(),
                    map,
                    next: 0,
                    end,
                }
            }
            Ok(Opened::Empty) => Source::Done,
            Ok(Opened::Stream(s)) => {
                let block = self.opts.chunk_size.clamp(64, STREAM_BLOCK);
                match read_ahead(s, block, self.folds.len() * 2) {
                    Ok(rx) => Source::Stream(rx),
                    Err(e) => {
                        self.fail(i, e, true);
                        Source::Done
                    }
                }
            }
            Err(e) => {
                self.report.files[i].error = Some(e.to_string());
                self.report.errors.push(e);
                Source::Done
            }
        };
        self.cursors[i].source = source;
    }

    /// Where reading of mapped input `i` starts ([`Driver::start_at`]; else just past `bom`),
    /// with the cursor's line and header set for it.
    fn start_from(&mut self, i: usize, map: &[u8], bom: usize, end: usize) -> usize {
        let Some(start) = self.cursors[i].start else {
            return bom;
        };
        let from = usize::try_from(start.offset)
            .unwrap_or(usize::MAX)
            .clamp(bom, end);
        let c = &mut self.cursors[i];
        c.line = start.line;
        // The header in force at `from`: the last one before it (searched forward, as
        // `last_header_line` does; header lines are few and the search is vectorised).
        c.header = last_header_line(&map[bom..from]).and_then(Header::parse);
        if let Some(p) = &self.opts.progress {
            p.bytes_total
                .fetch_sub((from - bom) as u64, Ordering::Relaxed);
        }
        from
    }

    /// Following: opens input `i` and keeps it open, mapped through its descriptor (an empty
    /// file stays open, with nothing to read yet). The mapping cache is bypassed: its mappings
    /// are found by path, and a followed file may not be at its path any more.
    pub(super) fn open_followed(&mut self, i: usize) {
        let path = self.cursors[i].input.path.clone();
        match Followed::open(&path) {
            Ok((f, map)) => {
                self.cursors[i].followed = Some(f);
                // Past the first read, a failed header guess could not be redone: the redo
                // reads every file again from its start, and a truncated file no longer has
                // what was counted (see `Self::exact_from_now_on`).
                self.cursors[i].exact |= self.looked;
                self.cursors[i].source = Source::Done;
                if let Some(map) = map {
                    if let Some(p) = &self.opts.progress {
                        p.bytes_total.fetch_add(map.len() as u64, Ordering::Relaxed);
                    }
                    self.set_mapped(i, Arc::new(map), 0);
                }
            }
            Err(source) => {
                let e = InputError::Io { path, source };
                self.report.files[i].error = Some(e.to_string());
                self.report.errors.push(e);
                self.cursors[i].source = Source::Done;
            }
        }
    }

    /// Makes `map` the source of input `i`, read from byte `from` up to its last whole line
    /// (following: the last line may still be being written).
    pub(super) fn set_mapped(&mut self, i: usize, map: Arc<GuardedMap>, from: usize) {
        let from = from.min(map.len());
        let end = memchr::memrchr(b'\n', &map[from..]).map_or(from, |p| from + p + 1);
        let starts = split_points(&map[from..end], self.opts.chunk_size)
            .into_iter()
            .map(|s| s + from)
            .collect();
        let c = &mut self.cursors[i];
        c.cut = None;
        if let Some(f) = &mut c.followed {
            f.remember(&map, end);
        }
        c.source = Source::Mapped {
            map,
            starts,
            next: 0,
            end,
        };
    }

    /// Starts reading ahead the streams after input `from`, so that several decompress at
    /// once (as many as there are workers).
    pub(super) fn read_ahead_from(&mut self, from: usize) {
        let busy = self.cursors[self.current..from]
            .iter()
            .filter(|c| matches!(c.source, Source::Stream(_)))
            .count();
        let mut room = self.folds.len().saturating_sub(busy);
        for i in from..self.cursors.len() {
            if room == 0 {
                break;
            }
            let c = &self.cursors[i];
            if matches!(c.source, Source::Unopened)
                && c.input.kind != crate::acct::discover::InputKind::Plain
            {
                self.open(i);
                room -= 1;
            }
        }
    }

    /// Stops a mapped input at its last whole line when its file has shrunk since it was mapped
    /// (truncated or rewritten in place while being read): the pieces past the cut are dropped,
    /// the rows before it count, and, unless following (where `grow` starts the file again),
    /// the input gets an error saying what happened. Costs one `stat` per window.
    pub(super) fn check_shrink(&mut self, i: usize) {
        let c = &mut self.cursors[i];
        let Source::Mapped {
            map,
            starts,
            next,
            end,
        } = &mut c.source
        else {
            return;
        };
        if c.cut.is_some() {
            return;
        }
        let Some(now) = map.shrunk_to(&c.input.path) else {
            return;
        };
        let size = usize::try_from(now).unwrap_or(usize::MAX).min(*end);
        let cut = memchr::memrchr(b'\n', &map[..size]).map_or(0, |p| p + 1);
        c.cut = Some(cut);
        *end = (*end).min(cut);
        starts.retain(|&s| s < cut);
        *next = (*next).min(starts.len());
        if self.follow {
            return;
        }
        let e = InputError::Shrank {
            path: c.input.path.clone(),
            from: map.len() as u64,
            to: now,
        };
        self.report.files[i].error = Some(e.to_string());
        self.report.files[i].partial = true;
        self.report.errors.push(e);
    }

    /// Records a read error of input `i` (what was read before it counts, and the report says
    /// so when there was any).
    pub(super) fn fail(&mut self, i: usize, source: io::Error, deliver: bool) {
        if !deliver {
            return;
        }
        let path = self.cursors[i].input.path.clone();
        let f = &mut self.report.files[i];
        let e = match GzipEnd::of(&source) {
            Some(GzipEnd::Truncated) => InputError::Truncated {
                path,
                rows: f.records,
            },
            Some(GzipEnd::TrailingGarbage) => InputError::TrailingGarbage {
                path,
                rows: f.records,
            },
            None if f.bytes > 0 => InputError::Cut {
                path,
                source,
                rows: f.records,
            },
            None => InputError::Io { path, source },
        };
        f.error = Some(e.to_string());
        f.partial = e.is_partial();
        self.report.errors.push(e);
    }
}
