//! The Rows view's side of the app: the parsed window around its selection, `f`'s prompt and
//! `n` / `N` through the whole row index, and `y` / `Y` copy. The state itself is
//! [`RowsState`](crate::tui::views::rows::state::RowsState), reached as `app.rows`.

use super::{App, Cursor, Prompt, View};
use crate::tui::action::Edit;
use crate::tui::reader::ParsedRow;
use crate::tui::views::rows::search::Find;

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
    pub(super) fn edit_prompt(&self, p: &mut Prompt, e: Edit) {
        if self.rows.finding {
            if e != Edit::Complete {
                p.edit(e, &self.rows.finds_used, &|_| Vec::new());
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
        self.prompt = Some(Prompt::new(String::new()));
    }

    /// Enter in `f`'s prompt: find the text from the selection on.
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
            self.rows.finds_used.push(text);
        }
        self.find_next(true);
    }

    /// `n` / `N` after `f`: the next / previous row that holds the text, in the whole index.
    pub(super) fn find_next(&mut self, forward: bool) {
        let sel = self.rows.list.sel();
        let (found, message) = self.rows.search(&self.data.rows, sel, forward);
        self.message = Some(message);
        if let Some(i) = found {
            let (len, h) = (self.data.rows.len, self.list_height());
            self.restore = None;
            self.rows.tail = i + 1 >= len;
            let l = &mut self.rows.list;
            l.select(Some(i));
            // the row found in the middle of the screen, the rows around it in view
            *l.offset_mut() = i.saturating_sub(h / 2);
            l.fit(len, h);
            self.load_rows();
        }
    }
}
