//! Each view's own state (selection, scroll, column cursor, sort, grouping, marks), one struct a
//! view, gathered in [`Views`]. Selection and scroll are ratatui's [`TableState`], moved by the
//! [`Cursor`] methods; what Backspace brings back is a [`Cursors`] of every view.

use std::collections::BTreeSet;
use std::sync::Arc;

pub use ratatui::widgets::TableState;

use crate::aggregate::SenderLine;

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

    #[must_use]
    pub fn next(self) -> View {
        View::ALL[(self.index() + 1) % View::ALL.len()]
    }

    #[must_use]
    pub fn prev(self) -> View {
        View::ALL[(self.index() + View::ALL.len() - 1) % View::ALL.len()]
    }
}

/// What the Senders view groups by (`g` cycles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Vmta,
    SourceIp,
    Pool,
    /// The jobs complained about, as the summary lists them: only their complaints, the
    /// complaint rate and the deliveries it is taken of are known (the scan does not count rows
    /// per job: a job id per message would cost an entry per row).
    Job,
}

impl Group {
    pub fn label(self) -> &'static str {
        match self {
            Group::Vmta => "VMTA",
            Group::SourceIp => "sending IP",
            Group::Pool => "pool",
            Group::Job => "job",
        }
    }

    /// The `--where` field for a drill-down.
    pub fn field(self) -> &'static str {
        match self {
            Group::Vmta => "vmta",
            Group::SourceIp => "ip",
            Group::Pool => "pool",
            Group::Job => "job",
        }
    }

    /// The key of a sender line under this grouping (`None` for jobs: not in the lines).
    pub fn key(self, s: &SenderLine) -> Option<&Arc<str>> {
        match self {
            Group::Vmta => Some(&s.vmta),
            Group::SourceIp => Some(&s.source_ip),
            Group::Pool => Some(&s.pool),
            Group::Job => None,
        }
    }

    #[must_use]
    pub fn next(self) -> Group {
        match self {
            Group::Vmta => Group::SourceIp,
            Group::SourceIp => Group::Pool,
            Group::Pool => Group::Job,
            Group::Job => Group::Vmta,
        }
    }
}

/// A sort: the table column sorted by (as drawn, hidden ones included) and the direction.
/// Counts and rates sort largest first, names and times in their natural order; `reverse`
/// turns that round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub col: usize,
    pub reverse: bool,
}

/// Moving a selection within a list of `len` rows shown `height` at a time. The selection is
/// always `Some` (0 for an empty list), so `sel` reads it without an `Option`.
pub trait Cursor {
    fn sel(&self) -> usize;
    /// Moves the selection by `delta`, keeping it in a window of `height`.
    fn step(&mut self, delta: isize, len: usize, height: usize);
    /// Keeps the selection within `len` and in the window.
    fn fit(&mut self, len: usize, height: usize);
    /// The first visible row for a window of `height`: the stored offset, moved just enough to
    /// show the selection (drawing uses this, so a wrong guess of the height never hides it).
    fn visible_from(&self, height: usize) -> usize;
    /// The column cursor (0: the row's key, as when none was chosen).
    fn col(&self) -> usize;
}

impl Cursor for TableState {
    fn sel(&self) -> usize {
        self.selected().unwrap_or(0)
    }

    fn step(&mut self, delta: isize, len: usize, height: usize) {
        if len == 0 {
            self.select(Some(0));
            *self.offset_mut() = 0;
            return;
        }
        let sel = self.sel() as isize + delta;
        self.select(Some(sel.clamp(0, len as isize - 1) as usize));
        self.fit(len, height);
    }

    fn fit(&mut self, len: usize, height: usize) {
        let height = height.max(1);
        let sel = self.sel().min(len.saturating_sub(1));
        self.select(Some(sel));
        let mut offset = self.offset();
        if sel < offset {
            offset = sel;
        } else if sel >= offset + height {
            offset = sel + 1 - height;
        }
        *self.offset_mut() = offset.min(len.saturating_sub(height));
    }

    fn visible_from(&self, height: usize) -> usize {
        let height = height.max(1);
        self.offset()
            .min(self.sel())
            .max((self.sel() + 1).saturating_sub(height))
    }

    fn col(&self) -> usize {
        self.selected_column().unwrap_or(0)
    }
}

/// A fresh list: first row selected, no column chosen.
pub fn top() -> TableState {
    TableState::default().with_selected(Some(0))
}

/// Overview: the selected finding of "What to do".
#[derive(Clone, Debug, Default)]
pub struct OverviewState {
    pub list: TableState,
}

/// Codes: selection, column cursor and sort.
#[derive(Clone, Debug)]
pub struct CodesState {
    pub list: TableState,
    pub sort: Sort,
}

/// Senders: selection, column cursor, sort and grouping.
#[derive(Clone, Debug)]
pub struct SendersState {
    pub list: TableState,
    pub sort: Sort,
    pub group: Group,
}

/// Domains: selection, column cursor, sort and the rollups expanded.
#[derive(Clone, Debug)]
pub struct DomainsState {
    pub list: TableState,
    pub sort: Sort,
    pub expanded: BTreeSet<Arc<str>>,
}

/// Connections: the selected destination and pool.
#[derive(Clone, Debug, Default)]
pub struct ConnectionsState {
    pub list: TableState,
}

/// Timeline: the selected minute, the span mark and the burst last jumped to.
#[derive(Clone, Debug, Default)]
pub struct TimelineState {
    pub list: TableState,
    /// The minute a zoom span starts at (index in the minutes).
    pub mark: Option<usize>,
    /// The burst last jumped to (index in the snapshot's bursts).
    pub burst: Option<usize>,
    /// The operator moved (until then the view starts at the busiest minute).
    pub moved: bool,
    /// Zoomed in: the bursts of the range zoomed from that fall in the zoomed one (a burst is
    /// measured against its background, which a zoom into it leaves out).
    pub outer: Option<Arc<Vec<crate::analysis::Burst>>>,
}

/// Every view's state but the Rows view's (its `RowsState`, in `views/rows/state.rs`, holds its
/// list with the parsed rows, find and copy; the app keeps it beside these).
#[derive(Clone, Debug)]
pub struct Views {
    pub overview: OverviewState,
    pub codes: CodesState,
    pub senders: SendersState,
    pub domains: DomainsState,
    pub connections: ConnectionsState,
    pub timeline: TimelineState,
}

/// The sorts the views start with: by rows (column 3 of Codes, 1 of Senders and Domains).
pub const CODES_BY_ROWS: usize = 3;
pub const LINES_BY_ROWS: usize = 1;

impl Default for Views {
    fn default() -> Self {
        Views {
            overview: OverviewState { list: top() },
            codes: CodesState {
                list: top(),
                sort: Sort {
                    col: CODES_BY_ROWS,
                    reverse: false,
                },
            },
            senders: SendersState {
                list: top(),
                sort: Sort {
                    col: LINES_BY_ROWS,
                    reverse: false,
                },
                group: Group::Vmta,
            },
            domains: DomainsState {
                list: top(),
                sort: Sort {
                    col: LINES_BY_ROWS,
                    reverse: false,
                },
                expanded: BTreeSet::new(),
            },
            connections: ConnectionsState { list: top() },
            timeline: TimelineState {
                list: top(),
                ..TimelineState::default()
            },
        }
    }
}

/// Every list's selection and scroll, and whether the Timeline was moved: what a drill-down
/// remembers and Backspace restores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursors {
    pub lists: [TableState; 7],
    pub timeline_moved: bool,
}

impl Default for Cursors {
    fn default() -> Self {
        Cursors {
            lists: [top(); 7],
            timeline_moved: false,
        }
    }
}

impl Views {
    /// The list of a view (`None` for Rows, whose list is in its `RowsState`).
    pub fn list(&self, v: View) -> Option<&TableState> {
        Some(match v {
            View::Overview => &self.overview.list,
            View::Codes => &self.codes.list,
            View::Senders => &self.senders.list,
            View::Domains => &self.domains.list,
            View::Connections => &self.connections.list,
            View::Timeline => &self.timeline.list,
            View::Rows => return None,
        })
    }

    pub fn list_mut(&mut self, v: View) -> Option<&mut TableState> {
        Some(match v {
            View::Overview => &mut self.overview.list,
            View::Codes => &mut self.codes.list,
            View::Senders => &mut self.senders.list,
            View::Domains => &mut self.domains.list,
            View::Connections => &mut self.connections.list,
            View::Timeline => &mut self.timeline.list,
            View::Rows => return None,
        })
    }

    /// The sort of a view that sorts.
    pub fn sort_mut(&mut self, v: View) -> Option<&mut Sort> {
        match v {
            View::Codes => Some(&mut self.codes.sort),
            View::Senders => Some(&mut self.senders.sort),
            View::Domains => Some(&mut self.domains.sort),
            _ => None,
        }
    }

    /// Every list's cursor, with `rows` for the Rows view.
    pub fn cursors(&self, rows: TableState) -> Cursors {
        let mut lists = [top(); 7];
        for v in View::ALL {
            lists[v.index()] = self.list(v).copied().unwrap_or(rows);
        }
        Cursors {
            lists,
            timeline_moved: self.timeline.moved,
        }
    }

    /// Puts back every list's cursor but the Rows view's (returned).
    pub fn restore(&mut self, c: &Cursors) -> TableState {
        for v in View::ALL {
            if let Some(l) = self.list_mut(v) {
                *l = c.lists[v.index()];
            }
        }
        self.timeline.moved = c.timeline_moved;
        c.lists[View::Rows.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selection_stays_in_the_list_and_the_window() {
        let mut s = top();
        s.step(5, 10, 3);
        assert_eq!((s.sel(), s.offset()), (5, 3));
        s.step(100, 10, 3);
        assert_eq!((s.sel(), s.offset()), (9, 7));
        s.step(-100, 10, 3);
        assert_eq!((s.sel(), s.offset()), (0, 0));
        // a list that shrank under the selection
        s.step(9, 10, 3);
        s.fit(4, 3);
        assert_eq!((s.sel(), s.offset()), (3, 1));
        s.step(1, 0, 3);
        assert_eq!((s.sel(), s.offset()), (0, 0));
        // the offset drawn shows the selection even for a height it was not fitted to
        let mut s = top();
        s.step(8, 10, 10);
        assert_eq!(s.visible_from(3), 6);
    }

    #[test]
    fn cursors_round_trip_and_rows_stays_apart() {
        let mut v = Views::default();
        v.senders.list.step(4, 9, 5);
        v.senders.list.select_column(Some(2));
        v.timeline.moved = true;
        let rows = top().with_selected(Some(7));
        let saved = v.cursors(rows);
        let mut w = Views::default();
        assert_eq!(w.restore(&saved).sel(), 7);
        assert_eq!(w.senders.list, v.senders.list);
        assert!(w.timeline.moved);
    }
}
