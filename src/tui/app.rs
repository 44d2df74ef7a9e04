//! The dashboard's state and [`App::update`], the only place it changes. Each view's own state
//! (selection, scroll, column cursor, sort) is in [`Views`]; the tables the views show are
//! derived ([`super::derive`]) when data, sort or grouping change, so drawing is a pure, cheap
//! function of the state. Drilling from a cell and sorting are in `app/drill.rs`, the
//! Timeline's bursts, marks and zoom in `app/timeline.rs`, the Rows view's window, find and copy
//! in `app/rows.rs`.

mod drill;
mod rows;
mod timeline;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::action::{Action, ProgressView};
use super::data::{Burst, Snapshot};
pub use super::derive::{CodeRow, CountsRow, Derived, DomainRow, LineCol, MinuteRow};
use super::findings::{Item, Target};
pub use super::prompt::Prompt;
use super::prompt::field_has_values;
use super::state::Cursors;
pub use super::state::{Cursor, Group, Sort, TableState, View, Views};
use super::theme::Theme;
use super::views::rows::state::RowsState;
use crate::classify::Classifier;
use crate::filter::{Field, Filter};

/// Where the operator was: filter, view and every list's selection and scroll.
#[derive(Clone, Debug)]
struct Place {
    filter: Filter,
    view: View,
    cursors: Cursors,
}

/// What the app needs from outside, fixed for a session.
#[derive(Clone, Debug)]
pub struct Session {
    pub classifier: Arc<Classifier>,
    pub theme: Theme,
    pub follow: bool,
    /// The clock for relative filter times (`since=-1h`); tests pass a fixed one.
    pub now: fn() -> DateTime<Utc>,
    /// What was opened, for the title line (`sample-logs`).
    pub source: String,
}

/// The dashboard's whole state.
#[derive(Debug)]
#[allow(clippy::struct_excessive_bools)] // independent switches: help, detail, paused, quit
pub struct App {
    pub ctx: Session,
    pub view: View,
    pub data: Snapshot,
    pub derived: Derived,
    pub filter: Filter,
    /// Where the operator was before each drill-down, zoom or filter change, for Backspace.
    history: Vec<Place>,
    /// The selections Backspace brings back, applied to each snapshot of the scan it started
    /// (the lists fill in as it runs) until it completes or the operator moves.
    restore: Option<Cursors>,
    /// Every filter applied in this session, oldest first (↑ / ↓ in the prompt).
    pub filters_used: Vec<String>,
    pub prompt: Option<Prompt>,
    /// A one-line note for the operator (cleared by the next key).
    pub message: Option<String>,
    /// The scan generation the app wants (snapshots of others are ignored).
    pub generation: u64,
    rescan: bool,
    /// Every view's state but the Rows view's.
    pub views: Views,
    /// The Rows view's state (its list, parsed rows, the row in full, find, follow, copy).
    pub rows: RowsState,
    pub help: bool,
    /// The first line of the help shown (it scrolls on a short screen).
    pub help_scroll: usize,
    pub paused: bool,
    pub progress: ProgressView,
    /// Terminal size.
    pub size: (u16, u16),
    pub quit: bool,
}

impl App {
    pub fn new(ctx: Session, filter: Filter) -> App {
        // the `--where` the dashboard was opened with is the session's first filter
        let filters_used = if filter.is_empty() {
            Vec::new()
        } else {
            vec![filter.as_str().to_string()]
        };
        App {
            ctx,
            view: View::Overview,
            data: Snapshot::default(),
            derived: Derived::default(),
            filter,
            history: Vec::new(),
            restore: None,
            filters_used,
            prompt: None,
            message: None,
            generation: 0,
            rescan: false,
            views: Views::default(),
            rows: RowsState::default(),
            help: false,
            help_scroll: 0,
            paused: false,
            progress: ProgressView::default(),
            size: (80, 24),
            quit: false,
        }
    }

    /// The filter to scan with, if the filter changed since the last call (the runtime starts a
    /// new scan of generation [`App::generation`]).
    pub fn take_rescan(&mut self) -> Option<Filter> {
        std::mem::take(&mut self.rescan).then(|| self.filter.clone())
    }

    /// The bursts of the range on screen: found by the scan's analyses, or, zoomed in, those
    /// of the range zoomed from.
    pub fn bursts(&self) -> Option<&[Burst]> {
        self.views
            .timeline
            .outer
            .as_deref()
            .or(self.data.bursts.as_deref())
            .map(Vec::as_slice)
    }

    /// The list of a view: its selection, scroll and column cursor.
    pub fn list(&self, v: View) -> TableState {
        self.views.list(v).copied().unwrap_or(self.rows.list)
    }

    fn list_mut(&mut self, v: View) -> &mut TableState {
        match v {
            View::Rows => &mut self.rows.list,
            v => self.views.list_mut(v).unwrap_or(&mut self.rows.list),
        }
    }

    /// The Senders grouping.
    pub fn group(&self) -> Group {
        self.views.senders.group
    }

    /// The Overview's "What to do", as listed at the current size.
    pub fn findings(&self) -> Vec<Item> {
        let room = super::views::overview::findings_room(self.size.0, self.size.1);
        super::findings::items(
            &self.data.findings,
            self.bursts().unwrap_or_default(),
            self.data.retry.as_deref(),
            // the last line says where the selection is
            room.saturating_sub(1).max(1),
        )
    }

    /// How many rows the current view's list has.
    pub fn list_len(&self) -> usize {
        match self.view {
            View::Codes => self.derived.codes.len(),
            View::Senders => self.derived.senders.len(),
            View::Domains => self.derived.domain_lines.len(),
            View::Timeline => self.derived.minutes.len(),
            View::Rows => self.data.rows.len,
            View::Connections => self.data.connections.as_ref().map_or(0, |c| c.rows.len()),
            View::Overview => self.findings().len(),
        }
    }

    /// The height of the current view's list (as drawn at the current size).
    fn list_height(&self) -> usize {
        super::views::list_height(self.view, self.size.0, self.size.1)
    }

    pub fn update(&mut self, action: Action) {
        if !matches!(
            action,
            Action::Tick(_) | Action::Loaded(_) | Action::Resize(..)
        ) {
            self.message = None;
        }
        match action {
            Action::Up if self.help => self.help_scroll = self.help_scroll.saturating_sub(1),
            Action::Down if self.help => {
                let (w, h) = self.size;
                let max = super::views::help::lines(w)
                    .saturating_sub(super::views::help::inner_height(h) as usize);
                self.help_scroll = (self.help_scroll + 1).min(max);
            }
            Action::Quit => self.quit = true,
            Action::Show(v) => self.show(v),
            Action::NextView => self.show(self.view.next()),
            Action::PrevView => self.show(self.view.prev()),
            Action::Up => self.step(-1),
            Action::Down => self.step(1),
            Action::PageUp => self.step(-(self.list_height().max(2) as isize - 1)),
            Action::PageDown => self.step(self.list_height().max(2) as isize - 1),
            Action::Home => self.step(isize::MIN / 2),
            Action::End => self.step(isize::MAX / 2),
            Action::Left => self.left_right(false),
            Action::Right => self.left_right(true),
            Action::Enter => self.enter(),
            Action::Back => self.back(),
            Action::Find => self.open_find(),
            Action::Copy { whole } => self.copy(whole),
            Action::OpenPrompt => {
                self.rows.finding = false;
                let mut text = self.filter.as_str().to_string();
                if !text.is_empty() {
                    text.push(' ');
                }
                self.prompt = Some(Prompt::new(text));
            }
            Action::Prompt(e) => {
                if let Some(mut p) = self.prompt.take() {
                    self.edit_prompt(&mut p, e);
                    self.prompt = Some(p);
                }
            }
            Action::PromptSubmit if self.rows.finding => self.submit_find(),
            Action::PromptSubmit => self.submit(),
            Action::Cancel => self.cancel(),
            Action::SortNext | Action::SortReverse => {
                self.sort(matches!(action, Action::SortReverse));
            }
            Action::Group => self.regroup(),
            Action::NextBurst | Action::PrevBurst
                if self.view == View::Rows && self.rows.find.is_some() =>
            {
                self.find_next(matches!(action, Action::NextBurst));
            }
            Action::NextBurst => self.jump_burst(true),
            Action::PrevBurst => self.jump_burst(false),
            Action::Mark => self.set_mark(),
            Action::Zoom => self.zoom(),
            Action::Help => {
                self.help = !self.help;
                self.help_scroll = 0;
            }
            Action::Pause => {
                if self.ctx.follow {
                    self.paused = !self.paused;
                } else {
                    self.message = Some("p pauses --follow; this scan reads the files once".into());
                }
            }
            Action::Loaded(snap) => self.loaded(*snap),
            Action::Tick(p) => {
                self.progress = p;
                self.search_tick();
            }
            Action::Resize(w, h) => {
                self.size = (w, h);
                self.refit();
            }
        }
    }

    fn show(&mut self, v: View) {
        self.view = v;
        self.derive_view();
        if v == View::Rows {
            self.load_rows();
        }
    }

    fn refit(&mut self) {
        let (len, h) = (self.list_len(), self.list_height());
        self.list_mut(self.view).fit(len, h);
    }

    fn step(&mut self, delta: isize) {
        if self.view == View::Rows && self.rows.detail {
            let sel = self.rows.list.sel();
            let lines = self.rows.row(sel).map_or(0, |r| {
                super::views::rows::state::lines(r, &self.ctx.classifier, self.size.0 as usize)
                    .len()
            });
            let h = self.list_height();
            self.rows.scroll(delta, lines, h);
            return;
        }
        let (len, h) = (self.list_len(), self.list_height());
        // the operator moves: what Backspace would bring back no longer applies
        self.restore = None;
        self.views.timeline.moved |= self.view == View::Timeline;
        self.list_mut(self.view).step(delta, len, h);
        if self.view == View::Rows {
            // at the last row (End), the selection follows the rows added
            self.rows.tail = if len == 0 {
                delta > 0
            } else {
                self.rows.list.sel() + 1 >= len
            };
            self.load_rows();
        }
    }

    /// The values of `field` in the scanned rows (under the current filter), for Tab in the
    /// prompt: the keys the aggregates count by.
    pub fn values(&self, field: Field) -> Vec<String> {
        let agg = &self.data.aggregates;
        let owned = |v: &std::sync::Arc<str>| v.to_string();
        match field {
            Field::Type => ["d", "b", "t", "tq", "r", "f", "rb", "rs"]
                .into_iter()
                .map(String::from)
                .collect(),
            Field::Kind => vec!["deferral".into(), "bounce".into()],
            Field::Vmta => agg.senders().iter().map(|s| owned(&s.vmta)).collect(),
            Field::Ip => agg.senders().iter().map(|s| owned(&s.source_ip)).collect(),
            Field::Pool => agg.senders().iter().map(|s| owned(&s.pool)).collect(),
            Field::Code => self.derived.codes.iter().map(|c| c.name.clone()).collect(),
            // A destination or any recipient domain (a member of a rollup matches too).
            Field::Domain => agg
                .destinations()
                .map(|(d, _)| owned(d))
                .chain(agg.rcpt_domains().map(|(r, _)| r.to_string()))
                .collect(),
            Field::RcptDomain => agg.rcpt_domains().map(|(r, _)| r.to_string()).collect(),
            _ => {
                debug_assert!(!field_has_values(field));
                Vec::new()
            }
        }
    }

    fn enter(&mut self) {
        match self.view {
            View::Codes | View::Senders | View::Domains => match self.drill_term() {
                Some(t) => self.narrow(&t, View::Rows),
                None => self.message = Some("nothing to open: no complaints in this cell".into()),
            },
            View::Overview => {
                let sel = self.views.overview.list.sel();
                match self.findings().into_iter().nth(sel).map(|i| i.target) {
                    Some(Target::Filter(expr, view)) => self.narrow(&expr, view),
                    Some(Target::Nothing(why)) => self.message = Some(why.into()),
                    None => {}
                }
            }
            View::Timeline => self.zoom(),
            View::Rows => {
                if self.data.rows.len > 0 {
                    self.rows.detail = !self.rows.detail;
                    self.rows.detail_scroll = 0;
                    self.load_rows();
                }
            }
            View::Connections => {}
        }
    }

    /// Adds `expr` to the filter (remembering where we were) and opens `view`.
    fn narrow(&mut self, expr: &str, view: View) {
        match self
            .filter
            .and(expr, &self.ctx.classifier, (self.ctx.now)())
        {
            Ok(f) => {
                self.history.push(self.place());
                self.set_filter(f);
                self.show(view);
            }
            Err(e) => self.message = Some(e.to_string()),
        }
    }

    /// Where the operator is, for Backspace to come back to.
    fn place(&self) -> Place {
        Place {
            filter: self.filter.clone(),
            view: self.view,
            cursors: self.views.cursors(self.rows.list),
        }
    }

    fn set_filter(&mut self, f: Filter) {
        if !f.is_empty() && self.filters_used.last().map(String::as_str) != Some(f.as_str()) {
            self.filters_used.push(f.as_str().to_string());
        }
        self.filter = f;
        self.generation += 1;
        self.rescan = true;
        self.data = Snapshot {
            generation: self.generation,
            ..Snapshot::default()
        };
        self.rows.list = self.views.restore(&Cursors::default());
        self.restore = None;
        self.views.timeline.mark = None;
        self.views.timeline.burst = None;
        self.views.timeline.outer = None;
        self.rows.detail = false;
        self.rows.tail = false;
        self.rows.invalidate();
        self.derive();
    }

    fn back(&mut self) {
        if self.view == View::Rows && self.rows.detail {
            self.rows.detail = false;
            return;
        }
        match self.history.pop() {
            Some(place) => {
                self.set_filter(place.filter);
                self.show(place.view);
                self.restore = Some(place.cursors);
            }
            None => self.message = Some("nothing to go back to".into()),
        }
    }

    fn submit(&mut self) {
        let Some(p) = &mut self.prompt else {
            return;
        };
        match Filter::parse(p.text.trim(), &self.ctx.classifier, (self.ctx.now)()) {
            Ok(f) => {
                self.prompt = None;
                if f.as_str() != self.filter.as_str() {
                    self.history.push(self.place());
                    self.set_filter(f);
                }
            }
            Err(e) => p.error = Some(e.to_string()),
        }
    }

    fn cancel(&mut self) {
        if self.prompt.take().is_some() {
            if self.rows.finding {
                // the text typed is given up: the search as typed too, the selection back
                self.rows.finding = false;
                self.rows.scan = None;
                let origin = self.rows.origin;
                self.rows.list.select(Some(origin));
                self.refit();
                self.load_rows();
            }
            return;
        }
        if self.stop_search() {
            return;
        }
        if self.help {
            self.help = false;
        } else if self.view == View::Rows && self.rows.detail {
            self.rows.detail = false;
        } else if self.view == View::Timeline && self.views.timeline.mark.is_some() {
            self.views.timeline.mark = None;
        } else if !self.filter.is_empty() {
            self.history.push(self.place());
            self.set_filter(Filter::default());
        }
    }

    fn loaded(&mut self, snap: Snapshot) {
        if snap.generation != self.generation {
            return;
        }
        self.data = snap;
        if let Some(c) = self.restore {
            self.rows.list = self.views.restore(&c);
            if self.data.complete {
                self.restore = None;
            }
        }
        self.derive();
        self.start_at_peak();
        if self.rows.tail && self.data.rows.len > 0 {
            // End, then new rows (`--follow`, or a scan still running): stay at the bottom
            let (len, h) = (
                self.data.rows.len,
                super::views::list_height(View::Rows, self.size.0, self.size.1),
            );
            self.rows.list.select(Some(len - 1));
            self.rows.list.fit(len, h);
        }
        self.rows.invalidate();
        if self.view == View::Rows {
            self.load_rows();
        }
    }

    /// Recomputes the tables from the snapshot and the settings: the small ones every time,
    /// the large ones (Senders, Domains: a large sender has a hundred thousand destinations)
    /// only for the view on screen, the others when they are shown.
    fn derive(&mut self) {
        self.derived = super::derive::small(
            &self.data.aggregates,
            &self.ctx.classifier,
            &self.views,
            self.data.complaints.as_deref(),
        );
        self.derive_view();
    }

    /// The large tables of the view on screen, when they are not up to date.
    fn derive_view(&mut self) {
        let agg = Arc::clone(&self.data.aggregates);
        let k = self.data.complaints.clone();
        let c = &self.ctx.classifier;
        let d = &mut self.derived;
        match self.view {
            View::Senders if !d.senders_ready => {
                super::derive::senders(&agg, c, &self.views, k.as_deref(), d);
            }
            View::Domains if !d.domains_ready => {
                super::derive::domains(&agg, c, &self.views, k.as_deref(), d);
            }
            _ => {}
        }
        self.refit();
    }
}
