//! Mail-domain value types shared by the core: record kinds, SMTP and enhanced status codes, the
//! response `Code` a row is bucketed under, and per-kind counters. Pure data: no I/O, no parsing of
//! whole rows (that is `acct`), no knowledge of any front end.

use std::fmt;

/// The accounting record types `PowerMTA` writes (first column, `type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    /// `d`: delivered.
    Delivered,
    /// `b`: bounced by `PowerMTA`.
    Bounced,
    /// `t`: per-recipient transient failure (deferral).
    Transient,
    /// `tq`: queue-level transient failure (connection failures, 421 at greeting).
    TransientQueue,
    /// `r`: received.
    Received,
    /// `f`: feedback-loop report (ARF, JMRP).
    Feedback,
    /// `rb`: remote (asynchronous) bounce.
    RemoteBounce,
    /// `rs`: remote status.
    RemoteStatus,
}

impl RecordKind {
    /// Rows of one SMTP transaction or attempt by one of our VMTAs (what a connection carries).
    pub fn is_smtp(self) -> bool {
        matches!(
            self,
            RecordKind::Delivered
                | RecordKind::Transient
                | RecordKind::Bounced
                | RecordKind::TransientQueue
        )
    }

    /// Every kind, in the order used for counters and output.
    pub const ALL: [RecordKind; 8] = [
        RecordKind::Delivered,
        RecordKind::Bounced,
        RecordKind::Transient,
        RecordKind::TransientQueue,
        RecordKind::Received,
        RecordKind::Feedback,
        RecordKind::RemoteBounce,
        RecordKind::RemoteStatus,
    ];

    /// Parses the `type` field. Exact, case-sensitive, as `PowerMTA` writes it.
    pub fn from_bytes(b: &[u8]) -> Option<RecordKind> {
        Some(match b {
            b"d" => RecordKind::Delivered,
            b"b" => RecordKind::Bounced,
            b"t" => RecordKind::Transient,
            b"tq" => RecordKind::TransientQueue,
            b"r" => RecordKind::Received,
            b"f" => RecordKind::Feedback,
            b"rb" => RecordKind::RemoteBounce,
            b"rs" => RecordKind::RemoteStatus,
            _ => return None,
        })
    }

    /// The token `PowerMTA` writes in the `type` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Delivered => "d",
            RecordKind::Bounced => "b",
            RecordKind::Transient => "t",
            RecordKind::TransientQueue => "tq",
            RecordKind::Received => "r",
            RecordKind::Feedback => "f",
            RecordKind::RemoteBounce => "rb",
            RecordKind::RemoteStatus => "rs",
        }
    }

    /// A word for people.
    pub fn label(self) -> &'static str {
        match self {
            RecordKind::Delivered => "delivered",
            RecordKind::Bounced => "bounced",
            RecordKind::Transient => "deferred",
            RecordKind::TransientQueue => "queue deferred",
            RecordKind::Received => "received",
            RecordKind::Feedback => "complaint (FBL)",
            RecordKind::RemoteBounce => "remote bounce",
            RecordKind::RemoteStatus => "remote status",
        }
    }

    /// Position in [`RecordKind::ALL`] and in [`TypeCounts`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether rows of this kind carry a remote response that is classified into a [`Code`].
    /// Delivered rows are not classified (their response is a 250), nor are received and
    /// feedback rows (they carry no response of a destination to our delivery attempt).
    pub fn has_response(self) -> bool {
        matches!(
            self,
            RecordKind::Bounced
                | RecordKind::Transient
                | RecordKind::TransientQueue
                | RecordKind::RemoteBounce
                | RecordKind::RemoteStatus
        )
    }

    /// Whether a row of this kind is a delivery attempt of ours toward a destination (it has a
    /// sending VMTA and IP). Feedback rows are reports *about* our mail from someone else.
    pub fn is_attempt(self) -> bool {
        !matches!(self, RecordKind::Feedback | RecordKind::Received)
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A count per [`RecordKind`], indexed by [`RecordKind::index`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TypeCounts(pub [u64; 8]);

impl TypeCounts {
    pub fn add(&mut self, kind: RecordKind, n: u64) {
        self.0[kind.index()] += n;
    }

    pub fn get(&self, kind: RecordKind) -> u64 {
        self.0[kind.index()]
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    pub fn merge(&mut self, other: &TypeCounts) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += b;
        }
    }

    /// The kinds with a non-zero count, in [`RecordKind::ALL`] order.
    pub fn nonzero(&self) -> impl Iterator<Item = (RecordKind, u64)> + '_ {
        RecordKind::ALL
            .iter()
            .map(|k| (*k, self.get(*k)))
            .filter(|(_, n)| *n > 0)
    }

    /// Deferrals of any sort: `t` and `tq`.
    pub fn deferred(&self) -> u64 {
        self.get(RecordKind::Transient) + self.get(RecordKind::TransientQueue)
    }

    /// Bounces of any sort: `b` and `rb`.
    pub fn bounced(&self) -> u64 {
        self.get(RecordKind::Bounced) + self.get(RecordKind::RemoteBounce)
    }

    pub fn delivered(&self) -> u64 {
        self.get(RecordKind::Delivered)
    }

    /// Delivery attempts: delivered + deferred + bounced (the denominator of rates).
    pub fn attempts(&self) -> u64 {
        self.delivered() + self.deferred() + self.bounced()
    }
}

/// A basic SMTP reply code (`421`, `550`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SmtpCode(pub u16);

impl SmtpCode {
    /// Parses three ASCII digits `[2-5][0-9][0-9]`.
    pub fn parse(b: &[u8]) -> Option<SmtpCode> {
        match b {
            [a @ b'2'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9'] => Some(SmtpCode(
                u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'),
            )),
            _ => None,
        }
    }

    /// 4xx: try again later.
    pub fn is_transient(self) -> bool {
        (400..500).contains(&self.0)
    }

    /// 5xx: permanent failure.
    pub fn is_permanent(self) -> bool {
        (500..600).contains(&self.0)
    }
}

impl fmt::Display for SmtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An RFC 3463 enhanced status code `class.subject.detail` (`5.7.606`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnhancedStatus {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl EnhancedStatus {
    /// Parses exactly `class.subject.detail` with class 2, 4 or 5 and 1-3 digit parts.
    pub fn parse(b: &[u8]) -> Option<EnhancedStatus> {
        // By hand rather than by splitting: every response the classifier's fallback sees
        // goes through here at least once.
        let [class @ (b'2' | b'4' | b'5'), b'.', rest @ ..] = b else {
            return None;
        };
        let (subject, rest) = leading_number(rest)?;
        let (detail, rest) = leading_number(rest.strip_prefix(b".")?)?;
        if !rest.is_empty() {
            return None;
        }
        Some(EnhancedStatus {
            class: class - b'0',
            subject,
            detail,
        })
    }

    /// Finds the first enhanced status code that stands as a word in `text` (`421 4.7.0 RP-001`
    /// gives `4.7.0`), ignoring dotted numbers that are part of something longer (an IP address).
    pub fn find(text: &[u8]) -> Option<EnhancedStatus> {
        text.split(|c| matches!(c, b' ' | b'\t' | b'(' | b')' | b'[' | b']' | b';' | b','))
            .find_map(EnhancedStatus::parse)
    }
}

/// The 1-3 digit number at the start of `b` (not followed by a fourth digit), and the rest.
fn leading_number(b: &[u8]) -> Option<(u16, &[u8])> {
    let len = b.iter().take(4).take_while(|d| d.is_ascii_digit()).count();
    if !(1..=3).contains(&len) {
        return None;
    }
    let n = b[..len]
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    Some((n, &b[len..]))
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// Whether a response means "try later" or "given up".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResponseKind {
    Deferral,
    Bounce,
}

impl ResponseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseKind::Deferral => "deferral",
            ResponseKind::Bounce => "bounce",
        }
    }
}

/// How urgently a finding or a response code needs an operator. Serialized as [`Severity::as_str`]
/// says (`critical`), the one spelling of the JSON reports and the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Mail is being blocked or rejected: act now.
    Critical,
    /// Mail is being slowed or will be blocked if nothing changes.
    Warning,
    /// Worth knowing; the normal retry handles it.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "critical" => Some(Severity::Critical),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
}

/// Index of a rule in the classifier's table.
pub type RuleId = u16;

/// The code a response is bucketed under: the id of the first matching rule, else its enhanced
/// status code, else its basic SMTP code, else none. `Copy` and allocation-free, so it can be a
/// hash key on the hot path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// A rule of the classifier's table matched (display: the rule's id, e.g. `RP-002`).
    Rule(RuleId),
    /// No rule matched; the enhanced status code of the response.
    Status(EnhancedStatus),
    /// No rule matched and no enhanced code; the basic SMTP reply code.
    Smtp(SmtpCode),
    /// The row has no usable response text.
    None,
}

impl Code {
    /// The kind a fallback code implies from its class (4: deferral, 5: bounce). Rule codes get
    /// their kind from the rule table instead.
    pub fn fallback_kind(self) -> Option<ResponseKind> {
        let class = match self {
            Code::Status(s) => u16::from(s.class),
            Code::Smtp(c) => c.0 / 100,
            Code::Rule(_) | Code::None => return None,
        };
        match class {
            4 => Some(ResponseKind::Deferral),
            5 => Some(ResponseKind::Bounce),
            _ => None,
        }
    }
}

/// The bucket key for an empty field.
pub const NONE_KEY: &str = "(none)";
/// The bucket key for rows that have no sending VMTA or IP of their own (`f` rows).
pub const UNATTRIBUTED_KEY: &str = "(unattributed)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_kinds_round_trip() {
        for k in RecordKind::ALL {
            assert_eq!(RecordKind::from_bytes(k.as_str().as_bytes()), Some(k));
            assert_eq!(RecordKind::ALL[k.index()], k);
        }
        for bad in [&b""[..], b"D", b"x", b"type", b"dd"] {
            assert_eq!(RecordKind::from_bytes(bad), None);
        }
    }

    #[test]
    fn smtp_codes() {
        assert_eq!(SmtpCode::parse(b"421"), Some(SmtpCode(421)));
        assert!(SmtpCode(421).is_transient());
        assert!(SmtpCode(550).is_permanent());
        for bad in [&b"42"[..], b"4210", b"621", b"abc", b""] {
            assert_eq!(SmtpCode::parse(bad), None, "{bad:?}");
        }
    }

    /// `EnhancedStatus::parse` as first written, by splitting on dots.
    fn parse_by_splitting(b: &[u8]) -> Option<EnhancedStatus> {
        let digits = |b: &[u8], max_len: usize| {
            (!b.is_empty() && b.len() <= max_len && b.iter().all(u8::is_ascii_digit))
                .then(|| b.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0')))
        };
        let mut parts = b.split(|c| *c == b'.');
        let class = digits(parts.next()?, 1)?;
        let subject = digits(parts.next()?, 3)?;
        let detail = digits(parts.next()?, 3)?;
        if parts.next().is_some() || !matches!(class, 2 | 4 | 5) {
            return None;
        }
        Some(EnhancedStatus {
            class: class as u8,
            subject,
            detail,
        })
    }

    #[test]
    fn enhanced_status_parse_agrees_with_splitting_on_every_short_string() {
        const ALPHABET: &[u8] = b"02459.x";
        let mut text = Vec::new();
        let mut count = 0;
        for len in 0..=7u32 {
            for mut n in 0..ALPHABET.len().pow(len) {
                text.clear();
                for _ in 0..len {
                    text.push(ALPHABET[n % ALPHABET.len()]);
                    n /= ALPHABET.len();
                }
                let got = EnhancedStatus::parse(&text);
                assert_eq!(
                    got,
                    parse_by_splitting(&text),
                    "{:?}",
                    String::from_utf8_lossy(&text)
                );
                count += usize::from(got.is_some());
            }
        }
        assert!(count > 1000, "{count}");
    }

    #[test]
    fn enhanced_status_parse_and_find() {
        let s = EnhancedStatus::parse(b"5.7.606").expect("valid");
        assert_eq!((s.class, s.subject, s.detail), (5, 7, 606));
        assert_eq!(s.to_string(), "5.7.606");
        for bad in [&b"5.7"[..], b"6.1.1", b"5.1.1.1", b"5..1", b"5.1234.1", b""] {
            assert_eq!(EnhancedStatus::parse(bad), None, "{bad:?}");
        }
        let cases: [(&[u8], Option<&str>); 6] = [
            (b"421 4.7.0 RP-001 blocked", Some("4.7.0")),
            (b"5.1.1 (bad destination mailbox address)", Some("5.1.1")),
            (
                b"451 4.7.500 Server busy from [134.119.1.64].",
                Some("4.7.500"),
            ),
            (b"421 RP-001 from 50.57.111.177 weren't sent", None),
            (b"550 Requested action not taken", None),
            (b"", None),
        ];
        for (text, want) in cases {
            assert_eq!(
                EnhancedStatus::find(text).map(|s| s.to_string()).as_deref(),
                want,
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn fallback_kind_follows_class() {
        let deferral = Code::Smtp(SmtpCode(421));
        assert_eq!(deferral.fallback_kind(), Some(ResponseKind::Deferral));
        let bounce = Code::Status(EnhancedStatus::parse(b"5.1.1").expect("valid"));
        assert_eq!(bounce.fallback_kind(), Some(ResponseKind::Bounce));
        assert_eq!(Code::None.fallback_kind(), None);
    }

    #[test]
    fn counts_merge_and_rates() {
        let mut a = TypeCounts::default();
        a.add(RecordKind::Delivered, 3);
        a.add(RecordKind::Transient, 2);
        let mut b = TypeCounts::default();
        b.add(RecordKind::TransientQueue, 1);
        b.add(RecordKind::RemoteBounce, 4);
        a.merge(&b);
        assert_eq!(a.total(), 10);
        assert_eq!(a.deferred(), 3);
        assert_eq!(a.bounced(), 4);
        assert_eq!(a.attempts(), 10);
        assert_eq!(
            a.nonzero().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["d", "t", "tq", "rb"]
        );
    }

    #[test]
    fn severity_serializes_as_its_name() {
        for s in [Severity::Critical, Severity::Warning, Severity::Info] {
            let json = serde_json::to_string(&s).expect("serializes");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(Severity::parse(s.as_str()), Some(s));
        }
    }
}
