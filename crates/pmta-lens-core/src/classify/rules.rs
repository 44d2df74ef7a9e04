//! The classifier's data: the built-in rule table (Microsoft responses, in match order) and the
//! compact RFC 3463 / RFC 5321 tables that describe fallback codes. Data only: no matching logic.

use super::Rule;
use crate::model::ResponseKind::{Bounce, Deferral};
use crate::model::Severity::{Critical, Info, Warning};

const MICROSOFT: &str = "Microsoft";

/// The built-in rules, first match wins. A pattern is matched against each reply of the
/// response (`^` is where the reply code starts, after `smtp;`); anchoring every built-in pattern
/// there lets the DFA stop within a few bytes on most texts. Patterns are ASCII (compiled
/// without Unicode). Every pattern must hold a fixed piece of text (`RP-002`, `5.7.606`): the
/// classifier's prefilter looks for those first, and a text without any skips the regexes
/// (`builtin_rules_are_prefiltered` keeps it so). Microsoft's RP/PR/SC tokens count only right
/// after the reply code, so an address or host name containing them does not; the RP tokens
/// may be bracketed (`421 4.7.0 [RP-002] ...`, `421 [RP-002] (BAY004-MC1F37) ...`). The two
/// `5.7.1` rules need Microsoft's own wording, since `5.7.1` is every provider's generic
/// refusal. A rule named after a bare code (`5.7.606`) also owns that code wherever it stands
/// (see `Classifier::by_code`).
///
/// The `action` of the rows from the reference article's error-code table is the article's text
/// (with the real directive name, `max-connect-rate`).
pub(super) static BUILTIN: &[Rule] = &[
    Rule {
        id: "RP-001",
        provider: MICROSOFT,
        kind: Deferral,
        severity: Critical,
        meaning: "IP blocked on reputation policy (RP-001): a reputation block sent as a 421, \
                  not a transient deferral; retrying soon worsens the IP's SNDS data",
        action: "Stop sending; check SNDS; do not retry for 4h minimum",
        pattern: r"^4\d\d[ -](?:4\.\d{1,3}\.\d{1,3} )?\[?RP-001\b",
    },
    Rule {
        id: "RP-002",
        provider: MICROSOFT,
        kind: Deferral,
        severity: Warning,
        meaning: "Connection rate limit exceeded (RP-002): the sending IP connected to \
                  Microsoft faster than it allows",
        action: "Reduce max-connect-rate; increase retry-after to 30m",
        pattern: r"^4\d\d[ -](?:4\.\d{1,3}\.\d{1,3} )?\[?RP-002\b",
    },
    Rule {
        id: "RP-003",
        provider: MICROSOFT,
        kind: Deferral,
        severity: Critical,
        meaning: "Microsoft deferred mail on the sender domain's reputation (RP-003): \
                  sender domain blocked",
        action: "Check domain reputation; verify DMARC policy",
        pattern: r"^4\d\d[ -](?:4\.\d{1,3}\.\d{1,3} )?\[?RP-003\b",
    },
    Rule {
        id: "5.7.1-blocklist",
        provider: MICROSOFT,
        kind: Bounce,
        severity: Critical,
        meaning: "Permanent IP block: part of the sending IP's network is on Microsoft's \
                  block list (S3140, S3150, AS3140)",
        action: "Contact Microsoft Sender Support; use alternate IP",
        pattern: r"^5\d\d[ -]5\.7\.1 .*(?:part of their network is on our block list|\(A?S31[45]0\))",
    },
    Rule {
        id: "5.7.1-dmarc",
        provider: MICROSOFT,
        kind: Bounce,
        severity: Critical,
        meaning: "DMARC policy failure: Microsoft rejected the message under the From: domain's \
                  DMARC policy (\"domain owner policy restrictions\")",
        action: "Debug SPF/DKIM alignment; check From: domain match",
        // Microsoft's wording, or DMARC next to a Microsoft marker (its "Unfortunately,
        // messages from" opening, an Outlook/Hotmail host, its `(S1234)` tags): a bare
        // "5.7.1 ... DMARC" is anyone's. Case-sensitive, as Microsoft writes it: `(?i)` slows
        // the DFA by a third, and this pattern scans whole replies.
        pattern: r"^5\d\d[ -]5\.7\.1 (?:.*domain owner policy restrictions|Unfortunately, messages from .*DMARC|.*DMARC.*(?:\.outlook\.com|[Hh]otmail|\.live\.com|microsoft\.com|\(A?S\d{3,}\)))",
    },
    Rule {
        id: "5.7.606",
        provider: MICROSOFT,
        kind: Bounce,
        severity: Critical,
        meaning: "Access denied, banned sending IP: the IP is on Microsoft's block list \
                  (the Office 365 wording points to sender.office.com for removal)",
        action: "Submit delisting at sendersupport.olc.protection.outlook.com",
        pattern: r"^5\d\d[ -]5\.7\.606\b",
    },
    Rule {
        id: "4.7.500",
        provider: MICROSOFT,
        kind: Deferral,
        severity: Info,
        meaning: "Server busy: Microsoft throttles the sending IP temporarily (S77719)",
        action: "Normal retry at standard retry-after interval",
        pattern: r"^4\d\d[ -]4\.7\.500\b",
    },
    Rule {
        id: "5.7.510",
        provider: MICROSOFT,
        kind: Bounce,
        severity: Critical,
        meaning: "Access denied: the recipient domain does not accept email over IPv6",
        action: "Deliver to this domain over IPv4: give its VMTA an IPv4 smtp-source-host",
        pattern: r"^5\d\d[ -]5\.7\.510\b",
    },
    Rule {
        id: "4.7.650",
        provider: MICROSOFT,
        kind: Deferral,
        severity: Warning,
        meaning: "The sending IP is temporarily rate limited because of its reputation \
                  (S775, S843)",
        action: "Slow down to Microsoft from this IP (lower max-msg-rate and max-smtp-out), \
                 check its SNDS data and complaint rate; let PowerMTA retry",
        pattern: r"^4\d\d[ -]4\.7\.650\b",
    },
    Rule {
        id: "4.7.651",
        provider: MICROSOFT,
        kind: Deferral,
        severity: Warning,
        meaning: "The sending IP is temporarily rate limited because of its reputation (S844)",
        action: "Slow down to Microsoft from this IP (lower max-msg-rate and max-smtp-out), \
                 check its SNDS data and complaint rate; let PowerMTA retry",
        pattern: r"^4\d\d[ -]4\.7\.651\b",
    },
    Rule {
        id: "5.7.708",
        provider: MICROSOFT,
        kind: Bounce,
        severity: Critical,
        meaning: "Access denied, traffic not accepted from this IP: Microsoft refuses the IP \
                  for low or no reputation (typically a new or recently abused IP)",
        action: "Move Microsoft traffic to an IP with an established reputation; warm this IP \
                 up slowly with low volume and check SNDS",
        pattern: r"^5\d\d[ -]5\.7\.708\b",
    },
    Rule {
        id: "5.7.509",
        provider: MICROSOFT,
        kind: Bounce,
        severity: Critical,
        meaning: "Access denied: the sending domain does not pass DMARC verification and has \
                  a DMARC policy of reject",
        action: "Debug SPF/DKIM alignment; check From: domain match",
        pattern: r"^5\d\d[ -]5\.7\.509\b",
    },
    Rule {
        id: "5.7.515",
        provider: MICROSOFT,
        kind: Bounce,
        severity: Critical,
        meaning: "Access denied: the sending domain does not meet Microsoft's required \
                  authentication level (bulk-sender rules: SPF, DKIM and DMARC must pass)",
        action: "Publish SPF and DKIM for the From: domain and a DMARC record (p=none at \
                 least) with an aligned pass, then resend",
        pattern: r"^5\d\d[ -]5\.7\.515\b",
    },
    Rule {
        id: "PR(ct1)",
        provider: MICROSOFT,
        kind: Deferral,
        severity: Warning,
        meaning: "Connection limit: the sending IP has more simultaneous connections open to \
                  Hotmail/Outlook.com than Microsoft allows",
        action: "Lower max-smtp-out for the outlook.com rollup (connections = pool size x \
                 max-smtp-out) and roll every Microsoft domain into it",
        pattern: r"^4\d\d[ -](?:4\.\d{1,3}\.\d{1,3} )?PR\(ct1\)",
    },
    Rule {
        id: "SC-001",
        provider: MICROSOFT,
        kind: Bounce,
        severity: Critical,
        meaning: "Block list: part of the sending IP's network is on Microsoft's block list \
                  (Hotmail/Outlook.com)",
        action: "Have the IP's owner request delisting through Microsoft Sender Support; \
                 move Microsoft traffic to an IP outside the listed range",
        pattern: r"^5\d\d[ -](?:5\.\d{1,3}\.\d{1,3} )?SC-001\b",
    },
    Rule {
        id: "4.3.2-concurrency",
        provider: MICROSOFT,
        kind: Deferral,
        severity: Warning,
        meaning: "Exchange Online/Office 365 concurrency limit: too many simultaneous \
                  connections from the sender to the tenant's resource forest (PRX)",
        action: "Lower max-smtp-out for this domain (connections = pool size x \
                 max-smtp-out); PowerMTA retries",
        pattern: r"^4\d\d[ -]4\.3\.2 The maximum number of concurrent (?:server )?connections",
    },
    Rule {
        id: "5.5.0-mailbox",
        provider: MICROSOFT,
        kind: Bounce,
        severity: Info,
        meaning: "Outlook.com: recipient mailbox unavailable (S2017062302); usually an address \
                  that does not exist, at times a filtering refusal",
        action: "Suppress the address if it repeats; if many known-good addresses get it at \
                 once, treat it as a block and check SNDS",
        pattern: r"^5\d\d[ -]5\.5\.0 Requested action not taken: mailbox unavailable \(S\d+\)",
    },
];

/// RFC 3463 subjects (`X.n.*`), index = subject.
pub(super) static STATUS_SUBJECTS: [&str; 8] = [
    "Other or undefined status",
    "Addressing status",
    "Mailbox status",
    "Mail system status",
    "Network and routing status",
    "Mail delivery protocol status",
    "Message content or media status",
    "Security or policy status",
];

/// RFC 3463 details (`X.subject.detail`), with the later registered X.1.10 and X.7.8-X.7.27
/// that providers use for authentication refusals.
pub(super) static STATUS_DETAILS: &[(u16, u16, &str)] = &[
    (0, 0, "Other undefined status"),
    (1, 0, "Other address status"),
    (1, 1, "Bad destination mailbox address"),
    (1, 2, "Bad destination system address"),
    (1, 3, "Bad destination mailbox address syntax"),
    (1, 4, "Destination mailbox address ambiguous"),
    (1, 5, "Destination address valid"),
    (1, 6, "Destination mailbox has moved, no forwarding address"),
    (1, 7, "Bad sender's mailbox address syntax"),
    (1, 8, "Bad sender's system address"),
    (1, 10, "Recipient address has null MX"),
    (2, 0, "Other or undefined mailbox status"),
    (2, 1, "Mailbox disabled, not accepting messages"),
    (2, 2, "Mailbox full"),
    (2, 3, "Message length exceeds administrative limit"),
    (2, 4, "Mailing list expansion problem"),
    (3, 0, "Other or undefined mail system status"),
    (3, 1, "Mail system full"),
    (3, 2, "System not accepting network messages"),
    (3, 3, "System not capable of selected features"),
    (3, 4, "Message too big for system"),
    (3, 5, "System incorrectly configured"),
    (4, 0, "Other or undefined network or routing status"),
    (4, 1, "No answer from host"),
    (4, 2, "Bad connection"),
    (4, 3, "Directory server failure"),
    (4, 4, "Unable to route"),
    (4, 5, "Mail system congestion"),
    (4, 6, "Routing loop detected"),
    (4, 7, "Delivery time expired"),
    (5, 0, "Other or undefined protocol status"),
    (5, 1, "Invalid command"),
    (5, 2, "Syntax error"),
    (5, 3, "Too many recipients"),
    (5, 4, "Invalid command arguments"),
    (5, 5, "Wrong protocol version"),
    (6, 0, "Other or undefined media error"),
    (6, 1, "Media not supported"),
    (6, 2, "Conversion required and prohibited"),
    (6, 3, "Conversion required but not supported"),
    (6, 4, "Conversion with loss performed"),
    (6, 5, "Conversion failed"),
    (7, 0, "Other or undefined security status"),
    (7, 1, "Delivery not authorized, message refused"),
    (7, 2, "Mailing list expansion prohibited"),
    (7, 3, "Security conversion required but not possible"),
    (7, 4, "Security features not supported"),
    (7, 5, "Cryptographic failure"),
    (7, 6, "Cryptographic algorithm not supported"),
    (7, 7, "Message integrity failure"),
    (7, 8, "Authentication credentials invalid"),
    (7, 9, "Authentication mechanism is too weak"),
    (7, 20, "No passing DKIM signature found"),
    (7, 21, "No acceptable DKIM signature found"),
    (7, 22, "No valid author-matched DKIM signature found"),
    (7, 23, "SPF validation failed"),
    (7, 24, "SPF validation error"),
    (7, 25, "Reverse DNS validation failed"),
    (7, 26, "Multiple authentication checks failed"),
    (7, 27, "Sender address has null MX"),
];

/// The operator's standard response to an enhanced code, where there is one
/// (class, subject, detail, action).
pub(super) static STATUS_ACTIONS: &[(u8, u16, u16, &str)] = &[
    (5, 1, 1, "Suppress the address: the mailbox does not exist"),
    (
        5,
        1,
        2,
        "Check the domain for typos; suppress the address if the domain has no mail host",
    ),
    (
        5,
        1,
        3,
        "Fix or suppress the address: its syntax is invalid",
    ),
    (5, 1, 6, "Suppress the address: the mailbox has moved"),
    (
        5,
        1,
        10,
        "Suppress the address: its domain accepts no mail (null MX)",
    ),
    (5, 2, 1, "Suppress the address: the mailbox is disabled"),
    (
        4,
        2,
        2,
        "Retry; suppress the address after repeated mailbox-full responses",
    ),
    (
        5,
        2,
        2,
        "Retry later; suppress the address after repeated mailbox-full bounces",
    ),
    (5, 2, 3, "Reduce the message size"),
    (5, 3, 4, "Reduce the message size"),
    (
        4,
        4,
        1,
        "Check the destination MX and your outbound network; PowerMTA retries",
    ),
    (
        4,
        4,
        2,
        "Normal retry; if frequent, lower max-smtp-out for this domain",
    ),
    (
        4,
        4,
        5,
        "Normal retry; if frequent, lower max-msg-rate for this domain",
    ),
    (
        4,
        4,
        7,
        "Messages expired in the queue: look at this domain's deferral codes",
    ),
    (
        5,
        4,
        7,
        "Messages expired in the queue: look at this domain's deferral codes",
    ),
    (
        5,
        4,
        4,
        "Check the domain's DNS and MX; suppress the address if it has no mail host",
    ),
    (5, 5, 3, "Lower max-rcpt-per-message for this domain"),
    (
        5,
        7,
        1,
        "Read the response: a policy, reputation or block-list refusal; check the \
               provider's postmaster pages and block lists for the sending IP",
    ),
    (5, 7, 20, "Sign with DKIM aligned to the From: domain"),
    (5, 7, 21, "Sign with DKIM aligned to the From: domain"),
    (5, 7, 22, "Sign with DKIM aligned to the From: domain"),
    (
        5,
        7,
        23,
        "Authorise the sending IP in the domain's SPF record",
    ),
    (
        5,
        7,
        25,
        "Give the sending IP a PTR record that resolves back to it",
    ),
    (
        5,
        7,
        26,
        "Fix authentication: SPF or DKIM must pass aligned with the From: domain",
    ),
];

/// RFC 5321 reply codes seen in bounces and deferrals.
pub(super) static SMTP_MEANINGS: &[(u16, &str)] = &[
    (
        421,
        "Service not available, closing transmission channel (often a rate or connection limit)",
    ),
    (
        450,
        "Mailbox unavailable: busy, or temporarily refused by policy",
    ),
    (451, "Local error in processing; action aborted"),
    (452, "Insufficient system storage, or too many recipients"),
    (454, "Temporary authentication or TLS failure"),
    (500, "Syntax error, command unrecognised"),
    (501, "Syntax error in parameters or arguments"),
    (503, "Bad sequence of commands"),
    (530, "Authentication required"),
    (550, "Mailbox unavailable: not found, or refused by policy"),
    (551, "User not local"),
    (
        552,
        "Exceeded storage allocation: mailbox full or message too big",
    ),
    (553, "Mailbox name not allowed: bad address"),
    (
        554,
        "Transaction failed: often a policy or block-list refusal",
    ),
];
