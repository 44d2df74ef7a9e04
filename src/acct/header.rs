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
    Queue,
    VmtaPool,
    FeedbackType,
    Format,
    ReportingMta,
    /// `header_X-HmXmrOriginalRecipient`: the complaining recipient of a JMRP report when the
    /// operator logs that header instead of mapping it to `rcpt`.
    HmXmrOriginalRecipient,
}

impl Col {
    pub const ALL: [Col; 20] = [
        Col::Type,
        Col::TimeLogged,
        Col::TimeQueued,
        Col::Orig,
        Col::Rcpt,
        Col::DsnAction,
        Col::DsnStatus,
        Col::DsnDiag,
        Col::DsnMta,
        Col::BounceCat,
        Col::DlvSourceIp,
        Col::DlvDestinationIp,
        Col::Vmta,
        Col::JobId,
        Col::Queue,
        Col::VmtaPool,
        Col::FeedbackType,
        Col::Format,
        Col::ReportingMta,
        Col::HmXmrOriginalRecipient,
    ];

    /// The columns the scan's hot path reads (aggregation, filters, `rows`). Analyses that read
    /// other columns ask the scanner for whole rows.
    pub const HOT: [Col; 13] = [
        Col::Type,
        Col::TimeLogged,
        Col::Rcpt,
        Col::DsnStatus,
        Col::DsnDiag,
        Col::DsnMta,
        Col::DlvSourceIp,
        // The connection estimate: one connection talks to one MX address. In PowerMTA's
        // usual layout it sits next to dlvSourceIp, before `queue`, so it costs nothing extra.
        Col::DlvDestinationIp,
        Col::Vmta,
        Col::JobId,
        Col::Queue,
        Col::VmtaPool,
        Col::HmXmrOriginalRecipient,
    ];

    /// The name `PowerMTA` writes in the header.
    pub fn pmta_name(self) -> &'static str {
        match self {
            Col::Type => "type",
            Col::TimeLogged => "timeLogged",
            Col::TimeQueued => "timeQueued",
            Col::Orig => "orig",
            Col::Rcpt => "rcpt",
            Col::DsnAction => "dsnAction",
            Col::DsnStatus => "dsnStatus",
            Col::DsnDiag => "dsnDiag",
            Col::DsnMta => "dsnMta",
            Col::BounceCat => "bounceCat",
            Col::DlvSourceIp => "dlvSourceIp",
            Col::DlvDestinationIp => "dlvDestinationIp",
            Col::Vmta => "vmta",
            Col::JobId => "jobId",
            Col::Queue => "queue",
            Col::VmtaPool => "vmtaPool",
            Col::FeedbackType => "feedbackType",
            Col::Format => "format",
            Col::ReportingMta => "reportingMta",
            Col::HmXmrOriginalRecipient => "header_X-HmXmrOriginalRecipient",
        }
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

    const REAL: &str = include_str!("../../tests/fixtures/real-union-header.txt");

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
