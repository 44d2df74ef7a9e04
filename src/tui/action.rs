//! Everything that can change the dashboard's state, and the key map that turns key presses into
//! it. Only [`super::app::App::update`] acts on an [`Action`].

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{App, View};
use super::data::Snapshot;

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
    PromptChar(char),
    PromptBackspace,
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
    Help,
    Pause,
    Loaded(Box<Snapshot>),
    Tick(ProgressView),
    Resize(u16, u16),
}

/// The action for a key in the app's current mode (prompt, help or a view).
pub fn for_key(app: &App, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c' | 'C')) {
        return Some(Action::Quit);
    }
    if app.prompt.is_some() {
        return match key.code {
            KeyCode::Enter => Some(Action::PromptSubmit),
            KeyCode::Esc => Some(Action::Cancel),
            KeyCode::Backspace => Some(Action::PromptBackspace),
            KeyCode::Char(c) if !ctrl => Some(Action::PromptChar(c)),
            _ => None,
        };
    }
    if app.help {
        return match key.code {
            KeyCode::Char('q') => Some(Action::Quit),
            _ => Some(Action::Help),
        };
    }
    Some(match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char(c @ '1'..='7') => Action::Show(View::ALL[usize::from(c as u8 - b'1')]),
        KeyCode::Tab => Action::NextView,
        KeyCode::BackTab => Action::PrevView,
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Char('b') if ctrl => Action::PageUp,
        KeyCode::Char('f') if ctrl => Action::PageDown,
        KeyCode::Home => Action::Home,
        KeyCode::End => Action::End,
        KeyCode::Left | KeyCode::Char('h') => Action::Left,
        KeyCode::Right | KeyCode::Char('l' | ' ') => Action::Right,
        KeyCode::Enter => Action::Enter,
        KeyCode::Backspace => Action::Back,
        KeyCode::Char('/') => Action::OpenPrompt,
        KeyCode::Esc => Action::Cancel,
        KeyCode::Char('s') => Action::SortNext,
        KeyCode::Char('r') => Action::SortReverse,
        KeyCode::Char('g') => Action::Group,
        KeyCode::Char('n') => Action::NextBurst,
        KeyCode::Char('N') => Action::PrevBurst,
        KeyCode::Char('m') => Action::Mark,
        KeyCode::Char('z') => Action::Zoom,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('p') => Action::Pause,
        _ => return None,
    })
}
