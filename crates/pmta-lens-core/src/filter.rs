//! The `--where` language: space-separated terms that must all hold (`field=a,b`, `field!=v`,
//! `field~regex`, `field!~regex`), parsed once into precomputed tests and evaluated per row
//! against a [`RowView`] without allocating. Shared by `rows`, `summary` and the dashboard's
//! filter prompt. Pure: no I/O and no clock (callers pass `now`), no knowledge of any front end.

use std::fmt::{self, Write as _};

use chrono::{DateTime, Utc};

use crate::classify::Classifier;
use crate::model::{Code, RecordKind, ResponseKind};

mod eval;
mod lexer;
mod parser;
#[cfg(test)]
mod tests;
mod time;

use eval::Test;
use parser::parse_terms;

/// The values of one row that a filter can test, as the buckets show them (an empty field is
/// `(none)`, the VMTA and IP of an `f` row are `(unattributed)`).
#[derive(Clone, Copy, Debug)]
pub struct RowView<'a> {
    pub kind: RecordKind,
    pub vmta: &'a [u8],
    pub pool: &'a [u8],
    pub source_ip: &'a [u8],
    /// Rolled-up destination domain (lowercase).
    pub domain: &'a [u8],
    /// Recipient domain before rollup (lowercase).
    pub rcpt_domain: &'a [u8],
    pub code: Code,
    pub response_kind: Option<ResponseKind>,
    pub job: &'a [u8],
    /// The response text as written (`smtp;421 ...`).
    pub diag: &'a [u8],
    /// `timeLogged`, Unix seconds UTC.
    pub time: Option<i64>,
    /// The recipient address as written (for an `f` row without `rcpt`, the complaining
    /// recipient of `header_X-HmXmrOriginalRecipient`).
    pub rcpt: &'a [u8],
    /// The envelope sender (`orig`).
    pub orig: &'a [u8],
    /// The `queue` column (`domain/vmta` or a rollup queue).
    pub queue: &'a [u8],
    /// The envelope id (`envId`).
    pub env_id: &'a [u8],
}

/// A bad `--where` expression: the term as the user wrote it and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad filter term `{term}`: {reason}")]
pub struct FilterError {
    pub term: String,
    pub reason: String,
}

/// What a term tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// Record type (`d b t tq r f rb rs`).
    Type,
    Vmta,
    Pool,
    /// The sending IP (`dlvSourceIp`).
    Ip,
    /// The rolled-up destination domain.
    Domain,
    /// The recipient domain before rollup.
    RcptDomain,
    /// The classified response code (rule id or fallback).
    Code,
    /// Deferral or bounce, as classified.
    Kind,
    Job,
    /// The response text.
    Diag,
    /// Rows logged at or after a time.
    Since,
    /// Rows logged before a time.
    Until,
    /// The recipient address.
    Rcpt,
    /// The envelope sender.
    Orig,
    /// The queue the row was in.
    Queue,
    /// The envelope id.
    EnvId,
}

impl Field {
    /// Every field, in the order listed to users.
    pub const ALL: [Field; 16] = [
        Field::Type,
        Field::Vmta,
        Field::Pool,
        Field::Ip,
        Field::Domain,
        Field::RcptDomain,
        Field::Code,
        Field::Kind,
        Field::Job,
        Field::Diag,
        Field::Since,
        Field::Until,
        Field::Rcpt,
        Field::Orig,
        Field::Queue,
        Field::EnvId,
    ];

    /// The name written in expressions.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Field::Type => "type",
            Field::Vmta => "vmta",
            Field::Pool => "pool",
            Field::Ip => "ip",
            Field::Domain => "domain",
            Field::RcptDomain => "rcpt-domain",
            Field::Code => "code",
            Field::Kind => "kind",
            Field::Job => "job",
            Field::Diag => "diag",
            Field::Since => "since",
            Field::Until => "until",
            Field::Rcpt => "rcpt",
            Field::Orig => "orig",
            Field::Queue => "queue",
            Field::EnvId => "envid",
        }
    }

    /// Looks a field up by name, ASCII case-insensitively. `_` may stand for `-`, and the
    /// accounting-file column names users already know (`dlvSourceIp`, `vmtaPool`, `jobId`,
    /// `dsnDiag`) are accepted for the fields that are plain columns.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Field> {
        let is = |s: &str| {
            name.len() == s.len()
                && name
                    .bytes()
                    .zip(s.bytes())
                    .all(|(a, b)| a.eq_ignore_ascii_case(&b) || (a == b'_' && b == b'-'))
        };
        if let Some(f) = Field::ALL.into_iter().find(|f| is(f.name())) {
            return Some(f);
        }
        Some(match () {
            () if is("dlvSourceIp") || is("source-ip") => Field::Ip,
            () if is("vmtaPool") => Field::Pool,
            () if is("jobId") => Field::Job,
            () if is("dsnDiag") => Field::Diag,
            () if is("env-id") => Field::EnvId,
            () => return None,
        })
    }

    fn is_time(self) -> bool {
        matches!(self, Field::Since | Field::Until)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a term compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `=`: the value is one of the listed ones.
    Eq,
    /// `!=`: the value is none of the listed ones.
    Ne,
    /// `~`: the regex finds a match in the value.
    Match,
    /// `!~`: the regex finds no match in the value.
    NotMatch,
}

impl Op {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Match => "~",
            Op::NotMatch => "!~",
        }
    }

    fn negated(self) -> bool {
        matches!(self, Op::Ne | Op::NotMatch)
    }

    fn is_regex(self) -> bool {
        matches!(self, Op::Match | Op::NotMatch)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One parsed term: what it says (for display) and the precomputed test (for rows).
#[derive(Clone, Debug)]
pub struct Term {
    field: Field,
    op: Op,
    /// Canonical values: one regex for `~`/`!~`, one RFC 3339 time for `since`/`until`,
    /// otherwise the de-duplicated list.
    values: Vec<String>,
    test: Test,
}

impl Term {
    #[must_use]
    pub fn field(&self) -> Field {
        self.field
    }

    #[must_use]
    pub fn op(&self) -> Op {
        self.op
    }

    /// The canonical values (see [`Filter`]'s `Display` for what canonical means).
    #[must_use]
    pub fn values(&self) -> &[String] {
        &self.values
    }

    #[must_use]
    pub fn matches(&self, row: &RowView<'_>) -> bool {
        self.test.matches(row)
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.field, self.op)?;
        for (i, v) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_char(',')?;
            }
            write_value(f, v, !self.op.is_regex())?;
        }
        Ok(())
    }
}

/// Writes a value so that the tokenizer reads it back unchanged: bare when it can be, otherwise
/// in quotes. Quotes have no escapes (a backslash must stay a backslash for regexes), so a value
/// holding both kinds of quote is written as adjacent quoted segments.
fn write_value(f: &mut impl fmt::Write, v: &str, commas_split: bool) -> fmt::Result {
    let special =
        |c: char| c.is_whitespace() || c == '"' || c == '\'' || (commas_split && c == ',');
    if !v.contains(special) {
        return f.write_str(v);
    }
    if !v.contains('"') {
        return write!(f, "\"{v}\"");
    }
    if !v.contains('\'') {
        return write!(f, "'{v}'");
    }
    for (i, part) in v.split('"').enumerate() {
        if i > 0 {
            f.write_str("'\"'")?;
        }
        if !part.is_empty() {
            write!(f, "\"{part}\"")?;
        }
    }
    Ok(())
}

/// A parsed filter: terms that must all hold. The empty filter matches every row.
///
/// `Display` (and [`Filter::as_str`]) give the canonical expression: canonical field names,
/// values de-duplicated, record types, kinds and codes in their display form, domains and IPs
/// lowercased, times as RFC 3339 UTC (relative times resolved against the `now` they were parsed
/// with, so the text means the same whenever it is parsed again), quotes only where needed.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    terms: Vec<Term>,
    /// The tests in evaluation order: cheapest first, so most rows are rejected before any
    /// byte comparison or regex runs.
    eval: Vec<Test>,
    text: String,
}

impl Filter {
    /// Parses an expression; `now` anchors relative times (`since=-2h`).
    ///
    /// # Errors
    /// The first bad term, named as written, with what is wrong and what would be right.
    pub fn parse(
        expr: &str,
        classifier: &Classifier,
        now: DateTime<Utc>,
    ) -> Result<Filter, FilterError> {
        Ok(Filter::from_terms(parse_terms(expr, classifier, now)?))
    }

    /// This filter with the terms of `expr` (one term or several) added: the dashboard's
    /// "narrow down". Existing terms keep what they were parsed to; `now` anchors only the new
    /// terms' relative times, so `since=-10m` typed an hour into a session means the last ten
    /// minutes, not the ten minutes after the session started.
    ///
    /// # Errors
    /// As [`Filter::parse`], for the new terms; `self` is unchanged either way.
    pub fn and(
        &self,
        expr: &str,
        classifier: &Classifier,
        now: DateTime<Utc>,
    ) -> Result<Filter, FilterError> {
        let mut terms = self.terms.clone();
        terms.extend(parse_terms(expr, classifier, now)?);
        Ok(Filter::from_terms(terms))
    }

    /// This filter without its `index`th term (out of range: unchanged), for the dashboard to
    /// take back a term.
    #[must_use]
    pub fn without(&self, index: usize) -> Filter {
        let mut terms = self.terms.clone();
        if index < terms.len() {
            terms.remove(index);
        }
        Filter::from_terms(terms)
    }

    fn from_terms(terms: Vec<Term>) -> Filter {
        let mut eval: Vec<Test> = terms.iter().map(|t| t.test.clone()).collect();
        eval.sort_by_key(Test::cost);
        let mut text = String::new();
        for (i, t) in terms.iter().enumerate() {
            if i > 0 {
                text.push(' ');
            }
            // Writing into a String cannot fail.
            let _ = write!(text, "{t}");
        }
        Filter { terms, eval, text }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The terms in the order written.
    #[must_use]
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Whether any term tests `field`.
    #[must_use]
    pub fn uses(&self, field: Field) -> bool {
        self.terms.iter().any(|t| t.field == field)
    }

    /// Whether evaluating needs the rolled-up domain (so the scan must learn rollups first).
    #[must_use]
    pub fn needs_domain(&self) -> bool {
        self.uses(Field::Domain)
    }

    /// Whether evaluating needs the row's time (so `timeLogged` must be decoded).
    #[must_use]
    pub fn needs_time(&self) -> bool {
        self.uses(Field::Since) || self.uses(Field::Until)
    }

    /// The time window the filter allows, in Unix seconds UTC: the latest `since` (inclusive)
    /// and the earliest `until` (exclusive). For display and for skipping whole files.
    #[must_use]
    pub fn time_range(&self) -> (Option<i64>, Option<i64>) {
        let mut since = None::<i64>;
        let mut until = None::<i64>;
        for t in &self.terms {
            match t.test {
                Test::Since(s) => since = Some(since.map_or(s, |x| x.max(s))),
                Test::Until(u) => until = Some(until.map_or(u, |x| x.min(u))),
                _ => {}
            }
        }
        (since, until)
    }

    /// Whether the row passes every term. Allocation-free.
    #[inline]
    #[must_use]
    pub fn matches(&self, row: &RowView<'_>) -> bool {
        self.eval.iter().all(|t| t.matches(row))
    }

    /// The canonical expression (see the type's documentation).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
