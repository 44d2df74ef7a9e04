//! Evaluation: a parsed term as a precomputed test (bit sets of kinds and codes, case-folded
//! text, compiled regexes) run against a [`super::RowView`] without allocating.

use super::{Field, RowView};
use crate::classify::Classifier;
use crate::model::{Code, EnhancedStatus, NONE_KEY, ResponseKind, RuleId, SmtpCode};
use regex::bytes::Regex;

/// `Test::Responses` bits: a row without a classified kind has its own bit, so `kind=` never
/// matches it and `kind!=` (the complement) always does.
pub(super) const RESP_NONE: u8 = 1;
pub(super) const RESP_DEFERRAL: u8 = 2;
pub(super) const RESP_BOUNCE: u8 = 4;
pub(super) const RESP_ALL: u8 = RESP_NONE | RESP_DEFERRAL | RESP_BOUNCE;

pub(super) fn response_bit(kind: Option<ResponseKind>) -> u8 {
    match kind {
        None => RESP_NONE,
        Some(ResponseKind::Deferral) => RESP_DEFERRAL,
        Some(ResponseKind::Bounce) => RESP_BOUNCE,
    }
}

/// A term compiled for the hot path. Negation is folded into masks where the value set is
/// closed (types, kinds) and kept as a flag elsewhere.
#[derive(Clone, Debug)]
pub(super) enum Test {
    /// Bit `RecordKind::index` set for every type that passes.
    Types(u8),
    /// `RESP_*` bits of the kinds that pass.
    Responses(u8),
    Text {
        field: TextField,
        values: Box<[Folded]>,
        negate: bool,
    },
    Regex {
        field: TextField,
        re: Regex,
        negate: bool,
    },
    Codes {
        codes: Box<[Code]>,
        negate: bool,
    },
    CodeRegex(Box<CodeRegex>),
    Since(i64),
    Until(i64),
}

impl Test {
    /// Rough relative cost, for ordering.
    pub(super) fn cost(&self) -> u8 {
        match self {
            Test::Types(_) | Test::Responses(_) | Test::Since(_) | Test::Until(_) => 0,
            Test::Codes { .. } => 1,
            Test::Text { .. } => 2,
            Test::CodeRegex(_) => 3,
            Test::Regex { .. } => 4,
        }
    }

    #[inline]
    pub(super) fn matches(&self, row: &RowView<'_>) -> bool {
        match self {
            Test::Types(mask) => mask & (1 << row.kind.index()) != 0,
            Test::Responses(mask) => mask & response_bit(row.response_kind) != 0,
            Test::Text {
                field,
                values,
                negate,
            } => {
                let hit = |v: &[u8]| {
                    // ASCII case folding first: it is all the hot path needs for ASCII rows.
                    values.iter().any(|x| x.matches_ascii(v))
                        || (!v.is_ascii() && values.iter().any(|x| x.matches_unicode(*field, v)))
                };
                let hit = hit(field.get(row)) || field.also(row).is_some_and(hit);
                hit != *negate
            }
            Test::Regex { field, re, negate } => {
                let hit =
                    re.is_match(field.get(row)) || field.also(row).is_some_and(|v| re.is_match(v));
                hit != *negate
            }
            Test::Codes { codes, negate } => codes.contains(&row.code) != *negate,
            Test::CodeRegex(m) => m.matches(row.code),
            Test::Since(t) => row.time.is_some_and(|x| x >= *t),
            Test::Until(t) => row.time.is_some_and(|x| x < *t),
        }
    }
}

/// The byte fields of a [`RowView`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TextField {
    Vmta,
    Pool,
    Ip,
    Domain,
    RcptDomain,
    Job,
    Diag,
    Rcpt,
    Orig,
    Queue,
    EnvId,
}

impl TextField {
    pub(super) fn of(field: Field) -> Option<TextField> {
        Some(match field {
            Field::Vmta => TextField::Vmta,
            Field::Pool => TextField::Pool,
            Field::Ip => TextField::Ip,
            Field::Domain => TextField::Domain,
            Field::RcptDomain => TextField::RcptDomain,
            Field::Job => TextField::Job,
            Field::Diag => TextField::Diag,
            Field::Rcpt => TextField::Rcpt,
            Field::Orig => TextField::Orig,
            Field::Queue => TextField::Queue,
            Field::EnvId => TextField::EnvId,
            _ => return None,
        })
    }

    /// The field's value as the buckets show it: an empty field reads `(none)`, whether or not
    /// the scanner already substituted it.
    #[inline]
    pub(super) fn get<'a>(self, row: &RowView<'a>) -> &'a [u8] {
        let v = match self {
            TextField::Vmta => row.vmta,
            TextField::Pool => row.pool,
            TextField::Ip => row.source_ip,
            TextField::Domain => row.domain,
            TextField::RcptDomain => row.rcpt_domain,
            TextField::Job => row.job,
            TextField::Diag => row.diag,
            TextField::Rcpt => row.rcpt,
            TextField::Orig => row.orig,
            TextField::Queue => row.queue,
            TextField::EnvId => row.env_id,
        };
        if v.is_empty() { NONE_KEY.as_bytes() } else { v }
    }

    /// A second value the field also matches on: `domain` is the destination a row is counted
    /// under or its recipient domain, so `domain=hotmail.de` finds hotmail.de's rows (listed
    /// under outlook.com) instead of none. (Rows of a destination that is not a rollup have
    /// the same value twice: tested once.)
    #[inline]
    pub(super) fn also<'a>(self, row: &RowView<'a>) -> Option<&'a [u8]> {
        match self {
            TextField::Domain if !row.rcpt_domain.eq_ignore_ascii_case(row.domain) => {
                Some(TextField::RcptDomain.get(row))
            }
            _ => None,
        }
    }

    /// Domain names: matched across their IDNA forms too.
    pub(super) fn is_domain(self) -> bool {
        matches!(self, TextField::Domain | TextField::RcptDomain)
    }

    /// Fields whose values are case-insensitive by nature, so the canonical form lowercases them.
    pub(super) fn lowercase_canonical(self) -> bool {
        matches!(
            self,
            TextField::Ip | TextField::Domain | TextField::RcptDomain
        )
    }
}

/// A `=` / `!=` value of a text field, folded once at parse time so that rows are compared
/// without allocating: case-insensitively in all of Unicode (`BÜCHER.de` is `bücher.de`), and
/// for domains also across the IDNA forms (`bücher.de` is `xn--bcher-kva.de`).
#[derive(Clone, Debug)]
pub(super) struct Folded {
    /// The value lowercased (Unicode).
    pub(super) lower: Box<str>,
    /// Domain fields: the value's IDNA ASCII form (punycode, lowercase) when it differs.
    pub(super) ascii: Option<Box<str>>,
}

impl Folded {
    pub(super) fn new(field: TextField, v: &str) -> Folded {
        let lower: Box<str> = v.to_lowercase().into();
        let ascii = field
            .is_domain()
            .then(|| idna::domain_to_ascii(&lower).ok())
            .flatten()
            .filter(|a| **a != *lower)
            .map(Into::into);
        Folded { lower, ascii }
    }

    /// An ASCII row value equals one form, ignoring ASCII case (the lowercase Unicode form of
    /// ASCII text is its ASCII lowercase). Never true for a non-ASCII form.
    #[inline]
    pub(super) fn matches_ascii(&self, v: &[u8]) -> bool {
        self.lower.as_bytes().eq_ignore_ascii_case(v)
            || self
                .ascii
                .as_ref()
                .is_some_and(|a| a.as_bytes().eq_ignore_ascii_case(v))
    }

    /// A non-ASCII row value (rare: the cost is paid only by those rows): folded character by
    /// character against the lowercase form, and for domains turned to its IDNA ASCII form.
    #[cold]
    pub(super) fn matches_unicode(&self, field: TextField, v: &[u8]) -> bool {
        let Ok(v) = std::str::from_utf8(v) else {
            return false;
        };
        if v.chars()
            .flat_map(char::to_lowercase)
            .eq(self.lower.chars())
        {
            return true;
        }
        field.is_domain()
            && idna::domain_to_ascii(v).is_ok_and(|a| {
                let want = self.ascii.as_deref().unwrap_or(&self.lower);
                a.eq_ignore_ascii_case(want)
            })
    }
}

/// `code~regex`, matched against the code's display name. The names of rule codes, SMTP codes and
/// `(none)` form small closed sets, so they are matched once at parse time; only enhanced status
/// codes (a million names) are written out per row, into a stack buffer.
#[derive(Clone, Debug)]
pub(super) struct CodeRegex {
    pub(super) re: Regex,
    /// Indexed by [`RuleId`].
    pub(super) rules: Box<[bool]>,
    /// Bit `c - 200` for SMTP codes 200..=599, the range [`SmtpCode::parse`] produces.
    pub(super) smtp: [u64; 7],
    pub(super) none: bool,
    pub(super) negate: bool,
}

pub(super) const SMTP_MIN: u16 = 200;
pub(super) const SMTP_MAX: u16 = 599;

impl CodeRegex {
    pub(super) fn new(re: Regex, classifier: &Classifier, negate: bool) -> CodeRegex {
        // A table longer than `RuleId` can index has no rows under the rest; they stay false.
        let rules = (0..classifier.rules().len())
            .map(|i| {
                RuleId::try_from(i)
                    .is_ok_and(|id| re.is_match(classifier.code_name(Code::Rule(id)).as_bytes()))
            })
            .collect();
        let mut smtp = [0u64; 7];
        for c in SMTP_MIN..=SMTP_MAX {
            let name = classifier.code_name(Code::Smtp(SmtpCode(c)));
            if re.is_match(name.as_bytes()) {
                let bit = usize::from(c - SMTP_MIN);
                smtp[bit / 64] |= 1 << (bit % 64);
            }
        }
        let none = re.is_match(classifier.code_name(Code::None).as_bytes());
        CodeRegex {
            re,
            rules,
            smtp,
            none,
            negate,
        }
    }

    #[inline]
    pub(super) fn matches(&self, code: Code) -> bool {
        let hit = match code {
            Code::Rule(id) => self.rules.get(usize::from(id)).copied().unwrap_or(false),
            Code::Smtp(SmtpCode(c)) if (SMTP_MIN..=SMTP_MAX).contains(&c) => {
                let bit = usize::from(c - SMTP_MIN);
                self.smtp[bit / 64] & (1 << (bit % 64)) != 0
            }
            Code::Smtp(SmtpCode(c)) => {
                let mut buf = NameBuf::default();
                buf.push_num(c);
                self.re.is_match(buf.as_bytes())
            }
            Code::Status(s) => {
                let mut buf = NameBuf::default();
                buf.push_status(s);
                self.re.is_match(buf.as_bytes())
            }
            Code::None => self.none,
        };
        hit != self.negate
    }
}

/// A code's display name written on the stack (`Classifier::code_name` allocates). The longest
/// is an enhanced status with full-width parts, `255.65535.65535`.
#[derive(Default)]
pub(super) struct NameBuf {
    pub(super) buf: [u8; 16],
    pub(super) len: usize,
}

impl NameBuf {
    pub(super) fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    pub(super) fn push_num(&mut self, n: u16) {
        let mut digits = [0u8; 5];
        let mut i = digits.len();
        let mut n = n;
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[i..] {
            self.push(d);
        }
    }

    pub(super) fn push_status(&mut self, s: EnhancedStatus) {
        self.push_num(u16::from(s.class));
        self.push(b'.');
        self.push_num(s.subject);
        self.push(b'.');
        self.push_num(s.detail);
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}
