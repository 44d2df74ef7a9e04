//! The [`Profile`]: everything that decides a generated file (senders, destinations, mailings,
//! the record-type mix, bursts, scheduled sends, size and deliberate defects), and the built-in
//! profiles built from it.

use super::REAL_UNION_HEADER;
use super::numbers::unix_time;
use super::presets::{
    esp_campaigns, esp_domains, esp_vmtas, example_campaigns, example_domains, example_vmtas,
};
use pmta_lens_core::duration::DAY;

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
    pub(super) const ALL: [Provider; 5] = [
        Provider::MicrosoftConsumer,
        Provider::Office365,
        Provider::Gmail,
        Provider::Yahoo,
        Provider::Other,
    ];

    pub(super) fn index(self) -> usize {
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
    /// Overrides of the catalogue's weights by response id (see [`response_ids`](super::response_ids)); 0 disables one.
    pub code_weights: Vec<(String, u32)>,
    /// `PowerMTA`'s `<mx-rollup-list>`: (domain, rollup name such as `yahoo.rollup`); queues of
    /// these domains are written `NAME/vmta`. Empty by default, as in a stock config.
    pub rollups: Vec<(String, String)>,
    /// Seconds until a deferred recipient is retried.
    pub retry_after_secs: u32,
    /// Per-code retry intervals, like an `smtp-pattern-list` with `retry-after=`: (code as in
    /// [`Stats::code_rows`](super::Stats::code_rows), seconds), first match wins. Empty by default, so RP-001 is retried
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
    /// (see [`connections`](super::connections)); `size`, `mix`, `bursts`, `sends` and `showcase` are then not used.
    pub connections: Option<super::connections::ConnectionSim>,
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
    /// [`Stats::bursts`](super::Stats::bursts). 2026-11-20 UTC, 24 h, 200 000 rows; set `size` for the volume
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
pub(super) const ESP_RECIPIENTS_PER_GIB: u64 = 6_500_000;
