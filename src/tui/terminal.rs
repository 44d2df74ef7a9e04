//! Entering and leaving the terminal's dashboard mode (raw mode, alternate screen), and the
//! guarantee that it is left on every exit path: a guard for returns and errors, and a panic
//! hook, installed before the terminal is touched, for panics on any thread (the scan's rayon
//! workers included: the hook runs on the panicking thread, whichever it is).

use std::io::{self, Stdout};
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

pub type Term = Terminal<CrosstermBackend<Stdout>>;

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
