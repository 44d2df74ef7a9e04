//! The columns a header can hold, and response and subject templates cut into pieces once so
//! rows are written as CSV without parsing or allocating.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Col {
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
    SrcType,
    SrcMta,
    DlvType,
    DlvSourceIp,
    DlvDestinationIp,
    DlvEsmtpAvailable,
    DlvSize,
    Vmta,
    JobId,
    EnvId,
    Queue,
    VmtaPool,
    SubaccountId,
    SpMessageId,
    RepSourceIp,
    FeedbackType,
    Format,
    UserAgent,
    ReportedDomain,
    HeaderFrom,
    HeaderReturnPath,
    HeaderXJob,
    HeaderSubject,
    RcvSourceIp,
    DsnReportingMta,
    OriginalRecipient,
    /// Known to `PowerMTA` but always empty here (`orcpt`, `reportingMta`), or a custom column.
    Empty,
}

impl Col {
    pub(super) fn from_name(name: &str) -> Col {
        match name {
            "type" => Col::Type,
            "timeLogged" => Col::TimeLogged,
            "timeQueued" => Col::TimeQueued,
            "orig" => Col::Orig,
            "rcpt" => Col::Rcpt,
            "dsnAction" => Col::DsnAction,
            "dsnStatus" => Col::DsnStatus,
            "dsnDiag" => Col::DsnDiag,
            "dsnMta" => Col::DsnMta,
            "bounceCat" => Col::BounceCat,
            "srcType" => Col::SrcType,
            "srcMta" => Col::SrcMta,
            "dlvType" => Col::DlvType,
            "dlvSourceIp" => Col::DlvSourceIp,
            "dlvDestinationIp" => Col::DlvDestinationIp,
            "dlvEsmtpAvailable" => Col::DlvEsmtpAvailable,
            "dlvSize" => Col::DlvSize,
            "vmta" => Col::Vmta,
            "jobId" => Col::JobId,
            "envId" => Col::EnvId,
            "queue" => Col::Queue,
            "vmtaPool" => Col::VmtaPool,
            "repSourceIp" => Col::RepSourceIp,
            "feedbackType" => Col::FeedbackType,
            "format" => Col::Format,
            "userAgent" => Col::UserAgent,
            "reportedDomain" => Col::ReportedDomain,
            "rcvSourceIp" => Col::RcvSourceIp,
            "dsnReportingMta" => Col::DsnReportingMta,
            // Header names are case-insensitive in mail, and operators spell them both ways.
            other => match other.to_ascii_lowercase().as_str() {
                "header_x-sp-subaccount-id" => Col::SubaccountId,
                "header_x-sp-message-id" => Col::SpMessageId,
                "header_from" => Col::HeaderFrom,
                "header_return-path" => Col::HeaderReturnPath,
                "header_x-job" => Col::HeaderXJob,
                "header_subject" => Col::HeaderSubject,
                "header_x-hmxmroriginalrecipient" => Col::OriginalRecipient,
                _ => Col::Empty,
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Compiled profile

/// A piece of a response or subject template.
pub(super) enum Piece {
    /// Literal bytes, already escaped for the field's quoting.
    Lit(Vec<u8>),
    Ip,
    MsgId,
    Rcpt,
    RDomain,
    SDomain,
    SDomainUpper,
    Gid,
    Ts,
    Size,
    Qid,
    N,
    /// A Microsoft front-end tag such as `BAY004-MC1F37`, per row ([`Profile::per_row_ids`]).
    MsFrontend,
    /// A Microsoft trailer `[HOST TIMESTAMP ID]`, per row ([`Profile::per_row_ids`]).
    MsTrailer,
}

/// A template cut into pieces once, so rows are written without parsing or allocating.
/// Substituted values never hold commas, quotes or line breaks, so whether the field needs
/// quotes is known from the literal text alone.
pub(super) struct Tpl {
    pub(super) pieces: Vec<Piece>,
    pub(super) quoted: bool,
}

impl Tpl {
    pub(super) fn new(text: &str) -> Tpl {
        let quoted = needs_quotes(text);
        let mut pieces = Vec::new();
        let mut lit = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let (before, after) = rest.split_at(open);
            push_escaped(&mut lit, before, quoted);
            let token = after.find('}').map(|close| (&after[1..close], close));
            let piece = token.and_then(|(name, _)| match name {
                "ip" => Some(Piece::Ip),
                "msgid" => Some(Piece::MsgId),
                "rcpt" => Some(Piece::Rcpt),
                "rdomain" => Some(Piece::RDomain),
                "sdomain" => Some(Piece::SDomain),
                "SDOMAIN" => Some(Piece::SDomainUpper),
                "gid" => Some(Piece::Gid),
                "ts" => Some(Piece::Ts),
                "size" => Some(Piece::Size),
                "qid" => Some(Piece::Qid),
                "n" => Some(Piece::N),
                "msfe" => Some(Piece::MsFrontend),
                "mstrailer" => Some(Piece::MsTrailer),
                _ => None,
            });
            if let (Some(piece), Some((_, close))) = (piece, token) {
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                pieces.push(piece);
                rest = &after[close + 1..];
            } else {
                // Not a token: keep the brace as text.
                push_escaped(&mut lit, "{", quoted);
                rest = &after[1..];
            }
        }
        push_escaped(&mut lit, rest, quoted);
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        Tpl { pieces, quoted }
    }
}

pub(super) fn needs_quotes(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

pub(super) fn push_escaped(out: &mut Vec<u8>, s: &str, quoted: bool) {
    if quoted {
        for b in s.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// A string as one CSV field (quoted when it must be).
pub(super) fn csv_field(s: &str) -> Vec<u8> {
    let quoted = needs_quotes(s);
    let mut out = Vec::with_capacity(s.len() + 2);
    if quoted {
        out.push(b'"');
    }
    push_escaped(&mut out, s, quoted);
    if quoted {
        out.push(b'"');
    }
    out
}
