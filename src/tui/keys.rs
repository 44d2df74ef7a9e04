//! The key map as data: one table from which the key dispatch ([`super::action::for_key`]),
//! the `?` screen and the key tables of docs/dashboard.md are all made, so they cannot drift
//! apart (a test compares the docs with [`markdown`]).

use std::fmt::Write as _;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Edit};
use super::app::View;

/// A key as bound (and as shown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// A character typed without Ctrl (`N` is Shift-n).
    Char(char),
    /// Ctrl and a letter.
    Ctrl(char),
    /// A key that is not a character (arrows, Enter...), whatever the modifiers.
    Code(KeyCode),
}

impl Key {
    pub fn matches(self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match (self, ev.code) {
            // Alt is let through: a terminal sends Esc and a key typed quickly after it as
            // Alt and that key, and the key should still work.
            (Key::Char(c), KeyCode::Char(e)) => c == e && !ctrl,
            (Key::Ctrl(c), KeyCode::Char(e)) => c.eq_ignore_ascii_case(&e) && ctrl,
            (Key::Code(k), code) => k == code,
            _ => false,
        }
    }

    /// The key as the help and the docs name it.
    pub fn label(self) -> String {
        match self {
            Key::Char(' ') => "space".into(),
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{}", c.to_ascii_uppercase()),
            Key::Code(k) => match k {
                KeyCode::Up => "↑",
                KeyCode::Down => "↓",
                KeyCode::Left => "←",
                KeyCode::Right => "→",
                KeyCode::PageUp => "PgUp",
                KeyCode::PageDown => "PgDn",
                KeyCode::Home => "Home",
                KeyCode::End => "End",
                KeyCode::Enter => "Enter",
                KeyCode::Esc => "Esc",
                KeyCode::Backspace => "⌫",
                KeyCode::Delete => "Del",
                KeyCode::Tab => "Tab",
                KeyCode::BackTab => "S-Tab",
                _ => "?",
            }
            .into(),
        }
    }
}

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The views (no prompt, no help open).
    Views,
    /// The `/` prompt (any other character is typed).
    Prompt,
    /// The `?` screen (any other key closes it).
    Help,
}

impl Mode {
    pub fn title(self) -> &'static str {
        match self {
            Mode::Views => "In the views",
            Mode::Prompt => "In the filter prompt (/); other characters are typed",
            Mode::Help => "In this help; any other key closes it",
        }
    }
}

/// Keys that do one thing (given the key, for the keys that say which: `1`..`7`).
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub keys: &'static [Key],
    pub action: fn(Key) -> Action,
}

/// One line of the help and of the docs: keys that belong together and what they do.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub mode: Mode,
    pub bindings: &'static [Binding],
    /// What they do, short enough for the `?` screen.
    pub help: &'static str,
    /// What they do, in full, for docs/dashboard.md.
    pub doc: &'static str,
}

impl Row {
    /// Every key of the row, named (`1..7` for a run of digits).
    pub fn label(&self) -> String {
        let keys: Vec<Key> = self.bindings.iter().flat_map(|b| b.keys).copied().collect();
        let mut out: Vec<String> = Vec::new();
        let mut i = 0;
        while i < keys.len() {
            // a run of three or more consecutive digits reads `1..7`
            let mut j = i;
            while let (Some(Key::Char(a)), Some(Key::Char(b))) = (keys.get(j), keys.get(j + 1)) {
                if a.is_ascii_digit() && b.is_ascii_digit() && *b as u32 == *a as u32 + 1 {
                    j += 1;
                } else {
                    break;
                }
            }
            if j >= i + 2 {
                out.push(format!("{}..{}", keys[i].label(), keys[j].label()));
                i = j + 1;
            } else {
                out.push(keys[i].label());
                i += 1;
            }
        }
        out.join(" ")
    }
}

const fn b(keys: &'static [Key], action: fn(Key) -> Action) -> Binding {
    Binding { keys, action }
}

fn view_of(k: Key) -> Action {
    match k {
        Key::Char(c @ '1'..='7') => Action::Show(View::ALL[(c as usize) - ('1' as usize)]),
        _ => Action::Show(View::Overview),
    }
}

use Key::{Char as C, Code, Ctrl};
use KeyCode as K;

/// Every key, grouped as the help lists them.
pub static ROWS: &[Row] = &[
    Row {
        mode: Mode::Views,
        bindings: &[
            b(
                &[C('1'), C('2'), C('3'), C('4'), C('5'), C('6'), C('7')],
                view_of,
            ),
            b(&[Code(K::Tab)], |_| Action::NextView),
            b(&[Code(K::BackTab)], |_| Action::PrevView),
        ],
        help: "views: Overview Codes Senders Domains Conn. Timeline Rows",
        doc: "switch view: Overview, Codes, Senders, Domains, Connections, Timeline, Rows",
    },
    Row {
        mode: Mode::Views,
        bindings: &[
            b(&[Code(K::Up), C('k')], |_| Action::Up),
            b(&[Code(K::Down), C('j')], |_| Action::Down),
        ],
        help: "move the selection (in a row's fields: scroll)",
        doc: "move the selection; in a row's fields, scroll",
    },
    Row {
        mode: Mode::Views,
        bindings: &[
            b(&[Code(K::PageUp), Ctrl('b')], |_| Action::PageUp),
            b(&[Code(K::PageDown), Ctrl('f')], |_| Action::PageDown),
        ],
        help: "a page up / down",
        doc: "a page up / down",
    },
    Row {
        mode: Mode::Views,
        bindings: &[
            b(&[Code(K::Home)], |_| Action::Home),
            b(&[Code(K::End)], |_| Action::End),
        ],
        help: "first / last",
        doc: "the first / last line",
    },
    Row {
        mode: Mode::Views,
        bindings: &[b(&[Code(K::Enter)], |_| Action::Enter)],
        help: "drill down: a finding's or a cell's rows; Timeline: zoom; Rows: every field",
        doc: "drill down: on an Overview finding, applies its filter (a burst: its span and IP; \
              RP-001 retries: the recipients; a code: the code) and opens the view that shows \
              it; in Codes, Senders and Domains, adds the selected cell's filter \
              (`code=RP-002`, `vmta=vmta-ms-01 code=RP-001`, `domain=outlook.com type=b,rb`, \
              `rcpt-domain=hotmail.de`) and opens Rows; in Timeline, zooms; in Rows, shows \
              every field of the row",
    },
    Row {
        mode: Mode::Views,
        bindings: &[b(&[Code(K::Backspace)], |_| Action::Back)],
        help: "back to the filter, view and selection before",
        doc: "back to the filter, view, selection and scroll before the last drill-down, zoom \
              or filter change",
    },
    Row {
        mode: Mode::Views,
        bindings: &[b(&[C('/')], |_| Action::OpenPrompt)],
        help: "filter (--where language), e.g. code=RP-002 ip=192.0.2.1",
        doc: "filter prompt, in the `--where` language (the current filter is pre-filled: type \
              more terms to narrow). A bad term is explained under the prompt and nothing changes",
    },
    Row {
        mode: Mode::Views,
        bindings: &[b(&[Code(K::Esc)], |_| Action::Cancel)],
        help: "stop a search; close help, a row; else clear filter",
        doc: "stop a Rows search going on; close help or a row's fields, drop a Timeline mark; \
              otherwise clear the filter (Backspace brings it back)",
    },
    Row {
        mode: Mode::Views,
        bindings: &[
            b(&[C('s')], |_| Action::SortNext),
            b(&[C('r')], |_| Action::SortReverse),
        ],
        help: "sort by the cell's column (again: the next one) / reverse",
        doc: "sort Codes, Senders, Domains by the column under the cursor, again by the next \
              column shown (marked ▼ or ▲; a column hidden at this width is never the sort \
              unseen) / reverse",
    },
    Row {
        mode: Mode::Views,
        bindings: &[b(&[C('g')], |_| Action::Group)],
        help: "Senders: group by VMTA, sending IP, pool or job",
        doc: "Senders: group by VMTA, sending IP, pool, or job (the jobs complained about, with \
              their complaints and complaint rate, as the summary lists them)",
    },
    Row {
        mode: Mode::Views,
        bindings: &[
            b(&[Code(K::Right), C('l'), C(' ')], |_| Action::Right),
            b(&[Code(K::Left), C('h')], |_| Action::Left),
        ],
        help: "next / previous column (a cell to open); Domains name: expand / collapse",
        doc: "Codes, Senders, Domains: move the column cursor to the next / previous column \
              shown (Enter opens that cell's rows, `s` sorts by it); in Domains, on the name, \
              expand / collapse a rollup",
    },
    Row {
        mode: Mode::Views,
        bindings: &[
            b(&[C('n')], |_| Action::NextBurst),
            b(&[C('N')], |_| Action::PrevBurst),
        ],
        help: "next / previous burst (RP-002 by default); in Rows after f: next / previous match",
        doc: "Timeline: next / previous RP-002 burst (from any view); in Rows, after `f`: the \
              next / previous row holding the text (wrapping at the ends)",
    },
    Row {
        mode: Mode::Views,
        bindings: &[b(&[C('f')], |_| Action::Find)],
        help: "Rows: find a text as typed (n / N next; Esc stops)",
        doc: "Rows: find a text in the rows (every matching row of the files, not only those on \
              screen), from the selection down, the selection moving to it as the text is \
              typed; ignores case unless the text has a capital. A long search goes on a slice \
              a frame, the screen answering; Esc stops it (in the prompt: back to where `f` \
              was pressed)",
    },
    Row {
        mode: Mode::Views,
        bindings: &[
            b(&[C('y')], |_| Action::Copy { whole: false }),
            b(&[C('Y')], |_| Action::Copy { whole: true }),
        ],
        help: "Rows: copy the recipient / the whole row (OSC 52)",
        doc: "Rows: copy the selected row's recipient / the whole row as written (CSV) to the \
              clipboard, through the terminal (OSC 52; in tmux, `set-clipboard on`)",
    },
    Row {
        mode: Mode::Views,
        bindings: &[
            b(&[C('m')], |_| Action::Mark),
            b(&[C('z')], |_| Action::Zoom),
        ],
        help: "Timeline: mark a span, zoom to it (or the burst)",
        doc: "Timeline: mark the start of a span, zoom to the span (or to the selected burst, or \
              the selected minute): adds `since=` and `until=` to the filter",
    },
    Row {
        mode: Mode::Views,
        bindings: &[b(&[C('p')], |_| Action::Pause)],
        help: "pause / resume --follow",
        doc: "pause / resume `--follow`",
    },
    Row {
        mode: Mode::Views,
        bindings: &[b(&[C('?')], |_| Action::Help)],
        help: "this help",
        doc: "all keys",
    },
    Row {
        mode: Mode::Views,
        bindings: &[b(&[C('q'), Ctrl('c')], |_| Action::Quit)],
        help: "quit (Ctrl-C also in the prompt and help)",
        doc: "quit (Ctrl-C from anywhere)",
    },
    Row {
        mode: Mode::Prompt,
        bindings: &[
            b(&[Code(K::Left)], |_| Action::Prompt(Edit::Left)),
            b(&[Code(K::Right)], |_| Action::Prompt(Edit::Right)),
            b(&[Code(K::Home), Ctrl('a')], |_| Action::Prompt(Edit::Home)),
            b(&[Code(K::End), Ctrl('e')], |_| Action::Prompt(Edit::End)),
        ],
        help: "move the cursor; start / end of the line",
        doc: "move the cursor; to the start / end of the line",
    },
    Row {
        mode: Mode::Prompt,
        bindings: &[
            b(&[Code(K::Backspace)], |_| Action::Prompt(Edit::Backspace)),
            b(&[Code(K::Delete)], |_| Action::Prompt(Edit::Delete)),
        ],
        help: "delete before / under the cursor",
        doc: "delete the character before / under the cursor",
    },
    Row {
        mode: Mode::Prompt,
        bindings: &[
            b(&[Ctrl('w')], |_| Action::Prompt(Edit::KillWord)),
            b(&[Ctrl('u')], |_| Action::Prompt(Edit::KillToStart)),
            b(&[Ctrl('k')], |_| Action::Prompt(Edit::KillToEnd)),
        ],
        help: "delete the word before; to the start; to the end",
        doc: "delete the word before the cursor; everything before it; everything after it",
    },
    Row {
        mode: Mode::Prompt,
        bindings: &[
            b(&[Code(K::Up)], |_| Action::Prompt(Edit::Older)),
            b(&[Code(K::Down)], |_| Action::Prompt(Edit::Newer)),
        ],
        help: "earlier / later filters of this session",
        doc: "the earlier / later filters of this session (typed, drilled or zoomed)",
    },
    Row {
        mode: Mode::Prompt,
        bindings: &[b(&[Code(K::Tab)], |_| Action::Prompt(Edit::Complete))],
        help: "complete a field name, or a value seen in the rows",
        doc: "complete a field name, or a value seen in the scanned rows (VMTAs, IPs, pools, \
              codes, domains, types, kinds); several candidates are listed under the prompt",
    },
    Row {
        mode: Mode::Prompt,
        bindings: &[
            b(&[Code(K::Enter)], |_| Action::PromptSubmit),
            b(&[Code(K::Esc)], |_| Action::Cancel),
        ],
        help: "apply the filter / close the prompt",
        doc: "apply the filter / close the prompt, the filter unchanged",
    },
    Row {
        mode: Mode::Help,
        bindings: &[
            b(&[Code(K::Up), C('k')], |_| Action::Up),
            b(&[Code(K::Down), C('j')], |_| Action::Down),
        ],
        help: "scroll",
        doc: "scroll the help",
    },
    Row {
        mode: Mode::Help,
        bindings: &[b(&[C('q')], |_| Action::Quit)],
        help: "quit",
        doc: "quit",
    },
];

/// The action of a key in a mode, from [`ROWS`].
pub fn lookup(mode: Mode, ev: &KeyEvent) -> Option<Action> {
    ROWS.iter()
        .filter(|r| r.mode == mode)
        .flat_map(|r| r.bindings)
        .find_map(|b| {
            let key = b.keys.iter().find(|k| k.matches(ev))?;
            Some((b.action)(*key))
        })
}

/// The key tables of docs/dashboard.md, one per mode.
pub fn markdown() -> String {
    let mut out = String::new();
    for mode in [Mode::Views, Mode::Prompt, Mode::Help] {
        // writing into a String cannot fail
        let _ = write!(
            out,
            "{}:\n\n| key | what it does |\n| --- | --- |\n",
            mode.title()
        );
        for r in ROWS.iter().filter(|r| r.mode == mode) {
            let keys: Vec<String> = r.label().split(' ').map(|k| format!("`{k}`")).collect();
            let _ = writeln!(out, "| {} | {} |", keys.join(" "), r.doc);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice_in_a_mode() {
        for mode in [Mode::Views, Mode::Prompt, Mode::Help] {
            let keys: Vec<Key> = ROWS
                .iter()
                .filter(|r| r.mode == mode)
                .flat_map(|r| r.bindings)
                .flat_map(|b| b.keys)
                .copied()
                .collect();
            for (i, k) in keys.iter().enumerate() {
                assert!(!keys[i + 1..].contains(k), "{k:?} twice in {mode:?}");
            }
        }
    }

    #[test]
    fn labels_name_every_key_and_digits_as_a_range() {
        assert_eq!(ROWS[0].label(), "1..7 Tab S-Tab");
        assert_eq!(ROWS[2].label(), "PgUp Ctrl-B PgDn Ctrl-F");
        assert_eq!(ROWS[10].label(), "→ l space ← h");
    }
}
