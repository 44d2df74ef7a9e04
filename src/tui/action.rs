//! Everything that can change the dashboard's state, and the key map that turns key presses into
//! it. Only [`super::app::App::update`] acts on an [`Action`].

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{App, View};
use super::data::Snapshot;
use super::keys::{self, Mode};
pub use super::prompt::Edit;

/// Scan progress, read from the loader's counters on each tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProgressView {
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub records: u64,
    pub elapsed_ms: u64,
}

#[derive(Debug)]
pub enum Action {
    Quit,
    Show(View),
    NextView,
    PrevView,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    /// Collapse a rollup (Domains).
    Left,
    /// Expand a rollup (Domains).
    Right,
    /// Drill down (Codes, Senders, Domains), zoom (Timeline) or show a row's fields (Rows).
    Enter,
    /// Back to the filter and view before the last drill-down or zoom.
    Back,
    OpenPrompt,
    /// A key in the prompt: typing, moving, deleting, history, completion.
    Prompt(Edit),
    PromptSubmit,
    /// Esc: close the prompt, help or a row's fields; else clear the filter.
    Cancel,
    SortNext,
    SortReverse,
    /// Senders: VMTA -> sending IP -> pool.
    Group,
    NextBurst,
    PrevBurst,
    /// Timeline: mark the start of a span to zoom to.
    Mark,
    /// Timeline: zoom to the marked span or the selected burst (adds since/until).
    Zoom,
    /// Rows: find a text in the rows (opens its prompt).
    Find,
    /// Rows: copy the selected row's recipient, or (`whole`) the row as written.
    Copy {
        whole: bool,
    },
    Help,
    Pause,
    Loaded(Box<Snapshot>),
    Tick(ProgressView),
    Resize(u16, u16),
}

/// The action for a key in the app's current mode (prompt, help or a view), from the key map
/// ([`super::keys::ROWS`]).
pub fn for_key(app: &App, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c' | 'C')) {
        return Some(Action::Quit);
    }
    if app.prompt.is_some() {
        return keys::lookup(Mode::Prompt, &key).or(match key.code {
            KeyCode::Char(c) if !ctrl => Some(Action::Prompt(Edit::Insert(c))),
            _ => None,
        });
    }
    if app.help {
        return Some(keys::lookup(Mode::Help, &key).unwrap_or(Action::Help));
    }
    keys::lookup(Mode::Views, &key)
}
