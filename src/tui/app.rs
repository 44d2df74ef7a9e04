//! The dashboard's state and [`App::update`], the only place it changes. Tables the views show
//! are derived here (when data, sort or grouping change), so drawing is a pure, cheap function
//! of the state.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;

use super::action::{Action, ProgressView};
use super::data::{Burst, Snapshot};
pub use super::prompt::Prompt;
use super::prompt::field_has_values;
use super::reader::ParsedRow;
use super::theme::Theme;
use super::views::rows::search::Find;
use super::views::rows::state::RowsState;
use crate::aggregate::{Aggregates, CellCounts, SenderLine};
use crate::classify::{Classifier, CodeInfo};
use crate::duration::DAY;
use crate::filter::{Field, Filter};
use crate::model::{Code, TypeCounts};

/// The views, in tab order (keys `1`..`7`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    Overview,
    Codes,
    Senders,
    Domains,
    Connections,
    Timeline,
    Rows,
}

impl View {
    pub const ALL: [View; 7] = [
        View::Overview,
        View::Codes,
        View::Senders,
        View::Domains,
        View::Connections,
        View::Timeline,
        View::Rows,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Codes => "Codes",
            View::Senders => "Senders",
            View::Domains => "Domains",
            View::Connections => "Connections",
            View::Timeline => "Timeline",
            View::Rows => "Rows",
        }
    }

    /// The title on a narrow screen.
    pub fn short(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Connections => "Conn",
            View::Timeline => "Time",
            other => other.title(),
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    fn next(self) -> View {
        View::ALL[(self.index() + 1) % View::ALL.len()]
    }

    fn prev(self) -> View {
        View::ALL[(self.index() + View::ALL.len() - 1) % View::ALL.len()]
    }
}

/// What the Senders view groups by (`g` cycles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Vmta,
    SourceIp,
    Pool,
}

impl Group {
    pub fn label(self) -> &'static str {
        match self {
            Group::Vmta => "VMTA",
            Group::SourceIp => "sending IP",
            Group::Pool => "pool",
        }
    }

    /// The `--where` field for a drill-down.
    pub fn field(self) -> &'static str {
        match self {
            Group::Vmta => "vmta",
            Group::SourceIp => "ip",
            Group::Pool => "pool",
        }
    }

    fn key(self, s: &SenderLine) -> &Arc<str> {
        match self {
            Group::Vmta => &s.vmta,
            Group::SourceIp => &s.source_ip,
            Group::Pool => &s.pool,
        }
    }

    fn next(self) -> Group {
        match self {
            Group::Vmta => Group::SourceIp,
            Group::SourceIp => Group::Pool,
            Group::Pool => Group::Vmta,
        }
    }
}

/// Where the operator was: filter, view and every list's selection and scroll.
#[derive(Clone, Debug)]
struct Place {
    filter: Filter,
    view: View,
    lists: [ListState; 7],
    timeline_moved: bool,
}

/// A list's selection and first visible row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListState {
    pub selected: usize,
    pub offset: usize,
}

impl ListState {
    /// Moves the selection by `delta` within `len` rows, keeping it in a window of `height`.
    fn step(&mut self, delta: isize, len: usize, height: usize) {
        if len == 0 {
            *self = ListState::default();
            return;
        }
        let sel = self.selected as isize + delta;
        self.selected = sel.clamp(0, len as isize - 1) as usize;
        self.fit(len, height);
    }

    fn fit(&mut self, len: usize, height: usize) {
        let height = height.max(1);
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
    }

    /// The first visible row for a window of `height`: the stored offset, moved just enough to
    /// show the selection (drawing uses this, so a wrong guess of the height never hides it).
    pub fn visible_from(&self, height: usize) -> usize {
        let height = height.max(1);
        self.offset
            .min(self.selected)
            .max((self.selected + 1).saturating_sub(height))
    }
}

/// A sort column and direction. Column 0 is always the count, largest first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sort {
    pub col: usize,
    pub reverse: bool,
}

/// The sort columns of the tables that sort.
pub const CODE_SORTS: [&str; 5] = ["count", "code", "provider", "first seen", "last seen"];
pub const LINE_SORTS: [&str; 5] = ["rows", "name", "delivered %", "deferred %", "bounced %"];

/// One response code with what the rule table knows of it.
#[derive(Clone, Debug)]
pub struct CodeRow {
    pub name: String,
    pub code: Code,
    pub counts: CellCounts,
    pub info: CodeInfo,
}

impl CodeRow {
    pub fn total(&self) -> u64 {
        self.counts.counts.total()
    }
}

/// One row of Senders or Domains: counts by type, counts of the Microsoft codes, top code.
#[derive(Clone, Debug)]
pub struct CountsRow {
    pub key: Arc<str>,
    pub counts: TypeCounts,
    /// Aligned with [`Derived::ms_codes`].
    pub ms: Box<[u64]>,
    /// The most frequent code (a tie goes to the one whose name sorts first).
    pub top_code: Option<(Code, u64)>,
}

/// A rolled-up destination and its member domains.
#[derive(Clone, Debug)]
pub struct DomainRow {
    pub line: CountsRow,
    pub members: Vec<CountsRow>,
}

impl DomainRow {
    /// Whether the destination gathers other domains (or one domain under another name).
    pub fn is_rollup(&self) -> bool {
        self.members.len() > 1 || self.members.first().is_some_and(|m| m.key != self.line.key)
    }
}

/// One minute of the Timeline.
#[derive(Clone, Debug)]
pub struct MinuteRow {
    pub t: i64,
    pub counts: TypeCounts,
    /// Aligned with [`Derived::minute_codes`].
    pub codes: Vec<u64>,
}

/// The tables the views show, computed from a snapshot and the view settings.
#[derive(Clone, Debug, Default)]
pub struct Derived {
    pub codes: Vec<CodeRow>,
    /// Rows with a response (the denominator of a code's share).
    pub responses: u64,
    /// The Microsoft codes seen, most frequent first (columns of Senders and Domains).
    pub ms_codes: Vec<Code>,
    /// The busiest destinations, for the Overview.
    pub top_domains: Vec<(Arc<str>, TypeCounts)>,
    pub senders: Vec<CountsRow>,
    /// `senders` is up to date (it is derived when the Senders view is shown).
    pub senders_ready: bool,
    pub domains: Vec<DomainRow>,
    pub domains_ready: bool,
    /// Domains as listed: (destination, member) with rollups expanded.
    pub domain_lines: Vec<(usize, Option<usize>)>,
    /// The minutes that have rows, in time order.
    pub minutes: Vec<MinuteRow>,
    /// Deferrals in every minute from the first to the last (empty minutes included, up to a
    /// limit), for the charts, and the first and last minute.
    pub series: Vec<u64>,
    pub series_range: (i64, i64),
    /// The codes with a Timeline column, most frequent first.
    pub minute_codes: Vec<String>,
    /// The scanned range spans more than one day (times then show the date).
    pub multi_day: bool,
}

/// The most minutes the charts fill in when empty (two weeks).
const MAX_FILLED_MINUTES: i64 = 14 * 24 * 60;
/// Timeline code columns kept.
const MINUTE_CODES: usize = 6;
/// The destinations the Overview can list.
const TOP_DOMAINS: usize = 64;

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
    restore: Option<([ListState; 7], bool)>,
    /// Every filter applied in this session, oldest first (↑ / ↓ in the prompt).
    pub filters_used: Vec<String>,
    pub prompt: Option<Prompt>,
    /// A one-line note for the operator (cleared by the next key).
    pub message: Option<String>,
    /// The scan generation the app wants (snapshots of others are ignored).
    pub generation: u64,
    rescan: bool,
    pub lists: [ListState; 7],
    pub sorts: [Sort; 7],
    pub group: Group,
    pub expanded: BTreeSet<Arc<str>>,
    /// Timeline: the minute a zoom span starts at (index in `derived.minutes`).
    pub mark: Option<usize>,
    /// Timeline: the burst last jumped to (index in the snapshot's bursts).
    pub burst: Option<usize>,
    /// The operator moved in the Timeline (until then it starts at the busiest minute).
    timeline_moved: bool,
    /// The Rows view's state (parsed rows, the row in full, find, follow, copy).
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
            lists: [ListState::default(); 7],
            sorts: [Sort::default(); 7],
            group: Group::Vmta,
            expanded: BTreeSet::new(),
            mark: None,
            burst: None,
            timeline_moved: false,
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

    pub fn bursts(&self) -> Option<&[Burst]> {
        self.data.bursts.as_deref().map(Vec::as_slice)
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
            View::Overview => 0,
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
            Action::Left => self.expand(false),
            Action::Right => self.expand(true),
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
            Action::Group => {
                if self.view == View::Senders {
                    self.group = self.group.next();
                    self.lists[View::Senders.index()] = ListState::default();
                    self.derived.senders_ready = false;
                    self.derive_view();
                } else {
                    self.message = Some("g groups the Senders view (3)".into());
                }
            }
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
            Action::Tick(p) => self.progress = p,
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
        self.lists[self.view.index()].fit(len, h);
    }

    fn step(&mut self, delta: isize) {
        if self.view == View::Rows && self.rows.detail {
            let sel = self.lists[View::Rows.index()].selected;
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
        self.timeline_moved |= self.view == View::Timeline;
        self.lists[self.view.index()].step(delta, len, h);
        if self.view == View::Rows {
            // at the last row (End), the selection follows the rows added
            self.rows.tail = if len == 0 {
                delta > 0
            } else {
                self.lists[View::Rows.index()].selected + 1 >= len
            };
            self.load_rows();
        }
    }

    fn expand(&mut self, open: bool) {
        if self.view != View::Domains {
            return;
        }
        let sel = self.lists[View::Domains.index()].selected;
        let Some(&(d, _)) = self.derived.domain_lines.get(sel) else {
            return;
        };
        let key = Arc::clone(&self.derived.domains[d].line.key);
        if !self.derived.domains[d].is_rollup() {
            self.message = Some(format!("{key} is not a rollup: it has no member domains"));
            return;
        }
        let changed = if open {
            self.expanded.insert(Arc::clone(&key))
        } else {
            self.expanded.remove(&key)
        };
        if changed {
            self.flatten_domains();
            // keep the rollup itself selected
            if let Some(i) = self
                .derived
                .domain_lines
                .iter()
                .position(|(x, m)| *x == d && m.is_none())
            {
                self.lists[View::Domains.index()].selected = i;
            }
            self.refit();
        }
    }

    /// The filter term Enter adds on the current view's selected row.
    pub fn drill_term(&self) -> Option<String> {
        let sel = self.lists[self.view.index()].selected;
        match self.view {
            View::Codes => self.derived.codes.get(sel).map(|c| term("code", &c.name)),
            View::Senders => self
                .derived
                .senders
                .get(sel)
                .map(|l| term(self.group.field(), &l.key)),
            View::Domains => {
                let &(d, m) = self.derived.domain_lines.get(sel)?;
                let row = self.derived.domains.get(d)?;
                Some(match m {
                    Some(m) => term("rcpt-domain", &row.members.get(m)?.key),
                    None => term("domain", &row.line.key),
                })
            }
            _ => None,
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
            View::Codes | View::Senders | View::Domains => {
                if let Some(t) = self.drill_term() {
                    self.narrow(&t, View::Rows);
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
            View::Overview | View::Connections => {}
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
            lists: self.lists,
            timeline_moved: self.timeline_moved,
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
        self.lists = [ListState::default(); 7];
        self.restore = None;
        self.mark = None;
        self.burst = None;
        self.timeline_moved = false;
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
                self.restore = Some((place.lists, place.timeline_moved));
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
            self.rows.finding = false;
            return;
        }
        if self.help {
            self.help = false;
        } else if self.view == View::Rows && self.rows.detail {
            self.rows.detail = false;
        } else if self.view == View::Timeline && self.mark.is_some() {
            self.mark = None;
        } else if !self.filter.is_empty() {
            self.history.push(self.place());
            self.set_filter(Filter::default());
        }
    }

    fn sort(&mut self, reverse: bool) {
        let n = match self.view {
            View::Codes => CODE_SORTS.len(),
            View::Senders | View::Domains => LINE_SORTS.len(),
            _ => {
                self.message = Some("s and r sort the Codes, Senders and Domains tables".into());
                return;
            }
        };
        let s = &mut self.sorts[self.view.index()];
        if reverse {
            s.reverse = !s.reverse;
        } else {
            s.col = (s.col + 1) % n;
            s.reverse = false;
        }
        self.derive();
    }

    fn jump_burst(&mut self, forward: bool) {
        let Some(bursts) = self.data.bursts.clone() else {
            self.message = Some("bursts are found when the scan completes".into());
            return;
        };
        if bursts.is_empty() {
            self.message = Some("no bursts in the scanned range".into());
            return;
        }
        let mut order: Vec<usize> = (0..bursts.len()).collect();
        order.sort_by_key(|i| (bursts[*i].start, *i));
        let pos = self.burst.and_then(|b| order.iter().position(|i| *i == b));
        let next = match (pos, forward) {
            (None, true) => 0,
            (None, false) => order.len() - 1,
            (Some(p), true) => (p + 1) % order.len(),
            (Some(p), false) => (p + order.len() - 1) % order.len(),
        };
        let b = order[next];
        self.burst = Some(b);
        self.view = View::Timeline;
        self.timeline_moved = true;
        let start = bursts[b].start.div_euclid(60) * 60;
        if let Some(i) = self.derived.minutes.iter().position(|m| m.t >= start) {
            let len = self.derived.minutes.len();
            let h = self.list_height();
            let l = &mut self.lists[View::Timeline.index()];
            l.selected = i;
            // show the burst from its first minute
            l.offset = i;
            l.fit(len, h);
        }
    }

    fn set_mark(&mut self) {
        if self.view != View::Timeline {
            self.message = Some("m marks a span in the Timeline (6)".into());
            return;
        }
        let sel = self.lists[View::Timeline.index()].selected;
        self.mark = if self.mark == Some(sel) {
            None
        } else {
            Some(sel)
        };
    }

    /// The span `z` zooms to: the marked minutes, else the selected burst if the cursor is in
    /// it, else the selected minute.
    pub fn zoom_span(&self) -> Option<(i64, i64)> {
        let minutes = &self.derived.minutes;
        let sel = self.lists[View::Timeline.index()].selected;
        let cur = minutes.get(sel)?.t;
        if let Some(m) = self.mark.and_then(|m| minutes.get(m)) {
            return Some((m.t.min(cur), m.t.max(cur) + 60));
        }
        if let (Some(b), Some(bursts)) = (self.burst, self.bursts())
            && let Some(b) = bursts.get(b)
        {
            let (s, e) = (b.start.div_euclid(60) * 60, b.end.div_euclid(60) * 60 + 60);
            if (s..e).contains(&cur) {
                return Some((s, e));
            }
        }
        Some((cur, cur + 60))
    }

    fn zoom(&mut self) {
        if self.view != View::Timeline {
            self.message = Some("z zooms in the Timeline (6)".into());
            return;
        }
        let Some((s, e)) = self.zoom_span() else {
            return;
        };
        let expr = format!(
            "since={} until={}",
            crate::fmt::rfc3339(s),
            crate::fmt::rfc3339(e)
        );
        self.narrow(&expr, View::Timeline);
    }

    fn loaded(&mut self, snap: Snapshot) {
        if snap.generation != self.generation {
            return;
        }
        self.data = snap;
        if let Some((lists, moved)) = self.restore {
            self.lists = lists;
            self.timeline_moved = moved;
            if self.data.complete {
                self.restore = None;
            }
        }
        self.derive();
        if !self.timeline_moved {
            // start where most mail was deferred: that is where an operator looks first
            let peak = self
                .derived
                .minutes
                .iter()
                .enumerate()
                .max_by(|a, b| {
                    a.1.counts
                        .deferred()
                        .cmp(&b.1.counts.deferred())
                        .then(b.0.cmp(&a.0))
                })
                .map_or(0, |(i, _)| i);
            let len = self.derived.minutes.len();
            let h = super::views::list_height(View::Timeline, self.size.0, self.size.1);
            let l = &mut self.lists[View::Timeline.index()];
            l.selected = peak;
            l.offset = peak.saturating_sub(h / 2);
            l.fit(len, h);
        }
        if self.rows.tail && self.data.rows.len > 0 {
            // End, then new rows (`--follow`, or a scan still running): stay at the bottom
            let (len, h) = (
                self.data.rows.len,
                super::views::list_height(View::Rows, self.size.0, self.size.1),
            );
            let l = &mut self.lists[View::Rows.index()];
            l.selected = len - 1;
            l.fit(len, h);
        }
        self.rows.invalidate();
        if self.view == View::Rows {
            self.load_rows();
        }
    }

    /// Parses the rows around the Rows view's selection (only those can be shown).
    fn load_rows(&mut self) {
        let sel = self.lists[View::Rows.index()].selected;
        let h = super::views::list_height(View::Rows, self.size.0, self.size.1);
        self.rows.load(&self.data.rows, sel, h);
    }

    /// The parsed row at index `i` of the Rows view, if in the window.
    pub fn row(&self, i: usize) -> Option<&ParsedRow> {
        self.rows.row(i)
    }

    /// A key in the prompt: `f`'s recalls the texts found and completes nothing; `/`'s recalls
    /// the filters and completes fields and values.
    fn edit_prompt(&self, p: &mut Prompt, e: super::action::Edit) {
        if self.rows.finding {
            if e != super::action::Edit::Complete {
                p.edit(e, &self.rows.finds_used, &|_| Vec::new());
            }
        } else {
            p.edit(e, &self.filters_used, &|f| self.values(f));
        }
    }

    /// `y` / `Y`: the selected row's recipient / the row, to the clipboard (Rows only).
    fn copy(&mut self, whole: bool) {
        self.message = Some(if self.view == View::Rows {
            let sel = self.lists[View::Rows.index()].selected;
            self.rows.copy(sel, whole)
        } else {
            "y and Y copy the selected row's recipient / the row, in Rows (7)".into()
        });
    }

    /// `f`: the prompt for a text to find in the rows.
    fn open_find(&mut self) {
        if self.view != View::Rows {
            self.message = Some("f finds a text in the Rows view (7)".into());
            return;
        }
        self.rows.finding = true;
        self.prompt = Some(Prompt::new(String::new()));
    }

    /// Enter in `f`'s prompt: find the text from the selection on.
    fn submit_find(&mut self) {
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
    fn find_next(&mut self, forward: bool) {
        let sel = self.lists[View::Rows.index()].selected;
        let (found, message) = self.rows.search(&self.data.rows, sel, forward);
        self.message = Some(message);
        if let Some(i) = found {
            let (len, h) = (self.data.rows.len, self.list_height());
            self.restore = None;
            self.rows.tail = i + 1 >= len;
            let l = &mut self.lists[View::Rows.index()];
            l.selected = i;
            // the row found in the middle of the screen, the rows around it in view
            l.offset = i.saturating_sub(h / 2);
            l.fit(len, h);
            self.load_rows();
        }
    }

    /// Recomputes the tables from the snapshot and the settings: the small ones every time,
    /// the large ones (Senders, Domains: a large sender has a hundred thousand destinations)
    /// only for the view on screen, the others when they are shown.
    fn derive(&mut self) {
        let agg = Arc::clone(&self.data.aggregates);
        let c = Arc::clone(&self.ctx.classifier);
        let mut d = Derived {
            multi_day: match (agg.first, agg.last) {
                (Some(a), Some(b)) => a.div_euclid(DAY) != b.div_euclid(DAY),
                _ => false,
            },
            ..Derived::default()
        };
        d.codes = agg
            .codes(|code| c.code_name(code))
            .into_iter()
            .map(|b| CodeRow {
                name: c.code_name(b.key),
                code: b.key,
                counts: b.counts,
                info: c.describe(b.key),
            })
            .collect();
        d.responses = d.codes.iter().map(CodeRow::total).sum();
        d.ms_codes = d
            .codes
            .iter()
            .filter(|r| r.info.provider == Some("Microsoft"))
            .map(|r| r.code)
            .collect();
        sort_codes(&mut d.codes, self.sorts[View::Codes.index()]);
        d.top_domains = agg
            .ranked_destinations()
            .into_iter()
            .take(TOP_DOMAINS)
            .map(|dest| {
                use crate::aggregate::Keyed;
                (Arc::clone(dest.key), dest.type_counts())
            })
            .collect();
        minutes(&agg, &c, &mut d);
        self.derived = d;
        self.derive_view();
    }

    /// The large tables of the view on screen, when they are not up to date.
    fn derive_view(&mut self) {
        let agg = Arc::clone(&self.data.aggregates);
        let c = Arc::clone(&self.ctx.classifier);
        let d = &mut self.derived;
        match self.view {
            View::Senders if !d.senders_ready => {
                let group = self.group;
                let mut senders: FxHashMap<Arc<str>, Tally> = FxHashMap::default();
                let sender_list = agg.senders();
                for s in sender_list {
                    senders
                        .entry(Arc::clone(group.key(s)))
                        .or_default()
                        .0
                        .merge(&s.counts);
                }
                for (s, code, n) in agg.sender_codes() {
                    let key = group.key(&sender_list[*s as usize]);
                    if let Some(t) = senders.get_mut(key) {
                        *t.1.entry(*code).or_default() += n;
                    }
                }
                d.senders = lines(&c, &d.ms_codes, senders);
                sort_lines(&mut d.senders, self.sorts[View::Senders.index()]);
                d.senders_ready = true;
            }
            View::Domains if !d.domains_ready => {
                let mut dests: FxHashMap<Arc<str>, Tally> = agg
                    .destinations()
                    .map(|(k, counts)| (Arc::clone(k), (counts, FxHashMap::default())))
                    .collect();
                for ((k, code), n) in agg.destination_codes() {
                    if let Some(t) = dests.get_mut(k) {
                        *t.1.entry(code).or_default() += n;
                    }
                }
                let mut domains: Vec<DomainRow> = lines(&c, &d.ms_codes, dests)
                    .into_iter()
                    .map(|line| DomainRow {
                        members: Vec::new(),
                        line,
                    })
                    .collect();
                let index: FxHashMap<Arc<str>, usize> = domains
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (Arc::clone(&r.line.key), i))
                    .collect();
                let sort = self.sorts[View::Domains.index()];
                // Members only of the destinations that gather other domains (or one under
                // another name): a tail domain is its own destination.
                for (dest, members) in agg.rollup_members() {
                    let Some(&i) = index.get(dest) else { continue };
                    let tallies: FxHashMap<Arc<str>, Tally> = members
                        .into_iter()
                        .map(|r| (r.name, (r.counts, r.codes.into_iter().collect())))
                        .collect();
                    let mut m = lines(&c, &d.ms_codes, tallies);
                    sort_lines(&mut m, sort);
                    domains[i].members = m;
                }
                domains.sort_by(|a, b| compare_lines(&a.line, &b.line, sort));
                d.domains = domains;
                d.domains_ready = true;
                self.flatten_domains();
            }
            _ => {}
        }
        self.refit();
    }

    fn flatten_domains(&mut self) {
        let d = &mut self.derived;
        d.domain_lines.clear();
        for (i, r) in d.domains.iter().enumerate() {
            d.domain_lines.push((i, None));
            if self.expanded.contains(&r.line.key) && r.is_rollup() {
                d.domain_lines
                    .extend((0..r.members.len()).map(|m| (i, Some(m))));
            }
        }
    }
}

/// A filter term for a key, quoted when it has to be.
fn term(field: &str, value: &str) -> String {
    if value.contains(|c: char| c.is_whitespace() || c == ',' || c == '"' || c == '\'') {
        if value.contains('"') {
            format!("{field}='{value}'")
        } else {
            format!("{field}=\"{value}\"")
        }
    } else {
        format!("{field}={value}")
    }
}

/// Counts of a group of rows, and its rows with a response per code.
type Tally = (TypeCounts, FxHashMap<Code, u64>);

/// Lines of groups of rows, with the Microsoft code counts and the top code of each group.
fn lines(c: &Classifier, ms_codes: &[Code], map: FxHashMap<Arc<str>, Tally>) -> Vec<CountsRow> {
    let mut out: Vec<CountsRow> = map
        .into_iter()
        .map(|(k, (counts, codes))| {
            let top_code = codes
                .iter()
                .filter(|(code, _)| **code != Code::None)
                // A tie goes to the code whose name sorts first.
                .max_by(|a, b| {
                    a.1.cmp(b.1)
                        .then_with(|| c.code_name(*b.0).cmp(&c.code_name(*a.0)))
                })
                .map(|(code, n)| (*code, *n));
            CountsRow {
                key: k,
                counts,
                ms: ms_codes
                    .iter()
                    .map(|m| codes.get(m).copied().unwrap_or(0))
                    .collect(),
                top_code,
            }
        })
        .collect();
    out.sort_by(|a, b| compare_lines(a, b, Sort::default()));
    out
}

fn rate(n: u64, of: u64) -> u64 {
    // parts per million, for sorting by percentage without floats
    n.saturating_mul(1_000_000).checked_div(of).unwrap_or(0)
}

fn compare_lines(a: &CountsRow, b: &CountsRow, s: Sort) -> std::cmp::Ordering {
    let (ca, cb) = (&a.counts, &b.counts);
    let (aa, ab) = (ca.attempts(), cb.attempts());
    let primary = match s.col {
        1 => a.key.cmp(&b.key),
        2 => rate(cb.delivered(), ab).cmp(&rate(ca.delivered(), aa)),
        3 => rate(cb.deferred(), ab).cmp(&rate(ca.deferred(), aa)),
        4 => rate(cb.bounced(), ab).cmp(&rate(ca.bounced(), aa)),
        _ => cb.total().cmp(&ca.total()),
    };
    let primary = if s.reverse {
        primary.reverse()
    } else {
        primary
    };
    primary
        .then_with(|| cb.total().cmp(&ca.total()))
        .then_with(|| a.key.cmp(&b.key))
}

fn sort_lines(v: &mut [CountsRow], s: Sort) {
    v.sort_by(|a, b| compare_lines(a, b, s));
}

fn sort_codes(v: &mut [CodeRow], s: Sort) {
    v.sort_by(|a, b| {
        let primary = match s.col {
            1 => a.name.cmp(&b.name),
            2 => a
                .info
                .provider
                .unwrap_or("~")
                .cmp(b.info.provider.unwrap_or("~")),
            3 => a.counts.first.cmp(&b.counts.first),
            4 => b.counts.last.cmp(&a.counts.last),
            _ => b.total().cmp(&a.total()),
        };
        let primary = if s.reverse {
            primary.reverse()
        } else {
            primary
        };
        primary
            .then_with(|| b.total().cmp(&a.total()))
            .then_with(|| a.name.cmp(&b.name))
    });
}

/// The Timeline's minutes (those with rows) with counts by type and by the most frequent
/// codes, and the deferrals of every minute of the range (gaps filled) for the charts.
fn minutes(agg: &Aggregates, c: &Classifier, d: &mut Derived) {
    let mut per_code: FxHashMap<Code, u64> = FxHashMap::default();
    for ((_, code), n) in &agg.code_minutes {
        if *code != Code::None {
            *per_code.entry(*code).or_default() += n;
        }
    }
    let mut top: Vec<(String, Code, u64)> = per_code
        .into_iter()
        .map(|(code, n)| (c.code_name(code), code, n))
        .collect();
    top.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    top.truncate(MINUTE_CODES);
    d.minute_codes = top.iter().map(|t| t.0.clone()).collect();
    let col: FxHashMap<Code, usize> = top.iter().enumerate().map(|(i, t)| (t.1, i)).collect();
    let mut rows: Vec<MinuteRow> = agg
        .minutes
        .iter()
        .map(|(t, counts)| MinuteRow {
            t: *t,
            counts: *counts,
            codes: vec![0; top.len()],
        })
        .collect();
    for ((t, code), n) in &agg.code_minutes {
        if let (Ok(i), Some(k)) = (rows.binary_search_by_key(t, |r| r.t), col.get(code)) {
            rows[i].codes[*k] += n;
        }
    }
    if let (Some(first), Some(last)) = (rows.first().map(|r| r.t), rows.last().map(|r| r.t)) {
        if (last - first) / 60 <= MAX_FILLED_MINUTES {
            d.series = vec![0; ((last - first) / 60 + 1) as usize];
            for r in &rows {
                d.series[((r.t - first) / 60) as usize] = r.counts.deferred();
            }
        } else {
            d.series = rows.iter().map(|r| r.counts.deferred()).collect();
        }
        d.series_range = (first, last);
    }
    d.minutes = rows;
}
