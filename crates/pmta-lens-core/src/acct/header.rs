//! The header line of an accounting file: maps `PowerMTA`'s column names to positions, once per
//! header, so the rest of the code reads fields by meaning ([`Col`]) and never by position.

use std::sync::Arc;

use super::record::{FieldSplitter, unescape};

/// The columns pmta-lens reads. `PowerMTA`'s camelCase names appear here and nowhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    Type,
    TimeLogged,
    TimeQueued,
    Orig,
    Rcpt,
    DsnAction,
    DsnStatus,
    DsnDiag,
    DsnMta,
    BounceCat,
    DlvSourceIp,
    DlvDestinationIp,
    Vmta,
    JobId,
    /// `envId`: the envelope id the submitter gave (the `envid` filter).
    EnvId,
    Queue,
    VmtaPool,
    FeedbackType,
    Format,
    ReportingMta,
    /// `header_X-HmXmrOriginalRecipient`: the complaining recipient of a JMRP report when the
    /// operator logs that header instead of mapping it to `rcpt`.
    HmXmrOriginalRecipient,
}

/// Every column once, in the variants' order: the name `PowerMTA` writes in the header, and
/// whether the scan's hot path reads it ([`Col::HOT`]). [`Col::ALL`], [`Col::HOT`] and
/// [`Col::pmta_name`] are read from here.
const COLUMNS: [(Col, &str, bool); 21] = [
    (Col::Type, "type", true),
    (Col::TimeLogged, "timeLogged", true),
    (Col::TimeQueued, "timeQueued", false),
    // Hot for the `orig`, `rcpt`, `queue` and `envid` filters: one message or recipient can be
    // traced. In PowerMTA's usual layout `orig` and `envId` sit before `vmtaPool`, so storing
    // their field bounds costs nothing extra.
    (Col::Orig, "orig", true),
    (Col::Rcpt, "rcpt", true),
    (Col::DsnAction, "dsnAction", false),
    (Col::DsnStatus, "dsnStatus", true),
    (Col::DsnDiag, "dsnDiag", true),
    (Col::DsnMta, "dsnMta", true),
    (Col::BounceCat, "bounceCat", false),
    (Col::DlvSourceIp, "dlvSourceIp", true),
    // Hot for the connection estimate: one connection talks to one MX address. In PowerMTA's
    // usual layout it sits next to dlvSourceIp, before `queue`, so it costs nothing extra.
    (Col::DlvDestinationIp, "dlvDestinationIp", true),
    (Col::Vmta, "vmta", true),
    (Col::JobId, "jobId", true),
    (Col::EnvId, "envId", true),
    (Col::Queue, "queue", true),
    (Col::VmtaPool, "vmtaPool", true),
    (Col::FeedbackType, "feedbackType", false),
    (Col::Format, "format", false),
    (Col::ReportingMta, "reportingMta", false),
    (
        Col::HmXmrOriginalRecipient,
        "header_X-HmXmrOriginalRecipient",
        true,
    ),
];

impl Col {
    /// Every column, in the variants' order (a header's positions are indexed by variant).
    pub const ALL: [Col; 21] = {
        let mut all = [Col::Type; COLUMNS.len()];
        let mut i = 0;
        while i < all.len() {
            all[i] = COLUMNS[i].0;
            assert!(all[i] as usize == i, "COLUMNS is in the variants' order");
            i += 1;
        }
        all
    };

    /// The columns the scan's hot path reads (aggregation, filters, `rows`). Analyses that read
    /// other columns ask the scanner for whole rows.
    pub const HOT: [Col; 15] = {
        let mut hot = [Col::Type; 15];
        let (mut i, mut n) = (0, 0);
        while i < COLUMNS.len() {
            if COLUMNS[i].2 {
                hot[n] = COLUMNS[i].0;
                n += 1;
            }
            i += 1;
        }
        assert!(n == hot.len(), "HOT has room for every hot column");
        hot
    };

    /// The name `PowerMTA` writes in the header.
    pub fn pmta_name(self) -> &'static str {
        COLUMNS[self as usize].1
    }
}

/// A parsed header line.
#[derive(Debug, PartialEq, Eq)]
pub struct Header {
    /// Every column name in file order (repeats kept, `header_*` columns included).
    pub names: Vec<String>,
    /// The original bytes of the header line, without its line ending.
    pub raw: Vec<u8>,
    positions: [Option<u16>; Col::ALL.len()],
    /// One past the last position of a [`Col::HOT`] column: the scanner stores no field after it.
    pub hot_len: usize,
}

impl Header {
    /// Parses a header line (without line ending). `None` unless its first field is `type`.
    pub fn parse(line_bytes: &[u8]) -> Option<Arc<Header>> {
        let mut splitter = FieldSplitter::default();
        let mut buf = line_bytes.to_vec();
        buf.push(b'\n');
        splitter.split(&buf, 0);
        let names: Vec<String> = splitter
            .fields()
            .iter()
            .map(|f| String::from_utf8_lossy(&unescape(f.bytes(&buf), f.escaped)).into_owned())
            .collect();
        if names.first().map(String::as_str) != Some("type") {
            return None;
        }
        let mut positions = [None; Col::ALL.len()];
        for (slot, col) in positions.iter_mut().zip(Col::ALL) {
            // Names can repeat (`rcvSourceIp` twice was seen): the first occurrence wins.
            // PowerMTA's names are case-sensitive camelCase, but hand-made files vary, so
            // compare ignoring ASCII case.
            *slot = names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(col.pmta_name()))
                .and_then(|p| u16::try_from(p).ok());
        }
        let hot_len = Col::HOT
            .iter()
            .filter_map(|c| positions[*c as usize])
            .map(|p| usize::from(p) + 1)
            .max()
            .unwrap_or(1);
        Some(Arc::new(Header {
            names,
            raw: line_bytes.to_vec(),
            positions,
            hot_len,
        }))
    }

    /// Position of a column, if the header has it.
    #[inline]
    pub fn pos(&self, col: Col) -> Option<usize> {
        self.positions[col as usize].map(usize::from)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = include_str!("../../../../tests/fixtures/real-union-header.txt");

    #[test]
    fn maps_the_real_union_header_by_name() {
        let h = Header::parse(REAL.trim_end().as_bytes()).expect("a header");
        assert_eq!(h.len(), 38);
        assert_eq!(h.pos(Col::Type), Some(0));
        assert_eq!(h.pos(Col::TimeLogged), Some(1));
        assert_eq!(h.pos(Col::DsnDiag), Some(8));
        assert_eq!(h.pos(Col::DlvSourceIp), Some(14));
        assert_eq!(h.pos(Col::Vmta), Some(18));
        assert_eq!(h.pos(Col::Queue), Some(21));
        assert_eq!(h.pos(Col::VmtaPool), Some(22));
        assert_eq!(h.pos(Col::Format), Some(27));
        assert_eq!(h.pos(Col::HmXmrOriginalRecipient), None);
        assert_eq!(
            h.hot_len, 23,
            "nothing after vmtaPool is needed on the hot path"
        );
        // the repeated column is kept as-is
        assert_eq!(h.names.iter().filter(|n| *n == "rcvSourceIp").count(), 2);
    }

    #[test]
    fn order_and_subset_vary() {
        let h = Header::parse(b"type,rcpt,vmta,timeLogged,header_X-HmXmrOriginalRecipient")
            .expect("a header");
        assert_eq!(h.pos(Col::Rcpt), Some(1));
        assert_eq!(h.pos(Col::Vmta), Some(2));
        assert_eq!(h.pos(Col::TimeLogged), Some(3));
        assert_eq!(h.pos(Col::HmXmrOriginalRecipient), Some(4));
        assert_eq!(h.pos(Col::DsnDiag), None);
    }

    #[test]
    fn a_data_row_is_not_a_header() {
        assert!(Header::parse(b"d,2019-02-08 21:54:05+0000,x").is_none());
        assert!(Header::parse(b"").is_none());
    }

    #[test]
    fn quoted_names_are_unquoted() {
        let h = Header::parse(br#"type,"rcpt","header_Sub""ject""#).expect("a header");
        assert_eq!(h.names, ["type", "rcpt", "header_Sub\"ject"]);
    }
}
