//! Standard output and standard error as a Unix filter uses them. A write that fails (a full
//! disk, `> /dev/full`, a closed descriptor) is an error with a message and exit 2, never output
//! lost without a word; a closed pipe (`| head -1`) is the reader saying it has seen enough, so
//! it ends the command quietly with exit 0. Messages on stderr go through [`warn`], which shows
//! control characters from inputs instead of sending them to the terminal.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::output::escape;

/// Set by the binary, before the Rust runtime starts, when file descriptor 1 was closed
/// (`pmta-lens summary >&-`). The runtime then opens `/dev/null` in its place, so writes would
/// succeed and the output vanish: this flag is the only trace left of the closed descriptor.
pub static CLOSED_AT_START: AtomicBool = AtomicBool::new(false);

/// Prints `pmta-lens: MSG` on stderr, control characters escaped: messages quote paths, config
/// lines and rows, any of which may hold terminal escape sequences.
pub fn warn(msg: impl std::fmt::Display) {
    eprintln!("pmta-lens: {}", escape::controls(&msg.to_string()));
}

/// What went wrong with a write to stdout, if it matters: `Ok` for a closed pipe.
pub fn check(result: io::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(write_error(&e)),
        Ok(()) => Ok(()),
    }
}

/// The message of a failed write to stdout.
pub fn write_error(e: &io::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot write to standard output: {e}")
}

/// Refuses to run a command whose output would go nowhere: stdout was closed when the process
/// started (see [`CLOSED_AT_START`]).
pub fn ensure_open() -> anyhow::Result<()> {
    if CLOSED_AT_START.load(Ordering::Relaxed) {
        return Err(write_error(&closed()));
    }
    Ok(())
}

#[cfg(unix)]
fn closed() -> io::Error {
    io::Error::from_raw_os_error(libc::EBADF)
}

#[cfg(not(unix))]
fn closed() -> io::Error {
    io::Error::other("standard output is closed")
}

/// Writes a whole text report to stdout, control characters escaped (a report quotes paths,
/// rule names and response texts from the inputs).
pub fn write_text(text: &str) -> anyhow::Result<()> {
    write_bytes(escape::controls(text).as_bytes())
}

/// Writes bytes to stdout as they are.
pub fn write_bytes(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    check(out.write_all(bytes).and_then(|()| out.flush()))
}
