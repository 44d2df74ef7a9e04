//! Opens inputs for reading: plain files are memory-mapped, gzip files and standard input are
//! streamed in record-aligned blocks. Read-only: files are opened for reading and never locked.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap;

use super::chunk::next_boundary;
use super::discover::{Input, InputKind};
use super::guard::GuardedMap;
use crate::error::InputError;

/// An opened input.
pub enum Opened {
    /// The whole file, mapped (guarded against the file shrinking while it is read).
    Mapped(Arc<GuardedMap>),
    /// A file of zero bytes (cannot be mapped).
    Empty,
    /// A stream to read in blocks.
    Stream(Box<dyn Read + Send>),
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Opened::Mapped(m) => write!(f, "Mapped({} bytes)", m.len()),
            Opened::Empty => f.write_str("Empty"),
            Opened::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// Opens one input. `mmap: false` streams plain files instead of mapping them.
pub fn open(input: &Input, mmap: bool) -> Result<Opened, InputError> {
    let io_err = |source| InputError::Io {
        path: input.path.clone(),
        source,
    };
    match input.kind {
        InputKind::Stdin => Ok(Opened::Stream(Box::new(io::stdin()))),
        InputKind::Gzip => {
            let f = File::open(&input.path).map_err(io_err)?;
            // MultiGzDecoder: `cat a.gz b.gz` and some rotators write several gzip members.
            Ok(Opened::Stream(Box::new(flate2::read::MultiGzDecoder::new(
                io::BufReader::with_capacity(1 << 20, f),
            ))))
        }
        InputKind::Plain => {
            let f = File::open(&input.path).map_err(io_err)?;
            let meta = f.metadata().map_err(io_err)?;
            if meta.is_dir() {
                return Err(io_err(io::Error::other("is a directory")));
            }
            if !mmap || !meta.is_file() {
                return Ok(Opened::Stream(Box::new(f)));
            }
            if meta.len() == 0 {
                return Ok(Opened::Empty);
            }
            // PowerMTA only appends to the live file and rotates by renaming, which leaves the
            // mapped bytes valid; a file truncated in place (copytruncate) would fault reads past
            // its new end, which the guard turns into zeros and a report (see `guard`). When
            // the guard cannot take one more mapping, the file is read as a stream instead.
            match GuardedMap::map(&f) {
                Ok(mapped) => Ok(Opened::Mapped(Arc::new(mapped))),
                Err(_) if f.metadata().is_ok() => Ok(Opened::Stream(Box::new(f))),
                Err(e) => Err(io_err(e)),
            }
        }
    }
}

/// The mappings of one command's passes over the same files: each file is mapped once, and
/// every pass reads the same bytes (a live file that grows between passes is not seen to).
/// Mapping 1 GiB again costs the kernel a quarter of a second of page-table work.
///
/// Standard input cannot be read twice: the first pass copies it into an unlinked temporary file
/// (in `$TMPDIR`, gone when the command ends) that later passes read instead.
#[derive(Debug, Default)]
pub struct MapCache {
    maps: Mutex<FxHashMap<PathBuf, Arc<GuardedMap>>>,
    stdin: Mutex<Option<File>>,
}

/// Unmapping 1 GiB is a quarter million page-table entries to tear down, about 50 ms in one
/// thread at exit, a tenth of a summary. `munmap` serialises on the address space, but
/// `MADV_DONTNEED` does not: the workers zap the mappings' pages in parallel slices first, so the
/// unmap that follows has nothing left to do.
impl Drop for MapCache {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        {
            use rayon::prelude::*;
            const SLICE: usize = 64 << 20;
            let maps = self.maps.get_mut().unwrap_or_else(PoisonError::into_inner);
            let slices: Vec<(&memmap2::Mmap, usize)> = maps
                .values()
                .filter(|m| Arc::strong_count(m) == 1)
                .flat_map(|m| (0..m.len()).step_by(SLICE).map(move |off| (m.mmap(), off)))
                .collect();
            slices.par_iter().for_each(|(m, off)| {
                let len = SLICE.min(m.len() - off);
                // SAFETY: the mappings are read-only, shared mappings of files, dropped right
                // after this and read by no one (this cache holds the last reference): zapping
                // their pages only drops page-table entries; the file's pages stay in the page
                // cache, and a read would fault them in again unchanged.
                #[allow(unsafe_code)]
                let _ = unsafe {
                    m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, *off, len)
                };
            });
        }
    }
}

impl MapCache {
    /// [`open`], with a plain file's mapping taken from the cache or added to it.
    pub fn open(&self, input: &Input, mmap: bool) -> Result<Opened, InputError> {
        if input.kind == InputKind::Stdin {
            return Ok(self.open_stdin());
        }
        let cacheable = mmap && input.kind == InputKind::Plain;
        let mut maps = self.maps.lock().unwrap_or_else(PoisonError::into_inner);
        if cacheable && let Some(m) = maps.get(&input.path) {
            return Ok(Opened::Mapped(Arc::clone(m)));
        }
        let opened = open(input, mmap)?;
        if cacheable && let Opened::Mapped(m) = &opened {
            maps.insert(input.path.clone(), Arc::clone(m));
        }
        Ok(opened)
    }

    /// Drops the mapping of a file (it grew: the next [`Self::open`] maps it anew).
    pub fn forget(&self, path: &std::path::Path) {
        self.maps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(path);
    }

    /// Standard input the first time, copied into a spool as it is read; the spool after.
    fn open_stdin(&self) -> Opened {
        let mut spool = self.stdin.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(file) = spool.as_ref() {
            let reread = file.try_clone().and_then(|mut f| {
                f.seek(SeekFrom::Start(0))?;
                Ok(f)
            });
            return match reread {
                Ok(f) => Opened::Stream(Box::new(f)),
                Err(e) => {
                    eprintln!("pmta-lens: cannot read back the copy of standard input: {e}");
                    Opened::Empty
                }
            };
        }
        match tempfile::tempfile().and_then(|f| Ok((f.try_clone()?, f))) {
            Ok((copy, keep)) => {
                *spool = Some(keep);
                Opened::Stream(Box::new(Tee {
                    inner: io::stdin(),
                    copy: Some(copy),
                }))
            }
            Err(e) => {
                warn_no_copy(&e);
                Opened::Stream(Box::new(io::stdin()))
            }
        }
    }
}

/// A reader that copies what it reads into a file; a failed write is reported once and ends the
/// copy, never the read.
struct Tee<R> {
    inner: R,
    copy: Option<File>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(f) = &mut self.copy
            && let Err(e) = f.write_all(&buf[..n])
        {
            warn_no_copy(&e);
            self.copy = None;
        }
        Ok(n)
    }
}

/// The copy of standard input could not be made (or completed): the read goes on, the second
/// pass will see less.
fn warn_no_copy(e: &io::Error) {
    eprintln!(
        "pmta-lens: cannot keep a copy of standard input in the temporary directory ({e}): \
         analyses that read the rows twice (RP-001 retries, complaints) will miss rows"
    );
}

/// Reads a stream on a thread of its own, in blocks that end on record boundaries, at most
/// `depth` blocks ahead of the reader of the channel (so memory is bounded whatever the
/// stream's size). The thread ends at the end of the stream, after a read error (sent as the
/// last item), or when the receiver is dropped.
///
/// # Errors
///
/// The thread could not be started.
pub fn read_ahead(
    stream: Box<dyn Read + Send>,
    block: usize,
    depth: usize,
) -> io::Result<std::sync::mpsc::Receiver<io::Result<Arc<Vec<u8>>>>> {
    let (tx, rx) = std::sync::mpsc::sync_channel(depth.max(1));
    std::thread::Builder::new()
        .name("pmta-lens-read".into())
        .spawn(move || {
            let mut reader = BlockReader::new(stream, block);
            loop {
                let item = match reader.next_block() {
                    Ok(Some(b)) => Ok(Arc::new(b.to_vec())),
                    Ok(None) => return,
                    Err(e) => Err(e),
                };
                let last = item.is_err();
                if tx.send(item).is_err() || last {
                    return;
                }
            }
        })?;
    Ok(rx)
}

/// Reads a stream in blocks that end on record boundaries.
pub struct BlockReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// Bytes at the start of `buf` handed out by the last call, dropped on the next.
    consumed: usize,
    eof: bool,
    block: usize,
    /// Total bytes read from the stream (decompressed, for gzip).
    pub bytes_read: u64,
}

impl<R: Read> BlockReader<R> {
    pub fn new(inner: R, block: usize) -> Self {
        BlockReader {
            inner,
            buf: Vec::new(),
            consumed: 0,
            eof: false,
            block: block.max(64),
            bytes_read: 0,
        }
    }

    /// The next block of whole records, or `None` at the end of the stream.
    pub fn next_block(&mut self) -> io::Result<Option<&[u8]>> {
        self.buf.drain(..self.consumed);
        self.consumed = 0;
        let mut want = self.block;
        loop {
            while !self.eof && self.buf.len() < want {
                let start = self.buf.len();
                self.buf.resize(want.max(start + 64 * 1024), 0);
                match self.inner.read(&mut self.buf[start..]) {
                    Ok(0) => {
                        self.buf.truncate(start);
                        self.eof = true;
                    }
                    Ok(n) => {
                        self.buf.truncate(start + n);
                        self.bytes_read += n as u64;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => self.buf.truncate(start),
                    Err(e) => {
                        self.buf.truncate(start);
                        return Err(e);
                    }
                }
            }
            if self.buf.is_empty() {
                return Ok(None);
            }
            if self.eof {
                self.consumed = self.buf.len();
                return Ok(Some(&self.buf));
            }
            // The last boundary in the buffer that has enough bytes after it to be recognised.
            let search_from = self.buf.len() / 2;
            let mut end = None;
            let mut at = search_from;
            while let Some(b) = next_boundary(&self.buf[..self.buf.len() - 8], at) {
                end = Some(b);
                at = b + 1;
            }
            match end {
                Some(e) if e > 0 => {
                    self.consumed = e;
                    return Ok(Some(&self.buf[..e]));
                }
                // One huge record: read more.
                _ => want = self.buf.len() * 2,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_end_on_record_boundaries_and_lose_nothing() {
        let mut data = Vec::new();
        data.extend_from_slice(b"type,a,b\n");
        for i in 0..500 {
            data.extend_from_slice(format!("d,\"x\n{i}\",{i}\n").as_bytes());
        }
        data.extend_from_slice(b"b,last,row");
        for block in [64, 100, 1000, 1 << 20] {
            let mut r = BlockReader::new(&data[..], block);
            let mut joined = Vec::new();
            while let Some(b) = r.next_block().expect("read") {
                assert!(b.starts_with(b"type,") || b.starts_with(b"d,") || b.starts_with(b"b,"));
                joined.extend_from_slice(b);
            }
            assert_eq!(joined, data, "block {block}");
            assert_eq!(r.bytes_read, data.len() as u64);
        }
    }
}
