//! The tables the views show, derived from a snapshot and the views' settings (sort, grouping):
//! codes, Senders and Domains lines with their Microsoft code and complaint columns, minutes.
//! Column widths are measured here over every row, so a table keeps them when it is sorted or
//! scrolled.

// Table code reads best with its conventional short names (`c` classifier, `d` derived tables,
// `k` complaints, `l` a line, `a`/`b` compared lines).
#![allow(clippy::many_single_char_names)]

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::state::{Group, Sort, Views};
use crate::aggregate::{Aggregates, CellCounts};
use crate::analysis::Complaints;
use crate::analysis::complaints::ComplaintGroup;
use crate::classify::{Classifier, CodeInfo};
use crate::duration::DAY;
use crate::fmt::{percent, thousands, width};
use crate::model::{Code, TypeCounts};

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

/// The columns of Codes, in order.
pub const CODE_COLS: [&str; 8] = [
    "code", "provider", "kind", "rows", "share", "first", "last", "meaning",
];
/// The order `s` cycles through the Codes columns: the count first, then the rest in order.
pub const CODE_SORT_ORDER: [usize; 7] = [3, 0, 1, 2, 5, 6, 7];

/// A complaint count and rate (complaints / delivered), as the summary computes them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ComplaintCell {
    pub complaints: u64,
    pub rate: Option<f64>,
}

/// One row of Senders or Domains: counts by type, counts of the Microsoft codes, complaints,
/// top code.
#[derive(Clone, Debug)]
pub struct CountsRow {
    pub key: Arc<str>,
    pub counts: TypeCounts,
    /// Aligned with [`Derived::ms_codes`].
    pub ms: Box<[u64]>,
    /// Complaints attributed to the line (`None`: the summary has no number for it).
    pub complaints: Option<ComplaintCell>,
    /// The recipients of those complaints, for a `rcpt=` drill-down (empty: not known, or
    /// too many; see [`ComplaintGroup::recipients`]).
    pub complaint_rcpts: Arc<[String]>,
    /// Only the complaints are known (a job line): the other cells show `-`.
    pub complaints_only: bool,
    /// The most frequent code (a tie goes to the one whose name sorts first).
    pub top_code: Option<(Code, u64)>,
}

/// A column of Senders and Domains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineCol {
    Key,
    Rows,
    Delivered,
    Deferred,
    Bounced,
    Complaints,
    ComplaintRate,
    /// A Microsoft code (index in [`Derived::ms_codes`]).
    Code(usize),
    Top,
}

impl LineCol {
    /// What `s` shows it sorts by.
    pub fn label(self, d: &Derived, c: &Classifier) -> String {
        match self {
            LineCol::Key => "name".into(),
            LineCol::Rows => "rows".into(),
            LineCol::Delivered => "delivered %".into(),
            LineCol::Deferred => "deferred %".into(),
            LineCol::Bounced => "bounced %".into(),
            LineCol::Complaints => "complaints".into(),
            LineCol::ComplaintRate => "complaint rate".into(),
            LineCol::Code(i) => d.ms_codes.get(i).map_or("-".into(), |k| c.code_name(*k)),
            LineCol::Top => "top code".into(),
        }
    }
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
    /// Rows with a response (`t`, `tq`, `b`, `rb`, `rs`: the rows a code is read from): the
    /// denominator of a code's share, as in the summary.
    pub responses: u64,
    /// The widest cell of each Codes column, over every code.
    pub code_widths: Vec<u16>,
    /// The Microsoft codes seen, most frequent first (columns of Senders and Domains).
    pub ms_codes: Vec<Code>,
    /// The columns of Senders and Domains (complaint columns when there are complaints).
    pub line_cols: Vec<LineCol>,
    /// The busiest destinations, for the Overview.
    pub top_domains: Vec<(Arc<str>, TypeCounts)>,
    pub senders: Vec<CountsRow>,
    /// `senders` is up to date (it is derived when the Senders view is shown).
    pub senders_ready: bool,
    pub sender_widths: Vec<u16>,
    pub domains: Vec<DomainRow>,
    pub domains_ready: bool,
    pub domain_widths: Vec<u16>,
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

/// The small tables (codes, top destinations, minutes), derived on every snapshot.
pub fn small(
    agg: &Aggregates,
    c: &Classifier,
    views: &Views,
    complaints: Option<&Complaints>,
) -> Derived {
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
    sort_codes(&mut d.codes, views.codes.sort);
    d.code_widths = (0..CODE_COLS.len())
        .map(|i| {
            d.codes
                .iter()
                .map(|r| cols(width(&code_cell(r, i, d.responses, d.multi_day))))
                .max()
                .unwrap_or(0)
        })
        .collect();
    d.line_cols = vec![
        LineCol::Key,
        LineCol::Rows,
        LineCol::Delivered,
        LineCol::Deferred,
        LineCol::Bounced,
    ];
    if complaints.is_some_and(|k| k.total > 0) {
        d.line_cols
            .extend([LineCol::Complaints, LineCol::ComplaintRate]);
    }
    d.line_cols.extend((0..d.ms_codes.len()).map(LineCol::Code));
    d.line_cols.push(LineCol::Top);
    d.top_domains = agg
        .ranked_destinations()
        .into_iter()
        .take(TOP_DOMAINS)
        .map(|dest| {
            use crate::aggregate::Keyed;
            (Arc::clone(dest.key), dest.type_counts())
        })
        .collect();
    minutes(agg, c, &mut d);
    d
}

/// The text of a Codes cell (column `i` of [`CODE_COLS`]).
pub fn code_cell(r: &CodeRow, i: usize, responses: u64, multi_day: bool) -> String {
    use crate::tui::widgets::hms;
    match i {
        0 => r.name.clone(),
        1 => r.info.provider.unwrap_or("-").to_string(),
        2 => r.info.kind.map_or("-", |k| k.as_str()).to_string(),
        3 => thousands(r.total()),
        4 => percent(r.total(), responses),
        5 => r.counts.first().map_or("-".into(), |x| hms(x, multi_day)),
        6 => r.counts.last().map_or("-".into(), |x| hms(x, multi_day)),
        _ => r.info.meaning.unwrap_or("").to_string(),
    }
}

/// The text of a Senders or Domains cell.
pub fn line_cell(c: &Classifier, l: &CountsRow, col: LineCol) -> String {
    use crate::tui::widgets::{count, pct};
    let n = &l.counts;
    let a = n.attempts();
    if l.complaints_only
        && !matches!(
            col,
            LineCol::Key | LineCol::Complaints | LineCol::ComplaintRate
        )
    {
        return "-".into();
    }
    match col {
        LineCol::Key => l.key.to_string(),
        LineCol::Rows => thousands(n.total()),
        LineCol::Delivered => pct(n.delivered(), a),
        LineCol::Deferred => pct(n.deferred(), a),
        LineCol::Bounced => pct(n.bounced(), a),
        LineCol::Complaints => l.complaints.map_or("-".into(), |k| count(k.complaints)),
        LineCol::ComplaintRate => l
            .complaints
            .and_then(|k| k.rate)
            // three decimals, as the summary: rates of a few per thousand matter
            .map_or("-".into(), |r| format!("{:.3}%", r * 100.0)),
        LineCol::Code(i) => count(l.ms.get(i).copied().unwrap_or(0)),
        LineCol::Top => l.top_code.map_or("-".into(), |(code, n)| {
            format!("{} ({})", c.code_name(code), thousands(n))
        }),
    }
}

/// The widest cell of each column over `rows` (the key column measured by `key_width`, as the
/// views indent and mark it).
fn line_widths<'a>(
    c: &Classifier,
    d: &Derived,
    rows: impl Iterator<Item = (usize, &'a CountsRow)>,
) -> Vec<u16> {
    let mut w = vec![0u16; d.line_cols.len()];
    for (key_w, l) in rows {
        for (i, col) in d.line_cols.iter().enumerate() {
            let n = if *col == LineCol::Key {
                key_w
            } else {
                width(&line_cell(c, l, *col))
            };
            w[i] = w[i].max(cols(n));
        }
    }
    w
}

fn cols(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// Complaints by key, from one of the summary's complaint tables, with their recipients.
fn complaint_map(groups: &[ComplaintGroup]) -> FxHashMap<&str, (ComplaintCell, &[String])> {
    groups
        .iter()
        .map(|g| {
            (
                g.key.as_str(),
                (
                    ComplaintCell {
                        complaints: g.complaints,
                        rate: g.rate,
                    },
                    g.recipients.as_slice(),
                ),
            )
        })
        .collect()
}

/// Sets a line's complaint cells from a complaint table (none under its key: 0, and a rate of
/// 0 if it delivered anything).
fn set_complaints(l: &mut CountsRow, by: &FxHashMap<&str, (ComplaintCell, &[String])>) {
    let (cell, rcpts) = by.get(&*l.key).copied().unwrap_or((
        ComplaintCell {
            complaints: 0,
            rate: (l.counts.delivered() > 0).then_some(0.0),
        },
        &[],
    ));
    l.complaints = Some(cell);
    l.complaint_rcpts = rcpts.into();
}

/// The lines of the jobs complained about (the summary's complaints per job).
fn job_lines(k: &Complaints) -> Vec<CountsRow> {
    k.by_job
        .iter()
        .map(|g| CountsRow {
            key: g.key.as_str().into(),
            counts: TypeCounts::default(),
            ms: Box::default(),
            complaints: Some(ComplaintCell {
                complaints: g.complaints,
                rate: g.rate,
            }),
            complaint_rcpts: g.recipients.as_slice().into(),
            complaints_only: true,
            top_code: None,
        })
        .collect()
}

/// The Senders lines, grouped and sorted as the view says.
pub fn senders(
    agg: &Aggregates,
    c: &Classifier,
    views: &Views,
    k: Option<&Complaints>,
    d: &mut Derived,
) {
    let group = views.senders.group;
    let mut lines = if group == Group::Job {
        k.map(job_lines).unwrap_or_default()
    } else {
        let mut senders: FxHashMap<Arc<str>, Tally> = FxHashMap::default();
        let sender_list = agg.senders();
        for s in sender_list {
            if let Some(key) = group.key(s) {
                senders
                    .entry(Arc::clone(key))
                    .or_default()
                    .0
                    .merge(&s.counts);
            }
        }
        for (s, code, n) in agg.sender_codes() {
            if let Some(key) = group.key(&sender_list[*s as usize])
                && let Some(t) = senders.get_mut(key)
            {
                *t.1.entry(*code).or_default() += n;
            }
        }
        let mut lines = lines(c, &d.ms_codes, senders);
        if let Some(k) = k.filter(|k| k.total > 0) {
            match group {
                Group::Pool => pool_complaints(&mut lines, sender_list, k),
                Group::SourceIp => {
                    let by = complaint_map(&k.by_source_ip);
                    for l in &mut lines {
                        set_complaints(l, &by);
                    }
                }
                Group::Vmta | Group::Job => {
                    let by = complaint_map(&k.by_vmta);
                    for l in &mut lines {
                        set_complaints(l, &by);
                    }
                }
            }
        }
        lines
    };
    sort_lines(&mut lines, views.senders.sort, d);
    d.sender_widths = line_widths(c, d, lines.iter().map(|l| (width(&l.key), l)));
    d.senders = lines;
    d.senders_ready = true;
}

/// Complaints per pool: the summary counts them per VMTA, and each VMTA's go to its pool; the
/// rate is then the pool's complaints over the pool's deliveries.
fn pool_complaints(
    lines: &mut [CountsRow],
    senders: &[crate::aggregate::SenderLine],
    k: &Complaints,
) {
    let per_vmta = complaint_map(&k.by_vmta);
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    let mut pools: FxHashMap<&str, (u64, Vec<String>)> = FxHashMap::default();
    for s in senders {
        if seen.insert(&*s.vmta)
            && let Some((v, rcpts)) = per_vmta.get(&*s.vmta)
        {
            let p = pools.entry(&*s.pool).or_default();
            p.0 += v.complaints;
            p.1.extend_from_slice(rcpts);
        }
    }
    // a VMTA's list cut at the cap leaves the pool's incomplete: none then
    let complete = per_vmta
        .values()
        .all(|(c, r)| c.complaints == 0 || !r.is_empty());
    for l in lines {
        if &*l.key == crate::model::UNATTRIBUTED_KEY {
            set_complaints(l, &per_vmta);
            continue;
        }
        let dl = l.counts.delivered();
        let (n, rcpts) = pools.remove(&*l.key).unwrap_or_default();
        l.complaints = Some(ComplaintCell {
            complaints: n,
            rate: (dl > 0).then(|| n as f64 / dl as f64),
        });
        l.complaint_rcpts = if complete {
            rcpts.into()
        } else {
            Arc::from([])
        };
    }
}

/// The Domains lines and their members, sorted as the view says, and listed.
pub fn domains(
    agg: &Aggregates,
    c: &Classifier,
    views: &Views,
    k: Option<&Complaints>,
    d: &mut Derived,
) {
    let mut dests: FxHashMap<Arc<str>, Tally> = agg
        .destinations()
        .map(|(k, counts)| (Arc::clone(k), (counts, FxHashMap::default())))
        .collect();
    for ((k, code), n) in agg.destination_codes() {
        if let Some(t) = dests.get_mut(k) {
            *t.1.entry(code).or_default() += n;
        }
    }
    let by = k
        .filter(|k| k.total > 0)
        .map(|k| complaint_map(&k.by_domain));
    let mut domains: Vec<DomainRow> = lines(c, &d.ms_codes, dests)
        .into_iter()
        .map(|mut line| {
            if let Some(by) = &by {
                set_complaints(&mut line, by);
            }
            DomainRow {
                members: Vec::new(),
                line,
            }
        })
        .collect();
    let index: FxHashMap<Arc<str>, usize> = domains
        .iter()
        .enumerate()
        .map(|(i, r)| (Arc::clone(&r.line.key), i))
        .collect();
    let sort = views.domains.sort;
    // Members only of the destinations that gather other domains (or one under another name):
    // a tail domain is its own destination.
    for (dest, members) in agg.rollup_members() {
        let Some(&i) = index.get(dest) else { continue };
        let tallies: FxHashMap<Arc<str>, Tally> = members
            .into_iter()
            .map(|r| (r.name, (r.counts, r.codes.into_iter().collect())))
            .collect();
        let mut m = lines(c, &d.ms_codes, tallies);
        sort_lines(&mut m, sort, d);
        domains[i].members = m;
    }
    domains.sort_by(|a, b| compare_lines(&a.line, &b.line, sort, d));
    // the key column as drawn: a mark and the member count before, an indent for members
    d.domain_widths = line_widths(
        c,
        d,
        domains.iter().flat_map(|r| {
            let n = thousands(r.members.len() as u64).len();
            let own = (
                2 + width(&r.line.key) + if r.is_rollup() { n + 3 } else { 0 },
                &r.line,
            );
            std::iter::once(own).chain(r.members.iter().map(|m| (4 + width(&m.key), m)))
        }),
    );
    d.domains = domains;
    d.domains_ready = true;
    flatten_domains(d, &views.domains.expanded);
}

/// Lists the destinations, with the members of the expanded rollups under them.
pub fn flatten_domains(d: &mut Derived, expanded: &std::collections::BTreeSet<Arc<str>>) {
    d.domain_lines.clear();
    for (i, r) in d.domains.iter().enumerate() {
        d.domain_lines.push((i, None));
        if expanded.contains(&r.line.key) && r.is_rollup() {
            d.domain_lines
                .extend((0..r.members.len()).map(|m| (i, Some(m))));
        }
    }
}

/// A filter term for a key, quoted when it has to be.
pub fn term(field: &str, value: &str) -> String {
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
    map.into_iter()
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
                complaints: None,
                complaint_rcpts: Arc::from([]),
                complaints_only: false,
                top_code,
            }
        })
        .collect()
}

fn rate(n: u64, of: u64) -> u64 {
    // parts per million, for sorting by percentage without floats
    n.saturating_mul(1_000_000).checked_div(of).unwrap_or(0)
}

/// Largest first for counts and rates, in order for names; ties by rows, then name.
fn compare_lines(a: &CountsRow, b: &CountsRow, s: Sort, d: &Derived) -> std::cmp::Ordering {
    let (ca, cb) = (&a.counts, &b.counts);
    let (aa, ab) = (ca.attempts(), cb.attempts());
    let complaints = |l: &CountsRow| l.complaints.map_or(0, |k| k.complaints);
    let crate_ = |l: &CountsRow| l.complaints.and_then(|k| k.rate).unwrap_or(-1.0);
    let primary = match d.line_cols.get(s.col).copied().unwrap_or(LineCol::Rows) {
        LineCol::Key => a.key.cmp(&b.key),
        LineCol::Rows => cb.total().cmp(&ca.total()),
        LineCol::Delivered => rate(cb.delivered(), ab).cmp(&rate(ca.delivered(), aa)),
        LineCol::Deferred => rate(cb.deferred(), ab).cmp(&rate(ca.deferred(), aa)),
        LineCol::Bounced => rate(cb.bounced(), ab).cmp(&rate(ca.bounced(), aa)),
        LineCol::Complaints => complaints(b).cmp(&complaints(a)),
        LineCol::ComplaintRate => crate_(b).total_cmp(&crate_(a)),
        LineCol::Code(i) => b.ms.get(i).cmp(&a.ms.get(i)),
        LineCol::Top => b.top_code.map(|t| t.1).cmp(&a.top_code.map(|t| t.1)),
    };
    let primary = if s.reverse {
        primary.reverse()
    } else {
        primary
    };
    // complaints before the name: the job lines have no other count
    primary
        .then_with(|| cb.total().cmp(&ca.total()))
        .then_with(|| complaints(b).cmp(&complaints(a)))
        .then_with(|| a.key.cmp(&b.key))
}

fn sort_lines(v: &mut [CountsRow], s: Sort, d: &Derived) {
    v.sort_by(|a, b| compare_lines(a, b, s, d));
}

fn sort_codes(v: &mut [CodeRow], s: Sort) {
    v.sort_by(|a, b| {
        let primary = match s.col {
            0 => a.name.cmp(&b.name),
            1 => a
                .info
                .provider
                .unwrap_or("~")
                .cmp(b.info.provider.unwrap_or("~")),
            2 => a
                .info
                .kind
                .map_or("~", crate::model::ResponseKind::as_str)
                .cmp(b.info.kind.map_or("~", crate::model::ResponseKind::as_str)),
            5 => a.counts.first.cmp(&b.counts.first),
            // the latest first: what is still going on
            6 => b.counts.last.cmp(&a.counts.last),
            7 => a
                .info
                .meaning
                .unwrap_or("~")
                .cmp(b.info.meaning.unwrap_or("~")),
            // rows and share
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
