//! Seeded synthetic `PowerMTA` accounting logs in the real format (union header, quoted fields,
//! Microsoft responses in both the article's and the real-log form, RP-002 bursts with ground
//! truth), for tests, benches and the shipped `sample-logs/`. It only writes to the writer or
//! directory it is given; the scan never calls it.
//!
//! The benches use three profiles: [`Profile::default_bench`] (narrow: one sender, a handful of
//! VMTAs, domains and jobs), [`Profile::esp`] (a large sender's day: hundreds of VMTAs, thousands
//! of jobs, a Zipf tail of domains, per-row ids in the replies) and [`Profile::adversarial`]
//! (every row its own domain, job and envelope id). Output is streamed: memory does not grow
//! with the file (recipients and tail domains are derived from numbers, not kept).
//!
//! Everything is a pure function of the [`Profile`] (seed included): the same profile gives the
//! same bytes on every platform, which is what lets `sample-logs/` be checked against a rerun.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::path::Path;

use flate2::{Compression, GzBuilder};

pub mod connections;

/// The header of a real accounting file holding d, b, f, r and rb records (from
/// `reference/real-union-header.txt`): 38 columns, `rcvSourceIp` twice, user-chosen `header_*`.
pub const REAL_UNION_HEADER: &str = "type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,\
dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,\
dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,queue,vmtaPool,header_x-sp-subaccount-id,\
header_x-sp-message-id,repSourceIp,feedbackType,format,userAgent,reportingMta,reportedDomain,\
header_From,header_Return-Path,header_X-job,header_Subject,rcvSourceIp,rcvSourceIp,\
dsnReportingMta";

/// A narrow custom `record-fields` header, as operators configure for pipes and slim files.
pub const NARROW_HEADER: &str =
    "type,timeLogged,orig,rcpt,dsnStatus,dsnDiag,dsnMta,dlvSourceIp,vmta,queue,jobId";

/// The record types, in the order of [`Stats::rows`] (the same order as the core's
/// `RecordKind::ALL`).
pub const RECORD_TYPES: [&str; 8] = ["d", "b", "t", "tq", "r", "f", "rb", "rs"];

use crate::duration::DAY;
/// Responses in this set are rendered once each by [`Profile::showcase`].
const SHOWCASE_PROVIDERS: [Option<Provider>; 3] = [
    Some(Provider::MicrosoftConsumer),
    Some(Provider::Office365),
    None,
];
/// A deferred recipient is retried at most this many times before it is delivered anyway.
const MAX_ATTEMPTS: u8 = 3;
/// Rows are formatted into one buffer that is handed to the writer in pieces of about this size.
const FLUSH_AT: usize = 1 << 16;

// ---------------------------------------------------------------------------------------------
// Profile

/// Who answers for a destination domain: decides the MX host, its addresses and the responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// outlook.com, hotmail.*, live.*, msn.com: MX `*.olc.protection.outlook.com`.
    MicrosoftConsumer,
    /// A business domain hosted by Exchange Online: MX `*.mail.protection.outlook.com`.
    Office365,
    Gmail,
    /// Yahoo and AOL: MX `*.yahoodns.net`.
    Yahoo,
    /// A corporate domain with its own MX (answers like Postfix).
    Other,
}

impl Provider {
    const ALL: [Provider; 5] = [
        Provider::MicrosoftConsumer,
        Provider::Office365,
        Provider::Gmail,
        Provider::Yahoo,
        Provider::Other,
    ];

    fn index(self) -> usize {
        match self {
            Provider::MicrosoftConsumer => 0,
            Provider::Office365 => 1,
            Provider::Gmail => 2,
            Provider::Yahoo => 3,
            Provider::Other => 4,
        }
    }
}

/// A sending `VirtualMTA`: `vmta`, `dlvSourceIp` and `vmtaPool` of its rows.
#[derive(Clone, Debug)]
pub struct Vmta {
    pub name: String,
    /// Must be IPv4 (fixtures use the documentation ranges).
    pub ip: String,
    pub pool: String,
}

/// A destination domain and its share of the traffic.
#[derive(Clone, Debug)]
pub struct DomainSpec {
    pub name: String,
    pub weight: u32,
    pub provider: Provider,
    /// Only VMTAs of this pool send to the domain; `None`: any VMTA.
    pub pool: Option<String>,
}

/// A mailing (jobId, From, Subject); a campaign with a pool sends only through that pool.
#[derive(Clone, Debug)]
pub struct Campaign {
    pub job_id: String,
    /// `header_From`, e.g. `Example <news@example.com>`.
    pub from: String,
    /// Envelope sender (`orig`), e.g. `bounces@mail.example.com`.
    pub orig: String,
    /// `{n}` is replaced by an order number. Commas and quotes are fine (they get quoted).
    pub subjects: Vec<String>,
    pub pool: Option<String>,
    pub weight: u32,
    /// Injected through an API that sets an envelope id and `X-SP-*` headers (`envId`,
    /// `header_x-sp-*` columns); others leave them empty.
    pub api: bool,
}

/// Relative weights of the record types of background rows, and the chances of the rows that
/// follow a delivery later (they need an earlier delivery, so they are not drawn independently).
#[derive(Clone, Copy, Debug)]
pub struct TypeMix {
    pub delivered: u32,
    pub deferred: u32,
    pub bounced: u32,
    pub queue_deferred: u32,
    pub received: u32,
    /// Per mille of deliveries to Microsoft consumer (JMRP) and Yahoo (ARF) that are reported as
    /// spam later (`f`).
    pub complaint_permille: u32,
    /// Per mille of deliveries to corporate domains (Office 365, own MX) that bounce
    /// asynchronously later (`rb`). Consumer providers reject during the SMTP session instead.
    pub remote_bounce_permille: u32,
    /// The same for remote delay notices (`rs`).
    pub remote_status_permille: u32,
    /// Per mille of `b` rows that are queue expiries (no SMTP response, delivery fields empty).
    pub expired_permille: u32,
}

impl Default for TypeMix {
    fn default() -> Self {
        TypeMix {
            delivered: 800,
            deferred: 110,
            bounced: 35,
            queue_deferred: 15,
            received: 40,
            complaint_permille: 4,
            remote_bounce_permille: 20,
            remote_status_permille: 10,
            expired_permille: 150,
        }
    }
}

/// A dense run of one deferral code (e.g. Microsoft's RP-002) on a few sending IPs, on top of
/// the scattered background rows with the same code.
#[derive(Clone, Debug)]
pub struct Burst {
    /// Unix seconds.
    pub start: i64,
    pub duration_secs: u32,
    /// A deferral code of the catalogue (`RP-002`, `RP-001`, `4.7.650` ...): every deferral
    /// whose id, without its `provider:` prefix, is `CODE` or `CODE/...` is used (both forms of
    /// RP-002, say). The recipients are at the domains of that provider.
    pub code: String,
    pub events: u32,
    /// The IPs of the VMTAs that receive the deferrals.
    pub source_ips: Vec<String>,
}

/// A campaign send on a schedule: `events` deliveries of one job from one sending IP to the
/// domains of one provider, at random times inside [`start`, `start + duration_secs`). It is how
/// a file gets volume that the background mix would never produce, such as a job routed to the
/// wrong pool (the sample's spike-and-silence IP).
///
/// The rows are deliveries only, without follow-ups (no complaints or remote notices), and they
/// draw from their own random stream, so the other rows do not depend on them: raise a
/// `Size::Rows` count by `events` and the file is the one without the send plus its rows (as long
/// as they fall before the file's last row), which is how `sample-logs/` got its win-back job.
#[derive(Clone, Debug)]
pub struct ScheduledSend {
    /// Unix seconds.
    pub start: i64,
    pub duration_secs: u32,
    pub events: u32,
    /// The recipients are at this provider's domains (weighted as in the background).
    pub provider: Provider,
    /// The IP of the VMTA that sends, whatever pool the domains normally use.
    pub source_ip: String,
    /// The `job_id` of one of [`Profile::campaigns`]; a campaign of weight 0 appears only in its
    /// sends.
    pub job: String,
}

/// A long tail of recipient domains after the named [`Profile::domains`]: the thousands of
/// small company, ISP and vanity domains that a large sender's list reaches. Tail domain number
/// `k` (1 ..= `domains`) has weight proportional to 1/k (Zipf, exponent 1), so a few tail domains
/// are as big as the smaller named ones and most are seen a handful of times a day.
///
/// Names are reserved (RFC 2606) and derived from the rank: `shop{k}.example`,
/// `n{k}.example.net`, `co{k}.example.org`, `biz{k}.example.com`. A share of them is hosted by
/// Exchange Online (MX `*.mail.protection.outlook.com`), the rest have their own MX
/// (`mx1.NAME`, addresses in 198.18.0.0/15). Nothing per tail domain is kept in memory but one
/// cumulative weight. [`Profile::rollups`] do not apply to tail domains.
#[derive(Clone, Debug)]
pub struct DomainTail {
    /// How many distinct tail domains exist (not all of them appear in a small file).
    pub domains: u32,
    /// The tail's share of the traffic, in the units of [`DomainSpec::weight`].
    pub weight: u32,
    /// Per mille of tail domains hosted by Exchange Online.
    pub office365_permille: u32,
    /// Only VMTAs of this pool send to the tail; `None`: any VMTA.
    pub pool: Option<String>,
}

/// When to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// This many data rows (header excluded).
    Rows(u64),
    /// Stop after the first row that takes the output to at least this many bytes.
    Bytes(u64),
}

/// Deliberate defects, for the scanner's error handling. Row numbers count data rows from 0;
/// each quirk lands on the first `d` row at or after its number.
#[derive(Clone, Debug, Default)]
pub struct Quirks {
    /// Cut the row after its 8th field, as a full disk leaves it.
    pub truncated_row: Option<u64>,
    /// Write `2026-13-45 99:00:00+0000` (Unix mode: `1795X83402`) as its timeLogged.
    pub bad_timestamp_row: Option<u64>,
    /// Give it a quoted Subject with an embedded line break (valid RFC 4180).
    pub multiline_subject_row: Option<u64>,
    /// Leave the last line without its line ending, as a file being written does.
    pub no_final_newline: bool,
}

/// Everything that decides the output. Build one with [`Profile::example_sender`] or
/// [`Profile::default_bench`] and adjust the fields.
#[derive(Clone, Debug)]
#[allow(clippy::struct_excessive_bools)] // independent switches, as in PowerMTA's own config
pub struct Profile {
    pub seed: u64,
    /// Unix seconds: the time range of the rows is `[start, start + duration_secs)`. That is
    /// exact for `Size::Bytes` and for up to 200 000 `Size::Rows` (fitted by dry runs); larger
    /// row counts use an estimate and may end a little early or late.
    pub start: i64,
    pub duration_secs: u32,
    pub size: Size,
    /// The offset `PowerMTA` writes (`+0000`, `-0500`), in minutes east of UTC.
    pub utc_offset_mins: i32,
    /// `false`: timeLogged/timeQueued in Unix seconds (`iso-times no`).
    pub iso_times: bool,
    pub crlf: bool,
    /// Column names; unknown names (custom `header_*`) are written empty. Repeats are allowed.
    pub columns: Vec<String>,
    pub write_header: bool,
    /// The sender's domain: envelope domain `mail.DOMAIN`, message-ids, `dsnReportingMta`.
    pub sender_domain: String,
    /// The host that injects mail by SMTP (`srcMta`, `rcvSourceIp`): one of ours, documentation
    /// range.
    pub injector_ip: String,
    pub vmtas: Vec<Vmta>,
    pub domains: Vec<DomainSpec>,
    pub campaigns: Vec<Campaign>,
    pub mix: TypeMix,
    /// Overrides of the catalogue's weights by response id (see [`response_ids`]); 0 disables one.
    pub code_weights: Vec<(String, u32)>,
    /// `PowerMTA`'s `<mx-rollup-list>`: (domain, rollup name such as `yahoo.rollup`); queues of
    /// these domains are written `NAME/vmta`. Empty by default, as in a stock config.
    pub rollups: Vec<(String, String)>,
    /// Seconds until a deferred recipient is retried.
    pub retry_after_secs: u32,
    /// Per-code retry intervals, like an `smtp-pattern-list` with `retry-after=`: (code as in
    /// [`Stats::code_rows`], seconds), first match wins. Empty by default, so RP-001 is retried
    /// after 20 min: the mistake the retry-hygiene analysis must find (the article wants 4 h).
    pub retry_after_by_code: Vec<(String, u32)>,
    /// Recipients are `userN@domain` with N in 10000..10000+recipients.
    pub recipients: u32,
    /// When set, the number of recipients scales with the file instead of `recipients`: this
    /// many per GiB of `Size::Bytes`, or per [`ROWS_PER_GIB`] rows of `Size::Rows`. `None` by
    /// default.
    pub recipients_per_gib: Option<u64>,
    /// Every recipient number has one domain, derived from the number (by the domains' weights),
    /// so an address means one mailbox and the number of distinct recipients in a file is set
    /// by `recipients` (or `recipients_per_gib`) and the row count. `false` by default: the
    /// domain and the number are drawn independently, and nearly every row has its own address.
    /// Only background rows and their follow-ups use it (bursts, sends and the showcase draw
    /// their recipients as before).
    pub stable_recipients: bool,
    /// More recipient domains after `domains` (see [`DomainTail`]); `None` by default.
    pub tail: Option<DomainTail>,
    /// Write the per-row parts that real Gmail and Microsoft replies carry, so that nearly every
    /// deferral and bounce text is distinct: Gmail's queue id in today's form
    /// (`d2e1a72fcca58-6f2a1b9c7e3si1234567qkb.123 - gsmtp`, new on every attempt), Microsoft's
    /// `[HOST TIMESTAMP ID]` trailer on every non-delivery reply (in place of the fixed host),
    /// and a varying front-end tag in the RP-00x and SC-001 lines (`(BAY004-MC1F37)`).
    /// `false` by default: the catalogue's texts as they are.
    pub per_row_ids: bool,
    /// Every row gets a recipient domain, jobId and envId of its own (`a{N}.example`, `j{N}`,
    /// `e{N}`, N the row's number from 0), for the worst case of anything keyed by domain or
    /// job. The destination's provider (and so the response) is drawn as usual; destinations
    /// that are not Gmail, Yahoo or Microsoft consumer get MX hosts named after the row's domain.
    /// `false` by default.
    pub unique_per_row: bool,
    pub bursts: Vec<Burst>,
    /// Campaign sends on a schedule (see [`ScheduledSend`]); empty by default.
    pub sends: Vec<ScheduledSend>,
    /// Write one row of every Microsoft (consumer and Office 365) and generic response of the
    /// catalogue, plus an `r` row and a delivery with a JMRP complaint an hour later, spread over
    /// the time range, so that a small file holds every code and every record type.
    pub showcase: bool,
    pub quirks: Quirks,
    /// Opt-in: deliver through simulated connections instead of drawing rows independently
    /// (see [`connections`]); `size`, `mix`, `bursts`, `sends` and `showcase` are then not used.
    pub connections: Option<connections::ConnectionSim>,
}

impl Profile {
    /// A sender `example.com` with Microsoft, general and transactional pools and a realistic
    /// destination mix (heavy Microsoft consumer), 24 h from `start`, 10 000 rows, no burst.
    #[must_use]
    pub fn example_sender(seed: u64, start: i64) -> Profile {
        Profile {
            seed,
            start,
            duration_secs: DAY as u32,
            size: Size::Rows(10_000),
            utc_offset_mins: 0,
            iso_times: true,
            crlf: false,
            columns: REAL_UNION_HEADER.split(',').map(str::to_owned).collect(),
            write_header: true,
            sender_domain: "example.com".to_owned(),
            injector_ip: "192.0.2.250".to_owned(),
            vmtas: example_vmtas(),
            domains: example_domains(),
            campaigns: example_campaigns(),
            mix: TypeMix::default(),
            code_weights: Vec::new(),
            rollups: Vec::new(),
            retry_after_secs: 1200,
            retry_after_by_code: Vec::new(),
            recipients: 1_000_000,
            recipients_per_gib: None,
            stable_recipients: false,
            tail: None,
            per_row_ids: false,
            unique_per_row: false,
            bursts: Vec::new(),
            sends: Vec::new(),
            showcase: false,
            quirks: Quirks::default(),
            connections: None,
        }
    }

    /// The bench profile: 2026-11-20 UTC, 24 h, the example sender, one RP-002 burst of 150
    /// deferrals in 5 minutes at 14:00 on 192.0.2.10 and 192.0.2.11. Set `size` for the volume
    /// (1 GiB is about 2.3 M rows).
    #[must_use]
    pub fn default_bench(seed: u64) -> Profile {
        let start = unix_time(2026, 11, 20, 0, 0, 0);
        let mut p = Profile::example_sender(seed, start);
        p.bursts.push(Burst {
            start: start + 14 * 3600,
            duration_secs: 300,
            code: "RP-002".to_owned(),
            events: 150,
            source_ips: vec!["192.0.2.10".to_owned(), "192.0.2.11".to_owned()],
        });
        p
    }

    /// A large sender's day (an ESP), for benchmarks with real cardinality: 240 VMTAs with one
    /// documentation IP each in six pools (microsoft, gmail, yahoo, general, transactional,
    /// warmup); 2,400 jobs of 600 customers whose volume falls off as 1/rank; the big mailbox
    /// providers at realistic shares (Gmail 28 %, Microsoft consumer 20 % over 15 domains, Yahoo
    /// and AOL 11 %, Office 365 business domains 3 %) and a [`DomainTail`] of 300,000
    /// reserved-name domains taking the other 38 % (a quarter on Office 365); recipients that
    /// scale with the file ([`Profile::stable_recipients`], about 1.5 M distinct per GiB);
    /// [`Profile::per_row_ids`] in Gmail and Microsoft replies; RP-001/002/003 in all three
    /// written forms (`421 4.7.0 RP-002 ...`, `421 RP-002 (BAY004-MC1F37) ...`,
    /// `421 4.7.0 [RP-002] ...`); and an RP-002 burst of 600 deferrals in 5 minutes at 14:00 on
    /// 192.0.2.10 and 192.0.2.11 (the first two Microsoft VMTAs), with ground truth in
    /// [`Stats::bursts`]. 2026-11-20 UTC, 24 h, 200 000 rows; set `size` for the volume
    /// (1 GiB is about 2.2 M rows).
    #[must_use]
    pub fn esp(seed: u64) -> Profile {
        let start = unix_time(2026, 11, 20, 0, 0, 0);
        let mut p = Profile::example_sender(seed, start);
        p.size = Size::Rows(200_000);
        p.vmtas = esp_vmtas();
        p.domains = esp_domains();
        p.campaigns = esp_campaigns();
        p.tail = Some(DomainTail {
            domains: 300_000,
            weight: 380,
            office365_permille: 250,
            pool: Some("general-pool".to_owned()),
        });
        p.rollups = ["yahoo.com", "yahoo.co.uk", "ymail.com", "aol.com"]
            .iter()
            .map(|d| ((*d).to_owned(), "yahoo.rollup".to_owned()))
            .collect();
        p.stable_recipients = true;
        p.recipients_per_gib = Some(ESP_RECIPIENTS_PER_GIB);
        p.per_row_ids = true;
        p.code_weights = [
            "ms:RP-001/bracket",
            "ms:RP-002/bracket",
            "ms:RP-003/bracket",
        ]
        .iter()
        .map(|id| ((*id).to_owned(), 1))
        .collect();
        // A sender who followed the article: RP-001 after 4 h, RP-002 after 2 h.
        p.retry_after_by_code = vec![("RP-001".to_owned(), 4 * 3600), ("RP-002".to_owned(), 7200)];
        p.bursts.push(Burst {
            start: start + 14 * 3600,
            duration_secs: 300,
            code: "RP-002".to_owned(),
            events: 600,
            source_ips: vec!["192.0.2.10".to_owned(), "192.0.2.11".to_owned()],
        });
        p
    }

    /// The worst case for anything keyed by domain or job: the bench profile (its type and
    /// response mix and its RP-002 burst) with a recipient domain, jobId and envId of its own on
    /// every row ([`Profile::unique_per_row`]).
    #[must_use]
    pub fn adversarial(seed: u64) -> Profile {
        let mut p = Profile::default_bench(seed);
        p.unique_per_row = true;
        p
    }
}

/// Rows per GiB assumed by [`Profile::recipients_per_gib`] for `Size::Rows`: about what a GiB
/// of the bench profiles holds (their rows average 530 to 560 bytes; real rows about 450).
pub const ROWS_PER_GIB: u64 = 2_000_000;

/// Recipients per GiB of [`Profile::esp`]: the list the day's mail is drawn from. About 1.5 M
/// of them get mail in a GiB of rows (1.7 M background messages); the others get none that day.
const ESP_RECIPIENTS_PER_GIB: u64 = 6_500_000;

/// The ESP's VMTAs: (short name, pool, count, /24, first host) per pool, one IP each, all in the
/// documentation ranges; the injector (192.0.2.250) is left out.
fn esp_vmtas() -> Vec<Vmta> {
    const POOLS: [(&str, &str, u32, &str, u32); 6] = [
        ("ms", "microsoft-pool", 64, "192.0.2", 10),
        ("gm", "gmail-pool", 56, "192.0.2", 100),
        ("yh", "yahoo-pool", 32, "198.51.100", 10),
        ("gen", "general-pool", 56, "198.51.100", 60),
        ("tx", "transactional-pool", 12, "203.0.113", 10),
        ("wu", "warmup-pool", 20, "203.0.113", 30),
    ];
    let mut out = Vec::new();
    for (short, pool, count, net, first) in POOLS {
        for k in 0..count {
            out.push(Vmta {
                name: format!("vmta-{short}-{:03}", k + 1),
                ip: format!("{net}.{}", first + k),
                pool: pool.to_owned(),
            });
        }
    }
    out
}

/// The big providers of the ESP's list; weights in per mille of all traffic, with the 380 of
/// the [`DomainTail`].
fn esp_domains() -> Vec<DomainSpec> {
    let ms = (Provider::MicrosoftConsumer, "microsoft-pool");
    let gm = (Provider::Gmail, "gmail-pool");
    let yh = (Provider::Yahoo, "yahoo-pool");
    let o365 = (Provider::Office365, "general-pool");
    let other = (Provider::Other, "general-pool");
    let list: [(&str, u32, (Provider, &str)); 26] = [
        ("gmail.com", 275, gm),
        ("googlemail.com", 5, gm),
        ("hotmail.com", 70, ms),
        ("outlook.com", 45, ms),
        ("live.com", 20, ms),
        ("hotmail.co.uk", 12, ms),
        ("hotmail.fr", 10, ms),
        ("hotmail.de", 8, ms),
        ("msn.com", 8, ms),
        ("hotmail.it", 5, ms),
        ("live.co.uk", 5, ms),
        ("hotmail.es", 4, ms),
        ("live.fr", 4, ms),
        ("live.de", 3, ms),
        ("outlook.de", 2, ms),
        ("outlook.fr", 2, ms),
        ("windowslive.com", 1, ms),
        ("yahoo.com", 75, yh),
        ("aol.com", 25, yh),
        ("yahoo.co.uk", 6, yh),
        ("ymail.com", 4, yh),
        ("example.org", 12, o365),
        ("fabrikam.example", 6, o365),
        ("contoso.example", 6, o365),
        ("northwind.example", 4, o365),
        ("example.net", 8, other),
    ];
    list.iter()
        .map(|&(name, weight, (provider, pool))| DomainSpec {
            name: name.to_owned(),
            weight,
            provider,
            pool: Some(pool.to_owned()),
        })
        .collect()
}

/// 2,400 jobs of 600 customers (`brandNNNN.example`): job k has weight 1/k, so the biggest
/// sends dominate and the smallest are a few dozen rows a day. Every 10th job is a customer's
/// transactional stream (API, transactional pool), every 25th a send from a warming IP.
fn esp_campaigns() -> Vec<Campaign> {
    const SUBJECTS: [&str; 16] = [
        "Your weekly picks are here",
        "New arrivals, hand-picked for you",
        "3 days left: \"Winter Sale\", up to 40% off",
        "Black Friday starts now, 30% off everything",
        "\"Doorbusters\" are live",
        "We miss you: 20% off your next order",
        "Your November newsletter",
        "Last chance: free shipping ends tonight",
        "Something new, just for you",
        "Your points expire soon",
        "Invitation: our winter webinar",
        "Top stories this week",
        "Price drop on items you viewed",
        "Thanks for being a member",
        "Your cart is waiting",
        "Early access, members only",
    ];
    const TRANSACTIONAL: [&str; 4] = [
        "Your order, \"#{n}\", has shipped",
        "Receipt for order #{n}",
        "Password reset requested",
        "Your statement is ready",
    ];
    (1..=2_400u32)
        .map(|k| {
            let customer = (k * 7) % 600 + 1;
            let brand = format!("brand{customer:04}.example");
            let (job_id, pool, subjects): (String, Option<&str>, Vec<String>) = if k % 10 == 3 {
                (
                    format!("tx-{customer:04}-{k:04}"),
                    Some("transactional-pool"),
                    TRANSACTIONAL.iter().map(|s| (*s).to_owned()).collect(),
                )
            } else {
                let first = (k as usize) % SUBJECTS.len();
                let second = (k as usize * 5 + 3) % SUBJECTS.len();
                let pool = (k % 25 == 7).then_some("warmup-pool");
                (
                    format!("c20261120-{k:04}"),
                    pool,
                    vec![SUBJECTS[first].to_owned(), SUBJECTS[second].to_owned()],
                )
            };
            Campaign {
                from: format!("Brand {customer} <news@{brand}>"),
                orig: format!("bounce-{k}@bounce.example.com"),
                subjects,
                api: pool == Some("transactional-pool"),
                pool: pool.map(str::to_owned),
                weight: 1_000_000 / k,
                job_id,
            }
        })
        .collect()
}

/// The VMTAs of the example sender: four for Microsoft, two general, one transactional.
fn example_vmtas() -> Vec<Vmta> {
    let vmta = |name: &str, ip: &str, pool: &str| Vmta {
        name: name.to_owned(),
        ip: ip.to_owned(),
        pool: pool.to_owned(),
    };
    vec![
        vmta("vmta-ms-01", "192.0.2.10", "microsoft-pool"),
        vmta("vmta-ms-02", "192.0.2.11", "microsoft-pool"),
        vmta("vmta-ms-03", "192.0.2.12", "microsoft-pool"),
        vmta("vmta-ms-04", "192.0.2.13", "microsoft-pool"),
        vmta("vmta-gen-01", "198.51.100.20", "general-pool"),
        vmta("vmta-gen-02", "198.51.100.21", "general-pool"),
        vmta("vmta-tx-01", "203.0.113.5", "transactional-pool"),
    ]
}

/// The example sender's destinations: Microsoft consumer domains weigh most.
fn example_domains() -> Vec<DomainSpec> {
    let dom = |name: &str, weight: u32, provider: Provider| DomainSpec {
        name: name.to_owned(),
        weight,
        provider,
        pool: Some(
            if provider == Provider::MicrosoftConsumer {
                "microsoft-pool"
            } else {
                "general-pool"
            }
            .to_owned(),
        ),
    };
    let ms = Provider::MicrosoftConsumer;
    vec![
        dom("outlook.com", 140, ms),
        dom("hotmail.com", 170, ms),
        dom("hotmail.co.uk", 40, ms),
        dom("hotmail.de", 30, ms),
        dom("hotmail.fr", 30, ms),
        dom("live.com", 50, ms),
        dom("live.co.uk", 15, ms),
        dom("live.de", 10, ms),
        dom("msn.com", 15, ms),
        dom("windowslive.com", 5, ms),
        dom("gmail.com", 250, Provider::Gmail),
        dom("yahoo.com", 90, Provider::Yahoo),
        dom("aol.com", 30, Provider::Yahoo),
        dom("example.net", 40, Provider::Other),
        dom("example.org", 40, Provider::Office365),
        dom("fabrikam.example", 25, Provider::Office365),
    ]
}

/// Two marketing mailings and the transactional stream (the only one sent through an API).
fn example_campaigns() -> Vec<Campaign> {
    let campaign =
        |job: &str, from: &str, orig: &str, subjects: &[&str], pool: Option<String>, weight| {
            Campaign {
                job_id: job.to_owned(),
                from: from.to_owned(),
                orig: orig.to_owned(),
                subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
                api: pool.is_some(),
                pool,
                weight,
            }
        };
    vec![
        campaign(
            "nl-w47",
            "Example <news@example.com>",
            "bounces@mail.example.com",
            &[
                "Your weekly picks are here",
                "New arrivals, hand-picked for you",
                "3 days left: \"Winter Sale\", up to 40% off",
            ],
            None,
            55,
        ),
        campaign(
            "bf26",
            "Example <deals@example.com>",
            "bounces@mail.example.com",
            &[
                "Black Friday starts now, 30% off everything",
                "\"Doorbusters\" are live",
            ],
            None,
            35,
        ),
        campaign(
            "txn",
            "Example <orders@example.com>",
            "bounces@tx.example.com",
            &[
                "Your order, \"#{n}\", has shipped",
                "Receipt for order #{n}",
                "Password reset requested",
                "Your November statement is ready",
            ],
            Some("transactional-pool".to_owned()),
            10,
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Stats (what was written, and the ground truth for detectors)

/// What [`write_accounting`] wrote.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Data rows per type, in the order of [`RECORD_TYPES`].
    pub rows: [u64; 8],
    /// Bytes written (header included).
    pub bytes: u64,
    /// Physical lines (header included; an embedded line break counts).
    pub lines: u64,
    /// timeLogged of the first and last row (Unix seconds).
    pub first_time: i64,
    pub last_time: i64,
    /// Ground truth of each [`Profile::bursts`] entry, in the same order.
    pub bursts: Vec<BurstTruth>,
    /// Ground truth of each [`Profile::sends`] entry, in the same order.
    pub sends: Vec<SendTruth>,
    /// Rows per response of the catalogue (only those written), catalogue order.
    pub responses: Vec<ResponseCount>,
    /// The defective rows [`Quirks`] asked for: physical line and why.
    pub malformed: Vec<(u64, String)>,
    /// The physical line where the row with the multi-line Subject starts.
    pub multiline_row_line: Option<u64>,
}

impl Stats {
    /// Rows of one type (`"d"`, `"tq"` ...); 0 for an unknown type.
    #[must_use]
    pub fn rows_of(&self, ty: &str) -> u64 {
        RECORD_TYPES
            .iter()
            .position(|t| *t == ty)
            .map_or(0, |i| self.rows[i])
    }

    #[must_use]
    pub fn total_rows(&self) -> u64 {
        self.rows.iter().sum()
    }

    /// Rows whose response is `CODE` in any form (`"RP-002"` counts `ms:RP-002/article`,
    /// `ms:RP-002/log` and `ms:RP-002/bracket`), or exactly that id (`"gmail:4.7.28"`). Burst rows included.
    #[must_use]
    pub fn code_rows(&self, code: &str) -> u64 {
        self.responses
            .iter()
            .filter(|r| id_matches(r.id, code))
            .map(|r| r.count)
            .sum()
    }
}

/// What one burst really was, counted as its rows were written (rows cut off by `size` are not
/// counted).
#[derive(Clone, Debug, Default)]
pub struct BurstTruth {
    pub code: String,
    /// The window asked for: [`window_start`, `window_end`).
    pub window_start: i64,
    pub window_end: i64,
    /// timeLogged of the first and last burst row written.
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub count: u64,
    /// Burst rows per sending IP.
    pub by_ip: Vec<(String, u64)>,
    /// Physical lines of the first and last burst row.
    pub first_line: u64,
    pub last_line: u64,
}

/// What one scheduled send really was, counted as its rows were written.
#[derive(Clone, Debug, Default)]
pub struct SendTruth {
    pub job: String,
    pub source_ip: String,
    /// The window asked for: [`window_start`, `window_end`).
    pub window_start: i64,
    pub window_end: i64,
    /// timeLogged of the first and last row written.
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub count: u64,
    /// Physical lines of the first and last row.
    pub first_line: u64,
    pub last_line: u64,
}

/// Rows written with one response of the catalogue.
#[derive(Clone, Debug)]
pub struct ResponseCount {
    pub id: &'static str,
    pub count: u64,
    /// Physical line of the first such row.
    pub first_line: u64,
}

// ---------------------------------------------------------------------------------------------
// Response catalogue

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RespKind {
    Deliver,
    Defer,
    QueueDefer,
    Bounce,
    /// `PowerMTA` gave up (no SMTP response in the row, delivery fields empty).
    Expire,
    RemoteBounce,
    RemoteStatus,
}

const RESP_KINDS: usize = 7;

impl RespKind {
    fn index(self) -> usize {
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
struct Resp {
    id: &'static str,
    /// `None`: any destination.
    provider: Option<Provider>,
    kind: RespKind,
    status: &'static str,
    diag: &'static str,
    cat: &'static str,
    weight: u32,
}

const MS: Option<Provider> = Some(Provider::MicrosoftConsumer);
const O365: Option<Provider> = Some(Provider::Office365);
const GMAIL: Option<Provider> = Some(Provider::Gmail);
const YAHOO: Option<Provider> = Some(Provider::Yahoo);
const OTHER: Option<Provider> = Some(Provider::Other);

const SEC_STATUS_4: &str = "4.7.0 (other or undefined security status)";
const UNDEF_4: &str = "4.0.0 (undefined status)";
const UNDEF_5: &str = "5.0.0 (undefined status)";
const NO_ANSWER: &str = "4.4.1 (no answer from host)";
const REFUSED_5: &str = "5.7.1 (delivery not authorized, message refused)";
const BAD_MAILBOX: &str = "5.1.1 (bad destination mailbox address)";

/// Texts follow the verbatim Microsoft responses in `reference/README.md` with documentation
/// IPs; RP-002/RP-003 and the 5.7.1 DMARC line have no public verbatim, so they copy the shape
/// of RP-001 and of the other 5.7.x lines. Entries of weight 0 are opt-in (through
/// [`Profile::code_weights`]): the default profiles never write them, not even in a burst or the
/// showcase, so adding one leaves their output as it was.
const CATALOGUE: &[Resp] = &[
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
/// [`Profile::code_weights`] and for reading [`Stats::responses`].
pub fn response_ids() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|r| r.id)
}

/// `ms:RP-002/log` matches `RP-002`, `ms:RP-002` and itself.
fn id_matches(id: &str, code: &str) -> bool {
    let rest = |s: &str| s.is_empty() || s.starts_with('/');
    if let Some(tail) = id.strip_prefix(code) {
        return rest(tail);
    }
    id.split_once(':')
        .is_some_and(|(_, bare)| bare.strip_prefix(code).is_some_and(rest))
}

// ---------------------------------------------------------------------------------------------
// Columns

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
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
    fn from_name(name: &str) -> Col {
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
enum Piece {
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
struct Tpl {
    pieces: Vec<Piece>,
    quoted: bool,
}

impl Tpl {
    fn new(text: &str) -> Tpl {
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

fn needs_quotes(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

fn push_escaped(out: &mut Vec<u8>, s: &str, quoted: bool) {
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
fn csv_field(s: &str) -> Vec<u8> {
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

/// A list to draw from by weight.
#[derive(Default)]
struct Weighted {
    items: Vec<usize>,
    cum: Vec<u64>,
}

impl Weighted {
    fn push(&mut self, item: usize, weight: u32) {
        if weight > 0 {
            let total = self.cum.last().copied().unwrap_or(0) + u64::from(weight);
            self.items.push(item);
            self.cum.push(total);
        }
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn total(&self) -> u64 {
        self.cum.last().copied().unwrap_or(0)
    }

    fn pick(&self, rng: &mut Rng) -> Option<usize> {
        let total = *self.cum.last()?;
        self.pick_at(rng.below(total))
    }

    /// The item whose share of the total holds `r` (which must be below the total).
    fn pick_at(&self, r: u64) -> Option<usize> {
        let at = self.cum.partition_point(|&c| c <= r);
        self.items.get(at).copied()
    }
}

/// The compiled [`DomainTail`]: Zipf weights as one cumulative table, and the two stand-in
/// domains (own MX, Office 365) whose provider, pool and VMTAs the tail's rows use.
struct CTail {
    /// `cum[k - 1]` = sum of floor(2^32 / j) for j in 1..=k: integer arithmetic, so the same
    /// bytes on every platform.
    cum: Vec<u64>,
    office365_permille: u64,
    weight: u32,
    /// Indices into [`Compiled::domains`].
    own_mx: usize,
    office365: usize,
}

impl CTail {
    /// A rank (1-based) for a number below the total weight.
    fn rank_at(&self, r: u64) -> u32 {
        u32::try_from(self.cum.partition_point(|&c| c <= r) + 1).unwrap_or(u32::MAX)
    }

    fn total(&self) -> u64 {
        self.cum.last().copied().unwrap_or(1).max(1)
    }

    /// The stand-in domain of a rank (which provider hosts it).
    fn domain_of(&self, rank: u32, seed: u64) -> usize {
        if msg_part(u64::from(rank), seed ^ 0x7a11_0365) % 1000 < self.office365_permille {
            self.office365
        } else {
            self.own_mx
        }
    }
}

struct CDomain {
    /// Lowercase, as it appears in recipient addresses. Empty for a tail stand-in.
    name: String,
    provider: Provider,
    /// `domain` or the rollup name, without `/vmta`.
    queue: String,
    vmtas: Vec<usize>,
    /// The addresses the domain's MX hosts resolve to.
    mx: Vec<Mx>,
    /// `dsnReportingMta` of its remote DSNs.
    mx_host: String,
    esmtp: &'static [u8],
}

/// One MX address of a destination.
struct Mx {
    /// `dsnMta`: `host (ip)`.
    dsn_mta: Vec<u8>,
    ip: Vec<u8>,
}

struct CVmta {
    name: Vec<u8>,
    ip: Vec<u8>,
    pool: Vec<u8>,
}

struct CCampaign {
    job: Vec<u8>,
    from: Vec<u8>,
    orig: Vec<u8>,
    return_path: Vec<u8>,
    subjects: Vec<Tpl>,
    vmtas: Option<Vec<usize>>,
    subaccount: u64,
    api: bool,
}

struct CBurst {
    resps: Weighted,
    provider: Provider,
    vmtas: Vec<usize>,
}

struct CSend {
    provider: Provider,
    vmta: usize,
    campaign: usize,
}

struct Compiled {
    cols: Vec<Col>,
    header: Vec<u8>,
    eol: &'static [u8],
    sdomain: String,
    sdomain_upper: String,
    injector_mta: Vec<u8>,
    injector_ip: Vec<u8>,
    reporting_mta: Vec<u8>,
    vmtas: Vec<CVmta>,
    domains: Vec<CDomain>,
    domain_pick: Weighted,
    provider_domains: Vec<Weighted>,
    campaigns: Vec<CCampaign>,
    campaign_pick: Weighted,
    kind_pick: Weighted,
    /// `[provider 0..5, any = 5][RespKind]`
    resp_lists: Vec<Weighted>,
    diags: Vec<Tpl>,
    /// `dsnStatus` per catalogue entry, quoted where the RFC 3463 text has a comma.
    statuses: Vec<Vec<u8>>,
    /// Retry interval per catalogue entry.
    retry_after: Vec<u32>,
    bursts: Vec<CBurst>,
    sends: Vec<CSend>,
    multiline_subject: Tpl,
    /// The number of recipients (see [`Profile::recipients_per_gib`]).
    recipients: u64,
    stable_recipients: bool,
    tail: Option<CTail>,
    per_row_ids: bool,
    unique_per_row: bool,
    seed: u64,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn check_domain(name: &str) -> io::Result<()> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("not a plain domain name: {name:?}")))
    }
}

fn check_ip(ip: &str) -> io::Result<Ipv4Addr> {
    ip.parse()
        .map_err(|_| invalid(format!("not an IPv4 address: {ip:?}")))
}

/// FNV-1a, to derive per-domain values that do not depend on the domain's position.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Compiled {
    #[allow(clippy::too_many_lines)] // one linear walk over the profile's fields
    fn new(p: &Profile) -> io::Result<Compiled> {
        if p.columns.is_empty() {
            return Err(invalid("no columns".to_owned()));
        }
        if p.vmtas.is_empty() || p.domains.is_empty() || p.campaigns.is_empty() {
            return Err(invalid(
                "a profile needs VMTAs, domains and campaigns".to_owned(),
            ));
        }
        check_domain(&p.sender_domain)?;
        check_ip(&p.injector_ip)?;
        let mut header = Vec::new();
        for (i, c) in p.columns.iter().enumerate() {
            if i > 0 {
                header.push(b',');
            }
            header.extend_from_slice(&csv_field(c));
        }
        let vmtas = p
            .vmtas
            .iter()
            .map(|v| {
                check_ip(&v.ip)?;
                Ok(CVmta {
                    name: csv_field(&v.name),
                    ip: v.ip.as_bytes().to_vec(),
                    pool: csv_field(&v.pool),
                })
            })
            .collect::<io::Result<Vec<_>>>()?;
        let pool_members = |pool: &str| -> io::Result<Vec<usize>> {
            let m: Vec<usize> = p
                .vmtas
                .iter()
                .enumerate()
                .filter(|(_, v)| v.pool == pool)
                .map(|(i, _)| i)
                .collect();
            if m.is_empty() {
                Err(invalid(format!("pool {pool:?} has no VMTA")))
            } else {
                Ok(m)
            }
        };

        let mut domains = Vec::with_capacity(p.domains.len());
        let mut domain_pick = Weighted::default();
        let mut provider_domains: Vec<Weighted> =
            Provider::ALL.iter().map(|_| Weighted::default()).collect();
        for (i, d) in p.domains.iter().enumerate() {
            check_domain(&d.name)?;
            let vm = match &d.pool {
                Some(pool) => pool_members(pool)?,
                None => (0..p.vmtas.len()).collect(),
            };
            let queue = p
                .rollups
                .iter()
                .find(|(dom, _)| dom.eq_ignore_ascii_case(&d.name))
                .map_or_else(|| d.name.clone(), |(_, rollup)| rollup.clone());
            check_domain(&queue)?;
            let (mx, mx_host) = mx_for(&d.name, d.provider, p.seed);
            domains.push(CDomain {
                name: d.name.to_ascii_lowercase(),
                provider: d.provider,
                queue,
                vmtas: vm,
                mx,
                mx_host,
                esmtp: esmtp_for(d.provider),
            });
            domain_pick.push(i, d.weight);
            provider_domains[d.provider.index()].push(i, d.weight);
        }
        let tail = match &p.tail {
            Some(t) if t.domains > 0 && t.weight > 0 => {
                if p.connections.is_some() {
                    return Err(invalid(
                        "a domain tail does not work with the connection simulation".to_owned(),
                    ));
                }
                let vm = match &t.pool {
                    Some(pool) => pool_members(pool)?,
                    None => (0..p.vmtas.len()).collect(),
                };
                // Two stand-ins after the named domains: the rows of the tail take their
                // provider, VMTAs and ESMTP list; names and MX hosts come from the rank.
                let own_mx = domains.len();
                for provider in [Provider::Other, Provider::Office365] {
                    let (mx, mx_host) = mx_for("tail.example", provider, p.seed);
                    domains.push(CDomain {
                        name: String::new(),
                        provider,
                        queue: String::new(),
                        vmtas: vm.clone(),
                        mx,
                        mx_host,
                        esmtp: esmtp_for(provider),
                    });
                }
                domain_pick.push(own_mx, t.weight);
                let mut cum = Vec::with_capacity(t.domains as usize);
                let mut total = 0u64;
                for k in 1..=u64::from(t.domains) {
                    total += (1u64 << 32) / k;
                    cum.push(total);
                }
                Some(CTail {
                    cum,
                    office365_permille: u64::from(t.office365_permille.min(1000)),
                    weight: t.weight,
                    own_mx,
                    office365: own_mx + 1,
                })
            }
            _ => None,
        };
        if domain_pick.is_empty() {
            return Err(invalid("every domain has weight 0".to_owned()));
        }

        let mut campaigns = Vec::with_capacity(p.campaigns.len());
        let mut campaign_pick = Weighted::default();
        for (i, c) in p.campaigns.iter().enumerate() {
            if c.subjects.is_empty() {
                return Err(invalid(format!("campaign {:?} has no subject", c.job_id)));
            }
            campaigns.push(CCampaign {
                job: csv_field(&c.job_id),
                from: csv_field(&c.from),
                orig: csv_field(&c.orig),
                return_path: csv_field(&format!("<{}>", c.orig)),
                subjects: c.subjects.iter().map(|s| Tpl::new(s)).collect(),
                vmtas: c.pool.as_deref().map(pool_members).transpose()?,
                subaccount: i as u64,
                api: c.api,
            });
            campaign_pick.push(i, c.weight);
        }
        if campaign_pick.is_empty() {
            return Err(invalid("every campaign has weight 0".to_owned()));
        }

        let m = &p.mix;
        let mut kind_pick = Weighted::default();
        for (kind, w) in [
            (Kind::D, m.delivered),
            (Kind::T, m.deferred),
            (Kind::B, m.bounced),
            (Kind::Tq, m.queue_deferred),
            (Kind::R, m.received),
        ] {
            kind_pick.push(kind as usize, w);
        }
        if kind_pick.is_empty() {
            return Err(invalid("every record type has weight 0".to_owned()));
        }

        let weight_of = |r: &Resp| {
            p.code_weights
                .iter()
                .rev()
                .find(|(id, _)| id == r.id)
                .map_or(r.weight, |(_, w)| *w)
        };
        let mut resp_lists: Vec<Weighted> = (0..(Provider::ALL.len() + 1) * RESP_KINDS)
            .map(|_| Weighted::default())
            .collect();
        for (i, r) in CATALOGUE.iter().enumerate() {
            let prov = r.provider.map_or(Provider::ALL.len(), Provider::index);
            resp_lists[prov * RESP_KINDS + r.kind.index()].push(i, weight_of(r));
        }
        for prov in Provider::ALL {
            if resp_lists[prov.index() * RESP_KINDS + RespKind::Deliver.index()].is_empty() {
                return Err(invalid(format!("no delivery response left for {prov:?}")));
            }
        }

        let mut bursts = Vec::with_capacity(p.bursts.len());
        for b in &p.bursts {
            let mut resps = Weighted::default();
            let mut provider = None;
            for (i, r) in CATALOGUE.iter().enumerate() {
                // Every form of the code, with its catalogue weight; opt-in forms (catalogue
                // weight 0) only when the profile turns them on.
                let weight = if r.weight == 0 {
                    weight_of(r)
                } else {
                    r.weight
                };
                if r.kind == RespKind::Defer && id_matches(r.id, &b.code) && weight > 0 {
                    resps.push(i, weight);
                    provider = provider.or(r.provider);
                }
            }
            let provider = provider
                .ok_or_else(|| invalid(format!("burst code {:?} is no deferral", b.code)))?;
            if provider_domains[provider.index()].is_empty() {
                return Err(invalid(format!(
                    "burst {:?}: no {provider:?} domain",
                    b.code
                )));
            }
            let mut bv = Vec::new();
            for ip in &b.source_ips {
                check_ip(ip)?;
                let i = p
                    .vmtas
                    .iter()
                    .position(|v| v.ip == *ip)
                    .ok_or_else(|| invalid(format!("burst IP {ip} is no VMTA's")))?;
                bv.push(i);
            }
            if bv.is_empty() {
                return Err(invalid(format!("burst {:?} has no source IP", b.code)));
            }
            bursts.push(CBurst {
                resps,
                provider,
                vmtas: bv,
            });
        }

        let mut sends = Vec::with_capacity(p.sends.len());
        for s in &p.sends {
            check_ip(&s.source_ip)?;
            let vmta = p
                .vmtas
                .iter()
                .position(|v| v.ip == s.source_ip)
                .ok_or_else(|| invalid(format!("send IP {} is no VMTA's", s.source_ip)))?;
            let campaign = p
                .campaigns
                .iter()
                .position(|c| c.job_id == s.job)
                .ok_or_else(|| invalid(format!("send job {:?} is no campaign's", s.job)))?;
            if provider_domains[s.provider.index()].is_empty() {
                return Err(invalid(format!(
                    "send {:?}: no {:?} domain",
                    s.job, s.provider
                )));
            }
            sends.push(CSend {
                provider: s.provider,
                vmta,
                campaign,
            });
        }

        let injector_mta = format!("app1.{} ({})", p.sender_domain, p.injector_ip);
        Ok(Compiled {
            cols: p.columns.iter().map(|c| Col::from_name(c)).collect(),
            header,
            eol: if p.crlf { b"\r\n" } else { b"\n" },
            sdomain: p.sender_domain.clone(),
            sdomain_upper: p.sender_domain.to_ascii_uppercase(),
            injector_mta: injector_mta.into_bytes(),
            injector_ip: p.injector_ip.as_bytes().to_vec(),
            reporting_mta: format!("mta1.{}", p.sender_domain).into_bytes(),
            vmtas,
            domains,
            domain_pick,
            provider_domains,
            campaigns,
            campaign_pick,
            kind_pick,
            resp_lists,
            diags: CATALOGUE
                .iter()
                .map(|r| {
                    let microsoft = matches!(r.provider, MS | O365);
                    if p.per_row_ids && microsoft && r.kind != RespKind::Deliver {
                        Tpl::new(&per_row_microsoft(r.diag))
                    } else {
                        Tpl::new(r.diag)
                    }
                })
                .collect(),
            statuses: CATALOGUE.iter().map(|r| csv_field(r.status)).collect(),
            retry_after: CATALOGUE
                .iter()
                .map(|r| {
                    p.retry_after_by_code
                        .iter()
                        .find(|(code, _)| id_matches(r.id, code))
                        .map_or(p.retry_after_secs, |(_, secs)| *secs)
                })
                .collect(),
            bursts,
            sends,
            multiline_subject: Tpl::new(if p.crlf {
                "Your November statement\r\nis ready"
            } else {
                "Your November statement\nis ready"
            }),
            recipients: recipient_count(p),
            stable_recipients: p.stable_recipients,
            tail,
            per_row_ids: p.per_row_ids,
            unique_per_row: p.unique_per_row,
            seed: p.seed,
        })
    }

    /// Whether the showcase and bursts may use a catalogue entry: every entry with a weight in
    /// the catalogue, and the opt-in ones the profile turned on.
    fn opted_in(&self, r: usize) -> bool {
        CATALOGUE[r].weight > 0 || self.resp_lists.iter().any(|w| w.items.contains(&r))
    }

    /// The domain (index) and tail rank (0: none) of recipient number `user` when recipients
    /// keep their domain ([`Profile::stable_recipients`]): drawn by weight from a hash of the
    /// number.
    fn domain_of_user(&self, user: u64) -> (usize, u32) {
        let h = msg_part(user, self.seed ^ 0x05ab_1e00);
        let domain = self
            .domain_pick
            .pick_at(h % self.domain_pick.total().max(1))
            .unwrap_or(0);
        match &self.tail {
            Some(t) if domain == t.own_mx => {
                let rank = t.rank_at(msg_part(h, 0x7a11) % t.total());
                (t.domain_of(rank, self.seed), rank)
            }
            _ => (domain, 0),
        }
    }

    fn resp_list(&self, provider: Provider, kind: RespKind) -> &Weighted {
        let own = &self.resp_lists[provider.index() * RESP_KINDS + kind.index()];
        if own.is_empty() {
            &self.resp_lists[Provider::ALL.len() * RESP_KINDS + kind.index()]
        } else {
            own
        }
    }
}

/// How many recipients the list has: `recipients`, or scaled with the size.
fn recipient_count(p: &Profile) -> u64 {
    let scaled = |per_gib: u64, part: u64, whole: u64| {
        u64::try_from(u128::from(per_gib) * u128::from(part) / u128::from(whole))
            .unwrap_or(u64::MAX)
    };
    match (p.recipients_per_gib, p.size) {
        (Some(per_gib), Size::Bytes(n)) => scaled(per_gib, n, 1 << 30),
        (Some(per_gib), Size::Rows(n)) => scaled(per_gib, n, ROWS_PER_GIB),
        (None, _) => u64::from(p.recipients),
    }
    .max(1)
}

/// The per-row form of a Microsoft reply ([`Profile::per_row_ids`]): a front-end tag in
/// parentheses (`(BAY004-MC1F37)`) becomes `{msfe}`, and the fixed `[HOST]` at the end (or the
/// end itself) becomes `{mstrailer}`.
fn per_row_microsoft(diag: &str) -> String {
    if diag.is_empty() {
        return String::new();
    }
    let mut text = diag.to_owned();
    let mut from = 0;
    while let Some(open) = text[from..].find('(').map(|i| i + from) {
        let Some(close) = text[open..].find(')').map(|i| i + open) else {
            break;
        };
        let inner = &text[open + 1..close];
        if inner.contains("-MC") && !inner.contains(' ') {
            text.replace_range(open + 1..close, "{msfe}");
            from = open + "{msfe}".len();
        } else {
            from = close;
        }
    }
    if text.ends_with(".outlook.com]")
        && let Some(open) = text.rfind(" [")
    {
        text.truncate(open);
    }
    text.push_str(" {mstrailer}");
    text
}

/// MX hosts and addresses of a destination (destination addresses are the providers' real
/// public ranges; only our own addresses must be documentation ranges).
fn mx_for(domain: &str, provider: Provider, seed: u64) -> (Vec<Mx>, String) {
    let mut rng = Rng(seed ^ fnv(domain));
    let dashed = domain.replace('.', "-");
    let european = matches!(
        domain,
        "hotmail.co.uk" | "hotmail.de" | "hotmail.fr" | "live.co.uk" | "live.de"
    );
    let hosts: Vec<String> = match provider {
        Provider::MicrosoftConsumer if european => vec!["eur.olc.protection.outlook.com".into()],
        Provider::MicrosoftConsumer => vec![format!("{dashed}.olc.protection.outlook.com")],
        Provider::Office365 => vec![format!("{dashed}.mail.protection.outlook.com")],
        Provider::Gmail => vec![
            "gmail-smtp-in.l.google.com".into(),
            "alt1.gmail-smtp-in.l.google.com".into(),
        ],
        Provider::Yahoo if domain == "aol.com" => vec!["mx-aol.mail.gm0.yahoodns.net".into()],
        Provider::Yahoo => vec![
            "mta5.am0.yahoodns.net".into(),
            "mta6.am0.yahoodns.net".into(),
            "mta7.am0.yahoodns.net".into(),
        ],
        Provider::Other => vec![format!("mx1.{domain}"), format!("mx2.{domain}")],
    };
    let mut mx = Vec::with_capacity(4);
    for k in 0..4u64 {
        let host = &hosts[usize::from(k % 2 == 1 && hosts.len() > 1)];
        let (a, b) = match provider {
            Provider::MicrosoftConsumer => (104, 47),
            Provider::Office365 => (52, 101),
            Provider::Gmail if k % 2 == 0 => (142, 250),
            Provider::Gmail => (74, 125),
            Provider::Yahoo => (67, 195),
            // RFC 2544 benchmarking range: not routable, not ours.
            Provider::Other => (198, 18),
        };
        let c = rng.below(128);
        let d = 1 + rng.below(250);
        let ip = format!("{a}.{b}.{c}.{d}");
        mx.push(Mx {
            dsn_mta: format!("{host} ({ip})").into_bytes(),
            ip: ip.into_bytes(),
        });
    }
    let main = hosts.first().cloned().unwrap_or_default();
    (mx, main)
}

fn esmtp_for(provider: Provider) -> &'static [u8] {
    // Always quoted: PowerMTA writes the list with commas.
    match provider {
        Provider::MicrosoftConsumer | Provider::Office365 => {
            b"\"SIZE 49283072,PIPELINING,DSN,ENHANCEDSTATUSCODES,8BITMIME\""
        }
        Provider::Gmail => b"\"SIZE 157286400,8BITMIME,ENHANCEDSTATUSCODES,PIPELINING\"",
        Provider::Yahoo => b"\"PIPELINING,SIZE 41943040,8BITMIME\"",
        Provider::Other => b"\"PIPELINING,SIZE 157286400,ETRN,ENHANCEDSTATUSCODES,8BITMIME\"",
    }
}

// ---------------------------------------------------------------------------------------------
// Random numbers, numbers and times

/// splitmix64: tiny, fast, and stable across platforms and versions (the bytes of the shipped
/// samples depend on it, so no external crate whose stream could change).
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n; 0 when n is 0. The modulo bias is far below what test data can show.
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    fn chance(&mut self, permille: u32) -> bool {
        self.below(1000) < u64::from(permille)
    }
}

fn put_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10).to_le_bytes()[0];
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn put_i64(buf: &mut Vec<u8>, v: i64) {
    if v < 0 {
        buf.push(b'-');
    }
    put_u64(buf, v.unsigned_abs());
}

fn put_hex(buf: &mut Vec<u8>, v: u64, digits: u32, upper: bool) {
    let table: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    for k in (0..digits).rev() {
        let nibble = (v >> (4 * (k % 16))) & 0xf;
        buf.push(table[usize::from(nibble.to_le_bytes()[0])]);
    }
}

fn put2(buf: &mut [u8], at: usize, v: u64) {
    buf[at] = b'0' + (v / 10 % 10).to_le_bytes()[0];
    buf[at + 1] = b'0' + (v % 10).to_le_bytes()[0];
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month.unsigned_abs(), day.unsigned_abs())
}

/// Unix seconds of a UTC civil time (month 1-12, day 1-31); for profiles and the CLI.
#[must_use]
pub fn unix_time(year: i64, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * DAY + i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec)
}

/// Formats times as `PowerMTA` does, caching the date part (rows come in time order).
struct TimeFmt {
    iso: bool,
    offset_secs: i64,
    suffix: [u8; 5],
    day: i64,
    date: [u8; 11],
}

impl TimeFmt {
    fn new(iso: bool, offset_mins: i32) -> TimeFmt {
        let abs = u64::from(offset_mins.unsigned_abs());
        let mut suffix = *b"+0000";
        if offset_mins < 0 {
            suffix[0] = b'-';
        }
        put2(&mut suffix, 1, abs / 60 % 100);
        put2(&mut suffix, 3, abs % 60);
        TimeFmt {
            iso,
            offset_secs: i64::from(offset_mins) * 60,
            suffix,
            day: i64::MIN,
            date: [0; 11],
        }
    }

    fn put(&mut self, buf: &mut Vec<u8>, t: i64) {
        if !self.iso {
            put_i64(buf, t);
            return;
        }
        let local = t + self.offset_secs;
        let day = local.div_euclid(DAY);
        if day != self.day {
            let (y, m, d) = civil_from_days(day);
            let mut date = *b"0000-00-00 ";
            let y = y.clamp(0, 9999).unsigned_abs();
            put2(&mut date, 0, y / 100);
            put2(&mut date, 2, y % 100);
            put2(&mut date, 5, m);
            put2(&mut date, 8, d);
            self.date = date;
            self.day = day;
        }
        let sod = local.rem_euclid(DAY).unsigned_abs();
        let mut hms = *b"00:00:00";
        put2(&mut hms, 0, sod / 3600);
        put2(&mut hms, 3, sod / 60 % 60);
        put2(&mut hms, 6, sod % 60);
        buf.extend_from_slice(&self.date);
        buf.extend_from_slice(&hms);
        buf.extend_from_slice(&self.suffix);
    }
}

// ---------------------------------------------------------------------------------------------
// Events

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    D = 0,
    B = 1,
    T = 2,
    Tq = 3,
    R = 4,
    F = 5,
    Rb = 6,
    Rs = 7,
}

impl Kind {
    const ALL: [Kind; 8] = [
        Kind::D,
        Kind::B,
        Kind::T,
        Kind::Tq,
        Kind::R,
        Kind::F,
        Kind::Rb,
        Kind::Rs,
    ];

    fn token(self) -> &'static [u8] {
        RECORD_TYPES[self as usize].as_bytes()
    }

    fn for_resp(kind: RespKind) -> Kind {
        match kind {
            RespKind::Deliver => Kind::D,
            RespKind::Defer => Kind::T,
            RespKind::QueueDefer => Kind::Tq,
            RespKind::Bounce | RespKind::Expire => Kind::B,
            RespKind::RemoteBounce => Kind::Rb,
            RespKind::RemoteStatus => Kind::Rs,
        }
    }
}

/// One row to write. Everything else in the row is derived from these fields.
#[derive(Clone, Copy, Debug)]
struct Event {
    kind: Kind,
    logged: i64,
    queued: i64,
    /// Seeds the per-message values (ids, size, MX choice, subject number).
    msg: u64,
    user: u64,
    domain: usize,
    /// Rank of a [`DomainTail`] domain (1-based; `domain` is then its stand-in), 0 for none.
    rank: u32,
    vmta: usize,
    campaign: usize,
    subject: usize,
    /// Index into [`CATALOGUE`]; `None` for r and f rows.
    resp: Option<usize>,
    attempt: u8,
    burst: Option<usize>,
    /// Index into [`Profile::sends`].
    send: Option<usize>,
}

/// An event waiting for its time (retries, complaints, bursts, showcase rows).
struct Pending {
    time: i64,
    seq: u64,
    ev: Event,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    /// Reversed: `BinaryHeap` is a max-heap and the earliest event must come out first; `seq`
    /// keeps events of the same second in the order they were made.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Special {
    None,
    BadTime,
    Multiline,
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Writes one accounting file for `profile` to `out` (header first, unless turned off) and
/// returns what was written, burst ground truth included. `out` gets large writes; no extra
/// buffering is needed.
///
/// # Errors
/// `InvalidInput` for an inconsistent profile (a pool without VMTAs, a burst IP that is no
/// VMTA's, a burst code that is no deferral, a domain name with odd characters ...), and any
/// error of `out`.
pub fn write_accounting<W: Write>(profile: &Profile, out: W) -> io::Result<Stats> {
    if profile.connections.is_some() {
        return connections::simulate(profile, out, None).map(|s| s.stats);
    }
    let clock = match profile.size {
        Size::Rows(n) => Some(fit_clock(profile, n)?),
        Size::Bytes(_) => None,
    };
    generate(profile, out, clock).map(|(stats, _)| stats)
}

/// Files up to this many rows get their clock fitted by dry runs.
const FIT_CLOCK_MAX_ROWS: u64 = 200_000;

/// The number of background rows a `Rows(n)` file holds, which sets the clock so the rows span
/// the duration (the row count itself is exact either way). Scheduled rows (bursts, retries,
/// complaints) take part of the n rows, and how many fall inside the file depends on the clock.
/// A larger budget slows the clock, so search with dry runs for the smallest budget whose rows all
/// stay before the end of the duration (the one that fills it best): bracket it from the
/// estimate, then bisect. Each run is deterministic for its budget, so the result is too.
fn fit_clock(profile: &Profile, n: u64) -> io::Result<u64> {
    let estimate = Gen::new(profile)?.background_budget(n).max(1);
    if n > FIT_CLOCK_MAX_ROWS {
        return Ok(estimate);
    }
    let end = profile.start + i64::from(profile.duration_secs);
    let fits = |budget: u64| -> io::Result<bool> {
        let (stats, _) = generate(profile, io::sink(), Some(budget))?;
        Ok(stats.last_time < end)
    };
    // Invariant once bracketed: `hi` fits, `lo` does not (or is 0).
    let (mut lo, mut hi);
    let mut step = 1;
    if fits(estimate)? {
        hi = estimate;
        lo = estimate.saturating_sub(step);
        while lo > 0 && fits(lo)? {
            hi = lo;
            step *= 2;
            lo = lo.saturating_sub(step);
        }
    } else {
        lo = estimate;
        hi = estimate + step;
        // With a budget of n the clock cannot pass the end: at most n rows are written.
        while hi < n && !fits(hi)? {
            lo = hi;
            step *= 2;
            hi = (hi + step).min(n);
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi.max(1))
}

/// One run: the stats and how many background rows it took.
fn generate<W: Write>(
    profile: &Profile,
    mut out: W,
    clock: Option<u64>,
) -> io::Result<(Stats, u64)> {
    let mut g = Gen::new(profile)?;
    if profile.write_header {
        g.buf.extend_from_slice(&g.c.header);
        g.stats.lines = 1;
    }
    let background_rows = g.run(&mut out, clock)?;
    if g.stats.lines > 0 && !profile.quirks.no_final_newline {
        g.buf.extend_from_slice(g.c.eol);
    }
    g.flush(&mut out)?;
    out.flush()?;
    g.finish();
    Ok((g.stats, background_rows))
}

impl<'p> Gen<'p> {
    fn new(profile: &'p Profile) -> io::Result<Gen<'p>> {
        let c = Compiled::new(profile)?;
        let mut g = Gen {
            p: profile,
            time: TimeFmt::new(profile.iso_times, profile.utc_offset_mins),
            rng: Rng(profile.seed),
            heap: BinaryHeap::new(),
            seq: 0,
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            flushed: 0,
            stats: Stats::default(),
            resp_counts: vec![(0, 0); CATALOGUE.len()],
            rows: 0,
            quirk_bad_time: profile.quirks.bad_timestamp_row,
            quirk_truncate: profile.quirks.truncated_row,
            quirk_multiline: profile.quirks.multiline_subject_row,
            c,
        };
        g.stats.bursts = profile
            .bursts
            .iter()
            .map(|b| BurstTruth {
                code: b.code.clone(),
                window_start: b.start,
                window_end: b.start + i64::from(b.duration_secs),
                ..BurstTruth::default()
            })
            .collect();
        g.stats.sends = profile
            .sends
            .iter()
            .map(|s| SendTruth {
                job: s.job.clone(),
                source_ip: s.source_ip.clone(),
                window_start: s.start,
                window_end: s.start + i64::from(s.duration_secs),
                ..SendTruth::default()
            })
            .collect();
        g.schedule_bursts();
        g.schedule_sends();
        if profile.showcase {
            g.schedule_showcase();
        }
        Ok(g)
    }
}

struct Gen<'p> {
    p: &'p Profile,
    c: Compiled,
    time: TimeFmt,
    rng: Rng,
    heap: BinaryHeap<Pending>,
    seq: u64,
    buf: Vec<u8>,
    flushed: u64,
    stats: Stats,
    /// (count, first line) per catalogue entry.
    resp_counts: Vec<(u64, u64)>,
    rows: u64,
    quirk_bad_time: Option<u64>,
    quirk_truncate: Option<u64>,
    quirk_multiline: Option<u64>,
}

impl Gen<'_> {
    fn push(&mut self, time: i64, ev: Event) {
        self.seq += 1;
        self.heap.push(Pending {
            time,
            seq: self.seq,
            ev: Event { logged: time, ..ev },
        });
    }

    fn progress(&self) -> (u64, u64) {
        match self.p.size {
            Size::Rows(n) => (self.rows, n),
            Size::Bytes(n) => (self.flushed + self.buf.len() as u64, n),
        }
    }

    /// How many background rows a `Rows(n)` file will hold: n minus the scheduled rows (bursts,
    /// showcase) and the follow-ups expected from both. An estimate: the starting point of
    /// [`fit_clock`], and the clock itself for large files. It only sets the clock; the row count
    /// stays exact either way.
    fn background_budget(&self, n: u64) -> u64 {
        const M: u64 = 1_000_000;
        let m = &self.p.mix;
        let total = u64::from(m.delivered)
            + u64::from(m.deferred)
            + u64::from(m.bounced)
            + u64::from(m.queue_deferred)
            + u64::from(m.received);
        let share = |w: u32| u64::from(w) * M / total.max(1);
        let (pt, pd) = (share(m.deferred), share(m.delivered));
        let complaining: u64 = [Provider::MicrosoftConsumer, Provider::Yahoo]
            .iter()
            .map(|p| {
                self.c.provider_domains[p.index()]
                    .cum
                    .last()
                    .copied()
                    .unwrap_or(0)
            })
            .sum();
        let corporate: u64 = [Provider::Office365, Provider::Other]
            .iter()
            .map(|p| {
                self.c.provider_domains[p.index()]
                    .cum
                    .last()
                    .copied()
                    .unwrap_or(0)
            })
            .sum::<u64>()
            + self.c.tail.as_ref().map_or(0, |t| u64::from(t.weight));
        let all = self.c.domain_pick.cum.last().copied().unwrap_or(1).max(1);
        let after_d = (u64::from(m.complaint_permille) * complaining
            + (u64::from(m.remote_bounce_permille) + u64::from(m.remote_status_permille))
                * corporate)
            * 1000
            / all;
        // A deferral is retried about 1.12 times (12% are deferred once more), if the retry
        // falls inside the file.
        let duration = u64::from(self.p.duration_secs).max(1);
        let inside = duration.saturating_sub(u64::from(self.p.retry_after_secs)) * M / duration;
        let per_row = pt * 112 / 100 * inside / M + pd * after_d / M;
        let end = self.p.start + i64::from(self.p.duration_secs);
        let retried = |e: &&Pending| {
            e.ev.kind == Kind::T
                && e.ev
                    .resp
                    .is_some_and(|r| e.time + i64::from(self.c.retry_after[r]) < end)
        };
        let scheduled = self.heap.len() as u64;
        let fixed = scheduled + self.heap.iter().filter(retried).count() as u64 * 112 / 100;
        (n.saturating_sub(fixed).max(1) * M / (M + per_row)).max(1)
    }

    /// Writes rows until the size is reached; returns how many were background rows.
    fn run<W: Write>(&mut self, out: &mut W, clock: Option<u64>) -> io::Result<u64> {
        let duration = u128::from(self.p.duration_secs);
        // The clock: background rows against their budget (exact row counts), or bytes against
        // the target (large files, where scheduled rows are a rounding error).
        let clock_target = match self.p.size {
            Size::Rows(n) => clock.unwrap_or_else(|| self.background_budget(n)),
            Size::Bytes(n) => n,
        };
        let step = u64::try_from(duration / u128::from(clock_target.max(1))).unwrap_or(0);
        let mut background_rows = 0u64;
        // The time of the next background row, fixed once drawn so that scheduled rows before it
        // come first and times never go backwards.
        let mut next_background = None;
        loop {
            let (done, target) = self.progress();
            if done >= target {
                return Ok(background_rows);
            }
            let now = if let Some(t) = next_background {
                t
            } else {
                let clock = match self.p.size {
                    Size::Rows(_) => background_rows,
                    Size::Bytes(_) => done,
                };
                let offset = u128::from(clock) * duration / u128::from(clock_target.max(1));
                // Anywhere inside its step, so rows do not sit on a visible grid.
                let jitter = u128::from(self.rng.below(step));
                let t = self.p.start + i64::try_from(offset + jitter).unwrap_or(i64::MAX);
                next_background = Some(t);
                t
            };
            let ev = match self.heap.peek() {
                Some(next) if next.time <= now => match self.heap.pop() {
                    Some(next) => next.ev,
                    None => continue,
                },
                _ => {
                    next_background = None;
                    background_rows += 1;
                    self.background(now)
                }
            };
            // A truncated row gets no follow-ups: a complaint or retry about a row the reader
            // cannot parse would make the ground truth ambiguous. Rows of a scheduled send get
            // none either (see `ScheduledSend`).
            if self.emit(ev) && ev.send.is_none() {
                self.follow_ups(&ev);
            }
            if self.buf.len() >= FLUSH_AT {
                self.flush(out)?;
            }
        }
    }

    fn flush<W: Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(&self.buf)?;
        self.flushed += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    fn pick_vmta(&mut self, campaign: usize, domain: usize) -> usize {
        let list = self.c.campaigns[campaign]
            .vmtas
            .as_ref()
            .unwrap_or(&self.c.domains[domain].vmtas);
        list[self.rng.index(list.len())]
    }

    fn new_event(&mut self, kind: Kind, t: i64, domain: usize, resp: Option<usize>) -> Event {
        let campaign = self.c.campaign_pick.pick(&mut self.rng).unwrap_or(0);
        let vmta = self.pick_vmta(campaign, domain);
        self.event_of(kind, t, domain, resp, campaign, vmta)
    }

    /// An event of a given campaign and VMTA (the rest drawn as for any event).
    fn event_of(
        &mut self,
        kind: Kind,
        t: i64,
        domain: usize,
        resp: Option<usize>,
        campaign: usize,
        vmta: usize,
    ) -> Event {
        let subject = self.rng.index(self.c.campaigns[campaign].subjects.len());
        let msg = self.rng.next();
        let user = self.rng.below(self.c.recipients);
        let queued = match kind {
            Kind::R | Kind::Tq => t,
            _ if resp.is_some_and(|r| CATALOGUE[r].kind == RespKind::Expire) => {
                // PowerMTA's default bounce-after is 4d12h.
                t - (4 * DAY + 12 * 3600) - i64::try_from(self.rng.below(3600)).unwrap_or(0)
            }
            _ => t - i64::try_from(self.rng.below(900)).unwrap_or(0),
        };
        Event {
            kind,
            logged: t,
            queued,
            msg,
            user,
            domain,
            rank: 0,
            vmta,
            campaign,
            subject,
            resp,
            attempt: 0,
            burst: None,
            send: None,
        }
    }

    fn pick_resp(&mut self, domain: usize, kind: RespKind) -> Option<usize> {
        let provider = self.c.domains[domain].provider;
        self.c.resp_list(provider, kind).pick(&mut self.rng)
    }

    fn background(&mut self, t: i64) -> Event {
        let kind = self
            .c
            .kind_pick
            .pick(&mut self.rng)
            .and_then(|k| Kind::ALL.get(k).copied())
            .unwrap_or(Kind::D);
        let (domain, rank, user) = if self.c.stable_recipients {
            let user = self.rng.below(self.c.recipients);
            let (domain, rank) = self.c.domain_of_user(user);
            (domain, rank, Some(user))
        } else {
            let (domain, rank) = self.pick_domain();
            (domain, rank, None)
        };
        let resp_kind = match kind {
            Kind::T => Some(RespKind::Defer),
            Kind::Tq => Some(RespKind::QueueDefer),
            Kind::B if self.rng.chance(self.p.mix.expired_permille) => Some(RespKind::Expire),
            Kind::B => Some(RespKind::Bounce),
            Kind::R => None,
            _ => Some(RespKind::Deliver),
        };
        let mut resp = resp_kind.and_then(|k| self.pick_resp(domain, k));
        // A type whose responses are all switched off becomes a delivery.
        let kind = match (kind, resp) {
            (Kind::R, _) => Kind::R,
            (k, Some(_)) => k,
            (_, None) => {
                resp = self.pick_resp(domain, RespKind::Deliver);
                Kind::D
            }
        };
        let mut ev = self.new_event(kind, t, domain, resp);
        ev.rank = rank;
        if let Some(user) = user {
            ev.user = user;
        }
        ev
    }

    /// A destination drawn by weight: a named domain (rank 0), or a [`DomainTail`] rank and its
    /// stand-in. Without a tail this draws exactly what `domain_pick` alone did.
    fn pick_domain(&mut self) -> (usize, u32) {
        let domain = self.c.domain_pick.pick(&mut self.rng).unwrap_or(0);
        match &self.c.tail {
            Some(t) if domain == t.own_mx => {
                let rank = t.rank_at(self.rng.below(t.total()));
                (t.domain_of(rank, self.c.seed), rank)
            }
            _ => (domain, 0),
        }
    }

    fn schedule_bursts(&mut self) {
        for (bi, b) in self.p.bursts.iter().enumerate() {
            for _ in 0..b.events {
                let cb = &self.c.bursts[bi];
                let domain = self.c.provider_domains[cb.provider.index()]
                    .pick(&mut self.rng)
                    .unwrap_or(0);
                let resp = cb.resps.pick(&mut self.rng);
                let vmta = cb.vmtas[self.rng.index(cb.vmtas.len())];
                let t = b.start
                    + i64::try_from(self.rng.below(u64::from(b.duration_secs.max(1)))).unwrap_or(0);
                let mut ev = self.new_event(Kind::T, t, domain, resp);
                ev.vmta = vmta;
                ev.burst = Some(bi);
                self.push(t, ev);
            }
        }
    }

    /// Schedules the rows of [`Profile::sends`], drawn from a random stream of their own so that
    /// a profile's other rows do not depend on its sends.
    fn schedule_sends(&mut self) {
        let p = self.p;
        if p.sends.is_empty() {
            return;
        }
        let background = std::mem::replace(&mut self.rng, Rng(p.seed ^ fnv("sends")));
        for (si, s) in p.sends.iter().enumerate() {
            let (provider, vmta, campaign) = {
                let cs = &self.c.sends[si];
                (cs.provider, cs.vmta, cs.campaign)
            };
            for _ in 0..s.events {
                let domain = self.c.provider_domains[provider.index()]
                    .pick(&mut self.rng)
                    .unwrap_or(0);
                let resp = self.pick_resp(domain, RespKind::Deliver);
                let t = s.start
                    + i64::try_from(self.rng.below(u64::from(s.duration_secs.max(1)))).unwrap_or(0);
                let mut ev = self.event_of(Kind::D, t, domain, resp, campaign, vmta);
                ev.send = Some(si);
                self.push(t, ev);
            }
        }
        self.rng = background;
    }

    fn schedule_showcase(&mut self) {
        let chosen: Vec<usize> = CATALOGUE
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.kind != RespKind::Deliver && SHOWCASE_PROVIDERS.contains(&r.provider)
            })
            .filter(|(_, r)| {
                r.provider
                    .is_none_or(|p| !self.c.provider_domains[p.index()].is_empty())
            })
            .filter(|(i, _)| self.c.opted_in(*i))
            .map(|(i, _)| i)
            .collect();
        // Two more slots: a received row, and a delivery that is reported as spam an hour later.
        let n = chosen.len() as u64 + 2;
        // Slot k starts at k/n of the duration, plus up to half a slot, so times look natural.
        let width = u64::from(self.p.duration_secs) / n;
        let slot_time = |k: u64, rng: &mut Rng| {
            let at = k * u64::from(self.p.duration_secs) / n + rng.below(width / 2 + 1);
            self.p.start + i64::try_from(at).unwrap_or(0)
        };
        let (t_r, t_d) = (slot_time(0, &mut self.rng), slot_time(1, &mut self.rng));
        let (domain, rank) = self.pick_domain();
        let mut ev = self.new_event(Kind::R, t_r, domain, None);
        ev.rank = rank;
        self.push(t_r, ev);
        let complaining = &self.c.provider_domains[Provider::MicrosoftConsumer.index()];
        if let Some(domain) = complaining.pick(&mut self.rng) {
            let resp = self.pick_resp(domain, RespKind::Deliver);
            let ev = self.new_event(Kind::D, t_d, domain, resp);
            self.push(t_d, ev);
            self.push(
                t_d + 3600,
                Event {
                    kind: Kind::F,
                    resp: None,
                    ..ev
                },
            );
        }
        for (k, &ri) in chosen.iter().enumerate() {
            let r = &CATALOGUE[ri];
            let corporate = self.c.provider_domains[Provider::Other.index()].pick(&mut self.rng);
            let (domain, rank) = match r.provider {
                Some(p) => (
                    self.c.provider_domains[p.index()]
                        .pick(&mut self.rng)
                        .unwrap_or(0),
                    0,
                ),
                None => match corporate {
                    Some(d) => (d, 0),
                    None => self.pick_domain(),
                },
            };
            let t = slot_time(k as u64 + 2, &mut self.rng);
            let mut ev = self.new_event(Kind::for_resp(r.kind), t, domain, Some(ri));
            ev.rank = rank;
            self.push(t, ev);
        }
    }

    /// What happens to a recipient later: retries after a deferral, complaints and remote
    /// notices after a delivery. They are scheduled, so they always follow their cause.
    fn follow_ups(&mut self, ev: &Event) {
        let t = ev.logged;
        let provider = self.c.domains[ev.domain].provider;
        match ev.kind {
            Kind::T if ev.attempt + 1 < MAX_ATTEMPTS => {
                let wait = ev
                    .resp
                    .map_or(self.p.retry_after_secs, |r| self.c.retry_after[r]);
                let at = t + i64::from(wait) + i64::try_from(self.rng.below(120)).unwrap_or(0);
                let roll = self.rng.below(100);
                let (kind, resp) = if roll < 85 || ev.attempt + 2 >= MAX_ATTEMPTS {
                    (Kind::D, self.pick_resp(ev.domain, RespKind::Deliver))
                } else if roll < 97 {
                    let same = self.rng.chance(500);
                    (
                        Kind::T,
                        if same {
                            ev.resp
                        } else {
                            self.pick_resp(ev.domain, RespKind::Defer)
                        },
                    )
                } else {
                    (Kind::B, self.pick_resp(ev.domain, RespKind::Bounce))
                };
                if resp.is_some() {
                    let retry = Event {
                        kind,
                        resp,
                        attempt: ev.attempt + 1,
                        burst: None,
                        ..*ev
                    };
                    self.push(at, retry);
                }
            }
            Kind::D => {
                let m = self.p.mix;
                let complains = matches!(provider, Provider::MicrosoftConsumer | Provider::Yahoo);
                let corporate = matches!(provider, Provider::Office365 | Provider::Other);
                let later = |rng: &mut Rng, min: u64, spread: u64| {
                    t + i64::try_from(min + rng.below(spread)).unwrap_or(0)
                };
                if complains && self.rng.chance(m.complaint_permille) {
                    let at = later(&mut self.rng, 600, 3 * 3600);
                    self.push(
                        at,
                        Event {
                            kind: Kind::F,
                            resp: None,
                            burst: None,
                            ..*ev
                        },
                    );
                } else if corporate && self.rng.chance(m.remote_bounce_permille) {
                    let at = later(&mut self.rng, 60, 3600);
                    let resp = self.pick_resp(ev.domain, RespKind::RemoteBounce);
                    self.push(
                        at,
                        Event {
                            kind: Kind::Rb,
                            resp,
                            burst: None,
                            ..*ev
                        },
                    );
                } else if corporate && self.rng.chance(m.remote_status_permille) {
                    let at = later(&mut self.rng, 300, 2 * 3600);
                    let resp = self.pick_resp(ev.domain, RespKind::RemoteStatus);
                    self.push(
                        at,
                        Event {
                            kind: Kind::Rs,
                            resp,
                            burst: None,
                            ..*ev
                        },
                    );
                }
            }
            _ => {}
        }
    }

    fn take_quirk(slot: &mut Option<u64>, rows: u64, ev: &Event) -> bool {
        match *slot {
            Some(at) if rows >= at && ev.kind == Kind::D => {
                *slot = None;
                true
            }
            _ => false,
        }
    }

    /// Writes one row; false if it was cut short on purpose.
    fn emit(&mut self, ev: Event) -> bool {
        let bad_time = Self::take_quirk(&mut self.quirk_bad_time, self.rows, &ev);
        let truncate = Self::take_quirk(&mut self.quirk_truncate, self.rows, &ev);
        let multiline = Self::take_quirk(&mut self.quirk_multiline, self.rows, &ev);
        let special = if bad_time {
            Special::BadTime
        } else if multiline {
            Special::Multiline
        } else {
            Special::None
        };
        if self.stats.lines > 0 {
            self.buf.extend_from_slice(self.c.eol);
        }
        let line = self.stats.lines + 1;
        let start = self.buf.len();
        render(
            &self.c,
            &mut self.time,
            &ev,
            special,
            self.rows,
            &mut self.buf,
        );
        let ncols = self.c.cols.len();
        let truncate = truncate && ncols > 2;
        if truncate {
            let keep = ncols.min(9) - 1;
            cut_after_fields(&mut self.buf, start, keep);
            self.stats
                .malformed
                .push((line, format!("truncated: {keep} of {ncols} fields")));
        }
        if bad_time && self.c.cols.contains(&Col::TimeLogged) {
            let reason = if self.p.iso_times {
                "bad timeLogged 2026-13-45 99:00:00+0000 (month 13, day 45, hour 99)"
            } else {
                "bad timeLogged 1795X83402 (not a number)"
            };
            self.stats.malformed.push((line, reason.to_owned()));
        }
        // Only the multi-line Subject puts a line break inside a row.
        let breaks = u64::from(multiline);
        if multiline {
            self.stats.multiline_row_line = Some(line);
        }
        self.stats.lines = line + breaks;
        self.rows += 1;

        let s = &mut self.stats;
        s.rows[ev.kind as usize] += 1;
        if s.total_rows() == 1 {
            s.first_time = ev.logged;
        }
        s.last_time = ev.logged;
        if let Some(r) = ev.resp {
            let slot = &mut self.resp_counts[r];
            if slot.0 == 0 {
                slot.1 = line;
            }
            slot.0 += 1;
        }
        if let Some(bi) = ev.burst {
            let ip = String::from_utf8_lossy(&self.c.vmtas[ev.vmta].ip).into_owned();
            let bt = &mut s.bursts[bi];
            if bt.count == 0 {
                bt.first = Some(ev.logged);
                bt.first_line = line;
            }
            bt.count += 1;
            bt.last = Some(ev.logged);
            bt.last_line = line;
            match bt.by_ip.iter_mut().find(|(i, _)| *i == ip) {
                Some((_, n)) => *n += 1,
                None => bt.by_ip.push((ip, 1)),
            }
        }
        if let Some(si) = ev.send {
            let st = &mut s.sends[si];
            if st.count == 0 {
                st.first = Some(ev.logged);
                st.first_line = line;
            }
            st.count += 1;
            st.last = Some(ev.logged);
            st.last_line = line;
        }
        !truncate
    }

    fn finish(&mut self) {
        self.stats.bytes = self.flushed + self.buf.len() as u64;
        self.stats.responses = CATALOGUE
            .iter()
            .zip(&self.resp_counts)
            .filter(|(_, (n, _))| *n > 0)
            .map(|(r, &(count, first_line))| ResponseCount {
                id: r.id,
                count,
                first_line,
            })
            .collect();
        for b in &mut self.stats.bursts {
            b.by_ip.sort();
        }
    }
}

/// Cuts the row that starts at `start` after its `keep`-th field (quote-aware).
fn cut_after_fields(buf: &mut Vec<u8>, start: usize, keep: usize) {
    let mut fields = 1;
    let mut quoted = false;
    for i in start..buf.len() {
        match buf[i] {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                if fields == keep {
                    buf.truncate(i);
                    return;
                }
                fields += 1;
            }
            _ => {}
        }
    }
}

/// Per-message values derived from `msg`, so a row and its follow-ups agree.
fn msg_part(msg: u64, salt: u64) -> u64 {
    let mut r = Rng(msg ^ salt);
    r.next()
}

/// The recipient domain of one row as written, and the MX host its message went to.
struct RowDomain<'a> {
    dom: &'a CDomain,
    /// The name when it is derived from a tail rank or the row's number.
    derived: [u8; 40],
    len: usize,
    /// Seeds a derived name's MX addresses; `None` for a named domain.
    key: Option<u64>,
    /// Which of the destination's four MX addresses (0..4).
    mx: usize,
}

impl<'a> RowDomain<'a> {
    fn new(c: &'a Compiled, ev: &Event, serial: u64) -> RowDomain<'a> {
        let mut rd = RowDomain {
            dom: &c.domains[ev.domain],
            derived: [0; 40],
            len: 0,
            key: None,
            mx: usize::from((ev.msg >> 60).to_le_bytes()[0] & 3),
        };
        if c.unique_per_row {
            rd.push(b"a");
            rd.push_u64(serial);
            rd.push(b".example");
            rd.key = Some(serial);
        } else if ev.rank > 0 {
            let rank = u64::from(ev.rank);
            let (prefix, suffix): (&[u8], &[u8]) = match msg_part(rank, c.seed ^ 0x7a11_4a3e) % 4 {
                0 => (b"shop", b".example"),
                1 => (b"n", b".example.net"),
                2 => (b"co", b".example.org"),
                _ => (b"biz", b".example.com"),
            };
            rd.push(prefix);
            rd.push_u64(rank);
            rd.push(suffix);
            rd.key = Some(rank ^ c.seed.rotate_left(17));
        }
        rd
    }

    fn push(&mut self, bytes: &[u8]) {
        let end = (self.len + bytes.len()).min(self.derived.len());
        self.derived[self.len..end].copy_from_slice(&bytes[..end - self.len]);
        self.len = end;
    }

    fn push_u64(&mut self, mut v: u64) {
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = b'0' + (v % 10).to_le_bytes()[0];
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.push(&tmp[i..]);
    }

    fn name(&self) -> &[u8] {
        if self.key.is_some() {
            &self.derived[..self.len]
        } else {
            self.dom.name.as_bytes()
        }
    }

    /// A derived name at a destination with its own MX hosts (own MX, Office 365) gets hosts
    /// named after it; at Gmail, Yahoo and Microsoft consumer it uses the provider's.
    fn own_hosts(&self) -> Option<u64> {
        self.key
            .filter(|_| matches!(self.dom.provider, Provider::Other | Provider::Office365))
    }

    fn put_queue(&self, buf: &mut Vec<u8>) {
        if self.key.is_some() {
            buf.extend_from_slice(self.name());
        } else {
            buf.extend_from_slice(self.dom.queue.as_bytes());
        }
    }

    /// The host of MX number `mx` (0 or 1) of a derived name.
    fn put_own_host(&self, buf: &mut Vec<u8>, mx: usize) {
        if self.dom.provider == Provider::Office365 {
            for &b in self.name() {
                buf.push(if b == b'.' { b'-' } else { b });
            }
            buf.extend_from_slice(b".mail.protection.outlook.com");
        } else {
            buf.extend_from_slice(if mx.is_multiple_of(2) {
                b"mx1."
            } else {
                b"mx2."
            });
            buf.extend_from_slice(self.name());
        }
    }

    fn put_ip(&self, buf: &mut Vec<u8>) {
        let Some(key) = self.own_hosts() else {
            buf.extend_from_slice(&self.dom.mx[self.mx].ip);
            return;
        };
        let h = msg_part(key, 0x6d78 + self.mx as u64);
        if self.dom.provider == Provider::Office365 {
            buf.extend_from_slice(b"52.101.");
        } else {
            // RFC 2544 benchmarking range: not routable, not ours.
            buf.extend_from_slice(if h & 1 == 0 { b"198.18." } else { b"198.19." });
        }
        put_u64(buf, (h >> 8) % 256);
        buf.push(b'.');
        put_u64(buf, 1 + (h >> 16) % 250);
    }

    /// `dsnMta`: `host (ip)`.
    fn put_dsn_mta(&self, buf: &mut Vec<u8>) {
        if self.own_hosts().is_none() {
            buf.extend_from_slice(&self.dom.mx[self.mx].dsn_mta);
            return;
        }
        self.put_own_host(buf, self.mx);
        buf.extend_from_slice(b" (");
        self.put_ip(buf);
        buf.push(b')');
    }

    /// `dsnReportingMta` of a remote DSN: the main MX host.
    fn put_mx_host(&self, buf: &mut Vec<u8>) {
        if self.own_hosts().is_some() {
            self.put_own_host(buf, 0);
        } else {
            buf.extend_from_slice(self.dom.mx_host.as_bytes());
        }
    }
}

/// Seeds the per-row ids of [`Profile::per_row_ids`]: differs between a message's attempts.
fn row_key(ev: &Event) -> u64 {
    msg_part(
        ev.msg
            ^ (ev.logged as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (u64::from(ev.attempt) << 56)
            ^ ((ev.kind as u64) << 48),
        0x51d,
    )
}

/// A Microsoft front-end tag such as `BAY004-MC1F37`.
fn put_ms_frontend(buf: &mut Vec<u8>, key: u64) {
    const SITES: [&[u8]; 8] = [
        b"BAY004", b"SNT004", b"COL004", b"BLU004", b"DUB004", b"SNT0", b"COL0", b"BAY0",
    ];
    let h = msg_part(key, 0xfe);
    buf.extend_from_slice(SITES[(h % 8) as usize]);
    buf.extend_from_slice(b"-MC");
    put_u64(buf, 1 + (h >> 8) % 9);
    buf.push(b'F');
    put_u64(buf, 1 + (h >> 16) % 60);
}

/// A Microsoft trailer: `[BL6PEPF00012345.namprd02.prod.outlook.com 2026-11-20T14:03:11.123Z
/// 08DD0A1B2C3D4E5F]` (front-end host, UTC time with milliseconds, a transaction id).
fn put_ms_trailer(buf: &mut Vec<u8>, key: u64, logged: i64) {
    const HOSTS: [&[u8]; 12] = [
        b"BL6", b"SN1", b"CH2", b"DM6", b"AM4", b"DB5", b"PH0", b"BN8", b"CY4", b"MW2", b"SA1",
        b"LV3",
    ];
    const REGIONS: [&[u8]; 8] = [
        b"namprd02",
        b"namprd03",
        b"namprd04",
        b"namprd11",
        b"namprd12",
        b"eurprd04",
        b"eurprd83",
        b"apcprd06",
    ];
    let h = msg_part(key, 0x7a);
    buf.push(b'[');
    buf.extend_from_slice(HOSTS[(h % 12) as usize]);
    buf.extend_from_slice(b"PEPF000");
    put_hex(buf, h >> 8, 5, true);
    buf.push(b'.');
    buf.extend_from_slice(REGIONS[((h >> 40) % 8) as usize]);
    buf.extend_from_slice(b".prod.outlook.com ");
    let (year, month, day) = civil_from_days(logged.div_euclid(DAY));
    let sod = logged.rem_euclid(DAY).unsigned_abs();
    let mut stamp = *b"0000-00-00T00:00:00.000Z";
    let year = year.clamp(0, 9999).unsigned_abs();
    put2(&mut stamp, 0, year / 100);
    put2(&mut stamp, 2, year % 100);
    put2(&mut stamp, 5, month);
    put2(&mut stamp, 8, day);
    put2(&mut stamp, 11, sod / 3600);
    put2(&mut stamp, 14, sod / 60 % 60);
    put2(&mut stamp, 17, sod % 60);
    let millis = (h >> 44) % 1000;
    stamp[20] = b'0' + (millis / 100).to_le_bytes()[0];
    put2(&mut stamp, 21, millis % 100);
    buf.extend_from_slice(&stamp);
    buf.extend_from_slice(b" 08DD");
    put_hex(buf, msg_part(key, 0x1d), 12, true);
    buf.push(b']');
}

fn put_tpl(buf: &mut Vec<u8>, tpl: &Tpl, c: &Compiled, ev: &Event, rd: &RowDomain) {
    if tpl.quoted {
        buf.push(b'"');
    }
    for piece in &tpl.pieces {
        match piece {
            Piece::Lit(bytes) => buf.extend_from_slice(bytes),
            Piece::Ip => buf.extend_from_slice(&c.vmtas[ev.vmta].ip),
            Piece::MsgId => {
                buf.push(b'<');
                put_hex(buf, ev.msg, 16, false);
                buf.extend_from_slice(b"@mail.");
                buf.extend_from_slice(c.sdomain.as_bytes());
                buf.push(b'>');
            }
            Piece::Rcpt => put_rcpt(buf, rd, ev),
            Piece::RDomain => buf.extend_from_slice(rd.name()),
            Piece::SDomain => buf.extend_from_slice(c.sdomain.as_bytes()),
            Piece::SDomainUpper => buf.extend_from_slice(c.sdomain_upper.as_bytes()),
            Piece::Gid if c.per_row_ids => {
                // Today's form, new on every attempt: d2e1a72fcca58-6f2a1b9c7e3si1234567qkb.123
                let key = row_key(ev);
                put_hex(buf, msg_part(key, 1), 13, false);
                buf.push(b'-');
                put_hex(buf, msg_part(key, 2), 11, false);
                buf.extend_from_slice(b"si");
                put_u64(buf, 1_000_000 + msg_part(key, 3) % 9_000_000);
                let mut letters = msg_part(key, 4);
                for _ in 0..3 {
                    buf.push(b'a' + (letters % 26).to_le_bytes()[0]);
                    letters /= 26;
                }
                buf.push(b'.');
                put_u64(buf, 1 + msg_part(key, 5) % 999);
            }
            Piece::Gid => {
                let g = msg_part(ev.msg, 1);
                put_hex(buf, g, 13, false);
                buf.push(b'-');
                put_hex(buf, g >> 20, 11, false);
                buf.extend_from_slice(b"si");
                put_u64(buf, 10_000_000 + msg_part(ev.msg, 2) % 90_000_000);
                buf.push(b'.');
                put_u64(buf, 100 + msg_part(ev.msg, 3) % 900);
            }
            Piece::Ts => put_i64(buf, ev.logged),
            Piece::Size => put_u64(buf, msg_size(ev.msg)),
            Piece::Qid => put_hex(buf, msg_part(ev.msg, 4), 10, true),
            Piece::N => put_u64(buf, 100_000 + msg_part(ev.msg, 5) % 900_000),
            Piece::MsFrontend => put_ms_frontend(buf, row_key(ev)),
            Piece::MsTrailer => put_ms_trailer(buf, row_key(ev), ev.logged),
        }
    }
    if tpl.quoted {
        buf.push(b'"');
    }
}

fn msg_size(msg: u64) -> u64 {
    8_000 + msg_part(msg, 6) % 80_000
}

fn put_rcpt(buf: &mut Vec<u8>, rd: &RowDomain, ev: &Event) {
    buf.extend_from_slice(b"user");
    put_u64(buf, 10_000 + ev.user);
    buf.push(b'@');
    buf.extend_from_slice(rd.name());
}

/// The reporting MTA of a feedback report: Microsoft's or Yahoo's, never ours.
fn put_reporter(buf: &mut Vec<u8>, ev: &Event, provider: Provider, with_host: bool) {
    let x = msg_part(ev.msg, 7);
    let (c, d) = (x % 64, 1 + (x >> 8) % 250);
    if provider == Provider::Yahoo {
        if with_host {
            buf.extend_from_slice(b"sonic30");
            put_u64(buf, c % 10);
            buf.extend_from_slice(b".consmr.mail.gq1.yahoo.com (");
        }
        buf.extend_from_slice(b"66.163.");
        put_u64(buf, 128 + c);
    } else {
        if with_host {
            buf.extend_from_slice(b"mail-oln0400920");
            put_u64(buf, 10 + c);
            put_u64(buf, 100 + d);
            buf.extend_from_slice(b".outbound.protection.outlook.com (");
        }
        buf.extend_from_slice(b"40.92.");
        put_u64(buf, 10 + c);
    }
    buf.push(b'.');
    put_u64(buf, d);
    if with_host {
        buf.push(b')');
    }
}

/// Writes one row (no line ending). The match says which columns each record type fills;
/// anything not listed stays empty, as in real files.
#[allow(clippy::too_many_lines)] // one arm per column keeps the layout readable in one place
/// `serial` is the row's number (from 0), for [`Profile::unique_per_row`].
fn render(
    c: &Compiled,
    time: &mut TimeFmt,
    ev: &Event,
    special: Special,
    serial: u64,
    buf: &mut Vec<u8>,
) {
    let k = ev.kind;
    let resp = ev.resp.map(|r| &CATALOGUE[r]);
    let expired = resp.is_some_and(|r| r.kind == RespKind::Expire);
    let rd = RowDomain::new(c, ev, serial);
    let dom = rd.dom;
    let camp = &c.campaigns[ev.campaign];
    let vm = &c.vmtas[ev.vmta];
    // Rows that went through an SMTP conversation from one of our IPs.
    let smtp_out = matches!(k, Kind::D | Kind::T) || (k == Kind::B && !expired);
    // Rows about a message in one of our queues (an expired bounce still names its queue).
    let queued = matches!(k, Kind::D | Kind::T | Kind::B | Kind::Tq);
    let no_answer = k == Kind::Tq && resp.is_some_and(|r| r.diag.is_empty());
    let message = !matches!(k, Kind::Tq);
    let with_headers = matches!(k, Kind::D | Kind::T | Kind::B | Kind::R | Kind::F);
    for (i, col) in c.cols.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        match col {
            Col::Type => buf.extend_from_slice(k.token()),
            Col::TimeLogged => match special {
                Special::BadTime if time.iso => buf.extend_from_slice(b"2026-13-45 99:00:00+0000"),
                Special::BadTime => buf.extend_from_slice(b"1795X83402"),
                _ => time.put(buf, ev.logged),
            },
            Col::TimeQueued if matches!(k, Kind::D | Kind::T | Kind::B | Kind::R) => {
                time.put(buf, ev.queued);
            }
            Col::Orig if message => buf.extend_from_slice(&camp.orig),
            Col::Rcpt if message => put_rcpt(buf, &rd, ev),
            Col::OriginalRecipient if k == Kind::F => put_rcpt(buf, &rd, ev),
            Col::DsnAction => buf.extend_from_slice(match k {
                Kind::D => b"relayed",
                Kind::T | Kind::Rs => b"delayed",
                Kind::B | Kind::Rb => b"failed",
                _ => b"",
            }),
            Col::DsnStatus => {
                if let Some(r) = ev.resp {
                    buf.extend_from_slice(&c.statuses[r]);
                }
            }
            Col::DsnDiag => {
                if let Some(r) = ev.resp {
                    put_tpl(buf, &c.diags[r], c, ev, &rd);
                }
            }
            Col::DsnMta if smtp_out || matches!(k, Kind::Tq | Kind::Rb | Kind::Rs) => {
                rd.put_dsn_mta(buf);
            }
            Col::BounceCat if matches!(k, Kind::T | Kind::B | Kind::Rb) => {
                if let Some(r) = resp {
                    buf.extend_from_slice(r.cat.as_bytes());
                }
            }
            Col::SrcType if message => buf.extend_from_slice(b"smtp"),
            Col::SrcMta => match k {
                Kind::D | Kind::T | Kind::B | Kind::R => buf.extend_from_slice(&c.injector_mta),
                Kind::F => put_reporter(buf, ev, dom.provider, true),
                Kind::Rb | Kind::Rs => rd.put_dsn_mta(buf),
                Kind::Tq => {}
            },
            Col::DlvType if smtp_out || k == Kind::Tq => buf.extend_from_slice(b"smtp"),
            Col::DlvSourceIp => match k {
                // PowerMTA writes 0.0.0.0 when no connection was made (manual's tq sample).
                Kind::Tq if no_answer => buf.extend_from_slice(b"0.0.0.0"),
                Kind::F => put_reporter(buf, ev, dom.provider, false),
                _ if smtp_out || k == Kind::Tq => buf.extend_from_slice(&vm.ip),
                _ => {}
            },
            Col::DlvDestinationIp if smtp_out || k == Kind::Tq => rd.put_ip(buf),
            Col::DlvEsmtpAvailable if smtp_out => buf.extend_from_slice(dom.esmtp),
            Col::DlvSize if k == Kind::D => put_u64(buf, msg_size(ev.msg)),
            Col::Vmta if queued || k == Kind::R => {
                buf.extend_from_slice(&vm.name);
            }
            Col::JobId | Col::HeaderXJob if message && c.unique_per_row => {
                buf.push(b'j');
                put_u64(buf, serial);
            }
            Col::JobId | Col::HeaderXJob if message => buf.extend_from_slice(&camp.job),
            Col::EnvId if message && c.unique_per_row => {
                buf.push(b'e');
                put_u64(buf, serial);
            }
            Col::EnvId if message && camp.api && k != Kind::F => {
                buf.extend_from_slice(b"e-");
                put_hex(buf, msg_part(ev.msg, 8), 10, false);
            }
            Col::Queue if queued => {
                rd.put_queue(buf);
                buf.push(b'/');
                buf.extend_from_slice(&vm.name);
            }
            Col::VmtaPool if queued => buf.extend_from_slice(&vm.pool),
            Col::SubaccountId if with_headers && camp.api => put_u64(buf, camp.subaccount),
            Col::SpMessageId if message && camp.api => {
                put_hex(buf, msg_part(ev.msg, 9), 20, true);
            }
            Col::RepSourceIp if k == Kind::F => buf.extend_from_slice(&vm.ip),
            Col::FeedbackType if k == Kind::F => buf.extend_from_slice(b"abuse"),
            Col::Format if k == Kind::F => {
                let format: &[u8] = if dom.provider == Provider::Yahoo {
                    b"arf"
                } else {
                    b"jmrp"
                };
                buf.extend_from_slice(format);
            }
            Col::UserAgent if k == Kind::F && dom.provider == Provider::Yahoo => {
                buf.extend_from_slice(b"Yahoo!-Mail-Feedback/2.0");
            }
            Col::ReportedDomain if k == Kind::F && dom.provider == Provider::Yahoo => {
                buf.extend_from_slice(c.sdomain.as_bytes());
            }
            Col::HeaderFrom if with_headers => buf.extend_from_slice(&camp.from),
            // The final MTA adds Return-Path: only copies that came back (reports, bounces) have it.
            Col::HeaderReturnPath if matches!(k, Kind::F | Kind::Rb) => {
                buf.extend_from_slice(&camp.return_path);
            }
            Col::HeaderSubject if with_headers => {
                let tpl = if special == Special::Multiline {
                    &c.multiline_subject
                } else {
                    &camp.subjects[ev.subject]
                };
                put_tpl(buf, tpl, c, ev, &rd);
            }
            Col::RcvSourceIp if k == Kind::R => buf.extend_from_slice(&c.injector_ip),
            // Only rows that stand for a DSN name its reporting MTA.
            Col::DsnReportingMta => match k {
                Kind::B => buf.extend_from_slice(&c.reporting_mta),
                Kind::Rb | Kind::Rs => rd.put_mx_host(buf),
                _ => {}
            },
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A matching PowerMTA config

/// `PowerMTA` rolls up by MX host: one pattern (`*.yahoodns.net`) per rollup name and MX
/// domain of the profile's rollups.
fn mx_rollup_patterns(p: &Profile) -> std::collections::BTreeMap<String, &str> {
    let mut rollups = std::collections::BTreeMap::new();
    for (domain, name) in &p.rollups {
        if let Some(spec) = p
            .domains
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(domain))
        {
            let (_, host) = mx_for(&spec.name, spec.provider, p.seed);
            let labels: Vec<&str> = host.rsplitn(3, '.').collect();
            if labels.len() == 3 {
                rollups.insert(format!("*.{}.{}", labels[1], labels[0]), name.as_str());
            }
        }
    }
    rollups
}

/// A `PowerMTA` config for the sender of `p`, in the real syntax, for `pmta-lens --config` on a
/// generated file: one `<virtual-mta>` per VMTA with its `smtp-source-host`, the pools, the
/// profile's rollups as an `<mx-rollup-list>` (by the MX hosts of their domains), the named
/// Microsoft consumer domains sharing settings through a `domain-macro` with the article's
/// RP-002 pattern list, and `max-smtp-out` per destination. The numbers are plausible, not
/// tuned: it is there so that the connection budget and the config findings have something to
/// work on.
#[must_use]
pub fn pmta_config(p: &Profile) -> String {
    use std::collections::BTreeMap;
    use std::fmt::Write as _;
    let mut out = String::new();
    let mut pools: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for v in &p.vmtas {
        pools.entry(&v.pool).or_default().push(&v.name);
    }
    let d = &p.sender_domain;
    let _ = writeln!(
        out,
        "# PowerMTA config for a generated accounting file (pmta_lens::synth::pmta_config):\n\
         # sender {d}, {} VMTAs in {} pools, documentation IPs.\n\n\
         postmaster postmaster@{d}\nhost-name mta1.{d}\n\n\
         <source {}>\n    always-allow-relaying yes\n    process-x-virtual-mta yes\n    \
         process-x-job yes\n</source>\n\n\
         <acct-file /var/log/pmta/acct.csv>\n    records d,b,t,tq,r,f,rb,rs\n    \
         move-interval 1d\n</acct-file>\n",
        p.vmtas.len(),
        pools.len(),
        p.injector_ip
    );
    for v in &p.vmtas {
        let _ = writeln!(
            out,
            "<virtual-mta {}>\n    smtp-source-host {} {}.mail.{d}\n</virtual-mta>",
            v.name,
            v.ip,
            v.name.trim_start_matches("vmta-")
        );
    }
    for (pool, members) in &pools {
        let _ = writeln!(out, "<virtual-mta-pool {pool}>");
        for m in members {
            let _ = writeln!(out, "    virtual-mta {m}");
        }
        let _ = writeln!(out, "</virtual-mta-pool>");
    }
    let rollups = mx_rollup_patterns(p);
    if !rollups.is_empty() {
        let _ = writeln!(out, "\n<mx-rollup-list>");
        for (pattern, name) in &rollups {
            let _ = writeln!(out, "    mx {pattern} {name}");
        }
        let _ = writeln!(out, "</mx-rollup-list>");
    }
    let microsoft: Vec<&str> = p
        .domains
        .iter()
        .filter(|s| s.provider == Provider::MicrosoftConsumer)
        .map(|s| s.name.as_str())
        .collect();
    if !microsoft.is_empty() {
        // The pattern list retries as the profile's rows do (`retry_after_by_code`).
        let reply = |code: &str| {
            let retry = p
                .retry_after_by_code
                .iter()
                .find(|(c, _)| c == code)
                .map_or(String::new(), |(_, secs)| {
                    format!(" retry-after={}m", (secs / 60).max(1))
                });
            format!("    reply /{code}/ mode=backoff{retry}\n")
        };
        let _ = writeln!(
            out,
            "\ndomain-macro microsoft {}\n\n<smtp-pattern-list microsoft>\n{}{}\
             </smtp-pattern-list>\n\n\
             <domain $microsoft>\n    max-smtp-out 5\n    max-msg-rate 2000/h\n    \
             smtp-pattern-list microsoft\n    backoff-max-smtp-out 2\n</domain>",
            microsoft.join(", "),
            reply("RP-001"),
            reply("RP-002")
        );
    }
    if p.domains.iter().any(|s| s.name == "gmail.com") {
        let _ = writeln!(out, "\n<domain gmail.com>\n    max-smtp-out 20\n</domain>");
    }
    let names: std::collections::BTreeSet<&str> =
        p.rollups.iter().map(|(_, n)| n.as_str()).collect();
    for name in names {
        let _ = writeln!(out, "\n<domain {name}>\n    max-smtp-out 10\n</domain>");
    }
    let _ = writeln!(
        out,
        "\n<domain *>\n    max-smtp-out 10\n    retry-after {}m\n    \
         connection-idle-timeout 30s\n    bounce-after 4d12h\n</domain>",
        (p.retry_after_secs / 60).max(1)
    );
    out
}

// ---------------------------------------------------------------------------------------------
// The shipped sample-logs/

/// One file of `sample-logs/`.
#[derive(Clone, Debug)]
pub struct SampleFile {
    pub name: &'static str,
    pub profile: Profile,
    pub gzip: bool,
}

/// The profiles behind `sample-logs/` (a day of `example.com`, 2026-11-20, plus the day before
/// and after). Changing anything here changes the committed files and their README.
#[must_use]
pub fn sample_files() -> Vec<SampleFile> {
    let day = unix_time(2026, 11, 20, 0, 0, 0);
    let base = |seed: u64, start: i64| {
        let mut p = Profile::example_sender(seed, start);
        p.recipients = 90_000;
        p.rollups = vec![
            ("yahoo.com".to_owned(), "yahoo.rollup".to_owned()),
            ("aol.com".to_owned(), "yahoo.rollup".to_owned()),
        ];
        p.mix.complaint_permille = 60;
        // The article's pattern list for RP-002 (retry-after=2h), but nothing for RP-001.
        p.retry_after_by_code = vec![("RP-002".to_owned(), 7200)];
        p.mix.remote_bounce_permille = 150;
        p.mix.remote_status_permille = 100;
        p
    };

    // The win-back job was routed to the general pool by mistake: vmta-gen-02, which never sends
    // to Microsoft otherwise, mails Microsoft consumer domains a small test on the 19th, nothing
    // on the 20th and the whole campaign on the 21st (the spike-and-silence IP). Weight 0: the
    // background never picks the job, so the other rows stay as they were without the sends.
    let winback = Campaign {
        job_id: "winback".to_owned(),
        from: "Example <news@example.com>".to_owned(),
        orig: "bounces@mail.example.com".to_owned(),
        subjects: vec![
            "We miss you: 20% off your next order".to_owned(),
            "Still interested? Your picks are waiting".to_owned(),
        ],
        pool: None,
        weight: 0,
        api: false,
    };
    let winback_send = |start: i64, duration_secs: u32, events: u32| ScheduledSend {
        start,
        duration_secs,
        events,
        provider: Provider::MicrosoftConsumer,
        source_ip: "198.51.100.21".to_owned(),
        job: "winback".to_owned(),
    };

    let mut prev = base(157, day - DAY);
    prev.campaigns.push(winback.clone());
    prev.sends
        .push(winback_send(day - DAY + 15 * 3600 + 10 * 60, 600, 6));
    prev.size = Size::Rows(150 + 6);

    let mut main = base(98, day);
    main.duration_secs = 16 * 3600;
    main.size = Size::Rows(160);
    main.showcase = true;
    main.mix.complaint_permille = 150;
    // The burst and the showcase bring deferrals enough; keep the background mostly deliveries.
    main.mix.deferred = 50;
    main.bursts.push(Burst {
        start: day + 13 * 3600 + 58 * 60,
        duration_secs: 360,
        code: "RP-002".to_owned(),
        events: 50,
        source_ips: vec!["192.0.2.10".to_owned(), "192.0.2.11".to_owned()],
    });
    main.quirks.truncated_row = Some(40);

    // Rotated by size a little after 16:00, when the main part was full.
    let mut part2 = base(122, day + 16 * 3600 + 120);
    part2.duration_secs = 8 * 3600 - 120;
    part2.size = Size::Rows(50);
    part2.crlf = true;
    part2.quirks.multiline_subject_row = Some(30);

    let mut next = base(80, day + DAY);
    next.campaigns.push(winback);
    next.sends
        .push(winback_send(day + DAY + 9 * 3600 + 30 * 60, 5400, 120));
    next.size = Size::Rows(90 + 120);
    next.iso_times = false;
    next.columns = NARROW_HEADER.split(',').map(str::to_owned).collect();
    next.quirks.no_final_newline = true;

    vec![
        SampleFile {
            name: "acct-2026-11-19-0000.csv.gz",
            profile: prev,
            gzip: true,
        },
        SampleFile {
            name: "acct-2026-11-20-0000.csv",
            profile: main,
            gzip: false,
        },
        SampleFile {
            name: "acct-2026-11-20-0001.csv",
            profile: part2,
            gzip: false,
        },
        SampleFile {
            name: "acct-2026-11-21-0000.csv",
            profile: next,
            gzip: false,
        },
    ]
}

/// Writes every [`sample_files`] entry into `dir` (which must exist) and returns their stats.
///
/// # Errors
/// Any error creating or writing the files.
pub fn write_sample_dir(dir: &Path) -> io::Result<Vec<(&'static str, Stats)>> {
    let mut out = Vec::new();
    for f in sample_files() {
        let file = File::create(dir.join(f.name))?;
        let stats = if f.gzip {
            // mtime 0 and no file name in the gzip header, so reruns give the same bytes.
            let mut gz = GzBuilder::new().mtime(0).write(file, Compression::best());
            let stats = write_accounting(&f.profile, &mut gz)?;
            gz.finish()?.sync_all()?;
            stats
        } else {
            write_accounting(&f.profile, file)?
        };
        out.push((f.name, stats));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> Profile {
        let mut p = Profile::default_bench(seed);
        p.size = Size::Rows(20_000);
        p
    }

    fn generate(p: &Profile) -> (Vec<u8>, Stats) {
        let mut out = Vec::new();
        let stats = write_accounting(p, &mut out).expect("generation succeeds");
        (out, stats)
    }

    /// Records as parsed by the csv crate (quote-aware), header included.
    fn records(bytes: &[u8]) -> Vec<csv::ByteRecord> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes)
            .byte_records()
            .collect::<Result<_, _>>()
            .expect("valid CSV")
    }

    fn col(header: &csv::ByteRecord, name: &str) -> usize {
        header
            .iter()
            .position(|f| f == name.as_bytes())
            .expect("column present")
    }

    fn text(f: &[u8]) -> &str {
        std::str::from_utf8(f).expect("UTF-8")
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let (a, sa) = generate(&small(7));
        let (b, sb) = generate(&small(7));
        let (c, _) = generate(&small(8));
        assert_eq!(a, b);
        assert_eq!(sa.rows, sb.rows);
        assert_ne!(a, c);
    }

    #[test]
    fn header_is_the_real_union_header() {
        let (out, _) = generate(&small(1));
        let recs = records(&out);
        assert_eq!(recs[0].len(), 38);
        assert_eq!(recs[0].iter().filter(|f| *f == b"rcvSourceIp").count(), 2);
        let first_line = out.split(|&b| b == b'\n').next().expect("a line");
        assert_eq!(first_line, REAL_UNION_HEADER.as_bytes());
    }

    #[test]
    fn every_row_has_the_header_field_count() {
        for (crlf, iso) in [(false, true), (true, false)] {
            let mut p = small(3);
            p.crlf = crlf;
            p.iso_times = iso;
            let (out, stats) = generate(&p);
            let recs = records(&out);
            assert_eq!(recs.len() as u64, stats.total_rows() + 1);
            let n = recs[0].len();
            for (i, r) in recs.iter().enumerate() {
                assert_eq!(r.len(), n, "record {i}: {r:?}");
            }
            let lines = out.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count() as u64;
            assert_eq!(lines, stats.lines);
            assert_eq!(out.len() as u64, stats.bytes);
            assert_eq!(crlf, out.windows(2).any(|w| w == b"\r\n"));
        }
    }

    #[test]
    fn every_type_is_present_in_the_default_profile() {
        let (_, stats) = generate(&small(11));
        for ty in RECORD_TYPES {
            assert!(stats.rows_of(ty) > 0, "no {ty} rows: {:?}", stats.rows);
        }
        assert!(stats.rows_of("d") > stats.rows_of("t"));
        assert!(stats.rows_of("t") > stats.rows_of("b"));
    }

    #[test]
    fn burst_truth_is_inside_the_window_and_the_time_range() {
        let profile = small(5);
        let (out, stats) = generate(&profile);
        let burst = &stats.bursts[0];
        assert_eq!(burst.count, 150);
        let (first, last) = (burst.first.expect("written"), burst.last.expect("written"));
        assert!(burst.window_start <= first && first <= last && last < burst.window_end);
        assert!(stats.first_time <= first && last <= stats.last_time);
        assert!(profile.start <= stats.first_time);
        assert_eq!(burst.by_ip.iter().map(|(_, n)| n).sum::<u64>(), 150);
        assert!(
            burst
                .by_ip
                .iter()
                .all(|(ip, _)| ip == "192.0.2.10" || ip == "192.0.2.11")
        );
        // Background RP-002 exists, but no 6-minute bucket outside the window comes near it.
        assert!(stats.code_rows("RP-002") > burst.count);
        let recs = records(&out);
        let (tl, diag) = (col(&recs[0], "timeLogged"), col(&recs[0], "dsnDiag"));
        let mut buckets = std::collections::BTreeMap::new();
        for rec in &recs[1..] {
            if rec[diag].windows(6).any(|w| w == b"RP-002") {
                let logged = text(&rec[tl]);
                let (hour, minute): (i64, i64) = (
                    logged[11..13].parse().expect("hour"),
                    logged[14..16].parse().expect("minute"),
                );
                *buckets.entry((hour * 60 + minute) / 6).or_insert(0u64) += 1;
            }
        }
        let window =
            (burst.window_start - profile.start) / 360..=(burst.window_end - profile.start) / 360;
        let outside = buckets
            .iter()
            .filter(|(k, _)| !window.contains(*k))
            .map(|(_, n)| *n);
        assert!(outside.max().unwrap_or(0) * 5 < burst.count);
        // The lines the truth names hold RP-002 deferrals.
        let lines: Vec<&[u8]> = out.split(|&x| x == b'\n').collect();
        for at in [burst.first_line, burst.last_line] {
            let line = text(lines[usize::try_from(at - 1).expect("small")]);
            assert!(line.starts_with("t,") && line.contains("RP-002"), "{line}");
        }
    }

    #[test]
    fn times_never_go_backwards_and_stay_in_range() {
        let mut p = small(9);
        p.iso_times = false;
        let (out, stats) = generate(&p);
        let recs = records(&out);
        let at = col(&recs[0], "timeLogged");
        let times: Vec<i64> = recs[1..]
            .iter()
            .map(|r| text(&r[at]).parse().expect("Unix seconds"))
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(times.first().copied(), Some(stats.first_time));
        assert!(stats.last_time < p.start + i64::from(p.duration_secs) + 4 * 3600);
    }

    #[test]
    fn byte_target_and_row_size_are_realistic() {
        let mut p = Profile::default_bench(2);
        p.size = Size::Bytes(4 << 20);
        let (out, stats) = generate(&p);
        assert!(out.len() >= 4 << 20 && out.len() < (4 << 20) + 2000);
        let avg = stats.bytes / stats.total_rows();
        assert!((350..=600).contains(&avg), "average row {avg} bytes");
    }

    #[test]
    fn sending_ips_are_documentation_ranges_and_complaints_come_from_elsewhere() {
        let (out, _) = generate(&small(4));
        let recs = records(&out);
        let h = &recs[0];
        let (ty, src, rcpt, mta) = (
            col(h, "type"),
            col(h, "dlvSourceIp"),
            col(h, "rcpt"),
            col(h, "dsnMta"),
        );
        let ours = |ip: &str| {
            ["192.0.2.", "198.51.100.", "203.0.113."]
                .iter()
                .any(|p| ip.starts_with(p))
        };
        let mut delivered = std::collections::HashSet::new();
        let mut complaints = 0;
        for r in &recs[1..] {
            let ip = text(&r[src]);
            match &r[ty] {
                b"d" | b"t" => assert!(ours(ip), "{ip}"),
                b"tq" => assert!(ours(ip) || ip == "0.0.0.0", "{ip}"),
                b"f" => {
                    assert!(!ip.is_empty() && !ours(ip), "{ip}");
                    assert!(
                        delivered.contains(&r[rcpt]),
                        "complaint without earlier delivery"
                    );
                    complaints += 1;
                }
                _ => {}
            }
            if &r[ty] == b"d" {
                delivered.insert(r[rcpt].to_vec());
            }
            let rcpt = text(&r[rcpt]);
            let mta = text(&r[mta]);
            if rcpt.ends_with("@example.org") && !mta.is_empty() {
                assert!(mta.contains(".mail.protection.outlook.com"), "{mta}");
            }
            if rcpt.ends_with("@hotmail.com") && !mta.is_empty() {
                assert!(mta.contains(".olc.protection.outlook.com"), "{mta}");
            }
        }
        assert!(complaints > 0);
    }

    #[test]
    fn quoted_fields_carry_commas_and_doubled_quotes() {
        let (out, _) = generate(&small(6));
        let s = text(&out);
        assert!(s.contains("\"SIZE 49283072,PIPELINING,"));
        assert!(s.contains("\"Your order, \"\"#"));
        let recs = records(&out);
        let subj = col(&recs[0], "header_Subject");
        assert!(recs.iter().any(|r| r[subj].starts_with(b"Your order, \"#")));
    }

    #[test]
    fn quirks_land_where_the_stats_say() {
        let mut p = small(12);
        p.size = Size::Rows(500);
        p.crlf = true;
        p.quirks = Quirks {
            truncated_row: Some(100),
            bad_timestamp_row: Some(200),
            multiline_subject_row: Some(300),
            no_final_newline: true,
        };
        let (out, stats) = generate(&p);
        assert!(!out.ends_with(b"\n"));
        assert_eq!(stats.malformed.len(), 2);
        let lines: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
        let line = |n: u64| text(lines[usize::try_from(n - 1).expect("small")]);
        let (cut, bad) = (stats.malformed[0].0, stats.malformed[1].0);
        assert!(line(cut).trim_end().ends_with("(success)"), "{}", line(cut));
        assert!(line(bad).starts_with("d,2026-13-45 99:00:00+0000,"));
        let ml = stats.multiline_row_line.expect("placed");
        assert!(line(ml).ends_with("\"Your November statement\r"));
        assert!(line(ml + 1).starts_with("is ready\""));
        let recs = records(&out);
        let short: Vec<_> = recs.iter().filter(|r| r.len() != 38).collect();
        assert_eq!(short.len(), 1);
        assert_eq!(short[0].len(), 8);
    }

    #[test]
    fn narrow_columns_and_unknown_columns() {
        let mut p = small(13);
        p.size = Size::Rows(300);
        p.columns = ["type", "rcpt", "header_X-Custom", "dsnDiag", "vmta"]
            .map(str::to_owned)
            .to_vec();
        let (out, _) = generate(&p);
        let recs = records(&out);
        assert!(recs.iter().all(|r| r.len() == 5));
        assert!(recs[1..].iter().all(|r| r[2].is_empty()));
    }

    #[test]
    fn every_microsoft_code_in_both_forms_with_showcase() {
        let mut p = small(14);
        p.size = Size::Rows(200);
        p.bursts.clear();
        p.showcase = true;
        let (_, stats) = generate(&p);
        for code in [
            "RP-001/article",
            "RP-001/log",
            "RP-002/article",
            "RP-002/log",
            "RP-003/article",
            "RP-003/log",
            "5.7.606",
            "4.7.500",
            "5.7.1/S3150",
            "5.7.1/dmarc",
            "5.7.510",
            "4.7.650",
            "4.7.651",
            "5.7.708",
            "5.7.515",
            "5.7.509",
            "PR(ct1)",
            "SC-001",
        ] {
            assert!(stats.code_rows(code) > 0, "{code} missing");
        }
    }

    #[test]
    fn bad_profiles_are_errors_not_panics() {
        let mut p = small(1);
        p.bursts[0].source_ips = vec!["10.9.9.9".to_owned()];
        assert!(write_accounting(&p, io::sink()).is_err());
        let mut p = small(1);
        p.bursts[0].code = "XX-999".to_owned();
        assert!(write_accounting(&p, io::sink()).is_err());
        let mut p = small(1);
        p.domains[0].pool = Some("nope".to_owned());
        assert!(write_accounting(&p, io::sink()).is_err());
    }

    fn winback(seed: u64) -> Profile {
        let mut p = Profile::example_sender(seed, unix_time(2026, 11, 20, 0, 0, 0));
        p.size = Size::Rows(2_000);
        p.campaigns.push(Campaign {
            job_id: "winback".to_owned(),
            from: "Example <news@example.com>".to_owned(),
            orig: "bounces@mail.example.com".to_owned(),
            subjects: vec!["We miss you".to_owned()],
            pool: None,
            weight: 0,
            api: false,
        });
        p
    }

    fn send(start: i64, events: u32) -> ScheduledSend {
        ScheduledSend {
            start,
            duration_secs: 3600,
            events,
            provider: Provider::MicrosoftConsumer,
            source_ip: "198.51.100.21".to_owned(),
            job: "winback".to_owned(),
        }
    }

    #[test]
    fn scheduled_sends_land_in_their_window_on_their_ip_and_leave_the_rest_alone() {
        let plain = winback(21);
        let start = plain.start + 9 * 3600;
        let mut p = plain.clone();
        p.sends.push(send(start, 300));
        p.size = Size::Rows(2_000 + 300);
        let (out, stats) = generate(&p);
        let truth = &stats.sends[0];
        assert_eq!(
            (truth.job.as_str(), truth.source_ip.as_str(), truth.count),
            ("winback", "198.51.100.21", 300)
        );
        assert_eq!(
            (truth.window_start, truth.window_end),
            (start, start + 3600)
        );
        let (first, last) = (truth.first.expect("written"), truth.last.expect("written"));
        assert!(start <= first && first <= last && last < start + 3600);

        let recs = records(&out);
        let h = &recs[0];
        let (ty, tl, ip, vmta, job, queue, mta) = (
            col(h, "type"),
            col(h, "timeLogged"),
            col(h, "dlvSourceIp"),
            col(h, "vmta"),
            col(h, "jobId"),
            col(h, "queue"),
            col(h, "dsnMta"),
        );
        let sent: Vec<&csv::ByteRecord> =
            recs[1..].iter().filter(|r| &r[job] == b"winback").collect();
        assert_eq!(sent.len(), 300);
        for r in &sent {
            assert_eq!(
                (text(&r[ty]), text(&r[ip]), text(&r[vmta])),
                ("d", "198.51.100.21", "vmta-gen-02")
            );
            assert!(text(&r[queue]).ends_with("/vmta-gen-02"), "{r:?}");
            assert!(
                text(&r[mta]).contains(".olc.protection.outlook.com"),
                "{r:?}"
            );
            let at = &text(&r[tl])[..13];
            assert!(at == "2026-11-20 09" || at == "2026-11-20 10", "{at}");
        }
        // The lines the truth names are its rows.
        let lines: Vec<&[u8]> = out.split(|&x| x == b'\n').collect();
        for at in [truth.first_line, truth.last_line] {
            let line = text(lines[usize::try_from(at - 1).expect("small")]);
            assert!(
                line.starts_with("d,") && line.contains(",winback,"),
                "{line}"
            );
        }
        // Without its rows the file is the one without the send, byte for byte.
        let (without, _) = generate(&plain);
        let rest: Vec<&[u8]> = lines
            .iter()
            .copied()
            .filter(|l| !text(l).contains(",winback,"))
            .collect();
        assert_eq!(rest.join(&b'\n'), without);
    }

    #[test]
    fn bad_sends_are_errors_not_panics() {
        let start = unix_time(2026, 11, 20, 9, 0, 0);
        let mut p = winback(1);
        p.sends.push(send(start, 10));
        assert!(write_accounting(&p, io::sink()).is_ok());
        let mut p = winback(1);
        let mut s = send(start, 10);
        s.source_ip = "10.9.9.9".to_owned();
        p.sends.push(s);
        let err = write_accounting(&p, io::sink()).expect_err("no VMTA has the IP");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("10.9.9.9"), "{err}");
        let mut p = winback(1);
        let mut s = send(start, 10);
        s.source_ip = "not an ip".to_owned();
        p.sends.push(s);
        assert!(write_accounting(&p, io::sink()).is_err());
        let mut p = winback(1);
        let mut s = send(start, 10);
        s.job = "nope".to_owned();
        p.sends.push(s);
        let err = write_accounting(&p, io::sink()).expect_err("no campaign has the job");
        assert!(err.to_string().contains("nope"), "{err}");
        let mut p = winback(1);
        p.domains
            .retain(|d| d.provider != Provider::MicrosoftConsumer);
        p.sends.push(send(start, 10));
        let err = write_accounting(&p, io::sink()).expect_err("no Microsoft domain");
        assert!(err.to_string().contains("MicrosoftConsumer"), "{err}");
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(unix_time(1970, 1, 1, 0, 0, 0), 0);
        assert_eq!(unix_time(2026, 11, 20, 14, 3, 22), 1_795_183_402);
        for days in [-1, 0, 59, 365, 11_016, 20_412, 30_000] {
            let (y, m, d) = civil_from_days(days);
            let m = u32::try_from(m).expect("month");
            let d = u32::try_from(d).expect("day");
            assert_eq!(unix_time(y, m, d, 0, 0, 0), days * DAY);
        }
        let mut tf = TimeFmt::new(true, -300);
        let mut buf = Vec::new();
        tf.put(&mut buf, 1_795_183_402);
        assert_eq!(buf, b"2026-11-20 09:03:22-0500");
    }

    /// The bytes of the bench profile are pinned: profiles and their switches must leave the
    /// narrow file as it was for the same seed and size (`benches/compare.py` and the numbers in
    /// docs/performance.md depend on it).
    #[test]
    fn narrow_bench_bytes_are_pinned() {
        let mut p = Profile::default_bench(42);
        p.size = Size::Bytes(1 << 20);
        let (out, stats) = generate(&p);
        let hash = out.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        });
        assert_eq!((stats.total_rows(), hash), (PINNED_ROWS, PINNED_HASH));
    }

    const PINNED_ROWS: u64 = 1914;
    const PINNED_HASH: u64 = 1_294_301_620_203_764_828;

    /// Distinct values per column (by name) of generated bytes, read back with the csv crate.
    struct Columns {
        header: csv::ByteRecord,
        rows: Vec<csv::ByteRecord>,
    }

    impl Columns {
        fn of(bytes: &[u8]) -> Columns {
            let mut recs = records(bytes);
            let header = recs.remove(0);
            Columns { header, rows: recs }
        }

        fn at(&self, name: &str) -> usize {
            col(&self.header, name)
        }

        fn distinct(&self, name: &str) -> std::collections::HashSet<Vec<u8>> {
            let at = self.at(name);
            self.rows
                .iter()
                .map(|r| r[at].to_vec())
                .filter(|v| !v.is_empty())
                .collect()
        }

        /// The recipient domain of each row (from `queue` where a row has no recipient).
        fn domains(&self) -> Vec<String> {
            let (rcpt, queue) = (self.at("rcpt"), self.at("queue"));
            self.rows
                .iter()
                .map(|r| {
                    let rc = text(&r[rcpt]);
                    match rc.rsplit_once('@') {
                        Some((_, d)) => d.to_owned(),
                        None => text(&r[queue]).split('/').next().unwrap_or("").to_owned(),
                    }
                })
                .collect()
        }
    }

    /// The esp profile without its burst (600 rows would weigh on the shares of a small file).
    fn esp_of_size(bytes: u64) -> (Vec<u8>, Columns) {
        let mut p = Profile::esp(42);
        p.size = Size::Bytes(bytes);
        p.bursts.clear();
        let (out, _) = generate(&p);
        let cols = Columns::of(&out);
        (out, cols)
    }

    /// 8 MiB of esp (about 16,000 rows), made once for the tests that read it.
    fn esp_8mib() -> &'static (Vec<u8>, Columns) {
        static ESP: std::sync::OnceLock<(Vec<u8>, Columns)> = std::sync::OnceLock::new();
        ESP.get_or_init(|| esp_of_size(8 << 20))
    }

    #[test]
    fn esp_has_the_cardinality_of_a_large_sender() {
        let (_, c) = esp_8mib();
        let rows = c.rows.len();
        assert!((14_000..18_000).contains(&rows), "{rows} rows");
        // VMTAs with one documentation IP each, in six pools.
        let vmtas = c.distinct("vmta");
        assert!(vmtas.len() >= 200, "{} VMTAs", vmtas.len());
        assert!(c.distinct("vmtaPool").len() >= 5);
        let (vm, ip, ty) = (c.at("vmta"), c.at("dlvSourceIp"), c.at("type"));
        let mut ip_of = std::collections::HashMap::new();
        for r in c.rows.iter().filter(|r| matches!(&r[ty], b"d" | b"t")) {
            let addr = text(&r[ip]);
            assert!(
                ["192.0.2.", "198.51.100.", "203.0.113."]
                    .iter()
                    .any(|n| addr.starts_with(n)),
                "{addr}"
            );
            assert_eq!(*ip_of.entry(r[vm].to_vec()).or_insert(addr), addr);
        }
        let ips: std::collections::HashSet<&str> = ip_of.values().copied().collect();
        assert_eq!(ips.len(), ip_of.len(), "one IP per VMTA");
        // Jobs: 2,400 with a skew (the biggest job has far more rows than the median one).
        let jobs = c.distinct("jobId");
        assert!(jobs.len() >= 1_500, "{} jobs", jobs.len());
        let mut per_job = std::collections::HashMap::new();
        let job = c.at("jobId");
        for r in &c.rows {
            *per_job.entry(r[job].to_vec()).or_insert(0u32) += 1;
        }
        let mut counts: Vec<u32> = per_job.values().copied().collect();
        counts.sort_unstable();
        assert!(counts[counts.len() - 1] > 50 * counts[counts.len() / 2]);
    }

    #[test]
    fn esp_has_the_domains_recipients_and_replies_of_a_large_sender() {
        let (out, c) = esp_8mib();
        let rows = c.rows.len();
        let ty = c.at("type");
        // Domains: the big providers and a long tail of reserved names. 1 GiB has 75,000+;
        // 8 MiB about 2,000.
        let domains = c.domains();
        let distinct: std::collections::HashSet<&String> = domains.iter().collect();
        assert!(distinct.len() >= 1_500, "{} domains", distinct.len());
        let share = |pred: &dyn Fn(&str) -> bool| {
            domains.iter().filter(|d| pred(d)).count() as f64 / rows as f64
        };
        let gmail = share(&|d| d == "gmail.com");
        let microsoft = share(&|d| {
            d.starts_with("hotmail.")
                || d.starts_with("live.")
                || d.starts_with("outlook.")
                || d == "msn.com"
                || d == "windowslive.com"
        });
        let yahoo = share(&|d| d.starts_with("yahoo.") || d == "aol.com" || d == "ymail.com");
        assert!((0.22..0.34).contains(&gmail), "gmail {gmail}");
        assert!((0.15..0.26).contains(&microsoft), "microsoft {microsoft}");
        assert!((0.07..0.15).contains(&yahoo), "yahoo {yahoo}");
        let providers = [
            "gmail.com",
            "googlemail.com",
            "hotmail.",
            "live.",
            "outlook.",
            "msn.com",
            "windowslive.com",
            "yahoo.",
            "aol.com",
            "ymail.com",
            "example.org",
            "example.net",
            "fabrikam.example",
            "contoso.example",
            "northwind.example",
        ];
        for d in &distinct {
            let reserved = d.ends_with(".example")
                || d.ends_with(".example.com")
                || d.ends_with(".example.net")
                || d.ends_with(".example.org")
                || d.as_str() == "yahoo.rollup";
            assert!(
                reserved || providers.iter().any(|p| d.starts_with(p)),
                "not a reserved or provider domain: {d}"
            );
        }
        // Zipf: the tail's biggest domain has many rows, most tail domains one or two.
        let mut tail = std::collections::HashMap::new();
        let is_tail = |d: &str| {
            ["shop", "n", "co", "biz"].iter().any(|p| {
                d.strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
            })
        };
        for d in domains.iter().filter(|d| is_tail(d)) {
            *tail.entry(d.as_str()).or_insert(0u32) += 1;
        }
        let top = tail.values().copied().max().unwrap_or(0);
        let small = tail.values().filter(|&&n| n <= 2).count();
        assert!(
            top >= 50 && small * 2 > tail.len(),
            "top {top}, small {small} of {}",
            tail.len()
        );
        // Recipients: about 1.5 M per GiB, i.e. about 0.77 per row.
        let rcpts = c.distinct("rcpt").len() as f64 / rows as f64;
        assert!(
            (0.65..0.9).contains(&rcpts),
            "{rcpts} distinct recipients per row"
        );
        // RP-00x in all three written forms, and nearly every deferral text distinct.
        let s = text(out);
        for form in ["421 4.7.0 RP-002 (", "421 RP-002 (", "421 4.7.0 [RP-002] "] {
            assert!(s.contains(form), "no {form}");
        }
        for code in ["RP-001", "RP-003"] {
            assert!(s.contains(&format!("421 4.7.0 [{code}] ")), "no [{code}]");
        }
        let diag = c.at("dsnDiag");
        let deferrals: Vec<&[u8]> = c
            .rows
            .iter()
            .filter(|r| &r[ty] == b"t")
            .map(|r| &r[diag])
            .collect();
        let texts: std::collections::HashSet<&[u8]> = deferrals.iter().copied().collect();
        assert!(
            texts.len() * 100 >= deferrals.len() * 80,
            "{} distinct of {} deferral texts",
            texts.len(),
            deferrals.len()
        );
    }

    #[test]
    fn esp_replies_carry_per_row_ids_in_the_real_forms() {
        let (out, c) = esp_of_size(2 << 20);
        let (ty, diag) = (c.at("type"), c.at("dsnDiag"));
        let mut gmail = 0;
        let mut microsoft = 0;
        for r in c.rows.iter().filter(|r| matches!(&r[ty], b"t" | b"b")) {
            let d = text(&r[diag]);
            if let Some(head) = d.strip_suffix(" - gsmtp") {
                // d2e1a72fcca58-6f2a1b9c7e3si1234567qkb.123
                let id = head.rsplit(' ').next().expect("an id");
                let (hex, rest) = id.split_once("si").expect("si");
                let (a, b) = hex.split_once('-').expect("dash");
                assert!(a.len() == 13 && b.len() == 11, "{id}");
                let (num, seq) = rest.split_once('.').expect("dot");
                assert!(
                    num.len() == 10 && num[..7].bytes().all(|x| x.is_ascii_digit()),
                    "{id}"
                );
                assert!(num[7..].bytes().all(|x| x.is_ascii_lowercase()), "{id}");
                assert!(
                    !seq.is_empty() && seq.bytes().all(|x| x.is_ascii_digit()),
                    "{id}"
                );
                gmail += 1;
            }
            if d.contains("outlook") || d.contains("RP-00") {
                // [BL6PEPF00012345.namprd02.prod.outlook.com 2026-11-20T14:03:11.123Z 08DD...]
                let trailer = &d[d.rfind('[').expect("a trailer")..];
                let parts: Vec<&str> = trailer.trim_matches(['[', ']']).split(' ').collect();
                assert_eq!(parts.len(), 3, "{trailer}");
                assert!(parts[0].ends_with(".prod.outlook.com") && parts[0].contains("PEPF"));
                assert!(
                    parts[1].starts_with("2026-11-2") && parts[1].ends_with('Z'),
                    "{trailer}"
                );
                assert!(
                    parts[2].len() == 16 && parts[2].starts_with("08DD"),
                    "{trailer}"
                );
                microsoft += 1;
            }
        }
        assert!(
            gmail > 20 && microsoft > 20,
            "gmail {gmail}, microsoft {microsoft}"
        );
        assert!(text(&out).contains("421 RP-002 ("));
    }

    #[test]
    fn esp_scales_with_the_size_and_keeps_its_burst() {
        let (_, small) = esp_of_size(2 << 20);
        let (_, large) = esp_8mib();
        let per_row = |c: &Columns| c.distinct("rcpt").len() as f64 / c.rows.len() as f64;
        let (a, b) = (per_row(&small), per_row(large));
        assert!((a - b).abs() < 0.06, "{a} vs {b} recipients per row");
        let domains = |c: &Columns| {
            c.domains()
                .into_iter()
                .collect::<std::collections::HashSet<_>>()
                .len()
        };
        assert!(domains(large) > 2 * domains(&small));
        let mut p = Profile::esp(3);
        p.size = Size::Bytes(4 << 20);
        let (out, stats) = generate(&p);
        let burst = &stats.bursts[0];
        assert_eq!(burst.count, 600);
        assert_eq!(burst.by_ip.len(), 2);
        let lines: Vec<&[u8]> = out.split(|&x| x == b'\n').collect();
        let line = text(lines[usize::try_from(burst.first_line - 1).expect("small")]);
        assert!(line.starts_with("t,") && line.contains("RP-002"), "{line}");
    }

    #[test]
    fn adversarial_rows_each_have_their_own_domain_job_and_envid() {
        let mut p = Profile::adversarial(5);
        p.size = Size::Bytes(2 << 20);
        let (_, c) = {
            let (out, stats) = generate(&p);
            assert!(stats.rows_of("t") > 0 && stats.rows_of("b") > 0 && stats.rows_of("tq") > 0);
            let c = Columns::of(&out);
            (out, c)
        };
        let rows = c.rows.len();
        let domains: std::collections::HashSet<String> = c.domains().into_iter().collect();
        assert_eq!(domains.len(), rows);
        assert!(
            domains
                .iter()
                .all(|d| d.starts_with('a') && d.ends_with(".example"))
        );
        // Every row but tq (a queue, no message) names a job and an envelope id.
        let queue_rows = c.rows.iter().filter(|r| &r[c.at("type")] == b"tq").count();
        assert_eq!(c.distinct("jobId").len(), rows - queue_rows);
        assert_eq!(c.distinct("envId").len(), rows - queue_rows);
        assert_eq!(c.distinct("header_X-job").len(), rows - queue_rows);
    }

    #[test]
    fn per_row_microsoft_replaces_tags_and_trailers() {
        assert_eq!(
            per_row_microsoft("smtp;421 RP-002 (BAY004-MC1F37) Unfortunately, x."),
            "smtp;421 RP-002 ({msfe}) Unfortunately, x. {mstrailer}"
        );
        assert_eq!(
            per_row_microsoft(
                "smtp;451 4.7.500 Server busy (S77719) [BN8NAM12FT021.eop-nam12.prod.protection.outlook.com]"
            ),
            "smtp;451 4.7.500 Server busy (S77719) {mstrailer}"
        );
        assert_eq!(per_row_microsoft(""), "");
    }

    #[test]
    fn the_esp_config_names_every_vmta_and_pool() {
        let p = Profile::esp(1);
        let text = pmta_config(&p);
        let config = crate::config::Config::parse_str(&text, "esp-config").expect("parses");
        assert_eq!(config.vmtas.len(), p.vmtas.len());
        assert_eq!(config.pools.len(), 6);
        assert!(!config.mx_rollups.is_empty());
        assert!(config.macros.contains_key("microsoft"));
    }

    #[test]
    fn a_tail_needs_the_row_generator() {
        let mut p = Profile::esp(1);
        p.connections = Some(connections::ConnectionSim::default());
        assert!(write_accounting(&p, io::sink()).is_err());
    }

    /// The committed `sample-logs/` must be what `sample_files()` produces: regenerate them
    /// (`cargo run --example gen -- sample sample-logs/`) and update their README after a change.
    #[test]
    fn sample_logs_are_reproducible() {
        use std::io::Read;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
        for f in sample_files() {
            let (want, _) = generate(&f.profile);
            let raw = std::fs::read(dir.join(f.name)).expect("sample file present");
            let got = if f.gzip {
                let mut s = Vec::new();
                flate2::read::GzDecoder::new(&raw[..])
                    .read_to_end(&mut s)
                    .expect("gzip");
                s
            } else {
                raw
            };
            assert!(
                got == want,
                "{} differs from sample_files(): regenerate it",
                f.name
            );
        }
    }
}
