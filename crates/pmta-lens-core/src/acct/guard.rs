//! Mappings that survive their file shrinking under them. A read of a mapped page past the end of
//! a file that was truncated (`logrotate copytruncate`, `> acct.csv`, `cp` over it) raises
//! SIGBUS, which would kill the process without a word and, in the dashboard, leave the terminal
//! raw. A guarded mapping registers its address range; a SIGBUS handler that finds the faulting
//! address in a registered range maps zero pages over the rest of that range (the faulting
//! instruction is retried and reads zeros) and marks the mapping as hit. Any other SIGBUS is
//! handed to the handler that was installed before (or to the default action, which ends the
//! process as it would have without us).
//!
//! The scan never reads the zeros as rows: it compares the file's size with the mapping before
//! each window of pieces and stops at the last whole line before the cut (see
//! `scan::driver`); the zeros only stand in for the pages of a window already being read when
//! the file shrank. The guard costs nothing while nothing faults: no check on the read path.

use std::fs::File;
use std::io;
use std::ops::Deref;
use std::path::Path;

use memmap2::Mmap;

/// A read-only mapping of a whole file, guarded against the file shrinking (on Linux; elsewhere a
/// plain mapping).
pub struct GuardedMap {
    map: Mmap,
    /// The registry slot holding the mapping's range; `None` when unguarded.
    slot: Option<usize>,
    /// The mapped file's identity, to tell a shrunk file from a new file at the same path.
    dev_ino: Option<(u64, u64)>,
}

impl std::fmt::Debug for GuardedMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GuardedMap({} bytes)", self.map.len())
    }
}

impl GuardedMap {
    /// Maps `file` read-only. Fails when the registry of guarded ranges is full (thousands of
    /// files mapped at once): the caller then reads the file as a stream.
    pub fn map(file: &File) -> io::Result<GuardedMap> {
        let meta = file.metadata()?;
        // SAFETY: the mapping is read-only and private to this process. The file may shrink
        // while it is mapped: reads past the new end raise SIGBUS, which the guard registered
        // below turns into zero pages (see the module documentation), so no read of the mapping
        // ever faults the process. Bytes rewritten in place are read as they are now.
        #[allow(unsafe_code)]
        let map = unsafe { Mmap::map(file) }?;
        let slot = imp::register(map.as_ptr() as usize, map.len())?;
        Ok(GuardedMap {
            map,
            slot,
            dev_ino: dev_ino(&meta),
        })
    }

    /// Whether a read went past the end of the file since it was mapped (zeros were read).
    pub fn faulted(&self) -> bool {
        self.slot.is_some_and(imp::hit)
    }

    /// The size of the mapped file now, when it is known to be smaller than the mapping: the file
    /// at `path` is still the mapped one (same device and inode) and shrank, or a read faulted.
    /// `None` while the file is whole (or was replaced by another file, which leaves the mapped
    /// one intact).
    pub fn shrunk_to(&self, path: &Path) -> Option<u64> {
        let len = self.map.len() as u64;
        let now = std::fs::metadata(path).ok();
        let same = now
            .as_ref()
            .is_some_and(|m| dev_ino(m).is_some() && dev_ino(m) == self.dev_ino);
        match now {
            Some(m) if same && m.len() < len => Some(m.len()),
            // A fault proves the shrink even when the path now names another file.
            _ if self.faulted() => Some(now.filter(|_| same).map_or(0, |m| m.len().min(len))),
            _ => None,
        }
    }

    /// The mapping itself (for page advice).
    pub fn mmap(&self) -> &Mmap {
        &self.map
    }
}

impl Deref for GuardedMap {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map
    }
}

impl Drop for GuardedMap {
    fn drop(&mut self) {
        // The range leaves the registry before `map` is unmapped (fields drop after this).
        if let Some(slot) = self.slot {
            imp::unregister(slot);
        }
    }
}

#[cfg(unix)]
#[allow(clippy::unnecessary_wraps)] // `None` elsewhere
fn dev_ino(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn dev_ino(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// A function to run before a fatal SIGBUS that is not a guarded mapping's (for example, to put
/// the terminal back in its normal mode). Must be async-signal-safe.
pub fn set_last_words(f: fn()) {
    imp::set_last_words(f);
}

/// Installs the SIGBUS handler now (it is otherwise installed with the first guarded mapping), so
/// that a handler installed later for other signals does not take SIGBUS from it.
pub fn install() {
    imp::install();
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod imp {
    use std::io;
    use std::sync::Once;
    use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

    /// Mappings guarded at once. A command maps each input file once and keeps the mappings
    /// until it ends: a year of daily files fits; beyond, files are read as streams.
    const SLOTS: usize = 4096;

    struct Slot {
        start: AtomicUsize,
        end: AtomicUsize,
        hit: AtomicBool,
    }

    static RANGES: [Slot; SLOTS] = [const {
        Slot {
            start: AtomicUsize::new(0),
            end: AtomicUsize::new(0),
            hit: AtomicBool::new(false),
        }
    }; SLOTS];
    static PAGE: AtomicUsize = AtomicUsize::new(4096);
    /// The SIGBUS action before ours (leaked once, read by the handler).
    static PREVIOUS: AtomicPtr<libc::sigaction> = AtomicPtr::new(std::ptr::null_mut());
    static LAST_WORDS: AtomicUsize = AtomicUsize::new(0);
    static INSTALL: Once = Once::new();
    static INSTALLED: AtomicBool = AtomicBool::new(false);

    pub(super) fn install() {
        INSTALL.call_once(|| {
            // SAFETY: sysconf has no preconditions.
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            if let Ok(page) = usize::try_from(page)
                && page.is_power_of_two()
            {
                PAGE.store(page, Ordering::Relaxed);
            }
            // SAFETY: zeroed sigaction structs are valid (no handler, empty mask); sigemptyset
            // and sigaction get valid pointers to them. The handler is an `extern "C"` function
            // of the SA_SIGINFO signature.
            unsafe {
                let mut act: libc::sigaction = std::mem::zeroed();
                let mut prev: libc::sigaction = std::mem::zeroed();
                act.sa_sigaction = on_sigbus as *const () as usize;
                act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&raw mut act.sa_mask);
                if libc::sigaction(libc::SIGBUS, &raw const act, &raw mut prev) == 0 {
                    PREVIOUS.store(Box::into_raw(Box::new(prev)), Ordering::Release);
                    INSTALLED.store(true, Ordering::Release);
                }
            }
        });
    }

    pub(super) fn register(start: usize, len: usize) -> io::Result<Option<usize>> {
        install();
        if !INSTALLED.load(Ordering::Acquire) || len == 0 {
            return Ok(None);
        }
        let page = PAGE.load(Ordering::Relaxed);
        let end = (start + len).div_ceil(page) * page;
        for (i, slot) in RANGES.iter().enumerate() {
            if slot
                .start
                .compare_exchange(0, start, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                slot.hit.store(false, Ordering::Release);
                slot.end.store(end, Ordering::Release);
                return Ok(Some(i));
            }
        }
        Err(io::Error::other(
            "too many files mapped at once to guard them against truncation",
        ))
    }

    pub(super) fn unregister(slot: usize) {
        RANGES[slot].end.store(0, Ordering::Release);
        RANGES[slot].start.store(0, Ordering::Release);
    }

    pub(super) fn hit(slot: usize) -> bool {
        RANGES[slot].hit.load(Ordering::Acquire)
    }

    pub(super) fn set_last_words(f: fn()) {
        LAST_WORDS.store(f as usize, Ordering::Release);
    }

    /// Only async-signal-safe work: atomics, mmap, sigaction.
    extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler; for SIGBUS
        // si_addr is the faulting address.
        let addr = unsafe { (*info).si_addr() } as usize;
        let page = PAGE.load(Ordering::Relaxed);
        for slot in &RANGES {
            let start = slot.start.load(Ordering::Acquire);
            let end = slot.end.load(Ordering::Acquire);
            if start == 0 || addr < start || addr >= end {
                continue;
            }
            let from = addr & !(page - 1);
            // SAFETY: [from, end) lies inside a live mapping this process made (it leaves the
            // registry before it is unmapped) and is replaced, in place, by zero pages that
            // stay readable until that mapping is unmapped. Other threads reading the range
            // read either the file's pages or zeros.
            let zeros = unsafe {
                libc::mmap(
                    from as *mut libc::c_void,
                    end - from,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if zeros != libc::MAP_FAILED {
                slot.hit.store(true, Ordering::Release);
                return;
            }
        }
        // Not ours: last words, then whatever handled SIGBUS before (the Rust runtime's, or the
        // default action once the fault repeats).
        let last = LAST_WORDS.load(Ordering::Acquire);
        if last != 0 {
            // SAFETY: only `set_last_words` stores here, and it stores a `fn()`.
            let f: fn() = unsafe { std::mem::transmute::<usize, fn()>(last) };
            f();
        }
        let prev = PREVIOUS.load(Ordering::Acquire);
        // SAFETY: `prev` is null or the leaked action saved by `install`, never freed; `info`
        // and `ctx` are the kernel's.
        unsafe { crate::signal::pass_on(sig, info, ctx, prev) };
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub(super) fn install() {}
    pub(super) fn register(_: usize, _: usize) -> std::io::Result<Option<usize>> {
        Ok(None)
    }
    pub(super) fn unregister(_: usize) {}
    pub(super) fn hit(_: usize) -> bool {
        false
    }
    pub(super) fn set_last_words(_: fn()) {}
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reading_past_a_truncation_reads_zeros_and_says_so() {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        let line = b"d,2026-11-20 10:00:00+0000,x@example.com\n";
        for _ in 0..(1 << 20) / line.len() {
            f.write_all(line).expect("write");
        }
        f.flush().expect("flush");
        let map = GuardedMap::map(f.as_file()).expect("map");
        let len = map.len();
        assert_eq!(&map[..line.len()], line);
        assert_eq!(map.shrunk_to(f.path()), None);
        assert!(!map.faulted());

        f.as_file().set_len(8192).expect("truncate");
        // Past the new end: a SIGBUS without the guard.
        let tail = &map[len - 100..];
        assert!(tail.iter().all(|&b| b == 0), "zeros past the cut");
        assert!(map.faulted());
        assert_eq!(map.shrunk_to(f.path()), Some(8192));
        // Before the cut the file's bytes are still there.
        assert_eq!(&map[..line.len()], line);
        let other = map[len / 2];
        assert_eq!(other, 0);
    }

    #[test]
    fn a_file_replaced_at_its_path_is_not_a_shrink() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("acct.csv");
        std::fs::write(&path, vec![b'x'; 100_000]).expect("write");
        let map = GuardedMap::map(&File::open(&path).expect("open")).expect("map");
        // Rotation: the mapped file is renamed, a new small one takes its path.
        std::fs::rename(&path, dir.path().join("acct.csv.1")).expect("rename");
        std::fs::write(&path, b"type\n").expect("write");
        assert_eq!(map.shrunk_to(&path), None);
        assert!(map.iter().all(|&b| b == b'x'));
    }

    #[test]
    fn slots_are_freed_when_mappings_drop() {
        let f = tempfile::NamedTempFile::new().expect("temp file");
        f.as_file().set_len(4096).expect("size");
        for _ in 0..(imp_slots() + 10) {
            let m = GuardedMap::map(f.as_file()).expect("map");
            assert!(m.slot.is_some());
        }
    }

    fn imp_slots() -> usize {
        4096
    }
}
