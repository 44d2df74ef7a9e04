//! Entering and leaving the terminal's dashboard mode (raw mode, alternate screen), and the
//! guarantee that it is left on every exit path: a guard for returns and errors, a panic hook,
//! installed before the terminal is touched, for panics on any thread (the scan's rayon workers
//! included: the hook runs on the panicking thread, whichever it is), and handlers for the
//! signals that end a process (`kill`, a hang-up, a crash: see [`fatal`]).
//!
//! Why not `ratatui::init` / `ratatui::restore`: their panic hook restores at once, possibly in
//! the middle of a frame another thread is drawing (ours waits for it, and tells the UI to stop
//! drawing); they install nothing for SIGTERM, SIGHUP or a crash (`tests/tui_tmux.rs` kills the
//! dashboard and checks the shell is usable); `restore` is not idempotent (leaving the
//! alternate screen twice moves the cursor back up), and stops at its first failing step where
//! ours still tries the others. Installed after ours, their hook would restore a second time.
//! What ratatui's helpers would replace here is a few calls; the type is theirs.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

/// Set once a panic restored the terminal: the UI must not draw again.
static PANICKED: AtomicBool = AtomicBool::new(false);
/// The terminal is in dashboard mode (leaving it twice would move the cursor back up).
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();
/// Held while a frame is drawn, so a panic on another thread restores the terminal between
/// frames, never in the middle of one (or just before the next).
static DRAWING: Mutex<()> = Mutex::new(());

pub type Term = ratatui::DefaultTerminal;

/// Restores the terminal when dropped.
#[derive(Debug)]
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal in dashboard mode.
pub fn init() -> io::Result<(Term, Guard)> {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Wait for a frame being drawn to finish (not forever: the panic may come from
            // the drawing thread itself, which holds the lock).
            let deadline = Instant::now() + Duration::from_millis(300);
            let _frame = loop {
                match DRAWING.try_lock() {
                    Ok(g) => break Some(g),
                    Err(std::sync::TryLockError::Poisoned(p)) => break Some(p.into_inner()),
                    Err(std::sync::TryLockError::WouldBlock) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(std::sync::TryLockError::WouldBlock) => break None,
                }
            };
            PANICKED.store(true, Ordering::SeqCst);
            restore();
            previous(info);
        }));
    });
    fatal::install();
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = Guard;
    execute!(io::stdout(), EnterAlternateScreen, Hide)?;
    let term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((term, guard))
}

/// Leaves dashboard mode. Harmless when called twice.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    fatal::forget();
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, Show);
}

/// Whether a panic has restored the terminal.
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Permission to draw one frame: `None` once a panic restored the terminal.
pub fn frame() -> Option<MutexGuard<'static, ()>> {
    let g = DRAWING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    (!panicked()).then_some(g)
}

/// The signals that end the process (SIGTERM from `kill` or systemd, SIGHUP when the SSH
/// session drops, SIGINT and SIGQUIT sent from elsewhere, since raw mode turns Ctrl-C into a key,
/// and the crashes: SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT). Their handler puts the terminal
/// back with async-signal-safe calls only (the terminal modes saved before raw mode, restored
/// with `tcsetattr`; the escape sequences that leave the alternate screen and show the cursor,
/// written with `write`), then lets the signal do what it would have done: the default action
/// for a sent signal (re-raised), the previous handler for a fault (the Rust runtime's stack
/// overflow report). SIGBUS belongs to `acct::guard` (a truncated mapped file is not fatal); it
/// calls the same restore before a SIGBUS that is.
#[allow(unsafe_code)]
mod fatal {
    use std::sync::Once;
    use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, Ordering};

    const SENT: [libc::c_int; 5] = [
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGINT,
        libc::SIGQUIT,
        libc::SIGABRT,
    ];
    const FAULTS: [libc::c_int; 3] = [libc::SIGSEGV, libc::SIGILL, libc::SIGFPE];
    /// Leave the alternate screen, show the cursor.
    const LEAVE: &[u8] = b"\x1b[?1049l\x1b[?25h";

    static INSTALL: Once = Once::new();
    /// The terminal's descriptor and its modes before raw mode; `SAVED` is set only while the
    /// dashboard owns the terminal.
    static TTY: AtomicI32 = AtomicI32::new(-1);
    static MODES: AtomicPtr<libc::termios> = AtomicPtr::new(std::ptr::null_mut());
    static SAVED: AtomicBool = AtomicBool::new(false);
    /// The actions before ours, per fault signal (leaked once).
    static PREVIOUS: [AtomicPtr<libc::sigaction>; 3] =
        [const { AtomicPtr::new(std::ptr::null_mut()) }; 3];

    /// Saves the terminal's modes and installs the handlers (once).
    pub(super) fn install() {
        save_modes();
        INSTALL.call_once(|| {
            // SIGBUS first, so that ours never replaces the guard's.
            crate::acct::guard::install();
            crate::acct::guard::set_last_words(restore_now);
            for sig in SENT {
                set(sig, on_sent as *const () as usize);
            }
            for (k, sig) in FAULTS.into_iter().enumerate() {
                if let Some(prev) = set(sig, on_fault as *const () as usize) {
                    PREVIOUS[k].store(Box::into_raw(Box::new(prev)), Ordering::Release);
                }
            }
        });
    }

    /// The dashboard gave the terminal back: nothing to restore on a signal.
    pub(super) fn forget() {
        SAVED.store(false, Ordering::Release);
    }

    /// The modes of the terminal crossterm puts in raw mode: standard input when it is one,
    /// else `/dev/tty`.
    fn save_modes() {
        // SAFETY: isatty, open and tcgetattr get valid arguments; the termios is written by
        // tcgetattr before it is published, and never freed.
        unsafe {
            let mut fd = TTY.load(Ordering::Acquire);
            if fd < 0 {
                fd = if libc::isatty(0) == 1 {
                    0
                } else {
                    libc::open(c"/dev/tty".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC)
                };
                if fd < 0 {
                    return;
                }
                TTY.store(fd, Ordering::Release);
            }
            let mut modes: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(fd, &raw mut modes) != 0 {
                return;
            }
            let old = MODES.swap(Box::into_raw(Box::new(modes)), Ordering::AcqRel);
            if !old.is_null() {
                // Saved again by a later dashboard of the same process: the old copy is no
                // longer read (handlers read MODES only while SAVED, set below).
                drop(Box::from_raw(old));
            }
            SAVED.store(true, Ordering::Release);
        }
    }

    /// Puts the terminal back, from a signal handler: async-signal-safe calls only.
    fn restore_now() {
        if !SAVED.swap(false, Ordering::AcqRel) {
            return;
        }
        let fd = TTY.load(Ordering::Acquire);
        let modes = MODES.load(Ordering::Acquire);
        // SAFETY: tcsetattr and write are async-signal-safe; `modes` was saved by
        // `save_modes` and is valid while SAVED was set.
        unsafe {
            if fd >= 0 && !modes.is_null() {
                libc::tcsetattr(fd, libc::TCSANOW, modes);
            }
            libc::write(1, LEAVE.as_ptr().cast(), LEAVE.len());
        }
    }

    /// Installs `handler` for `sig` (`SA_SIGINFO`); returns the action it replaces.
    fn set(sig: libc::c_int, handler: usize) -> Option<libc::sigaction> {
        // SAFETY: zeroed sigaction structs are valid; the handler has the SA_SIGINFO signature.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            let mut prev: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = handler;
            act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&raw mut act.sa_mask);
            (libc::sigaction(sig, &raw const act, &raw mut prev) == 0).then_some(prev)
        }
    }

    /// A sent signal: restore, then the signal's default action (it is blocked while this
    /// runs, so the re-raised one is delivered as the handler returns).
    extern "C" fn on_sent(sig: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
        restore_now();
        pmta_lens_core::signal::default_action(sig);
        // SAFETY: raise is async-signal-safe.
        unsafe {
            libc::raise(sig);
        }
    }

    /// A fault: restore, then the previous handler (or the default action, as the fault
    /// repeats when this returns).
    extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
        if unsafe { (*info).si_code } <= 0 {
            // Sent (`kill -SEGV`), not a fault: returning would carry on.
            on_sent(sig, info, ctx);
            return;
        }
        restore_now();
        let prev = FAULTS
            .iter()
            .position(|&s| s == sig)
            .map_or(std::ptr::null_mut(), |k| {
                PREVIOUS[k].load(Ordering::Acquire)
            });
        // SAFETY: `prev` is null or an action saved by `install`, never freed; `info` and
        // `ctx` are the kernel's.
        unsafe { pmta_lens_core::signal::pass_on(sig, info, ctx, prev) };
    }
}
