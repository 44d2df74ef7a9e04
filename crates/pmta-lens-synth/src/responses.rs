//! The response catalogue: every reply text the generator writes, by provider and kind, with
//! its weight (most of the file is the table itself, kept in one place so the texts can be read
//! side by side).

use super::profile::Provider;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RespKind {
    Deliver,
    Defer,
    QueueDefer,
    Bounce,
    /// `PowerMTA` gave up (no SMTP response in the row, delivery fields empty).
    Expire,
    RemoteBounce,
    RemoteStatus,
}

pub(super) const RESP_KINDS: usize = 7;

impl RespKind {
    pub(super) fn index(self) -> usize {
        match self {
            RespKind::Deliver => 0,
            RespKind::Defer => 1,
            RespKind::QueueDefer => 2,
            RespKind::Bounce => 3,
            RespKind::Expire => 4,
            RespKind::RemoteBounce => 5,
            RespKind::RemoteStatus => 6,
        }
    }
}

/// One response text. `diag` tokens: `{ip}` our sending IP, `{msgid}` `<hex@mail.DOMAIN>`,
/// `{rcpt}`, `{rdomain}` recipient domain, `{sdomain}` / `{SDOMAIN}` sender domain, `{gid}` a
/// Gmail queue id, `{ts}` Unix time, `{size}` message size, `{qid}` a Postfix queue id, `{n}`
/// a number.
pub(super) struct Resp {
    pub(super) id: &'static str,
    /// `None`: any destination.
    pub(super) provider: Option<Provider>,
    pub(super) kind: RespKind,
    pub(super) status: &'static str,
    pub(super) diag: &'static str,
    pub(super) cat: &'static str,
    pub(super) weight: u32,
}

pub(super) const MS: Option<Provider> = Some(Provider::MicrosoftConsumer);
pub(super) const O365: Option<Provider> = Some(Provider::Office365);
pub(super) const GMAIL: Option<Provider> = Some(Provider::Gmail);
pub(super) const YAHOO: Option<Provider> = Some(Provider::Yahoo);
pub(super) const OTHER: Option<Provider> = Some(Provider::Other);

pub(super) const SEC_STATUS_4: &str = "4.7.0 (other or undefined security status)";
pub(super) const UNDEF_4: &str = "4.0.0 (undefined status)";
pub(super) const UNDEF_5: &str = "5.0.0 (undefined status)";
pub(super) const NO_ANSWER: &str = "4.4.1 (no answer from host)";
pub(super) const REFUSED_5: &str = "5.7.1 (delivery not authorized, message refused)";
pub(super) const BAD_MAILBOX: &str = "5.1.1 (bad destination mailbox address)";

/// Texts follow the verbatim Microsoft responses in `reference/README.md` with documentation
/// IPs; RP-002/RP-003 and the 5.7.1 DMARC line have no public verbatim, so they copy the shape
/// of RP-001 and of the other 5.7.x lines. Entries of weight 0 are opt-in (through
/// [`Profile::code_weights`](super::Profile::code_weights)): the default profiles never write them, not even in a burst or the
/// showcase, so adding one leaves their output as it was.
pub(super) const CATALOGUE: &[Resp] = &[
    // --- Microsoft consumer (outlook.com, hotmail.*, live.*, msn.com)
    Resp {
        id: "ms:250",
        provider: MS,
        kind: RespKind::Deliver,
        status: "2.0.0 (success)",
        diag: "smtp;250 2.6.0 {msgid} Queued mail for delivery",
        cat: "",
        weight: 1,
    },
    Resp {
        id: "ms:RP-001/article",
        provider: MS,
        kind: RespKind::Defer,
        status: SEC_STATUS_4,
        diag: "smtp;421 4.7.0 RP-001 (BAY004-MC5F12) Unfortunately, some messages from [{ip}] \
               weren't sent. Please try again. We have limits for how many messages can be sent \
               per hour and per day.",
        cat: "policy-related",
        weight: 1,
    },
    Resp {
        id: "ms:RP-001/log",
        provider: MS,
        kind: RespKind::Defer,
        status: UNDEF_4,
        diag: "smtp;421 RP-001 (SNT0-MC2-F19) Unfortunately, some messages from {ip} weren't \
               sent. Please try again. We have limits for how many messages can be sent per hour \
               and per day. You can also refer to \
               http://mail.live.com/mail/troubleshooting.aspx#errors.",
        cat: "policy-related",
        weight: 1,
    },
    // The bracketed forms, opt-in (weight 0): some relays and pattern lists write the token in
    // brackets, as Yahoo writes [TSS04].
    Resp {
        id: "ms:RP-001/bracket",
        provider: MS,
        kind: RespKind::Defer,
        status: SEC_STATUS_4,
        diag: "smtp;421 4.7.0 [RP-001] Unfortunately, some messages from [{ip}] weren't sent. \
               Please try again. We have limits for how many messages can be sent per hour and \
               per day.",
        cat: "policy-related",
        weight: 0,
    },
    Resp {
        id: "ms:RP-002/article",
        provider: MS,
        kind: RespKind::Defer,
        status: SEC_STATUS_4,
        diag: "smtp;421 4.7.0 RP-002 (BAY004-MC1F37) Unfortunately, some messages from [{ip}] \
               weren't sent. Please try again. We have limits for how many messages can be sent \
               per hour and per day.",
        cat: "policy-related",
        weight: 1,
    },
    Resp {
        id: "ms:RP-002/log",
        provider: MS,
        kind: RespKind::Defer,
        status: UNDEF_4,
        diag: "smtp;421 RP-002 (BAY004-MC1F37) Unfortunately, some messages from {ip} weren't \
               sent. Please try again. We have limits for how many messages can be sent per hour \
               and per day. You can also refer to \
               http://mail.live.com/mail/troubleshooting.aspx#errors.",
        cat: "policy-related",
        weight: 1,
    },
    Resp {
        id: "ms:RP-002/bracket",
        provider: MS,
        kind: RespKind::Defer,
        status: SEC_STATUS_4,
        diag: "smtp;421 4.7.0 [RP-002] Unfortunately, some messages from [{ip}] weren't sent. \
               Please try again. We have limits for how many messages can be sent per hour and \
               per day.",
        cat: "policy-related",
        weight: 0,
    },
    Resp {
        id: "ms:RP-003/article",
        provider: MS,
        kind: RespKind::Defer,
        status: SEC_STATUS_4,
        diag: "smtp;421 4.7.0 RP-003 (SNT004-MC4F9) Unfortunately, messages from {sdomain} \
               weren't sent. Please try again later.",
        cat: "policy-related",
        weight: 1,
    },
    Resp {
        id: "ms:RP-003/log",
        provider: MS,
        kind: RespKind::Defer,
        status: UNDEF_4,
        diag: "smtp;421 RP-003 (SNT004-MC4F9) Unfortunately, some messages from {ip} weren't \
               sent. Please try again. You can also refer to \
               http://mail.live.com/mail/troubleshooting.aspx#errors.",
        cat: "policy-related",
        weight: 1,
    },
    Resp {
        id: "ms:RP-003/bracket",
        provider: MS,
        kind: RespKind::Defer,
        status: SEC_STATUS_4,
        diag: "smtp;421 4.7.0 [RP-003] Unfortunately, messages from {sdomain} weren't sent. \
               Please try again later.",
        cat: "policy-related",
        weight: 0,
    },
    Resp {
        id: "ms:4.7.500",
        provider: MS,
        kind: RespKind::Defer,
        status: "4.7.500 (other or undefined security status)",
        diag: "smtp;451 4.7.500 Server busy. Please try again later from [{ip}]. (S77719) \
               [FR2DEU01FT008.eop-deu01.prod.protection.outlook.com]",
        cat: "policy-related",
        weight: 5,
    },
    Resp {
        id: "ms:4.7.650/S775",
        provider: MS,
        kind: RespKind::Defer,
        status: "4.7.650 (other or undefined security status)",
        diag: "smtp;451 4.7.650 The mail server [{ip}] has been temporarily rate limited due to \
               IP reputation. For e-mail delivery information, see https://postmaster.live.com \
               (S775) [DB5EUR03FT011.eop-EUR03.prod.protection.outlook.com]",
        cat: "policy-related",
        weight: 4,
    },
    Resp {
        id: "ms:4.7.650/S843",
        provider: MS,
        kind: RespKind::Defer,
        status: "4.7.650 (other or undefined security status)",
        diag: "smtp;451 4.7.650 The mail server [{ip}] has been temporarily rate limited due to \
               IP reputation. For e-mail delivery information, see https://postmaster.live.com \
               (S843) [AM4PEPF00025F9A.EURPRD83.prod.outlook.com]",
        cat: "policy-related",
        weight: 2,
    },
    Resp {
        id: "ms:4.7.651/S844",
        provider: MS,
        kind: RespKind::Defer,
        status: "4.7.651 (other or undefined security status)",
        diag: "smtp;451 4.7.651 The mail server [{ip}] has been temporarily rate limited due to \
               IP reputation. For e-mail delivery information, see https://postmaster.live.com \
               (S844) [BN8NAM12FT063.eop-nam12.prod.protection.outlook.com]",
        cat: "policy-related",
        weight: 2,
    },
    Resp {
        id: "ms:PR(ct1)",
        provider: MS,
        kind: RespKind::QueueDefer,
        status: UNDEF_4,
        diag: "smtp;421 PR(ct1) The mail server IP connecting to Windows Live Hotmail server has \
               exceeded the connection limit allowed. Please try again later.",
        cat: "",
        weight: 3,
    },
    Resp {
        id: "ms:4.4.1",
        provider: MS,
        kind: RespKind::QueueDefer,
        status: NO_ANSWER,
        diag: "",
        cat: "",
        weight: 1,
    },
    Resp {
        id: "ms:5.5.0/mailbox",
        provider: MS,
        kind: RespKind::Bounce,
        status: "5.5.0 (other or undefined protocol status)",
        diag: "smtp;550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). \
               [DB5EUR03FT011.eop-EUR03.prod.protection.outlook.com]",
        cat: "bad-mailbox",
        weight: 30,
    },
    Resp {
        id: "ms:5.7.606",
        provider: MS,
        kind: RespKind::Bounce,
        status: "5.7.606 (other or undefined security status)",
        diag: "smtp;550 5.7.606 Access denied, banned sending IP [{ip}]. To request removal from \
               this list please visit https://sender.office.com/ and follow the directions. For \
               more information please go to  http://go.microsoft.com/fwlink/?LinkID=526655 \
               (AS16012609)",
        cat: "policy-related",
        weight: 2,
    },
    Resp {
        id: "ms:5.7.1/S3150",
        provider: MS,
        kind: RespKind::Bounce,
        status: REFUSED_5,
        diag: "smtp;550 5.7.1 Unfortunately, messages from [{ip}] weren't sent. Please contact \
               your Internet service provider since part of their network is on our block list \
               (S3150). You can also refer your provider to \
               http://mail.live.com/mail/troubleshooting.aspx#errors. \
               [AM4PEPF00027A5E.eurprd04.prod.outlook.com]",
        cat: "spam-related",
        weight: 2,
    },
    Resp {
        id: "ms:5.7.1/S3140",
        provider: MS,
        kind: RespKind::Bounce,
        status: REFUSED_5,
        diag: "smtp;550 5.7.1 Unfortunately, messages from [{ip}] weren't sent. Please contact \
               your Internet service provider since part of their network is on our block list \
               (S3140). You can also refer your provider to \
               http://mail.live.com/mail/troubleshooting.aspx#errors. \
               [DB5EUR03FT011.eop-EUR03.prod.protection.outlook.com]",
        cat: "spam-related",
        weight: 1,
    },
    Resp {
        id: "ms:SC-001",
        provider: MS,
        kind: RespKind::Bounce,
        status: UNDEF_5,
        diag: "smtp;550 SC-001 (SNT004-MC3F21) Unfortunately, messages from {ip} weren't sent. \
               Please contact your Internet service provider since part of their network is on \
               our block list. You can also refer your provider to \
               http://mail.live.com/mail/troubleshooting.aspx#errors.",
        cat: "spam-related",
        weight: 1,
    },
    Resp {
        id: "ms:5.7.1/dmarc",
        provider: MS,
        kind: RespKind::Bounce,
        status: REFUSED_5,
        diag: "smtp;550 5.7.1 Unfortunately, messages from {sdomain} weren't sent: the message \
               failed DMARC verification and the domain's DMARC policy is reject. \
               [AM4PEPF00027A5E.eurprd04.prod.outlook.com]",
        cat: "policy-related",
        weight: 1,
    },
    Resp {
        id: "ms:5.7.509",
        provider: MS,
        kind: RespKind::Bounce,
        status: "5.7.509 (other or undefined security status)",
        diag: "smtp;550 5.7.509 Access denied, sending domain {SDOMAIN} does not pass DMARC \
               verification and has a DMARC policy of reject. \
               [BN8NAM12FT063.eop-nam12.prod.protection.outlook.com]",
        cat: "policy-related",
        weight: 1,
    },
    Resp {
        id: "ms:5.7.515",
        provider: MS,
        kind: RespKind::Bounce,
        status: "5.7.515 (other or undefined security status)",
        diag: "smtp;550 5.7.515 Access denied, sending domain {SDOMAIN} doesn't meet the required \
               authentication level. The sender's domain in the 5322.From address doesn't meet \
               the authentication requirements defined for the sender. To learn more about \
               sender requirements, visit https://aka.ms/senderrequirements. \
               [BN8NAM12FT063.eop-nam12.prod.protection.outlook.com]",
        cat: "policy-related",
        weight: 1,
    },
    Resp {
        id: "ms:5.7.510",
        provider: MS,
        kind: RespKind::Bounce,
        status: "5.7.510 (other or undefined security status)",
        diag: "smtp;550 5.7.510 Access denied, {rdomain} does not accept email over IPv4. For \
               more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 \
               [BN8NAM12FT063.eop-nam12.prod.protection.outlook.com]",
        cat: "policy-related",
        weight: 1,
    },
    Resp {
        id: "ms:5.7.708",
        provider: MS,
        kind: RespKind::Bounce,
        status: "5.7.708 (other or undefined security status)",
        diag: "smtp;550 5.7.708 Service unavailable. Access denied, traffic not accepted from \
               this IP. For more information please go to \
               http://go.microsoft.com/fwlink/?LinkId=526653 AS(7230) \
               [DB5EUR03FT011.eop-EUR03.prod.protection.outlook.com]",
        cat: "policy-related",
        weight: 1,
    },
    // --- Exchange Online business domains (MX *.mail.protection.outlook.com)
    Resp {
        id: "o365:250",
        provider: O365,
        kind: RespKind::Deliver,
        status: "2.0.0 (success)",
        diag: "smtp;250 2.6.0 {msgid} [InternalId={n}, \
               Hostname=PH0PR12MB5617.namprd12.prod.outlook.com] {size} bytes in 0.162, \
               290.601 KB/sec Queued mail for delivery",
        cat: "",
        weight: 1,
    },
    Resp {
        id: "o365:4.3.2",
        provider: O365,
        kind: RespKind::Defer,
        status: "4.3.2 (system not accepting network messages)",
        diag: "smtp;421 4.3.2 The maximum number of concurrent connections per resource forest \
               has exceeded a limit, closing transmission channel. {rdomain}. PRX8",
        cat: "other",
        weight: 3,
    },
    Resp {
        id: "o365:4.7.500",
        provider: O365,
        kind: RespKind::Defer,
        status: "4.7.500 (other or undefined security status)",
        diag: "smtp;451 4.7.500 Server busy. Please try again later from [{ip}]. (S77719) \
               [BN8NAM12FT021.eop-nam12.prod.protection.outlook.com]",
        cat: "policy-related",
        weight: 3,
    },
    Resp {
        id: "o365:4.4.1",
        provider: O365,
        kind: RespKind::QueueDefer,
        status: NO_ANSWER,
        diag: "",
        cat: "",
        weight: 1,
    },
    Resp {
        id: "o365:5.4.1",
        provider: O365,
        kind: RespKind::Bounce,
        status: "5.4.1 (no answer from host)",
        diag: "smtp;550 5.4.1 Recipient address rejected: Access denied. AS(201806281) \
               [DM6NAM12FT034.eop-nam12.prod.protection.outlook.com]",
        cat: "bad-mailbox",
        weight: 5,
    },
    // --- Gmail
    Resp {
        id: "gmail:250",
        provider: GMAIL,
        kind: RespKind::Deliver,
        status: "2.0.0 (success)",
        diag: "smtp;250 2.0.0 OK  {ts} {gid} - gsmtp",
        cat: "",
        weight: 1,
    },
    Resp {
        id: "gmail:4.7.28",
        provider: GMAIL,
        kind: RespKind::Defer,
        status: "4.7.28 (other or undefined security status)",
        diag: "smtp;421-4.7.28 [{ip}      15] Our system has detected an unusual rate of \
               unsolicited mail originating from your IP address. To protect our users from \
               spam, mail sent from your IP address has been temporarily rate limited. For more \
               information, go to https://support.google.com/mail/?p=UnsolicitedRateLimitError \
               {gid} - gsmtp",
        cat: "policy-related",
        weight: 3,
    },
    Resp {
        id: "gmail:4.2.1",
        provider: GMAIL,
        kind: RespKind::Defer,
        status: "4.2.1 (mailbox disabled, not accepting messages)",
        diag: "smtp;450-4.2.1 The user you are trying to contact is receiving mail at a rate that \
               prevents additional messages from being delivered. Please resend your message at \
               a later time. If the user is able to receive mail at that time, your message will \
               be delivered. For more information, go to \
               https://support.google.com/mail/?p=ReceivingRate {gid} - gsmtp",
        cat: "quota-issues",
        weight: 2,
    },
    Resp {
        id: "gmail:4.7.0",
        provider: GMAIL,
        kind: RespKind::QueueDefer,
        status: SEC_STATUS_4,
        diag: "smtp;421 4.7.0 Try again later, closing connection. (EHLO) {gid} - gsmtp",
        cat: "",
        weight: 2,
    },
    Resp {
        id: "gmail:5.1.1",
        provider: GMAIL,
        kind: RespKind::Bounce,
        status: BAD_MAILBOX,
        diag: "smtp;550-5.1.1 The email account that you tried to reach does not exist. Please \
               try double-checking the recipient's email address for typos or unnecessary \
               spaces. For more information, go to \
               https://support.google.com/mail/?p=NoSuchUser {gid} - gsmtp",
        cat: "bad-mailbox",
        weight: 8,
    },
    Resp {
        id: "gmail:5.7.26",
        provider: GMAIL,
        kind: RespKind::Bounce,
        status: "5.7.26 (other or undefined security status)",
        diag: "smtp;550-5.7.26 This mail has been blocked because the sender is unauthenticated. \
               Gmail requires all senders to authenticate with either SPF or DKIM. For more \
               information, go to https://support.google.com/mail/answer/81126#authentication \
               {gid} - gsmtp",
        cat: "policy-related",
        weight: 1,
    },
    // --- Yahoo / AOL
    Resp {
        id: "yahoo:250",
        provider: YAHOO,
        kind: RespKind::Deliver,
        status: "2.0.0 (success)",
        diag: "smtp;250 ok dirdel",
        cat: "",
        weight: 1,
    },
    Resp {
        id: "yahoo:TSS04",
        provider: YAHOO,
        kind: RespKind::Defer,
        status: SEC_STATUS_4,
        diag: "smtp;421 4.7.0 [TSS04] Messages from {ip} temporarily deferred due to unexpected \
               volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
        cat: "policy-related",
        weight: 3,
    },
    Resp {
        id: "yahoo:TSS04/greeting",
        provider: YAHOO,
        kind: RespKind::QueueDefer,
        status: SEC_STATUS_4,
        diag: "smtp;421 4.7.0 [TSS04] Messages from {ip} temporarily deferred due to unexpected \
               volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
        cat: "",
        weight: 1,
    },
    Resp {
        id: "yahoo:5.7.9",
        provider: YAHOO,
        kind: RespKind::Bounce,
        status: "5.7.9 (other or undefined security status)",
        diag: "smtp;554 5.7.9 Message not accepted for policy reasons.  See \
               https://postmaster.yahooinc.com/error-codes",
        cat: "policy-related",
        weight: 1,
    },
    Resp {
        id: "yahoo:mailbox",
        provider: YAHOO,
        kind: RespKind::Bounce,
        status: UNDEF_5,
        diag: "smtp;552 1 Requested mail action aborted, mailbox not found",
        cat: "bad-mailbox",
        weight: 6,
    },
    // --- corporate domains with their own MX
    Resp {
        id: "other:250",
        provider: OTHER,
        kind: RespKind::Deliver,
        status: "2.0.0 (success)",
        diag: "smtp;250 2.0.0 Ok: queued as {qid}",
        cat: "",
        weight: 1,
    },
    Resp {
        id: "other:greylist",
        provider: OTHER,
        kind: RespKind::Defer,
        status: "4.7.1 (delivery not authorized, message refused)",
        diag: "smtp;450 4.7.1 <{rcpt}>: Recipient address rejected: Greylisted, see \
               http://postgrey.schweikert.ch/help/{rdomain}.html",
        cat: "policy-related",
        weight: 3,
    },
    Resp {
        id: "other:4.2.2",
        provider: OTHER,
        kind: RespKind::Defer,
        status: "4.2.2 (mailbox full)",
        diag: "smtp;452 4.2.2 <{rcpt}>: Mailbox full",
        cat: "quota-issues",
        weight: 1,
    },
    Resp {
        id: "other:4.4.1",
        provider: OTHER,
        kind: RespKind::QueueDefer,
        status: NO_ANSWER,
        diag: "",
        cat: "",
        weight: 1,
    },
    Resp {
        id: "other:5.1.1",
        provider: OTHER,
        kind: RespKind::Bounce,
        status: BAD_MAILBOX,
        diag: "smtp;550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual \
               mailbox table",
        cat: "bad-mailbox",
        weight: 1,
    },
    // --- any destination
    Resp {
        id: "any:expired",
        provider: None,
        kind: RespKind::Expire,
        status: "5.4.7 (delivery time expired)",
        diag: "",
        cat: "message-expired",
        weight: 1,
    },
    Resp {
        id: "any:rb/5.1.1",
        provider: None,
        kind: RespKind::RemoteBounce,
        status: BAD_MAILBOX,
        diag: "smtp;550 5.1.1 no such local recipient: <{rcpt}> in \"RCPT TO:<{rcpt}>\"",
        cat: "bad-mailbox",
        weight: 3,
    },
    Resp {
        id: "any:rb/5.2.2",
        provider: None,
        kind: RespKind::RemoteBounce,
        status: "5.2.2 (mailbox full)",
        diag: "smtp;552 5.2.2 <{rcpt}>: Mailbox full, quota exceeded",
        cat: "quota-issues",
        weight: 1,
    },
    Resp {
        id: "any:rs/4.4.7",
        provider: None,
        kind: RespKind::RemoteStatus,
        status: "4.4.7 (delivery time expired)",
        diag: "smtp;451 4.4.7 Delivery delayed: message still queued at {rdomain}, will keep \
               trying",
        cat: "",
        weight: 1,
    },
];

/// The ids of the built-in responses (`ms:RP-002/log`, `gmail:4.7.28` ...), for
/// [`Profile::code_weights`](super::Profile::code_weights) and for reading [`Stats::responses`](super::Stats::responses).
pub fn response_ids() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|r| r.id)
}

/// `ms:RP-002/log` matches `RP-002`, `ms:RP-002` and itself.
pub(super) fn id_matches(id: &str, code: &str) -> bool {
    let rest = |s: &str| s.is_empty() || s.starts_with('/');
    if let Some(tail) = id.strip_prefix(code) {
        return rest(tail);
    }
    id.split_once(':')
        .is_some_and(|(_, bare)| bare.strip_prefix(code).is_some_and(rest))
}
