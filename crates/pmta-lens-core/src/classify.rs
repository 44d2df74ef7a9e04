//! Classifies a remote response (`dsnDiag`, falling back to `dsnStatus`) into a [`Code`]: an
//! ordered rule table kept as data (`classify/rules.rs`, extensible with user rules), first match
//! wins, else the enhanced status code, else the basic SMTP code. Pure: no I/O, no caching, no
//! knowledge of rows or front ends.
//!
//! Real senders' texts differ on every row (Gmail's end with a per-row queue id, Microsoft's with
//! a per-row `[HOST TIMESTAMP ID]` trailer), so a cache keyed by the text never hits and the
//! classifier itself must be cheap on a text it has never seen: a look for the fixed pieces of
//! text the rules require (`classify/prefilter.rs`; for the built-in rules, in the first 21
//! bytes of each reply) rules out most texts before any regex runs, and names the few rules
//! worth running on the rest.

mod prefilter;
mod rules;

use prefilter::Prefilter;
use regex::bytes::{Regex, RegexSet, RegexSetBuilder};
use serde::Deserialize;

use crate::model::{Code, EnhancedStatus, NONE_KEY, ResponseKind, RuleId, Severity, SmtpCode};

#[cfg(test)]
mod tests;

/// One row of the rule table.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Stable id shown to users and used in `--where code=...` (`RP-002`, `5.7.1-dmarc`).
    pub id: &'static str,
    /// Who sends this response (`Microsoft`).
    pub provider: &'static str,
    pub kind: ResponseKind,
    /// How urgently an operator must act when it shows up.
    pub severity: Severity,
    /// What the response means.
    pub meaning: &'static str,
    /// What the operator should do.
    pub action: &'static str,
    /// The regex (over bytes) searched in each reply of the response, without its `smtp;`
    /// prefix: `^` is the start of the reply code.
    pub pattern: &'static str,
}

/// A user-supplied rule, as read from JSON:
/// `{"id": "ACME-1", "provider": "Acme", "kind": "bounce", "meaning": "...", "action": "...",
/// "pattern": "^550 5\\.7\\.1 .*acme"}`. The pattern works as [`Rule::pattern`].
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub provider: String,
    #[serde(deserialize_with = "deserialize_kind")]
    pub kind: ResponseKind,
    pub meaning: String,
    pub action: String,
    pub pattern: String,
    /// `critical`, `warning` (the default) or `info`.
    #[serde(
        default = "default_severity",
        deserialize_with = "deserialize_severity"
    )]
    pub severity: Severity,
}

fn default_severity() -> Severity {
    Severity::Warning
}

fn deserialize_severity<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Severity, D::Error> {
    let s = String::deserialize(d)?;
    Severity::parse(&s)
        .ok_or_else(|| serde::de::Error::unknown_variant(&s, &["critical", "warning", "info"]))
}

fn deserialize_kind<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ResponseKind, D::Error> {
    // `ResponseKind` lives in `model`, which carries no serde derives.
    match String::deserialize(d)?.as_str() {
        "deferral" => Ok(ResponseKind::Deferral),
        "bounce" => Ok(ResponseKind::Bounce),
        other => Err(serde::de::Error::unknown_variant(
            other,
            &["deferral", "bounce"],
        )),
    }
}

/// A user rule that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("rule `{id}`: bad pattern")]
    Pattern { id: String, source: regex::Error },
    #[error("rule `{id}`: {reason}")]
    Invalid { id: String, reason: &'static str },
}

/// What is known about a code, for reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CodeInfo {
    pub provider: Option<&'static str>,
    pub kind: Option<ResponseKind>,
    /// Only rules carry a severity; fallback codes have none.
    pub severity: Option<Severity>,
    pub meaning: Option<&'static str>,
    pub action: Option<&'static str>,
}

/// The compiled rule table. A text goes first through the prefilter, which names the rules
/// whose required literals it contains (usually none); those rules' own regexes are tried in
/// table order. Without a prefilter (a user rule with no required literal) or when a text names
/// too many rules, every pattern runs at once in one `RegexSet`, so a reply is scanned once
/// whatever the number of rules; the lowest matching index is the first rule in table order.
/// Both ways give the same code for every text (tested on generated texts).
#[derive(Clone, Debug)]
pub struct Classifier {
    rules: Vec<Rule>,
    set: RegexSet,
    /// The set's patterns one by one, for the rules the prefilter names.
    each: Vec<Regex>,
    prefilter: Option<Prefilter>,
    /// Rules named after a bare code (`5.7.606`, `421`), first one per code: the code a text
    /// falls back to is counted under that rule, so one display name is always one bucket.
    by_code: Vec<(Code, RuleId)>,
}

impl Classifier {
    /// The built-in table. Compiles the patterns: call once and share (it is `Sync`).
    ///
    /// # Panics
    ///
    /// Only if a built-in pattern is not a valid regex, which the tests rule out.
    #[must_use]
    pub fn builtin() -> Classifier {
        Classifier::compile(rules::BUILTIN.to_vec(), 0)
            .expect("the built-in rule patterns are valid regexes")
    }

    /// The built-in table with `extra` rules tried before it, in the given order.
    ///
    /// # Errors
    ///
    /// A rule whose pattern is not a valid regex, whose id is empty or already used (ids are
    /// unique, ASCII case-insensitively, across both tables), or too many rules.
    pub fn with_rules(extra: Vec<RuleSpec>) -> Result<Classifier, RuleError> {
        let mut table: Vec<Rule> = Vec::with_capacity(extra.len() + rules::BUILTIN.len());
        for spec in extra {
            let invalid = |reason| RuleError::Invalid {
                id: spec.id.clone(),
                reason,
            };
            if spec.id.trim().is_empty() {
                return Err(invalid("empty id"));
            }
            if table
                .iter()
                .chain(rules::BUILTIN)
                .any(|r| r.id.eq_ignore_ascii_case(&spec.id))
            {
                return Err(invalid("id already used by another rule"));
            }
            if table.len() + rules::BUILTIN.len() >= usize::from(RuleId::MAX) {
                return Err(invalid("too many rules"));
            }
            // Compiled alone first so that the error names the rule; the set compiles it again.
            if let Err(source) = regex::bytes::Regex::new(&spec.pattern) {
                return Err(RuleError::Pattern {
                    id: spec.id,
                    source,
                });
            }
            table.push(Rule {
                id: leak(spec.id),
                provider: leak(spec.provider),
                kind: spec.kind,
                severity: spec.severity,
                meaning: leak(spec.meaning),
                action: leak(spec.action),
                pattern: leak(spec.pattern),
            });
        }
        let user = table.len();
        table.extend_from_slice(rules::BUILTIN);
        Classifier::compile(table, user).map_err(|source| RuleError::Pattern {
            id: "(all rules together)".to_string(),
            source,
        })
    }

    /// Compiles `rules`, of which the first `user` were written by the user and the rest are
    /// built-in. Built-in patterns are ASCII-only, so they compile without Unicode (keeping `\b`
    /// and `\d` inside the lazy DFA even on non-ASCII text); user patterns keep regex's defaults.
    fn compile(rules: Vec<Rule>, user: usize) -> Result<Classifier, regex::Error> {
        let patterns: Vec<String> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if i < user {
                    r.pattern.to_string()
                } else {
                    format!("(?-u:{})", r.pattern)
                }
            })
            .collect();
        let set = RegexSetBuilder::new(&patterns).build()?;
        let each = patterns
            .iter()
            .map(|p| Regex::new(p))
            .collect::<Result<Vec<_>, _>>()?;
        let prefilter = Prefilter::new(patterns.iter().map(String::as_str));
        let mut by_code: Vec<(Code, RuleId)> = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let code = EnhancedStatus::parse(r.id.as_bytes())
                .map(Code::Status)
                .or_else(|| SmtpCode::parse(r.id.as_bytes()).map(Code::Smtp));
            if let Some(code) = code.filter(|c| by_code.iter().all(|(seen, _)| seen != c)) {
                by_code.push((code, to_rule_id(i)));
            }
        }
        Ok(Classifier {
            rules,
            set,
            each,
            prefilter,
            by_code,
        })
    }

    /// Classifies one response. `diag` is the raw `dsnDiag` field (may start with `smtp;`),
    /// `status` the raw `dsnStatus` field (`4.7.0 (other or undefined security status)`).
    /// Each text in turn (diag, then status) goes through the rules and then the fallback.
    ///
    /// Cheap enough to call once per row on texts that never repeat (see the `classify` bench),
    /// so callers need not cache: a cache keyed by the whole text costs more than it saves when
    /// the texts carry per-row ids.
    #[must_use]
    pub fn classify(&self, diag: &[u8], status: &[u8]) -> Code {
        [diag, status]
            .into_iter()
            .find_map(|text| self.classify_text(strip_type(text.trim_ascii())))
            .unwrap_or(Code::None)
    }

    /// Whether texts go through the literal prefilter: true for the built-in table, false once
    /// a user rule has a pattern that can match without a fixed piece of text (`^\w+$`), in
    /// which case every text runs through all patterns (the same codes, only slower).
    #[must_use]
    pub fn prefiltered(&self) -> bool {
        self.prefilter.is_some()
    }

    /// This classifier with the prefilter off: every text runs through all patterns. For
    /// benches and tests that compare both ways; the codes are the same.
    #[doc(hidden)]
    #[must_use]
    pub fn without_prefilter(mut self) -> Classifier {
        self.prefilter = None;
        self
    }

    fn classify_text(&self, text: &[u8]) -> Option<Code> {
        if text.is_empty() {
            return None;
        }
        match few_replies(text) {
            Some((few, n)) => self.classify_replies(text, || few[..n].iter().copied()),
            None => self.classify_replies(text, || replies(text)),
        }
    }

    /// [`Classifier::classify_text`] for the text's replies, as given by `replies()`.
    fn classify_replies<'a, I: Iterator<Item = &'a [u8]>>(
        &self,
        text: &'a [u8],
        replies: impl Fn() -> I,
    ) -> Option<Code> {
        if let Some(i) = self.first_rule(text, &replies) {
            return Some(Code::Rule(to_rule_id(i)));
        }
        let code = fallback(replies())?;
        Some(
            self.by_code
                .iter()
                .find(|(c, _)| *c == code)
                .map_or(code, |(_, id)| Code::Rule(*id)),
        )
    }

    /// The first rule in table order that matches a reply of `text`. Every reply is searched
    /// (Microsoft's may sit behind `PowerMTA`'s own `450 4.0.0 (undefined status)`); the first
    /// rule wins, whichever reply it matched. A rule can only match a text holding one of its
    /// required literals, so the prefilter's candidates, tried in table order, give the same
    /// first rule as the whole set.
    fn first_rule<'a, I: Iterator<Item = &'a [u8]>>(
        &self,
        text: &'a [u8],
        replies: impl Fn() -> I,
    ) -> Option<usize> {
        let candidates = self
            .prefilter
            .as_ref()
            .and_then(|p| p.candidates(text, replies()));
        match candidates {
            Some((found, n)) => found[..n]
                .iter()
                .copied()
                .find(|&i| replies().any(|reply| self.each[i].is_match(reply))),
            None => replies()
                .filter_map(|reply| self.set.matches(reply).iter().next())
                .min(),
        }
    }

    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    #[must_use]
    pub fn rule(&self, id: RuleId) -> &Rule {
        &self.rules[usize::from(id)]
    }

    /// Looks a rule up by its id string, ASCII case-insensitively.
    #[must_use]
    pub fn rule_id(&self, name: &str) -> Option<RuleId> {
        self.rules
            .iter()
            .position(|r| r.id.eq_ignore_ascii_case(name))
            .map(to_rule_id)
    }

    /// The display name of a code: rule id, `5.1.1`, `421` or `(none)`.
    #[must_use]
    pub fn code_name(&self, code: Code) -> String {
        match code {
            Code::Rule(id) => self.rule(id).id.to_string(),
            Code::Status(s) => s.to_string(),
            Code::Smtp(c) => c.to_string(),
            Code::None => NONE_KEY.to_string(),
        }
    }

    /// Parses a display name back into a code (`RP-002`, `5.1.1`, `421`, `(none)`). Rule ids come
    /// first: `5.7.606` names the rule, which owns every response whose code is 5.7.606.
    #[must_use]
    pub fn parse_code(&self, name: &str) -> Option<Code> {
        let name = name.trim();
        if name.eq_ignore_ascii_case(NONE_KEY) {
            return Some(Code::None);
        }
        if let Some(id) = self.rule_id(name) {
            return Some(Code::Rule(id));
        }
        let bytes = name.as_bytes();
        EnhancedStatus::parse(bytes)
            .map(Code::Status)
            .or_else(|| SmtpCode::parse(bytes).map(Code::Smtp))
    }

    /// Provider, kind, meaning and action of a code: a rule's own data; for a fallback code the
    /// kind from its class and the RFC 3463 / RFC 5321 meaning (and the usual action) if known.
    #[must_use]
    pub fn describe(&self, code: Code) -> CodeInfo {
        match code {
            Code::Rule(id) => {
                let r = self.rule(id);
                CodeInfo {
                    provider: Some(r.provider),
                    kind: Some(r.kind),
                    severity: Some(r.severity),
                    meaning: Some(r.meaning),
                    action: Some(r.action),
                }
            }
            Code::Status(s) => CodeInfo {
                provider: None,
                kind: code.fallback_kind(),
                severity: None,
                meaning: status_meaning(s),
                action: rules::STATUS_ACTIONS
                    .iter()
                    .find(|(c, sub, det, _)| (*c, *sub, *det) == (s.class, s.subject, s.detail))
                    .map(|row| row.3),
            },
            Code::Smtp(c) => CodeInfo {
                provider: None,
                kind: code.fallback_kind(),
                severity: None,
                meaning: rules::SMTP_MEANINGS
                    .iter()
                    .find(|(n, _)| *n == c.0)
                    .map(|row| row.1),
                action: None,
            },
            Code::None => CodeInfo::default(),
        }
    }
}

/// A table index as a [`RuleId`].
#[expect(
    clippy::cast_possible_truncation,
    reason = "tables hold fewer than RuleId::MAX rules: `with_rules` checks it"
)]
fn to_rule_id(i: usize) -> RuleId {
    i as RuleId
}

/// User rules live as long as the built-in ones so that `Rule` and `CodeInfo` keep `&'static`
/// text; they are read once per run, so the leak is bounded by the rule file's size.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The RFC 3463 meaning: the detail's, else the subject's.
fn status_meaning(s: EnhancedStatus) -> Option<&'static str> {
    rules::STATUS_DETAILS
        .iter()
        .find(|(sub, det, _)| (*sub, *det) == (s.subject, s.detail))
        .map(|row| row.2)
        .or_else(|| rules::STATUS_SUBJECTS.get(usize::from(s.subject)).copied())
}

/// The length of a diagnostic type token and its `;` at the start of `text` (`smtp;`,
/// `x-unix;`), or 0.
fn type_prefix_len(text: &[u8]) -> usize {
    const MAX_TYPE: usize = 20;
    // Most texts start with a reply code: out before counting anything.
    if !text.first().is_some_and(u8::is_ascii_alphabetic) {
        return 0;
    }
    let mut token = 1;
    while token <= MAX_TYPE
        && text
            .get(token)
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        token += 1;
    }
    if token <= MAX_TYPE && text.get(token) == Some(&b';') {
        token + 1
    } else {
        0
    }
}

/// `text` without its leading `TYPE;` prefixes (normally one, `smtp;`).
fn strip_type(mut text: &[u8]) -> &[u8] {
    loop {
        match type_prefix_len(text) {
            0 => return text,
            n => text = text[n..].trim_ascii_start(),
        }
    }
}

/// The replies chained in one diagnostic, in order, trimmed. The MTA may write several
/// (`450 4.0.0 (undefined status);smtp;421 Refused`); a boundary is `;TYPE;` before a reply
/// code digit, so a plain `;` inside a reply (`unavailable; Client host`) is not one.
fn replies(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let t = rest?;
        for semi in memchr::memchr_iter(b';', t) {
            let after = &t[semi + 1..];
            let n = type_prefix_len(after);
            if n > 0 && after.get(n).is_some_and(u8::is_ascii_digit) {
                rest = Some(&after[n..]);
                return Some(t[..semi].trim_ascii());
            }
        }
        rest = None;
        Some(t.trim_ascii())
    })
}

/// The replies of `text` (see [`replies`]) if there are at most `MAX_REPLIES`, split once for
/// the several passes over them (most texts have one, some two).
fn few_replies(text: &[u8]) -> Option<([&[u8]; MAX_REPLIES], usize)> {
    let mut few = [&text[..0]; MAX_REPLIES];
    let mut n = 0;
    for reply in replies(text) {
        *few.get_mut(n)? = reply;
        n += 1;
    }
    Some((few, n))
}

const MAX_REPLIES: usize = 4;

/// The code of a text no rule knows, from its replies. Of chained replies the last one with a
/// code counts: the first is the MTA's own generic wrapper, the last the remote server's reply.
fn fallback<'a>(replies: impl Iterator<Item = &'a [u8]>) -> Option<Code> {
    replies.filter_map(reply_code).last()
}

/// One reply's code: its first enhanced status code standing as a word, else its leading SMTP
/// code. The leading code is skipped first so that `550-5.7.1` (a multi-line reply) finds 5.7.1.
fn reply_code(reply: &[u8]) -> Option<Code> {
    let (smtp, rest) = smtp_code(reply);
    // The first word is where the code usually stands (`421-4.7.28 ...`): tried before the
    // search through every word, which starts with it anyway.
    let first = rest
        .iter()
        .position(|b| is_word_end(*b))
        .map_or(rest, |end| &rest[..end]);
    EnhancedStatus::parse(first)
        .or_else(|| EnhancedStatus::find(rest))
        .map(Code::Status)
        .or(smtp.map(Code::Smtp))
}

/// A reply's leading SMTP code (`421`, followed by a space, `-`, a tab or nothing) and the text
/// after it; no code: the whole reply.
fn smtp_code(reply: &[u8]) -> (Option<SmtpCode>, &[u8]) {
    let smtp = reply
        .get(..3)
        .and_then(SmtpCode::parse)
        .filter(|_| matches!(reply.get(3), None | Some(b' ' | b'-' | b'\t')));
    let rest = if smtp.is_some() {
        reply.get(4..).unwrap_or_default()
    } else {
        reply
    };
    (smtp, rest)
}

/// The bytes that end a word for [`EnhancedStatus::find`].
fn is_word_end(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'(' | b')' | b'[' | b']' | b';' | b',')
}
