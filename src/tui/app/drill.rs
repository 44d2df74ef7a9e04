//! Drilling from any cell of Codes, Senders and Domains: the column cursor (←/→), the filter
//! Enter adds for the cell under it, and sorting by any column (`s` sorts by the column under
//! the cursor, or the next one shown; a column hidden at this width is never sorted by
//! unseen).

use std::sync::Arc;

use super::{App, Cursor, Group, Sort, View};
use crate::tui::derive::{CODE_COLS, CODE_SORT_ORDER, CountsRow, LineCol, flatten_domains, term};
use crate::tui::state::top;
use crate::tui::views;
use crate::tui::widgets::table::shown;

impl App {
    /// Which columns of a view's table are shown at the current width.
    pub fn shown_cols(&self, v: View) -> Vec<bool> {
        let w = self.size.0;
        match v {
            View::Codes => shown(&views::codes::cols(), &self.derived.code_widths, w),
            View::Senders => shown(
                &views::senders::line_cols(self, self.group().label()),
                &self.derived.sender_widths,
                w,
            ),
            View::Domains => shown(
                &views::senders::line_cols(self, "destination"),
                &self.derived.domain_widths,
                w,
            ),
            _ => Vec::new(),
        }
    }

    /// What the note line says of a view's sort: the column, and whether this width hides it.
    pub fn sort_note(&self, v: View) -> String {
        let (col, name) = match v {
            View::Codes => {
                let c = self.views.codes.sort.col;
                (c, CODE_COLS.get(c).copied().unwrap_or("rows").to_string())
            }
            View::Senders | View::Domains => {
                let c = if v == View::Senders {
                    self.views.senders.sort.col
                } else {
                    self.views.domains.sort.col
                };
                let name = self.derived.line_cols.get(c).map_or("rows".into(), |l| {
                    l.label(&self.derived, &self.ctx.classifier)
                });
                (c, name)
            }
            _ => return String::new(),
        };
        if self.shown_cols(v).get(col).copied().unwrap_or(true) {
            format!("s/r sort ({name})")
        } else {
            format!("sorted by {name}, hidden at this width")
        }
    }

    /// ←/→: the column cursor; in Domains, on the name, → expands a rollup and ← collapses.
    pub(super) fn left_right(&mut self, right: bool) {
        let v = self.view;
        if !matches!(v, View::Codes | View::Senders | View::Domains) {
            return;
        }
        let cur = self.list(v).col();
        if v == View::Domains && cur == 0 && self.expand(right) {
            return;
        }
        let shown = self.shown_cols(v);
        let next = if right {
            (cur + 1..shown.len()).find(|c| shown[*c])
        } else {
            (0..cur).rev().find(|c| shown[*c])
        };
        if let Some(c) = next {
            self.list_mut(v).select_column((c > 0).then_some(c));
        }
    }

    /// Expands (or collapses) the selected rollup; whether it changed.
    fn expand(&mut self, open: bool) -> bool {
        let sel = self.views.domains.list.sel();
        let Some(&(d, m)) = self.derived.domain_lines.get(sel) else {
            return false;
        };
        let row = &self.derived.domains[d];
        let key = Arc::clone(&row.line.key);
        if !row.is_rollup() {
            if !open {
                self.message = Some(format!("{key} is not a rollup: it has no member domains"));
            }
            return !open;
        }
        let expanded = &mut self.views.domains.expanded;
        let changed = if open {
            m.is_none() && expanded.insert(Arc::clone(&key))
        } else {
            expanded.remove(&key)
        };
        if changed {
            flatten_domains(&mut self.derived, &self.views.domains.expanded);
            // keep the rollup itself selected
            if let Some(i) = self
                .derived
                .domain_lines
                .iter()
                .position(|(x, m)| *x == d && m.is_none())
            {
                self.views.domains.list.select(Some(i));
            }
            self.refit();
        }
        changed || !open
    }

    /// The filter Enter adds for the current view's selected cell (`None`: a complaint cell
    /// of none, whose rows no filter can name: the `f` rows carry no VMTA, IP or job).
    pub fn drill_term(&self) -> Option<String> {
        let list = self.list(self.view);
        let (sel, col) = (list.sel(), list.col());
        let d = &self.derived;
        match self.view {
            View::Codes => d.codes.get(sel).map(|c| term("code", &c.name)),
            View::Senders => {
                let l = d.senders.get(sel)?;
                self.cell_term(term(self.group().field(), &l.key), l, col, false)
            }
            View::Domains => {
                let &(i, m) = d.domain_lines.get(sel)?;
                let row = d.domains.get(i)?;
                match m {
                    Some(m) => {
                        let l = row.members.get(m)?;
                        self.cell_term(term("rcpt-domain", &l.key), l, col, true)
                    }
                    None => self.cell_term(term("domain", &row.line.key), &row.line, col, true),
                }
            }
            _ => None,
        }
    }

    /// The line's term narrowed to the rows one cell counts.
    fn cell_term(&self, base: String, l: &CountsRow, col: usize, domain: bool) -> Option<String> {
        let with = |more: String| format!("{base} {more}");
        Some(
            match self
                .derived
                .line_cols
                .get(col)
                .copied()
                .unwrap_or(LineCol::Key)
            {
                LineCol::Key | LineCol::Rows => base,
                LineCol::Delivered => with("type=d".into()),
                LineCol::Deferred => with("type=t,tq".into()),
                LineCol::Bounced => with("type=b,rb".into()),
                // a complaint names the recipient, so its domain; its VMTA, IP and job are those of
                // the delivery it was matched to, which the rows do not carry: its recipients then
                // (else every complaint row)
                LineCol::Complaints | LineCol::ComplaintRate if domain => with("type=f".into()),
                LineCol::Complaints | LineCol::ComplaintRate
                    if l.complaints.is_none_or(|k| k.complaints == 0) =>
                {
                    return None;
                }
                LineCol::Complaints | LineCol::ComplaintRate => {
                    let rcpts: Vec<String> = l
                        .complaint_rcpts
                        .iter()
                        .map(|r| term("x", r).split_off(2))
                        .collect();
                    if rcpts.is_empty() {
                        "type=f".into()
                    } else {
                        format!("type=f rcpt={}", rcpts.join(","))
                    }
                }
                LineCol::Code(i) => match self.derived.ms_codes.get(i) {
                    Some(c) => with(term("code", &self.ctx.classifier.code_name(*c))),
                    None => base,
                },
                LineCol::Top => match l.top_code {
                    Some((c, _)) => with(term("code", &self.ctx.classifier.code_name(c))),
                    None => base,
                },
            },
        )
    }

    /// `s`: sort by the column under the cursor, else by the next shown one; `r`: reverse.
    pub(super) fn sort(&mut self, reverse: bool) {
        let v = self.view;
        let n = match v {
            View::Codes => CODE_COLS.len(),
            View::Senders | View::Domains => self.derived.line_cols.len(),
            _ => {
                self.message = Some("s and r sort the Codes, Senders and Domains tables".into());
                return;
            }
        };
        let shown = self.shown_cols(v);
        let is_shown = |c: &usize| shown.get(*c).copied().unwrap_or(true);
        let order: Vec<usize> = match v {
            View::Codes => CODE_SORT_ORDER.to_vec(),
            // the count first, then the name, then the rest left to right
            _ => [1, 0].into_iter().chain(2..n).collect(),
        }
        .into_iter()
        .filter(is_shown)
        .collect();
        let cursor = self.list(v).selected_column();
        let Some(s) = self.views.sort_mut(v) else {
            return;
        };
        if reverse {
            s.reverse = !s.reverse;
        } else {
            let col = match cursor {
                Some(c) if c != s.col && is_shown(&c) => c,
                _ => {
                    let at = order.iter().position(|c| *c == s.col);
                    at.map_or(order.first(), |p| order.get((p + 1) % order.len()))
                        .copied()
                        .unwrap_or(s.col)
                }
            };
            s.col = col;
            s.reverse = false;
            self.list_mut(v).select_column(Some(col));
        }
        self.derive();
    }

    /// `g`: the next Senders grouping (VMTA, sending IP, pool, job).
    pub(super) fn regroup(&mut self) {
        if self.view != View::Senders {
            self.message = Some("g groups the Senders view (3)".into());
            return;
        }
        let s = &mut self.views.senders;
        s.group = s.group.next();
        s.list = top();
        // a job has only its complaints: sorted by them, unless by name or rate
        let cols = &self.derived.line_cols;
        if s.group == Group::Job
            && !matches!(
                cols.get(s.sort.col),
                Some(LineCol::Key | LineCol::Complaints | LineCol::ComplaintRate)
            )
            && let Some(c) = cols.iter().position(|c| *c == LineCol::Complaints)
        {
            s.sort = Sort {
                col: c,
                reverse: false,
            };
        }
        self.derived.senders_ready = false;
        self.derive_view();
    }
}
