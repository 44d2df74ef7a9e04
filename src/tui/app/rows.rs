//! The Rows view's side of the app: the parsed window around its selection, `f`'s prompt (the
//! selection moves to the first row holding the text as it is typed) and `n` / `N` through the
//! whole row index, a frame's worth at a time (Esc stops), and `y` / `Y` copy. The state
//! itself is [`RowsState`](crate::tui::views::rows::state::RowsState), reached as `app.rows`.

use super::{App, Cursor, Prompt, View};
use crate::tui::action::Edit;
use crate::tui::reader::ParsedRow;
use crate::tui::views::rows::search::{Find, Outcome};
use crate::tui::views::rows::state::RowsState;

impl App {
    /// Parses the rows around the Rows view's selection (only those can be shown).
    pub(super) fn load_rows(&mut self) {
        let sel = self.rows.list.sel();
        let h = crate::tui::views::list_height(View::Rows, self.size.0, self.size.1);
        self.rows.load(&self.data.rows, sel, h);
    }

    /// The parsed row at index `i` of the Rows view, if in the window.
    pub fn row(&self, i: usize) -> Option<&ParsedRow> {
        self.rows.row(i)
    }

    /// A key in the prompt: `f`'s recalls the texts found and completes nothing; `/`'s recalls
    /// the filters and completes fields and values.
    pub(super) fn edit_prompt(&mut self, p: &mut Prompt, e: Edit) {
        if self.rows.finding {
            if e != Edit::Complete {
                let before = p.text.clone();
                p.edit(e, &self.rows.finds_used, &|_| Vec::new());
                if p.text != before {
                    self.find_as_typed(p.text.trim());
                }
            }
        } else {
            p.edit(e, &self.filters_used, &|f| self.values(f));
        }
    }

    /// `y` / `Y`: the selected row's recipient / the row, to the clipboard (Rows only).
    pub(super) fn copy(&mut self, whole: bool) {
        self.message = Some(if self.view == View::Rows {
            let sel = self.rows.list.sel();
            self.rows.copy(sel, whole)
        } else {
            "y and Y copy the selected row's recipient / the row, in Rows (7)".into()
        });
    }

    /// `f`: the prompt for a text to find in the rows.
    pub(super) fn open_find(&mut self) {
        if self.view != View::Rows {
            self.message = Some("f finds a text in the Rows view (7)".into());
            return;
        }
        self.rows.finding = true;
        self.rows.origin = self.rows.list.sel();
        self.prompt = Some(Prompt::new(String::new()));
    }

    /// A key typed in `f`'s prompt: the search starts again from the row `f` was pressed on
    /// (that row included), with the text as it now is.
    fn find_as_typed(&mut self, text: &str) {
        let origin = self.rows.origin;
        if let Some(f) = Find::new(text) {
            let len = self.data.rows.len;
            self.rows
                .search(&f, len, origin, true, true, self.generation);
            self.search_tick();
        } else {
            self.rows.scan = None;
            self.select_row(origin);
        }
    }

    /// Enter in `f`'s prompt: the text is the one `n` / `N` look for; the search as typed goes
    /// on if it has not ended.
    pub(super) fn submit_find(&mut self) {
        let Some(p) = self.prompt.take() else {
            return;
        };
        self.rows.finding = false;
        let text = p.text.trim().to_string();
        self.rows.find = Find::new(&text);
        if self.rows.find.is_none() {
            self.message = Some("nothing to find".into());
            return;
        }
        if self.rows.finds_used.last() != Some(&text) {
            self.rows.finds_used.push(text.clone());
        }
        // the search as typed goes on; one over is done again, to say what it found
        let going = self
            .rows
            .scan
            .as_ref()
            .is_some_and(|(s, _)| s.find.text == text);
        if !going {
            self.find_as_typed(&text);
        }
    }

    /// `n` / `N` after `f`: the next / previous row that holds the text, in the whole index.
    pub(super) fn find_next(&mut self, forward: bool) {
        let Some(f) = self.rows.find.clone() else {
            self.message = Some("f finds a text in the rows; then n / N".into());
            return;
        };
        let (len, sel) = (self.data.rows.len, self.rows.list.sel());
        self.rows.origin = sel;
        self.rows
            .search(&f, len, sel, forward, false, self.generation);
        self.search_tick();
    }

    /// A frame of the search going on (on every tick of the runtime, and when it starts): the
    /// row found is selected; a text typed that no row holds goes back to where `f` was
    /// pressed.
    pub(super) fn search_tick(&mut self) {
        let Some((scan, generation)) = self.rows.scan.clone() else {
            return;
        };
        if generation != self.generation {
            // the rows searched were another filter's
            self.rows.scan = None;
            return;
        }
        let out = self.rows.search_step(&self.data.rows);
        self.message = Some(RowsState::search_note(&scan, out));
        match out {
            Some(Outcome::Found(i) | Outcome::Wrapped(i)) => self.select_row(i),
            // as typed, the selection may be on a row the text typed so far had found
            Some(Outcome::NotFound) if scan.typed => self.select_row(self.rows.origin),
            Some(Outcome::NotFound) | None => {}
        }
    }

    /// Esc while a search goes on: it stops, the selection where it is.
    pub(super) fn stop_search(&mut self) -> bool {
        let Some((scan, _)) = self.rows.scan.take() else {
            return false;
        };
        self.message = Some(format!(
            "stopped finding `{}` ({} of the rows searched)",
            scan.find.text,
            crate::fmt::percent(scan.done as u64, scan.total as u64)
        ));
        true
    }

    /// Selects row `i` of Rows, in the middle of the screen with the rows around it.
    fn select_row(&mut self, i: usize) {
        let (len, h) = (self.data.rows.len, self.list_height());
        if len == 0 {
            return;
        }
        let i = i.min(len - 1);
        self.restore = None;
        self.rows.tail = i + 1 >= len;
        let l = &mut self.rows.list;
        l.select(Some(i));
        *l.offset_mut() = i.saturating_sub(h / 2);
        l.fit(len, h);
        self.load_rows();
    }
}
