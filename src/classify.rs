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
    let smtp = reply
        .get(..3)
        .and_then(SmtpCode::parse)
        .filter(|_| matches!(reply.get(3), None | Some(b' ' | b'-' | b'\t')));
    let rest = if smtp.is_some() {
        reply.get(4..).unwrap_or_default()
    } else {
        reply
    };
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

/// The bytes that end a word for [`EnhancedStatus::find`].
fn is_word_end(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'(' | b')' | b'[' | b']' | b';' | b',')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (`dsnDiag`, expected code name). Each is also classified with an `smtp;` prefix.
    const CASES: &[(&str, &str)] = &[
        // Real Microsoft texts, verbatim from reference/README.md.
        (
            "421 RP-001 (SNT0-MC2-F19) Unfortunately, some messages from 50.57.111.177 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day. You can also refer to http://mail.live.com/mail/troubleshooting.aspx#errors.",
            "RP-001",
        ),
        (
            "421 PR(ct1) The mail server IP connecting to Windows Live Hotmail server has exceeded the connection limit allowed. ...",
            "PR(ct1)",
        ),
        (
            "550 SC-001 (SNT004-MC3F21) Unfortunately, messages from 178.33.39.27 weren't sent. Please contact your Internet service provider since part of their network is on our block list. ...",
            "SC-001",
        ),
        (
            "550 5.7.1 Unfortunately, messages from [x.xx.xx.xx] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). ...",
            "5.7.1-blocklist",
        ),
        (
            "550 5.7.1 Unfortunately, messages from [x.xx.xx.xx] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). ...",
            "5.7.1-blocklist",
        ),
        (
            "550 5.7.1 Unfortunately, messages from [x.xx.xx.xx] weren't sent. Please contact your Internet service provider since part of their network is on our block list (AS3140). ...",
            "5.7.1-blocklist",
        ),
        (
            "451 4.7.650 The mail server [192.0.2.5] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775) [***.prod.protection.outlook.com]",
            "4.7.650",
        ),
        (
            "451 4.7.650 The mail server [192.0.2.5] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S843) [***.prod.protection.outlook.com]",
            "4.7.650",
        ),
        (
            "451 4.7.651 The mail server [x] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S844) [...]",
            "4.7.651",
        ),
        (
            "451 4.7.500 Server busy. Please try again later from [134.119.1.64]. (S77719) [FR2DEU01FT008.eop-deu01.prod.protection.outlook.com]",
            "4.7.500",
        ),
        (
            "550 5.7.606 Access denied, banned sending IP [x.xx.xx.xx]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to  http://go.microsoft.com/fwlink/?LinkID=526655 (AS16012609)",
            "5.7.606",
        ),
        (
            "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7230) [...]",
            "5.7.708",
        ),
        (
            "550 5.7.515 Access denied, sending domain EXAMPLE.JP doesn't meet the required authentication level. ...",
            "5.7.515",
        ),
        (
            "421 4.3.2 The maximum number of concurrent connections per resource forest has exceeded a limit, closing transmission channel. example.com. PRX8",
            "4.3.2-concurrency",
        ),
        (
            "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [...]",
            "5.5.0-mailbox",
        ),
        // The reference article's forms, with plausible full wording.
        (
            "421 4.7.0 RP-001 Unfortunately, some messages from 192.0.2.10 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day.",
            "RP-001",
        ),
        (
            "421 4.7.0 RP-002 Unfortunately, some messages from 192.0.2.10 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day.",
            "RP-002",
        ),
        (
            "421 4.7.0 RP-003 Unfortunately, some messages from 192.0.2.10 weren't sent. Please try again later.",
            "RP-003",
        ),
        (
            "550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [AM4PEPF00027A6C.eurprd04.prod.outlook.com]",
            "5.7.1-blocklist",
        ),
        (
            "550 5.7.1 Unfortunately, messages from [198.51.100.7] on behalf of (example.com) could not be delivered due to domain owner policy restrictions.",
            "5.7.1-dmarc",
        ),
        (
            "550 5.7.1 Message rejected: example.com failed DMARC verification and has a DMARC policy of reject [DB5PEPF00014B8A.eurprd02.prod.outlook.com]",
            "5.7.1-dmarc",
        ),
        (
            "550 5.7.606 Access denied, banned sending IP [203.0.113.9]. To request removal from this list please visit https://sender.office.com/ and follow the directions.",
            "5.7.606",
        ),
        (
            "451 4.7.500 Server busy. Please try again later from [203.0.113.9]. (S77719) [VI1EUR04FT012.eop-eur04.prod.protection.outlook.com]",
            "4.7.500",
        ),
        (
            "550 5.7.510 Access denied, example.com does not accept email over IPv6 [2001:db8::25]",
            "5.7.510",
        ),
        (
            "550 5.7.509 Access denied, sending domain EXAMPLE.COM does not pass DMARC verification and has a DMARC policy of reject. [DB5PEPF00014B8A.eurprd02.prod.outlook.com]",
            "5.7.509",
        ),
        // Real-log forms of the RP codes.
        (
            "421 RP-002 (BAY004-MC1F37) Unfortunately, some messages from 198.51.100.20 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day. You can also refer to http://mail.live.com/mail/troubleshooting.aspx#errors.",
            "RP-002",
        ),
        (
            "421 RP-003 (COL004-MC5F26) Unfortunately, some messages from 198.51.100.20 weren't sent. Please try again. You can also refer to http://mail.live.com/mail/troubleshooting.aspx#errors.",
            "RP-003",
        ),
        // The bracketed form of the RP codes is the same rule, in both shapes.
        (
            "421 4.7.0 [RP-001] Unfortunately, some messages from 192.0.2.10 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day.",
            "RP-001",
        ),
        (
            "421 4.7.0 [RP-002] Unfortunately, some messages from 192.0.2.10 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day. [BL6PEPF00012345.namprd02.prod.outlook.com 2026-11-20T14:03:11.123Z 08DD0A1B2C3D4E5F]",
            "RP-002",
        ),
        (
            "421 4.7.0 [RP-003] Unfortunately, messages from example.com weren't sent. Please try again later.",
            "RP-003",
        ),
        (
            "421 [RP-001] (SNT0-MC2-F19) Unfortunately, some messages from 198.51.100.20 weren't sent. Please try again.",
            "RP-001",
        ),
        (
            "421 [RP-002] (BAY004-MC1F37) Unfortunately, some messages from 198.51.100.20 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day.",
            "RP-002",
        ),
        (
            "421-4.7.0 [RP-003] (COL004-MC5F26) Unfortunately, some messages from 198.51.100.20 weren't sent.",
            "RP-003",
        ),
        (
            "450 4.0.0 (undefined status);smtp;421 4.7.0 [RP-002] Unfortunately, some messages from [198.51.100.20] weren't sent.",
            "RP-002",
        ),
        // Trailers with per-row ids change nothing.
        (
            "421 4.7.0 RP-002 Unfortunately, some messages from [192.0.2.10] weren't sent. [BL6PEPF00012345.namprd02.prod.outlook.com 2026-11-20T14:03:11.123Z 08DD0A1B2C3D4E5F]",
            "RP-002",
        ),
        (
            "421-4.7.28 Our system has detected an unusual rate of unsolicited mail. Please try again later. d2e1a72fcca58-6f2a1b9c7e3si1234567qkb.123 - gsmtp",
            "4.7.28",
        ),
        // PowerMTA's chained diagnostics: the remote reply sits in the second one.
        (
            "450 4.0.0 (undefined status);smtp;421 RP-002 (BAY004-MC1F37) Unfortunately, some messages from 198.51.100.20 weren't sent.",
            "RP-002",
        ),
        ("450 4.0.0 (undefined status);smtp;421 Refused", "421"),
        (
            "450 4.0.0 (undefined status);smtp;Connection refused",
            "4.0.0",
        ),
        // Look-alikes from other providers fall back to their code.
        (
            "421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
            "4.7.0",
        ),
        ("550 5.7.1 Denied - Spam Suspected", "5.7.1"),
        // Brackets do not move an RP token off its place after the code.
        ("421 4.7.0 Try again later [RP-002]", "4.7.0"),
        ("550 5.7.0 [RP-002] refused", "5.7.0"),
        (
            "554 5.7.1 Denied - Spam Suspected - http://www.w357sfhsjhf873.net/services/spamwatch/blocked.php",
            "5.7.1",
        ),
        (
            "550 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using Spamhaus; To request removal from this list see https://www.spamhaus.org/query/ip/192.0.2.10",
            "5.7.1",
        ),
        (
            "550 5.7.1 Email rejected per DMARC policy for example.com",
            "5.7.1",
        ),
        (
            "550 5.1.1 <rp-001@example.com>: Recipient address rejected: RP-002 SC-001",
            "5.1.1",
        ),
        (
            "421 4.4.2 host 10.5.7.106 dropped connection at 5.7.606x",
            "4.4.2",
        ),
        (
            "550 5.5.0 Requested action not taken: mailbox unavailable",
            "5.5.0",
        ),
        // A rule named after a code owns it wherever it stands.
        (
            "550 Access denied 5.7.606 banned sending IP [203.0.113.9]",
            "5.7.606",
        ),
        // Fallbacks.
        (
            "550 5.1.1 <x@example.com>: Recipient address rejected",
            "5.1.1",
        ),
        ("550-5.7.26 Unauthenticated email is not accepted", "5.7.26"),
        ("421 Too many connections", "421"),
        ("Connection timed out", "(none)"),
        ("", "(none)"),
    ];

    fn name(c: &Classifier, diag: &str, status: &str) -> String {
        c.code_name(c.classify(diag.as_bytes(), status.as_bytes()))
    }

    #[test]
    fn classifies_real_and_article_texts() {
        let c = Classifier::builtin();
        for (diag, want) in CASES {
            assert_eq!(name(&c, diag, ""), *want, "{diag}");
            assert_eq!(name(&c, &format!("smtp;{diag}"), ""), *want, "smtp;{diag}");
        }
    }

    #[test]
    fn every_rule_is_hit_by_a_case() {
        let c = Classifier::builtin();
        let hit: Vec<Code> = CASES
            .iter()
            .map(|(diag, _)| c.classify(diag.as_bytes(), b""))
            .collect();
        for (i, rule) in c.rules().iter().enumerate() {
            assert!(
                hit.contains(&Code::Rule(to_rule_id(i))),
                "no test text hits rule {}",
                rule.id
            );
        }
    }

    #[test]
    fn type_prefixes_and_whitespace_are_skipped() {
        let c = Classifier::builtin();
        for diag in [
            "x-unix;421 4.7.0 RP-001 blocked",
            "  smtp; 421 RP-001 (SNT0-MC2-F19) Unfortunately \r\n",
            "smtp;smtp;421 RP-001 (SNT0-MC2-F19)",
            "SMTP;421-4.7.0 RP-001 blocked",
        ] {
            assert_eq!(name(&c, diag, ""), "RP-001", "{diag:?}");
        }
        // A `;` inside a reply is no boundary between replies.
        assert_eq!(name(&c, "smtp;550 5.7.1 x;y; 421 RP-001", ""), "5.7.1");
    }

    #[test]
    fn status_is_used_when_diag_has_no_code() {
        let c = Classifier::builtin();
        assert_eq!(name(&c, "", "4.4.1 (no answer from host)"), "4.4.1");
        assert_eq!(name(&c, "  ", "4.4.1 (no answer from host)"), "4.4.1");
        assert_eq!(name(&c, "smtp;", "5.2.2 (mailbox full)"), "5.2.2");
        assert_eq!(
            name(&c, "smtp;Connection refused", "4.4.1 (no answer from host)"),
            "4.4.1"
        );
        // A diag with a code wins over the status.
        assert_eq!(
            name(&c, "smtp;550 Refused", "5.0.0 (undefined status)"),
            "550"
        );
        // A Microsoft code in the status still maps to its rule, so names stay unique.
        assert_eq!(name(&c, "", "5.7.606 (other security status)"), "5.7.606");
        assert_eq!(
            c.classify(b"", b"5.7.606"),
            Code::Rule(c.rule_id("5.7.606").expect("rule"))
        );
        assert_eq!(name(&c, "", ""), "(none)");
    }

    #[test]
    fn rule_ids_are_unique_and_described() {
        let c = Classifier::builtin();
        for (i, rule) in c.rules().iter().enumerate() {
            assert_eq!(
                c.rule_id(rule.id),
                Some(to_rule_id(i)),
                "duplicate id {}",
                rule.id
            );
            let info = c.describe(Code::Rule(to_rule_id(i)));
            assert_eq!(info.provider, Some("Microsoft"));
            assert_eq!(info.kind, Some(rule.kind));
            assert!(info.meaning.is_some_and(|m| !m.is_empty()), "{}", rule.id);
            assert!(info.action.is_some_and(|a| !a.is_empty()), "{}", rule.id);
        }
    }

    #[test]
    fn article_actions_are_kept() {
        let c = Classifier::builtin();
        let action = |id: &str| c.rule(c.rule_id(id).expect("rule")).action;
        assert_eq!(
            action("RP-001"),
            "Stop sending; check SNDS; do not retry for 4h minimum"
        );
        assert_eq!(
            action("RP-002"),
            "Reduce max-connect-rate; increase retry-after to 30m"
        );
        assert_eq!(
            action("RP-003"),
            "Check domain reputation; verify DMARC policy"
        );
        assert_eq!(
            action("5.7.1-blocklist"),
            "Contact Microsoft Sender Support; use alternate IP"
        );
        assert_eq!(
            action("5.7.1-dmarc"),
            "Debug SPF/DKIM alignment; check From: domain match"
        );
        assert_eq!(
            action("5.7.606"),
            "Submit delisting at sendersupport.olc.protection.outlook.com"
        );
        assert_eq!(
            action("4.7.500"),
            "Normal retry at standard retry-after interval"
        );
    }

    #[test]
    fn code_names_round_trip() {
        let c = Classifier::builtin();
        let mut codes: Vec<Code> = (0..c.rules().len())
            .map(|i| Code::Rule(to_rule_id(i)))
            .collect();
        codes.extend(
            CASES
                .iter()
                .map(|(diag, _)| c.classify(diag.as_bytes(), b"")),
        );
        codes.push(c.classify(b"", b"4.4.1 (no answer from host)"));
        for code in codes {
            assert_eq!(c.parse_code(&c.code_name(code)), Some(code), "{code:?}");
        }
        assert_eq!(c.parse_code("rp-002"), c.rule_id("RP-002").map(Code::Rule));
        assert_eq!(
            c.parse_code("pr(CT1)"),
            c.rule_id("PR(ct1)").map(Code::Rule)
        );
        assert_eq!(c.parse_code(" 421 "), Some(Code::Smtp(SmtpCode(421))));
        assert_eq!(c.parse_code("(NONE)"), Some(Code::None));
        for bad in ["", "RP-9", "6.1.1", "42", "5.7"] {
            assert_eq!(c.parse_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn fallback_codes_are_described() {
        let c = Classifier::builtin();
        let info =
            |diag: &str, status: &str| c.describe(c.classify(diag.as_bytes(), status.as_bytes()));

        let unknown_user = info("550 5.1.1 <x@example.com>: Recipient address rejected", "");
        assert_eq!(unknown_user.provider, None);
        assert_eq!(unknown_user.kind, Some(ResponseKind::Bounce));
        assert_eq!(
            unknown_user.meaning,
            Some("Bad destination mailbox address")
        );
        assert!(unknown_user.action.is_some_and(|a| a.contains("Suppress")));

        let no_answer = info("", "4.4.1 (no answer from host)");
        assert_eq!(no_answer.kind, Some(ResponseKind::Deferral));
        assert_eq!(no_answer.meaning, Some("No answer from host"));

        // An unlisted detail falls back to its subject's meaning.
        let odd = info("451 4.4.99 odd", "");
        assert_eq!(odd.meaning, Some("Network and routing status"));
        assert_eq!(odd.action, None);

        let smtp = info("421 Too many connections", "");
        assert_eq!(smtp.kind, Some(ResponseKind::Deferral));
        assert!(
            smtp.meaning
                .is_some_and(|m| m.starts_with("Service not available"))
        );

        assert_eq!(c.describe(Code::None), CodeInfo::default());
    }

    fn spec(id: &str, pattern: &str) -> RuleSpec {
        let json = serde_json::json!({
            "id": id, "provider": "Acme", "kind": "bounce",
            "meaning": "Acme refuses bulk mail", "action": "Stop mailing Acme", "pattern": pattern,
        });
        serde_json::from_value(json).expect("valid spec")
    }

    #[test]
    fn user_rules_come_before_builtin() {
        let c = Classifier::with_rules(vec![spec("ACME-1", r"RP-002 \(BAY")]).expect("compiles");
        let text = b"smtp;421 RP-002 (BAY004-MC1F37) Unfortunately, some messages weren't sent.";
        let code = c.classify(text, b"");
        assert_eq!(c.code_name(code), "ACME-1");
        assert_eq!(c.describe(code).provider, Some("Acme"));
        assert_eq!(c.describe(code).kind, Some(ResponseKind::Bounce));
        // The built-in rules still work behind the user's.
        assert_eq!(
            c.code_name(c.classify(b"smtp;421 4.7.0 RP-002 x", b"")),
            "RP-002"
        );
        assert_eq!(c.parse_code("acme-1"), Some(code));
    }

    #[test]
    fn bad_user_rules_are_errors_naming_the_rule() {
        let err =
            Classifier::with_rules(vec![spec("ACME-2", "550 (unclosed")]).expect_err("bad regex");
        assert!(matches!(&err, RuleError::Pattern { id, .. } if id == "ACME-2"));
        assert!(err.to_string().contains("ACME-2"), "{err}");

        let dup = Classifier::with_rules(vec![spec("rp-001", "x")]).expect_err("duplicate");
        assert!(err_names(&dup, "rp-001"), "{dup}");

        let bad_kind = serde_json::from_str::<RuleSpec>(
            r#"{"id":"A","provider":"A","kind":"later","meaning":"","action":"","pattern":"x"}"#,
        );
        assert!(bad_kind.is_err());
    }

    fn err_names(err: &RuleError, id: &str) -> bool {
        err.to_string().contains(id)
    }

    #[test]
    fn builtin_rules_are_prefiltered() {
        // Every built-in pattern holds a fixed piece of text, so the prefilter is on.
        assert!(Classifier::builtin().prefiltered());
        let with = |pattern: &str| {
            Classifier::with_rules(vec![spec("ACME-1", pattern)])
                .expect("compiles")
                .prefiltered()
        };
        assert!(with(r"^550 5\.7\.1 .*(?i:acme)"));
        // Even a short literal keeps it on: every match of this one holds a `5`.
        assert!(with(r"^5\d\d .*"));
        // A user pattern that can match without a fixed text turns it off, for correctness.
        assert!(!with(r"x*"));
        assert!(!with(r"^\w+$"));
        assert!(!with(r"[^\x00-\x7f]"));
        // With the prefilter off the user's rule still works, and so do the built-in ones.
        let c = Classifier::with_rules(vec![spec("ACME-1", r"[^\x00-\x7f]")]).expect("compiles");
        assert_eq!(name(&c, "smtp;554 Refus\u{e9}", ""), "ACME-1");
        assert_eq!(
            name(&c, "smtp;421 [RP-002] (BAY004-MC1F37) x", ""),
            "RP-002"
        );
    }

    /// `SplitMix64`: a fixed stream, so a failure names a reproducible text.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len())]
        }

        fn hex(&mut self, len: usize) -> String {
            (0..len)
                .map(|_| char::from(b"0123456789ABCDEF"[self.below(16)]))
                .collect()
        }
    }

    /// Pieces that rules look for, and pieces that merely resemble them.
    const TOKENS: &[&str] = &[
        "RP-001",
        "RP-002",
        "RP-003",
        "[RP-001]",
        "[RP-002]",
        "[RP-003",
        "RP-0021",
        "PR(ct1)",
        "SC-001",
        "4.7.500",
        "4.7.650",
        "4.7.651",
        "5.7.606",
        "5.7.510",
        "5.7.708",
        "5.7.509",
        "5.7.515",
        "5.7.1 ",
        "4.3.2 The maximum number of concurrent connections",
        "4.3.2 The maximum number of concurrent server connections",
        "5.5.0 Requested action not taken: mailbox unavailable (S2017062302)",
        "part of their network is on our block list",
        "(S3150)",
        "(AS3140)",
        "domain owner policy restrictions",
        "Unfortunately, messages from ",
        "DMARC",
        ".outlook.com",
        "Hotmail",
        "(S1234)",
        ";smtp;",
        ";x-unix;",
        ";",
        "421 ",
        "421-",
        "450 4.0.0 ",
        "550 ",
        "550-",
        "4.7.0 ",
        "4.999.999 ",
        "5.1.1 ",
        "acme",
        "acme.example",
        "SPAMHAUS",
        "\u{17f}pamhaus",
        "ACME",
        "Acme",
        "gsmtp",
        " - gsmtp",
        "[",
        "]",
        "(",
        " ",
        "\t",
        "\u{e9}",
        "\u{212a}",
    ];

    /// A real-looking response: a seed text with per-row ids, trailers, prefixes, chained
    /// replies and random edits.
    fn mutated(rng: &mut Rng, seeds: &[&str]) -> Vec<u8> {
        let mut text: Vec<u8> = rng.pick(seeds).as_bytes().to_vec();
        for _ in 0..rng.below(5) {
            let at = rng.below(text.len() + 1);
            match rng.below(11) {
                0 => {
                    let id = format!(
                        " {}-{}si{}qkb.{} - gsmtp",
                        rng.hex(13).to_lowercase(),
                        rng.hex(11).to_lowercase(),
                        rng.below(10_000_000),
                        rng.below(1000)
                    );
                    text.extend_from_slice(id.as_bytes());
                }
                1 => {
                    let trailer = format!(
                        " [BL6PEPF{}.namprd02.prod.outlook.com 2026-11-20T14:03:11.123Z 08DD{}]",
                        rng.hex(8),
                        rng.hex(12)
                    );
                    text.extend_from_slice(trailer.as_bytes());
                }
                2 => {
                    let prefix = *rng.pick(&["smtp;", "SMTP; ", "x-unix;", "  ", "smtp;smtp;"]);
                    text.splice(0..0, prefix.bytes());
                }
                3 => {
                    let wrapper = *rng.pick(&[
                        "450 4.0.0 (undefined status);smtp;",
                        "550 5.0.0 (undefined status);smtp;",
                        "451 4.4.0 (other or undefined network or routing status);smtp;",
                    ]);
                    text.splice(0..0, wrapper.bytes());
                }
                4 => {
                    let other = rng.pick(seeds).as_bytes().to_vec();
                    text.extend_from_slice(b";smtp;");
                    text.extend_from_slice(&other);
                }
                5 | 6 => {
                    let token = rng.pick(TOKENS).as_bytes();
                    text.splice(at..at, token.iter().copied());
                }
                7 => {
                    let end = (at + rng.below(12)).min(text.len());
                    text.drain(at..end);
                }
                8 => {
                    let byte = *rng.pick(b"[]() -.;:0123456789RPSCabcxyz\t\xc3\xa9\xff");
                    if at < text.len() {
                        text[at] = byte;
                    } else {
                        text.push(byte);
                    }
                }
                9 => {
                    let code = rng.pick(&["421", "450", "451", "550", "554", "250", "4.7", "99"]);
                    let end = 3.min(text.len());
                    text.splice(0..end, code.bytes());
                }
                _ => text.truncate(at),
            }
        }
        text
    }

    fn seeds() -> Vec<&'static str> {
        let mut seeds: Vec<&str> = CASES.iter().map(|(diag, _)| *diag).collect();
        seeds.extend([
            "421-4.7.28 [198.51.100.7      15] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. For more information, go to https://support.google.com/mail/?p=UnsolicitedRateLimitError",
            "550-5.1.1 The email account that you tried to reach does not exist.",
            "421 4.7.0 RP-002 Unfortunately, some messages weren't sent.",
            "421 [RP-002] (BAY004-MC1F37) Unfortunately, some messages weren't sent.",
            // The longest heads the anchored rules allow before their token.
            "421 4.999.999 [RP-002] (BAY004-MC1F37) Unfortunately, some messages weren't sent.",
            "451-4.100.100 [RP-001] x",
            "421 4.123.456 PR(ct1) The mail server IP connecting to Windows Live Hotmail",
            "550 5.555.555 SC-001 (SNT004-MC3F21) Unfortunately",
            "550 5.7.1 Acme says no: see acme.example",
            "554 5.7.1 [acme] rejected as spam",
            "4.7.0 (other or undefined security status)",
            "5.1.1 (bad destination mailbox address)",
            "Connection timed out",
            "",
        ]);
        seeds
    }

    /// Classifiers whose user rules exercise the prefilter: literals shared with built-in rules
    /// (so a user rule and a built-in one are both candidates), case-insensitive literals, a
    /// rule that can never match, more candidates than are tried one by one, and rules without
    /// any literal (prefilter off).
    fn classifiers() -> Vec<Classifier> {
        let build = |patterns: &[&str]| {
            let specs = patterns
                .iter()
                .enumerate()
                .map(|(i, p)| spec(&format!("USER-{i}"), p))
                .collect();
            Classifier::with_rules(specs).expect("compiles")
        };
        let crowd: Vec<String> = (0..10).map(|i| format!(r"\.{i}|4\.7\.")).collect();
        let crowd: Vec<&str> = crowd.iter().map(String::as_str).collect();
        vec![
            Classifier::builtin(),
            build(&[
                r"RP-002 \(BAY",
                r"(?i)acme",
                r"^550 5\.7\.1 .*spam",
                r"(?i)spamhaus|acme\.example",
            ]),
            build(&[
                r"^4\d\d[ -]RP-00[13]\b",
                r"(?i:dmarc).*outlook",
                r"[^\x00-\x{10FFFF}]",
                r"^5\d\d .*",
            ]),
            build(&[
                r"gsmtp$",
                r"\bk\b",
                r"^.{0,70}RP-002 \(",
                r"^4\d\d-4\.7\.\d+ \[",
            ]),
            build(&crowd),
            build(&[r"[^\x00-\x7f]", r"RP-002"]),
        ]
    }

    fn type_prefix_len_by_definition(text: &[u8]) -> usize {
        let token = text
            .iter()
            .take(21)
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
            .count();
        let starts_alpha = text.first().is_some_and(u8::is_ascii_alphabetic);
        if starts_alpha && token <= 20 && text.get(token) == Some(&b';') {
            token + 1
        } else {
            0
        }
    }

    fn reply_code_by_definition(reply: &[u8]) -> Option<Code> {
        let smtp = reply
            .get(..3)
            .and_then(SmtpCode::parse)
            .filter(|_| matches!(reply.get(3), None | Some(b' ' | b'-' | b'\t')));
        let rest = if smtp.is_some() {
            reply.get(4..).unwrap_or_default()
        } else {
            reply
        };
        EnhancedStatus::find(rest)
            .map(Code::Status)
            .or(smtp.map(Code::Smtp))
    }

    #[test]
    fn prefilter_agrees_with_the_regex_set_on_generated_texts() {
        let seeds = seeds();
        let statuses = [
            "",
            "4.7.0 (other or undefined security status)",
            "5.7.606 (other security status)",
            "4.4.1 (no answer from host)",
        ];
        let mut rng = Rng(0x5EED_CAFE);
        let classifiers = classifiers();
        assert!(classifiers[..5].iter().all(Classifier::prefiltered));
        assert!(!classifiers[5].prefiltered());
        let mut ruled = 0;
        for c in &classifiers {
            let plain = c.clone().without_prefilter();
            for _ in 0..4000 {
                let diag = mutated(&mut rng, &seeds);
                let status = *rng.pick(&statuses);
                let fast = c.classify(&diag, status.as_bytes());
                let slow = plain.classify(&diag, status.as_bytes());
                assert_eq!(
                    c.code_name(fast),
                    c.code_name(slow),
                    "{:?}",
                    String::from_utf8_lossy(&diag)
                );
                ruled += usize::from(matches!(fast, Code::Rule(_)));
                // The hand-written scanners agree with their plain definitions.
                for at in 0..diag.len().min(40) {
                    assert_eq!(
                        type_prefix_len(&diag[at..]),
                        type_prefix_len_by_definition(&diag[at..])
                    );
                }
                for reply in replies(strip_type(diag.trim_ascii())) {
                    assert_eq!(reply_code(reply), reply_code_by_definition(reply));
                }
                // The property the fast path rests on: a rule that matches a reply of the
                // text is among the text's candidates.
                let text = strip_type(diag.trim_ascii());
                let candidates = c
                    .prefilter
                    .as_ref()
                    .map(|p| p.candidates(text, replies(text)));
                if let Some(Some((found, n))) = candidates {
                    for (i, regex) in c.each.iter().enumerate() {
                        if replies(text).any(|reply| regex.is_match(reply)) {
                            assert!(
                                found[..n].contains(&i),
                                "rule {} matches but is no candidate: {:?}",
                                c.rules[i].id,
                                String::from_utf8_lossy(&diag)
                            );
                        }
                    }
                }
            }
        }
        // The generated texts reach the rules, not only the fallback.
        assert!(ruled > 4000, "only {ruled} texts matched a rule");
    }
}
