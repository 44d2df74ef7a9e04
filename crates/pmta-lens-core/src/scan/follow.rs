//! `--follow` across rotation: each followed file is held open and known by its device and inode,
//! so a rename keeps its place, a new file at the watched path is a new input, a file rewritten
//! in place is told from one that only grew, and a compressed copy of a file already read is not
//! read again. See [`super::Driver::grow`] and [`super::Driver::discovered`] for the rules.
//!
//! Why an open descriptor and not only the (device, inode) pair: `PowerMTA` (like any logger
//! rotated by rename) may write its last rows to the old file after the rename, before it opens
//! the new one. Through the descriptor those rows are read wherever the file went (even out of
//! the directory, or deleted), without looking for it by name; the pair is what tells the file
//! at the watched path (or a name found in a directory) from the one being read.

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::acct::guard::GuardedMap;

/// How many bytes before the read position are kept to check, at the next look, that the file
/// still holds what was read (a file truncated and written again past that position has the
/// same size or more, but other bytes there).
const TAIL: usize = 64;

/// A file's identity: device and inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    pub(super) fn of(meta: &Metadata) -> FileId {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// What following found at one look (returned by [`super::Driver::grow`] and
/// [`super::Driver::discovered`]; indices are the driver's inputs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowEvent {
    /// The input got shorter, or no longer holds what was read (truncated: `copytruncate`,
    /// `> file`): it is read again from its start. What was counted before stays counted; rows
    /// written between the last look and the truncation are lost with the file's bytes.
    Truncated(usize),
    /// The input was renamed in its directory (rotation): its path is now the new name, and it
    /// is read on from where it was.
    Renamed { input: usize, from: PathBuf },
    /// The input is no longer at its path and was not found under another name in the same
    /// directory (deleted or moved away): it is read on through the open file until it stops
    /// growing, but its path names another file or nothing.
    Gone(usize),
    /// A new input: a new file at a followed path, or a new accounting file in a followed
    /// directory. It is read from its start.
    Added(usize),
    /// The input was rotated away and no longer grows: it is not followed any more (its file is
    /// closed, so a deleted file's space is given back).
    Dropped(usize),
    /// A `.gz` appeared whose name is a file already read plus `.gz` (logrotate's `compress`,
    /// or `gzip` by hand): the same rows, not read again.
    Compressed { path: PathBuf, of: usize },
}

/// A followed file, held open.
#[derive(Debug)]
pub(super) struct Followed {
    file: File,
    pub(super) id: FileId,
    /// The bytes just before `tail_end`, as they were read.
    tail: Vec<u8>,
    tail_end: u64,
    /// The watched path no longer names this file: read what is still written to it, then drop.
    pub(super) rotated: bool,
}

impl Followed {
    /// Opens `path` and maps it (`None`: the file is empty, there is nothing to map yet).
    pub(super) fn open(path: &Path) -> io::Result<(Followed, Option<GuardedMap>)> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        let f = Followed {
            file,
            id: FileId::of(&meta),
            tail: Vec::new(),
            tail_end: 0,
            rotated: false,
        };
        let map = f.map()?;
        Ok((f, map))
    }

    /// The file's size now (wherever it is).
    pub(super) fn size(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    /// Maps the whole file as it is now, through the open descriptor (`None`: empty).
    pub(super) fn map(&self) -> io::Result<Option<GuardedMap>> {
        if self.size()? == 0 {
            return Ok(None);
        }
        // Guarded as in `acct::source::open`: a file truncated while mapped reads zeros past
        // its new end instead of faulting; `Driver::grow` looks for truncation before every
        // new window and maps the file again. Mapping through the descriptor rather than the
        // path is what keeps a renamed file's place.
        GuardedMap::map(&self.file).map(Some)
    }

    /// Keeps the bytes before `end` (the end of what will have been read).
    pub(super) fn remember(&mut self, data: &[u8], end: usize) {
        let from = end.saturating_sub(TAIL);
        self.tail.clear();
        self.tail.extend_from_slice(&data[from..end]);
        self.tail_end = end as u64;
    }

    /// Forgets what was read: the file is read again from its start.
    pub(super) fn restart(&mut self) {
        self.tail.clear();
        self.tail_end = 0;
    }

    /// Whether the file no longer holds what was read: shorter than the read position, or other
    /// bytes just before it. Read with `pread`, never through a mapping (which would fault past
    /// a truncated file's end).
    pub(super) fn rewritten(&self, size: u64) -> bool {
        if size < self.tail_end {
            return true;
        }
        if self.tail.is_empty() {
            return false;
        }
        let mut now = vec![0; self.tail.len()];
        let at = self.tail_end - self.tail.len() as u64;
        match self.file.read_exact_at(&mut now, at) {
            Ok(()) => now != self.tail,
            Err(_) => true,
        }
    }
}

/// The name `id` has now in `dir` (a rotated file), if any. Any name counts, not only accounting
/// names: logrotate's `acct.csv.1` is not one.
pub(super) fn find_in(dir: &Path, id: FileId) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && FileId::of(&m) == id))
}

/// `dir/name` for `dir/name.gz`.
pub(super) fn uncompressed_name(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let stem = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".GZ"))?;
    Some(path.with_file_name(stem))
}

#[cfg(test)]
mod tests;
