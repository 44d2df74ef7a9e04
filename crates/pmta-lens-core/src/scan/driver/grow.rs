//! Following: bytes appended to the inputs, files rotated, renamed, truncated or gone, and new
//! files in a watched directory (see [`Driver::grow`]).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{Driver, Source};
use crate::acct::discover::{Input, InputKind};
use crate::scan::follow::{FileId, FollowEvent, Followed, find_in, uncompressed_name};

impl<F: Send> Driver<F> {
    /// Following: looks at every followed file again, after the last window was read. For each
    /// (and in this order):
    ///
    /// - a file that no longer holds what was read (shorter than the read position, or other
    ///   bytes just before it: `copytruncate`, `> file`) is read again from its start
    ///   ([`FollowEvent::Truncated`]);
    /// - appended bytes (whole lines only) become the next pieces to read, from where the
    ///   reading stopped, whatever the file's name is now;
    /// - a file rotated away (an earlier look found its path naming another file or nothing)
    ///   that did not grow since is no longer followed ([`FollowEvent::Dropped`]): it was read
    ///   to its end once and is never read again;
    /// - a file whose path no longer names it was rotated: its new name in the same directory
    ///   becomes its path ([`FollowEvent::Renamed`]; else [`FollowEvent::Gone`]), and a new
    ///   file at the old path is a new input, read from its start ([`FollowEvent::Added`]).
    ///
    /// Each row is counted once: a file is known by its device and inode, never by its name.
    pub fn grow(&mut self) -> Vec<FollowEvent> {
        self.exact_from_now_on();
        let mut events = Vec::new();
        for i in 0..self.cursors.len() {
            self.grow_one(i, &mut events);
        }
        self.current = 0;
        events
    }

    /// Following, once the first read is over: every window is scanned with its header lines
    /// found exactly (cheap for what is appended), never guessed. A failed guess makes the
    /// driver count every input again from its start at the next settle, which, once files
    /// have been truncated, renamed or replaced, would count other bytes than were read.
    pub(super) fn exact_from_now_on(&mut self) {
        if !self.looked {
            self.looked = true;
            for c in &mut self.cursors {
                c.exact = true;
            }
        }
    }

    pub(super) fn grow_one(&mut self, i: usize, events: &mut Vec<FollowEvent>) {
        let c = &mut self.cursors[i];
        let Some(f) = &c.followed else {
            return;
        };
        let mapped = match &c.source {
            // Still reading what the last look found.
            Source::Mapped { starts, next, .. } if *next < starts.len() => return,
            Source::Mapped { map, .. } => map.len() as u64,
            _ => 0,
        };
        let Ok(size) = f.size() else {
            return;
        };
        let forget = |path: &std::path::Path| {
            if let Some(cache) = &self.opts.maps {
                cache.forget(path);
            }
        };
        if f.rewritten(size) {
            c.offset = 0;
            c.line = 0;
            c.header = None;
            c.source = Source::Done;
            if let Some(f) = &mut c.followed {
                f.restart();
            }
            forget(&c.input.path);
            events.push(FollowEvent::Truncated(i));
            self.remap(i, size);
        } else if size > mapped {
            forget(&c.input.path);
            self.remap(i, size.saturating_sub(mapped));
        } else if f.rotated {
            c.followed = None;
            c.source = Source::Done;
            events.push(FollowEvent::Dropped(i));
            return;
        }
        self.check_path(i, events);
    }

    /// Maps followed input `i` again, `added` bytes more than before, and reads on from its
    /// position.
    pub(super) fn remap(&mut self, i: usize, added: u64) {
        let c = &self.cursors[i];
        let Some(Ok(Some(map))) = c.followed.as_ref().map(Followed::map) else {
            return;
        };
        let from = usize::try_from(c.offset).unwrap_or(usize::MAX);
        if let Some(p) = &self.opts.progress {
            p.bytes_total.fetch_add(added, Ordering::Relaxed);
        }
        self.set_mapped(i, Arc::new(map), from);
    }

    /// Whether followed input `i` is still at its path; if not, it was rotated (see
    /// [`Self::grow`]).
    pub(super) fn check_path(&mut self, i: usize, events: &mut Vec<FollowEvent>) {
        let c = &mut self.cursors[i];
        let Some(f) = &mut c.followed else {
            return;
        };
        if f.rotated {
            return;
        }
        let now = std::fs::metadata(&c.input.path).ok();
        if now.as_ref().is_some_and(|m| FileId::of(m) == f.id) {
            return;
        }
        f.rotated = true;
        let id = f.id;
        let old = c.input.path.clone();
        if let Some(cache) = &self.opts.maps {
            cache.forget(&old);
        }
        let renamed = old.parent().and_then(|dir| {
            let dir = if dir.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                dir
            };
            find_in(dir, id)
        });
        if let Some(new) = renamed {
            // Keep the path as the user would type it (`find_in` lists `dir/name`).
            let new = old.with_file_name(new.file_name().unwrap_or_default());
            c.input.path.clone_from(&new);
            self.report.files[i].path = c.input.display();
            self.former.push((new, i));
            events.push(FollowEvent::Renamed {
                input: i,
                from: old.clone(),
            });
        } else {
            events.push(FollowEvent::Gone(i));
        }
        let replaced = now.is_some_and(|m| m.is_file())
            && !self
                .cursors
                .iter()
                .enumerate()
                .any(|(j, c)| j != i && c.input.path == old);
        if replaced {
            self.add_input(Input {
                path: old,
                kind: InputKind::Plain,
            });
            events.push(FollowEvent::Added(self.cursors.len() - 1));
        }
    }

    /// Following a directory: takes the accounting files `found` in it now (see
    /// [`crate::acct::discover::discover`]) and adds the new ones as inputs read from their
    /// start ([`FollowEvent::Added`]), except:
    ///
    /// - a file already followed under another name (renamed, not yet seen by [`Self::grow`]),
    ///   known by its device and inode;
    /// - a `.gz` whose name is that of a file already read (under any name it has had) plus
    ///   `.gz`: the compressed copy logrotate (or `gzip`) makes of a rotated file. It is not
    ///   read, and reported once ([`FollowEvent::Compressed`]).
    pub fn discovered(&mut self, found: Vec<Input>) -> Vec<FollowEvent> {
        let mut events = Vec::new();
        for input in found {
            if self.cursors.iter().any(|c| c.input.path == input.path)
                || self.compressed.contains(&input.path)
            {
                continue;
            }
            if input.kind == InputKind::Gzip
                && let Some(plain) = uncompressed_name(&input.path)
                && let Some(&(_, of)) = self.former.iter().find(|(p, _)| *p == plain)
            {
                self.compressed.push(input.path.clone());
                events.push(FollowEvent::Compressed {
                    path: input.path,
                    of,
                });
                continue;
            }
            if input.kind == InputKind::Plain
                && let Ok(m) = std::fs::metadata(&input.path)
            {
                let id = FileId::of(&m);
                let followed = self
                    .cursors
                    .iter()
                    .any(|c| c.followed.as_ref().is_some_and(|f| f.id == id));
                if followed {
                    continue;
                }
            }
            self.add_input(input);
            events.push(FollowEvent::Added(self.cursors.len() - 1));
        }
        events
    }
}
