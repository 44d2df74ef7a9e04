//! Opens inputs for reading: plain files are memory-mapped; gzip files, standard input, pipes
//! and other special files are streamed in record-aligned blocks. Read-only: files are opened
//! for reading and never locked.

use std::fs::File;
use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap;

use super::broken::{LOOKAHEAD, MAX_RECORD, Stop, find_stop, record_end, view};
use super::discover::{Input, InputKind};
use super::guard::GuardedMap;
use super::record::{FieldSplitter, is_record_start};
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

/// How a gzip stream ended early: carried inside the [`io::Error`] the decoder returns, after
/// every byte it could decompress was handed out.
#[derive(Debug, thiserror::Error)]
pub enum GzipEnd {
    /// The compressed data stops in the middle of a member (a copy cut short, a disk full).
    #[error("the gzip stream ends before its end")]
    Truncated,
    /// Bytes after a complete member that are neither another member nor zero padding.
    #[error("trailing garbage after the gzip data ignored")]
    TrailingGarbage,
}

impl GzipEnd {
    /// The early end an I/O error stands for, if it is one.
    pub fn of(e: &io::Error) -> Option<&GzipEnd> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<GzipEnd>())
    }
}

/// Opens one input. `mmap: false` streams plain files instead of mapping them.
pub fn open(input: &Input, mmap: bool) -> Result<Opened, InputError> {
    let io_err = |source| InputError::Io {
        path: input.path.clone(),
        source,
    };
    match input.kind {
        InputKind::Stdin => Ok(Opened::Stream(Box::new(MaybeGzip::new(io::stdin())))),
        // Opening a FIFO waits for its writer, as `cat` does.
        InputKind::Pipe => {
            let f = File::open(&input.path).map_err(io_err)?;
            Ok(Opened::Stream(Box::new(MaybeGzip::new(f))))
        }
        InputKind::Gzip => {
            let f = File::open(&input.path).map_err(io_err)?;
            Ok(Opened::Stream(Box::new(Gunzip::new(
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
                return Ok(Opened::Stream(Box::new(ShrinkWatch::new(f, meta.len()))));
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

/// A regular file read as a stream (`--no-mmap`), which notices at its end that the file shrank
/// while it was read (truncated in place): the end is then an error, so the rows read count and
/// the input is reported, instead of ending quietly short.
struct ShrinkWatch {
    file: File,
    size: u64,
}

impl ShrinkWatch {
    fn new(file: File, size: u64) -> ShrinkWatch {
        ShrinkWatch { file, size }
    }
}

impl Read for ShrinkWatch {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        if n == 0 && !buf.is_empty() {
            let now = self.file.metadata()?.len();
            if now < self.size {
                let from = std::mem::replace(&mut self.size, now);
                return Err(io::Error::other(format!(
                    "shrank from {from} to {now} bytes while being read (truncated or \
                     rewritten in place)"
                )));
            }
        }
        Ok(n)
    }
}

/// The mappings of one command's passes over the same files: each file is mapped once, and
/// every pass reads the same bytes (a live file that grows between passes is not seen to).
/// Mapping 1 GiB again costs the kernel a quarter of a second of page-table work.
///
/// Standard input, pipes and other special files cannot be read twice: the first pass copies
/// each (as read, compressed if it was) into an unlinked temporary file (in `$TMPDIR`, gone when
/// the command ends) that later passes read instead.
#[derive(Debug, Default)]
pub struct MapCache {
    maps: Mutex<FxHashMap<PathBuf, Arc<GuardedMap>>>,
    /// The spool of each input read once, by its path (`-` for standard input).
    spools: Mutex<FxHashMap<PathBuf, File>>,
    /// Problems with the spools, for the front end to show ([`Self::take_warnings`]): shared
    /// with the readers that copy, whose failures happen during a read.
    warnings: Warnings,
}

/// Warnings gathered while reading, in the order they happened.
type Warnings = Arc<Mutex<Vec<String>>>;

/// Unmapping 1 GiB is a quarter million page-table entries to tear down, about 50 ms in one
/// thread at exit, a tenth of a summary. `munmap` serialises on the address space, but
/// `MADV_DONTNEED` does not: the workers zap the mappings' pages in parallel slices first, so the
/// unmap that follows has nothing left to do.
impl Drop for MapCache {
    fn drop(&mut self) {
        let maps = self.maps.get_mut().unwrap_or_else(PoisonError::into_inner);
        zap(maps.values());
    }
}

/// Drops the pages of the mappings no one else holds, in parallel slices (see `Drop for
/// MapCache`).
fn zap<'m>(maps: impl Iterator<Item = &'m Arc<GuardedMap>>) {
    #[cfg(target_os = "linux")]
    {
        use rayon::prelude::*;
        const SLICE: usize = 64 << 20;
        let slices: Vec<(&memmap2::Mmap, usize)> = maps
            .filter(|m| Arc::strong_count(m) == 1)
            .flat_map(|m| (0..m.len()).step_by(SLICE).map(move |off| (m.mmap(), off)))
            .collect();
        slices.par_iter().for_each(|(m, off)| {
            let len = SLICE.min(m.len() - off);
            // SAFETY: the mappings are read-only, shared mappings of files, dropped right
            // after this and read by no one (the caller holds the last reference): zapping
            // their pages only drops page-table entries; the file's pages stay in the page
            // cache, and a read would fault them in again unchanged.
            #[allow(unsafe_code)]
            let _ =
                unsafe { m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, *off, len) };
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = maps;
}

impl MapCache {
    /// [`open`], with a plain file's mapping taken from the cache or added to it.
    pub fn open(&self, input: &Input, mmap: bool) -> Result<Opened, InputError> {
        if input.kind.is_once() {
            return self.open_once(input);
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

    /// The warnings gathered so far (a spool that could not be made, completed or read back:
    /// the passes after the first see fewer rows), each a sentence for the front end to show;
    /// taking them empties the list.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Lets go of every mapping, its pages dropped on a thread of the rayon pool while the
    /// caller goes on (a command that has read its files for the last time and has a report to
    /// write: the teardown of a large mapping then costs it nothing). A later [`Self::open`]
    /// maps the file anew.
    pub fn release_in_background(&self) {
        let maps: Vec<Arc<GuardedMap>> = self
            .maps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .map(|(_, m)| m)
            .collect();
        if !maps.is_empty() {
            rayon::spawn(move || zap(maps.iter()));
        }
    }

    /// Drops the mapping of a file (it grew: the next [`Self::open`] maps it anew).
    pub fn forget(&self, path: &std::path::Path) {
        self.maps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(path);
    }

    /// An input that can be read once: itself the first time, copied into a spool as it is
    /// read; the spool after.
    fn open_once(&self, input: &Input) -> Result<Opened, InputError> {
        let mut spools = self.spools.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(file) = spools.get(&input.path) {
            let reread = file.try_clone().and_then(|mut f| {
                f.seek(SeekFrom::Start(0))?;
                Ok(f)
            });
            return Ok(match reread {
                Ok(f) => Opened::Stream(Box::new(MaybeGzip::new(f))),
                Err(e) => {
                    warn(
                        &self.warnings,
                        format!("cannot read back the copy of {}: {e}", input.display()),
                    );
                    Opened::Empty
                }
            });
        }
        let raw: Box<dyn Read + Send> = match input.kind {
            InputKind::Stdin => Box::new(io::stdin()),
            _ => Box::new(File::open(&input.path).map_err(|source| InputError::Io {
                path: input.path.clone(),
                source,
            })?),
        };
        // The spool holds the bytes as read: gzip stays compressed, and is recognised again
        // when the spool is read.
        Ok(
            match tempfile::tempfile().and_then(|f| Ok((f.try_clone()?, f))) {
                Ok((copy, keep)) => {
                    spools.insert(input.path.clone(), keep);
                    Opened::Stream(Box::new(MaybeGzip::new(Tee {
                        inner: raw,
                        copy: Some(copy),
                        name: input.display(),
                        warnings: Arc::clone(&self.warnings),
                    })))
                }
                Err(e) => {
                    warn(&self.warnings, no_copy(&input.display(), &e));
                    Opened::Stream(Box::new(MaybeGzip::new(raw)))
                }
            },
        )
    }
}

/// A reader that copies what it reads into a file; a failed write is reported once and ends the
/// copy, never the read.
struct Tee<R> {
    inner: R,
    copy: Option<File>,
    /// The input's name, for the warning.
    name: String,
    warnings: Warnings,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(f) = &mut self.copy
            && let Err(e) = f.write_all(&buf[..n])
        {
            warn(&self.warnings, no_copy(&self.name, &e));
            self.copy = None;
        }
        Ok(n)
    }
}

/// Adds a warning for the front end.
fn warn(warnings: &Warnings, msg: String) {
    warnings
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(msg);
}

/// The copy of an input read once could not be made (or completed): the read goes on, the
/// second pass will see less.
fn no_copy(name: &str, e: &io::Error) -> String {
    let name = if name == "-" { "standard input" } else { name };
    format!(
        "cannot keep a copy of {name} in the temporary directory ({e}): \
         analyses that read the rows twice (RP-001 retries, complaints) will miss rows"
    )
}

/// The first bytes of a gzip member (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A stream that is decompressed if it starts with gzip's magic bytes: standard input and pipes
/// have no name to tell (`zcat` is not needed for `pmta-lens summary - < f.gz`). Decided at the
/// first read, so opening never waits for a writer's first bytes.
enum MaybeGzip<R> {
    /// Not decided yet: the stream and the bytes read from it so far.
    Unknown(Option<(R, Vec<u8>)>),
    Plain(Headed<R>),
    // Boxed: the decoder's state is large, and made once per stream.
    Gzip(Box<Gunzip<io::BufReader<Headed<R>>>>),
}

/// A stream with its first bytes, read to look at them, put back in front.
type Headed<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

impl<R: Read> MaybeGzip<R> {
    fn new(inner: R) -> Self {
        MaybeGzip::Unknown(Some((inner, Vec::with_capacity(2))))
    }
}

impl<R: Read> Read for MaybeGzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self {
                MaybeGzip::Plain(r) => return r.read(buf),
                MaybeGzip::Gzip(r) => return r.read(buf),
                MaybeGzip::Unknown(state) => {
                    let Some((r, head)) = state.as_mut() else {
                        return Ok(0);
                    };
                    // A pipe may hand out one byte at a time.
                    while head.len() < GZIP_MAGIC.len() {
                        let mut byte = [0u8; 1];
                        match r.read(&mut byte) {
                            Ok(0) => break,
                            Ok(_) => head.push(byte[0]),
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            // What was read so far stays for the next call.
                            Err(e) => return Err(e),
                        }
                    }
                    let Some((r, head)) = state.take() else {
                        return Ok(0);
                    };
                    let gzip = head == GZIP_MAGIC;
                    let chained = io::Cursor::new(head).chain(r);
                    *self = if gzip {
                        MaybeGzip::Gzip(Box::new(Gunzip::new(io::BufReader::with_capacity(
                            1 << 20,
                            chained,
                        ))))
                    } else {
                        MaybeGzip::Plain(chained)
                    };
                }
            }
        }
    }
}

/// A gzip decoder for rotated logs: several members one after another (`cat a.gz b.gz`, some
/// rotators) are one stream; zero padding after the last member (tape and `dd` blocks) is
/// ignored, as `gzip` does; anything else after a complete member ends the stream with
/// [`GzipEnd::TrailingGarbage`], and data that stops inside a member with
/// [`GzipEnd::Truncated`], each only after every byte decompressed before it was returned.
pub struct Gunzip<R> {
    /// The member being read; `None` once the stream has ended.
    member: Option<flate2::bufread::GzDecoder<R>>,
}

impl<R: BufRead> Gunzip<R> {
    pub fn new(inner: R) -> Self {
        Gunzip {
            member: Some(flate2::bufread::GzDecoder::new(inner)),
        }
    }
}

/// The most bytes [`Gunzip`] decompresses per read. Small enough that corrupt data (which
/// costs the read that meets it its output) loses little, a few hundred rows, large enough
/// that the calls cost nothing next to the decompression. [`BlockReader`] always offers at
/// least this much, so what a damaged file yields does not depend on the block size.
pub const GUNZIP_STEP: usize = 64 << 10;

/// What follows a complete gzip member.
enum AfterMember {
    Member,
    End,
    Garbage,
}

/// Looks at what follows a member, consuming zero padding.
fn after_member<R: BufRead>(r: &mut R) -> io::Result<AfterMember> {
    let first = match r.fill_buf()? {
        [] => return Ok(AfterMember::End),
        [b, ..] => *b,
    };
    if first == GZIP_MAGIC[0] {
        return Ok(AfterMember::Member);
    }
    if first != 0 {
        return Ok(AfterMember::Garbage);
    }
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(AfterMember::End);
        }
        if buf.iter().any(|b| *b != 0) {
            return Ok(AfterMember::Garbage);
        }
        let n = buf.len();
        r.consume(n);
    }
}

impl<R: BufRead> Read for Gunzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(member) = self.member.as_mut() else {
                return Ok(0);
            };
            if buf.is_empty() {
                return Ok(0);
            }
            // flate2 drops what a read decompressed when it meets corrupt data: reading in
            // steps loses at most one step of rows before the damage, not a whole block.
            let step = buf.len().min(GUNZIP_STEP);
            match member.read(&mut buf[..step]) {
                Ok(0) => {}
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.member = None;
                    // flate2 says UnexpectedEof for input that stops inside a member's header,
                    // data or trailer: everything it could decompress was returned before.
                    return Err(if e.kind() == io::ErrorKind::UnexpectedEof {
                        io::Error::new(io::ErrorKind::UnexpectedEof, GzipEnd::Truncated)
                    } else {
                        e
                    });
                }
            }
            // The member ended with a good checksum: what follows?
            let Some(done) = self.member.take() else {
                return Ok(0);
            };
            let mut inner = done.into_inner();
            match after_member(&mut inner)? {
                AfterMember::Member => {
                    self.member = Some(flate2::bufread::GzDecoder::new(inner));
                }
                AfterMember::End => return Ok(0),
                AfterMember::Garbage => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        GzipEnd::TrailingGarbage,
                    ));
                }
            }
        }
    }
}

/// A block of a stream, ending on a record boundary.
#[derive(Debug)]
pub struct Block {
    pub data: Arc<Vec<u8>>,
    /// Bytes of the stream up to the end of this block that are not in it: a byte order mark,
    /// the middle of records longer than the limit (see [`BlockReader`]).
    pub skipped: u64,
}

/// Reads a stream on a thread of its own, in blocks that end on record boundaries, at most
/// `depth` blocks ahead of the reader of the channel (so memory is bounded whatever the
/// stream's size). The thread ends at the end of the stream, after a read error (sent as the
/// last item, after every block read before it), or when the receiver is dropped.
///
/// # Errors
///
/// The thread could not be started.
pub fn read_ahead(
    stream: Box<dyn Read + Send>,
    block: usize,
    depth: usize,
) -> io::Result<std::sync::mpsc::Receiver<io::Result<Block>>> {
    let (tx, rx) = std::sync::mpsc::sync_channel(depth.max(1));
    std::thread::Builder::new()
        .name("pmta-lens-read".into())
        .spawn(move || {
            let mut reader = BlockReader::new(stream, block);
            let mut skipped = 0;
            loop {
                let item = match reader.next_block() {
                    Ok(Some(b)) => Ok(Arc::new(b.to_vec())),
                    Ok(None) => return,
                    Err(e) => Err(e),
                };
                let item = item.map(|data| {
                    let block = Block {
                        data,
                        skipped: reader.bytes_skipped - skipped,
                    };
                    skipped = reader.bytes_skipped;
                    block
                });
                let last = item.is_err();
                if tx.send(item).is_err() || last {
                    return;
                }
            }
        })?;
    Ok(rx)
}

/// The UTF-8 byte order mark some editors and Windows tools put at the start of a text file.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads a stream in blocks that end where the scan would start a record, so that each block
/// scanned on its own gives what scanning the whole stream would.
///
/// Memory stays within about a block and [`MAX_RECORD`] whatever the stream holds: a block ends
/// at the last record boundary (a newline followed by a record start) in the bytes read; when
/// there is none, the records are walked as the scan will read them ([`record_end`]) to find
/// where one starts; a broken record (too long, a NUL hole) whose end is not in sight keeps
/// only the bytes that decide how the scan reads it, the rest being replaced by a mark of no
/// meaning until its end arrives. Without the limit, one endless line (`/dev/zero`, a gzip bomb)
/// would be read into memory whole.
pub struct BlockReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// Bytes at the start of `buf` handed out by the last call, dropped on the next.
    consumed: usize,
    eof: bool,
    /// A read error, returned once the bytes read before it were handed out.
    failed: Option<io::Error>,
    /// Whether the start of the stream was looked at for a byte order mark.
    started: bool,
    block: usize,
    splitter: FieldSplitter,
    /// Total bytes read from the stream (decompressed, for gzip).
    pub bytes_read: u64,
    /// Bytes read but not handed out (a byte order mark, the middle of broken records).
    pub bytes_skipped: u64,
}

impl<R: Read> BlockReader<R> {
    pub fn new(inner: R, block: usize) -> Self {
        BlockReader {
            inner,
            buf: Vec::new(),
            consumed: 0,
            eof: false,
            failed: None,
            started: false,
            block: block.max(64),
            splitter: FieldSplitter::default(),
            bytes_read: 0,
            bytes_skipped: 0,
        }
    }

    /// Reads until `buf` holds `want` bytes or the stream ends (or fails: the error is kept for
    /// after what was read).
    fn fill(&mut self, want: usize) {
        let mut filled = self.buf.len();
        while !self.eof && filled < want {
            // Each read is offered at least a gzip step. Bytes are zeroed once: streams hand
            // out less than asked (a pipe 64 KiB, gzip a step), and zeroing the rest again
            // after each read cost more than decompressing.
            let len = want.max(filled + GUNZIP_STEP);
            if self.buf.len() < len {
                self.buf.resize(len, 0);
            }
            match self.inner.read(&mut self.buf[filled..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    filled += n;
                    self.bytes_read += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.eof = true;
                    self.failed = Some(e);
                }
            }
        }
        self.buf.truncate(filled);
    }

    /// The next block of whole records, or `None` at the end of the stream.
    ///
    /// # Errors
    ///
    /// The stream failed; every byte read before the failure was handed out first.
    pub fn next_block(&mut self) -> io::Result<Option<&[u8]>> {
        self.buf.drain(..self.consumed);
        self.consumed = 0;
        let mut want = self.block;
        loop {
            self.fill(want);
            if !self.started && (self.buf.len() >= BOM.len() || self.eof) {
                self.started = true;
                if self.buf.starts_with(BOM) {
                    self.buf.drain(..BOM.len());
                    self.bytes_skipped += BOM.len() as u64;
                }
            }
            if self.buf.is_empty() {
                return match self.failed.take() {
                    Some(e) => Err(e),
                    None => Ok(None),
                };
            }
            let len = self.buf.len();
            if self.eof {
                self.consumed = len;
                return Ok(Some(&self.buf));
            }
            // The last boundary with enough bytes after it to be recognised.
            if let Some(e) = last_boundary(&self.buf[..len.saturating_sub(LOOKAHEAD)]) {
                self.consumed = e;
                return Ok(Some(&self.buf[..e]));
            }
            // No boundary: where do the records the scan will read start?
            let mut pos = 0;
            while pos < len {
                // A blank line is a record of its own (a gzip bomb of them is all blank lines).
                if self.buf[pos] == b'\n' {
                    pos += 1;
                    continue;
                }
                match record_end(&mut self.splitter, &self.buf, pos, false) {
                    Some((next, _)) => pos = next,
                    None => break,
                }
            }
            if pos > 0 {
                self.consumed = pos;
                return Ok(Some(&self.buf[..pos]));
            }
            // The first record's end is not in the buffer: read on, keeping only what decides
            // how it is read if it is a broken one.
            self.compact();
            want = self.buf.len() + 64 * 1024;
        }
    }

    /// The buffer starts with a record whose end is not in it. If it is broken and the bytes
    /// decide so, the part after the bytes that decide how it is read, up to where its end may
    /// start, is replaced by `x` (no newline, no NUL, in no record start), followed by a NUL
    /// when it ended with one: the scan reads the record the same way, and memory stays bounded.
    fn compact(&mut self) {
        let keep = MAX_RECORD + LOOKAHEAD;
        if self.buf.len() < keep {
            return;
        }
        let split = self.splitter.split_first(view(&self.buf, 0), 0, 1);
        let nul_at = memchr::memchr(0, &self.buf[..split.next]);
        if nul_at.is_none() && split.next <= MAX_RECORD {
            // Not broken (cannot be: with the whole view, its end would be decided).
            return;
        }
        // Where its end is looked for, as `broken::broken` does.
        let from = nul_at.unwrap_or(MAX_RECORD);
        let Stop::Undecided { keep: upto, nul } = find_stop(&self.buf[from..], false, false) else {
            return;
        };
        let (start, end) = (from.max(keep), from + upto);
        let filler: &[u8] = if nul { b"x\0" } else { b"x" };
        if end > start + filler.len() {
            self.buf.splice(start..end, filler.iter().copied());
            self.bytes_skipped += (end - start - filler.len()) as u64;
        }
    }
}

/// The last record boundary in `data` (the offset after a newline followed by a record start),
/// if there is one after offset 0.
fn last_boundary(data: &[u8]) -> Option<usize> {
    memchr::memrchr_iter(b'\n', data)
        .map(|nl| nl + 1)
        .find(|b| *b < data.len() && is_record_start(data, *b))
}

#[cfg(test)]
mod tests;
