//! The deliverability analyses on data made for each: bursts (found with their bounds, none in a
//! quiet log), RP-001 retries across files and chunk boundaries, volume tiers at their
//! boundaries, a spike-and-silence IP, complaints joined and unmatched, an SNDS file with every
//! colour and a malformed line; and every analysis on sample-logs.

// Short names (c: the CSV, a: the analyses, x: the part under test) keep the cases readable.
#![allow(clippy::many_single_char_names)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use pmta_lens::acct::discover::{Input, InputKind, discover};
use pmta_lens::aggregate::{DAY, Partial, RowKeys};
use pmta_lens::analysis::{self, Analyses, AnalysisParams, tiers};
use pmta_lens::classify::Classifier;
use pmta_lens::connections;
use pmta_lens::filter::Filter;
use pmta_lens::model::{Code, RecordKind, Severity};
use pmta_lens::rollup::Rollup;
use pmta_lens::scan::ScanOptions;

/// 2026-01-14 00:00:00 UTC.
const T0: i64 = 1_768_348_800;

const HEADER: &str = "type,timeLogged,rcpt,dsnStatus,dsnDiag,dlvSourceIp,vmta,queue,jobId,header_X-HmXmrOriginalRecipient\n";

const RP001: &str = "smtp;421 RP-001 (SNT0-MC2-F19) Unfortunately, some messages weren't sent";
const RP002: &str = "smtp;421 4.7.0 RP-002 (BAY004-MC1F37) too many connections";

/// A small builder of accounting CSV in the `HEADER` layout.
#[derive(Default)]
struct Csv(String);

impl Csv {
    fn new() -> Csv {
        Csv(HEADER.to_string())
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        kind: &str,
        t: i64,
        rcpt: &str,
        diag: &str,
        ip: &str,
        vmta: &str,
        queue: &str,
        job: &str,
    ) -> &mut Csv {
        let time = chrono::DateTime::from_timestamp(t, 0)
            .expect("valid time")
            .format("%Y-%m-%d %H:%M:%S+0000");
        // dsnDiag holds commas in real logs: quoted, as PowerMTA writes it.
        let diag = format!("\"{}\"", diag.replace('"', "\"\""));
        let status = if kind == "d" {
            "2.0.0 (success)"
        } else {
            "4.7.0 (other)"
        };
        let _ = writeln!(
            self.0,
            "{kind},{time},{rcpt},{status},{diag},{ip},{vmta},{queue},{job},"
        );
        self
    }

    fn deferral(&mut self, t: i64, rcpt: &str, diag: &str, ip: &str) -> &mut Csv {
        let vmta = vmta_of(ip);
        let queue = format!("{}/{vmta}", domain_of(rcpt));
        self.row("t", t, rcpt, diag, ip, &vmta, &queue, "j1")
    }

    fn delivered(&mut self, t: i64, rcpt: &str, ip: &str, job: &str) -> &mut Csv {
        let vmta = vmta_of(ip);
        let queue = format!("{}/{vmta}", domain_of(rcpt));
        self.row("d", t, rcpt, "smtp;250 ok", ip, &vmta, &queue, job)
    }

    /// A JMRP complaint about `rcpt` from 40.92.0.1, naming `job` ("" for a report without one).
    fn complaint(&mut self, t: i64, rcpt: &str, job: &str) -> &mut Csv {
        self.row("f", t, rcpt, "", "40.92.0.1", "", "", job)
    }
}

fn vmta_of(ip: &str) -> String {
    format!("v-{}", ip.rsplit('.').next().unwrap_or("x"))
}

fn domain_of(rcpt: &str) -> &str {
    rcpt.rsplit('@').next().unwrap_or("")
}

fn write(dir: &tempfile::TempDir, name: &str, data: &str) -> Input {
    let path = dir.path().join(name);
    std::fs::write(&path, data).expect("write");
    Input {
        path,
        kind: InputKind::Plain,
    }
}

/// Scans and analyses `inputs` with chunks of `chunk_size` bytes.
fn analyse(inputs: &[Input], chunk_size: usize, params: &AnalysisParams) -> Analyses {
    let classifier = Classifier::builtin();
    let filter = Filter::default();
    let opts = ScanOptions {
        chunk_size,
        ..ScanOptions::default()
    };
    let plan = connections::plan(Rollup::default(), None);
    analysis::run(inputs, &opts, &classifier, &filter, &plan, params).1
}

/// Every analysis is the same whatever the chunking: this runs whole files and tiny chunks.
fn analyse_any_chunking(inputs: &[Input], params: &AnalysisParams) -> Analyses {
    let whole = analyse(inputs, 1 << 24, params);
    for chunk in [97, 1024] {
        let split = analyse(inputs, chunk, params);
        assert_eq!(split.bursts, whole.bursts, "chunk {chunk}");
        assert_eq!(split.retry_hygiene, whole.retry_hygiene, "chunk {chunk}");
        assert_eq!(split.complaints, whole.complaints, "chunk {chunk}");
        assert_eq!(split.findings, whole.findings, "chunk {chunk}");
    }
    whole
}

const IP_A: &str = "192.0.2.1";
const IP_B: &str = "192.0.2.2";

/// Six hours of RP-002 background (one every 10 minutes, alternating IPs) and deliveries.
fn background(c: &mut Csv) {
    for i in 0..36 {
        let t = T0 + 6 * 3600 + i * 600;
        let ip = if i % 2 == 0 { IP_A } else { IP_B };
        c.deferral(t + 5, &format!("bg{i}@hotmail.com"), RP002, ip);
        c.delivered(t + 30, &format!("ok{i}@example.org"), ip, "j1");
    }
}

#[test]
fn a_generated_burst_is_found_with_its_bounds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Csv::new();
    background(&mut c);
    // 10:00-10:14: 20 a minute, 15 on A and 5 on B, to Microsoft domains.
    let start = T0 + 10 * 3600;
    for m in 0..15 {
        for k in 0..20 {
            let ip = if k < 15 { IP_A } else { IP_B };
            let d = if k % 2 == 0 { "live.de" } else { "hotmail.com" };
            c.deferral(start + m * 60 + k, &format!("u{m}x{k}@{d}"), RP002, ip);
        }
    }
    let inputs = [write(&dir, "acct.csv", &c.0)];
    let a = analyse_any_chunking(&inputs, &AnalysisParams::default());
    let overall: Vec<_> = a.bursts.iter().filter(|b| b.source_ip.is_none()).collect();
    assert_eq!(overall.len(), 1, "{:#?}", a.bursts);
    let b = overall[0];
    assert_eq!(
        (b.start, b.end),
        (start, start + 14 * 60),
        "the burst's minutes"
    );
    assert_eq!(b.code, "RP-002");
    // 300 burst rows and the background's two at 10:00:05 (A) and 10:10:05 (B).
    assert_eq!(b.count, 302);
    assert_eq!(b.peak_per_minute, 21);
    assert_eq!(
        b.source_ips,
        [(IP_A.to_string(), 226), (IP_B.to_string(), 76)]
    );
    assert_eq!(b.vmtas, [("v-1".to_string(), 226), ("v-2".to_string(), 76)]);
    assert_eq!(b.domains, [("outlook.com".to_string(), 302)]);
    assert!(b.action.contains("max-connect-rate") && b.action.contains("30m"));
    // Per IP: A's burst has the same bounds; B's 5 a minute also stand out from its background.
    let on_a: Vec<_> = a
        .bursts
        .iter()
        .filter(|b| b.source_ip.as_deref() == Some(IP_A))
        .collect();
    assert_eq!(on_a.len(), 1);
    assert_eq!(
        (on_a[0].start, on_a[0].end, on_a[0].count),
        (start, start + 14 * 60, 226)
    );
    // Sorted by start then scope: the overall burst comes first.
    assert!(a.bursts[0].source_ip.is_none());
    let f: Vec<_> = a.findings.iter().filter(|f| f.code == "burst").collect();
    assert_eq!(
        f.len(),
        1,
        "IP bursts inside the overall one are not repeated"
    );
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(
        f[0].evidence.starts_with("2026-01-14 10:00 to 10:14 UTC"),
        "{}",
        f[0].evidence
    );
}

#[test]
fn a_quiet_log_has_no_burst() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Csv::new();
    background(&mut c);
    let inputs = [write(&dir, "acct.csv", &c.0)];
    let a = analyse_any_chunking(&inputs, &AnalysisParams::default());
    assert!(a.bursts.is_empty(), "{:#?}", a.bursts);
    assert!(a.findings.iter().all(|f| f.code != "burst"));
}

#[test]
fn thousands_of_rows_burst_above_a_steady_rate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Csv::new();
    // Three hours at 5 a minute, and 60 a minute from 01:30 to 01:39: only the wave is a burst.
    for m in 0..180 {
        let n = if (90..100).contains(&m) { 60 } else { 5 };
        for k in 0..n {
            c.deferral(
                T0 + m * 60 + k % 60,
                &format!("r{m}x{k}@msn.com"),
                RP002,
                IP_A,
            );
        }
    }
    let inputs = [write(&dir, "acct.csv", &c.0)];
    let a = analyse(&inputs, 1 << 16, &AnalysisParams::default());
    let b: Vec<_> = a.bursts.iter().filter(|b| b.source_ip.is_none()).collect();
    assert_eq!(b.len(), 1, "{:#?}", a.bursts);
    assert_eq!(
        (b[0].start, b[0].end, b[0].count),
        (T0 + 90 * 60, T0 + 99 * 60, 600)
    );
    assert!((b[0].background_per_minute - 5.0).abs() < f64::EPSILON);
}

#[test]
fn burst_code_finds_waves_of_other_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Csv::new();
    background(&mut c);
    for k in 0..12 {
        c.deferral(T0 + 8 * 3600 + k, &format!("w{k}@live.com"), RP001, IP_B);
    }
    let inputs = [write(&dir, "acct.csv", &c.0)];
    let params = AnalysisParams {
        burst_codes: vec!["RP-002".into(), "RP-001".into()],
        ..AnalysisParams::default()
    };
    let a = analyse(&inputs, 1 << 20, &params);
    let rp001: Vec<_> = a.bursts.iter().filter(|b| b.code == "RP-001").collect();
    assert_eq!(rp001.len(), 2, "overall and on {IP_B}");
    assert_eq!(rp001[0].count, 12);
    assert!(rp001[0].action.contains("4h"), "{}", rp001[0].action);
    // Without the flag, RP-001 waves are not looked for.
    let a = analyse(&inputs, 1 << 20, &AnalysisParams::default());
    assert!(a.bursts.iter().all(|b| b.code == "RP-002"));
}

/// Filler deliveries so that small chunks really cut the files.
fn filler(c: &mut Csv, from: i64, n: i64) {
    for i in 0..n {
        c.delivered(from + i, &format!("f{from}x{i}@example.org"), IP_A, "j1");
    }
}

#[test]
fn rp001_retries_at_1h_and_5h_are_told_apart_across_files_and_chunks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ten = T0 + 10 * 3600;
    let mut first = Csv::new();
    filler(&mut first, ten - 100, 30);
    first.deferral(ten, "soon@hotmail.com", RP001, IP_A);
    first.deferral(ten, "late@hotmail.com", RP001, IP_B);
    // A queue blocked at the greeting, retried 30 minutes later in the next file.
    first.row("tq", ten + 10, "", RP001, IP_A, "v-1", "live.com/v-1", "");
    filler(&mut first, ten + 20, 30);
    let mut second = Csv::new();
    filler(&mut second, ten + 1000, 30);
    second.row(
        "tq",
        ten + 10 + 1800,
        "",
        RP001,
        IP_A,
        "v-1",
        "live.com/v-1",
        "",
    );
    second.delivered(ten + 3600, "soon@hotmail.com", IP_A, "j1");
    filler(&mut second, ten + 4000, 30);
    second.delivered(ten + 5 * 3600, "late@hotmail.com", IP_B, "j1");
    let a = write(&dir, "acct-2026-01-14-0000.csv", &first.0);
    let b = write(&dir, "acct-2026-01-14-0001.csv", &second.0);
    let params = AnalysisParams::default();
    let r = analyse_any_chunking(&[a.clone(), b.clone()], &params).retry_hygiene;
    // The files given in the other order say the same: the analysis works on times.
    let reversed = analyse_any_chunking(&[b, a], &params).retry_hygiene;
    assert_eq!(r, reversed);

    let rc = &r.recipients;
    assert_eq!((rc.rp001, rc.keys, rc.retried), (2, 2, 2));
    assert_eq!(
        (rc.too_soon, rc.too_soon_keys),
        (1, 1),
        "1 h is too soon, 5 h is not"
    );
    assert_eq!(rc.shortest_gap, Some(3600));
    assert_eq!(rc.median_gap, Some(3 * 3600), "the median of 1 h and 5 h");
    assert_eq!(rc.examples.len(), 1);
    let e = &rc.examples[0];
    assert_eq!(
        (
            e.key.as_str(),
            e.gap,
            e.source_ip.as_str(),
            e.vmta.as_str(),
            e.retry_type.as_str()
        ),
        ("soon@hotmail.com", 3600, IP_A, "v-1", "d")
    );
    let by_ip: Vec<(&str, u64, u64)> = rc
        .by_source_ip
        .iter()
        .map(|g| (g.key.as_str(), g.rp001, g.too_soon))
        .collect();
    assert_eq!(by_ip, [(IP_A, 1, 1), (IP_B, 1, 0)]);

    let q = &r.queues;
    assert_eq!(
        (q.rp001, q.too_soon),
        (2, 1),
        "the second tq is a retry, never retried itself"
    );
    assert_eq!(q.shortest_gap, Some(1800));
    assert_eq!(q.examples[0].key, "live.com/v-1");

    // A stricter or looser minimum moves the line.
    let loose = AnalysisParams {
        rp001_min_retry: 1800,
        ..AnalysisParams::default()
    };
    let dir2 = tempfile::tempdir().expect("tempdir");
    let mut both = first.0.clone();
    both.push_str(&second.0);
    let r = analyse(&[write(&dir2, "acct.csv", &both)], 256, &loose).retry_hygiene;
    assert_eq!((r.recipients.too_soon, r.queues.too_soon), (0, 0));
}

/// Folds `n` delivered rows to hotmail.com on `day` from `ip` straight into a partial.
fn deliver(p: &mut Partial, day: i64, ip: &str, n: u64) {
    for i in 0..n {
        p.add(&RowKeys {
            kind: RecordKind::Delivered,
            time: Some(T0 + day * DAY + (i % 80_000) as i64),
            vmta: b"v",
            source_ip: ip.as_bytes(),
            rcpt_domain: b"hotmail.com",
            pool: b"p",
            code: Code::None,
            queue_rollup: None,
            microsoft_mx: false,
            job: b"",
        });
    }
}

#[test]
fn volume_tiers_at_their_boundaries() {
    let mut p = Partial::default();
    deliver(&mut p, 0, IP_A, 99_999);
    deliver(&mut p, 1, IP_A, 100_000);
    deliver(&mut p, 2, IP_A, 499_999);
    // day 3: nothing
    deliver(&mut p, 4, IP_A, 500_000);
    let agg = p.finish(&Rollup::default());
    let t = tiers::tiers(&agg);
    let days: Vec<(u64, &str)> = t.days.iter().map(|d| (d.delivered, d.tier)).collect();
    assert_eq!(
        days,
        [
            (99_999, "< 100k/day"),
            (100_000, "100k-500k/day"),
            (499_999, "100k-500k/day"),
            (0, "< 100k/day"),
            (500_000, "500k+/day"),
        ]
    );
    let rec = t.recommended.expect("a tier");
    assert_eq!(
        (
            rec.max_smtp_out,
            rec.max_connect_rate,
            rec.max_msg_rate,
            rec.retry_after,
            rec.pool
        ),
        (6, "1/s", "250/h", "15m", "6-10 IPs")
    );
    // One IP is too small a pool for the top tier: the finding is a warning.
    let a = Analyses {
        tiers: t,
        ..Analyses::default()
    };
    let f = analysis::findings::all(&a, 300);
    let tier = f
        .iter()
        .find(|f| f.code == "volume-tier")
        .expect("tier finding");
    assert_eq!(tier.severity, Severity::Warning);
    assert!(
        tier.action.contains("max-smtp-out 6") && tier.action.contains("1 x 6 = 6"),
        "{}",
        tier.action
    );
}

#[test]
fn a_spike_and_silence_ip_is_flagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Csv::new();
    // (ip, attempts per day over five days)
    let plan: [(&str, [i64; 5]); 3] = [
        ("192.0.2.10", [20, 20, 20, 20, 20]),       // steady heartbeat
        ("192.0.2.11", [500, 0, 0, 600, 5]),        // campaigns with silence between
        ("192.0.2.12", [200, 210, 2000, 190, 200]), // one spike, no silence
    ];
    for (ip, days) in plan {
        for (d, n) in days.iter().enumerate() {
            for i in 0..*n {
                c.delivered(
                    T0 + d as i64 * DAY + 3600 + i,
                    &format!("x{i}@outlook.com"),
                    ip,
                    "j",
                );
            }
        }
    }
    let inputs = [write(&dir, "acct.csv", &c.0)];
    let a = analyse(&inputs, 1 << 20, &AnalysisParams::default());
    let ips: Vec<(&str, u64, usize, bool)> = a
        .consistency
        .ips
        .iter()
        .map(|i| {
            (
                i.source_ip.as_str(),
                i.silent_days,
                i.spike_days.len(),
                i.spike_and_silence,
            )
        })
        .collect();
    assert_eq!(
        ips,
        [
            ("192.0.2.10", 0, 0, false),
            ("192.0.2.11", 2, 2, true),
            ("192.0.2.12", 0, 1, false),
        ]
    );
    assert_eq!(a.consistency.ips[1].volumes, [500, 0, 0, 600, 5]);
    let f = a
        .findings
        .iter()
        .find(|f| f.code == "spike-and-silence")
        .expect("finding");
    assert!(
        f.evidence.starts_with("192.0.2.11: 2 silent days"),
        "{}",
        f.evidence
    );
    assert!(f.action.contains("heartbeat"));
}

#[test]
fn complaints_are_joined_to_deliveries_and_the_rest_counted_unattributed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Csv::new();
    c.delivered(T0 + 10, "a@hotmail.com", IP_A, "j1");
    c.delivered(T0 + 20, "a@hotmail.com", IP_B, "j2");
    c.delivered(T0 + 30, "b@gmail.com", IP_B, "j2");
    c.delivered(T0 + 40, "other@gmail.com", IP_B, "j2");
    filler(&mut c, T0 + 100, 40);
    // a@ complains about job j1 (the delivery from A, not the later one from B).
    c.complaint(T0 + 500, "a@hotmail.com", "j1");
    // b@ is only in the JMRP header column, in upper case, and the report has no job.
    let _ = writeln!(
        c.0,
        "f,2026-01-14 00:09:00+0000,,,,40.92.0.1,,,,B@GMAIL.COM"
    );
    // nobody delivered to c@: unattributed
    c.complaint(T0 + 600, "c@live.com", "");
    c.complaint(T0 + 610, "a@hotmail.com", "j1");
    let inputs = [write(&dir, "acct.csv", &c.0)];
    let a = analyse_any_chunking(&inputs, &AnalysisParams::default());
    let x = &a.complaints;
    assert_eq!((x.total, x.matched, x.unmatched), (4, 3, 1));
    let g = |v: &[analysis::complaints::ComplaintGroup]| -> Vec<(String, u64, u64)> {
        v.iter()
            .map(|g| (g.key.clone(), g.complaints, g.delivered))
            .collect()
    };
    assert_eq!(
        g(&x.by_source_ip),
        [
            (IP_A.to_string(), 2, 41),
            ("(unattributed)".to_string(), 1, 0),
            (IP_B.to_string(), 1, 3),
        ]
    );
    assert_eq!(
        g(&x.by_vmta),
        [
            ("v-1".into(), 2, 41),
            ("(unattributed)".into(), 1, 0),
            ("v-2".into(), 1, 3)
        ]
    );
    assert_eq!(
        g(&x.by_job),
        [
            ("j1".into(), 2, 41),
            ("(unattributed)".into(), 1, 0),
            ("j2".into(), 1, 3)
        ]
    );
    assert_eq!(
        g(&x.by_domain),
        [("outlook.com".into(), 3, 2), ("gmail.com".into(), 1, 2)]
    );
    let rate = x.by_source_ip[2].rate.expect("a rate");
    assert!((rate - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(x.by_source_ip[1].rate, None);
    let f = a
        .findings
        .iter()
        .find(|f| f.code == "complaints")
        .expect("finding");
    assert_eq!(f.severity, Severity::Warning, "33% on {IP_B}");
    assert!(
        f.evidence
            .starts_with("3 attributed to a delivery, 1 unattributed"),
        "{}",
        f.evidence
    );

    // The suppression list: complaining addresses once each, in order, header column included.
    let o = Command::new(env!("CARGO_BIN_EXE_pmta-lens"))
        .args(["rows", "--where", "type=f", "--format", "rcpt"])
        .arg(&inputs[0].path)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "a@hotmail.com\nB@GMAIL.COM\nc@live.com\n"
    );
}

#[test]
fn an_snds_file_with_every_colour_and_a_malformed_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Csv::new();
    for (ip, n) in [(IP_A, 30), (IP_B, 20), ("192.0.2.3", 10)] {
        for i in 0..n {
            c.delivered(T0 + i, &format!("s{i}@hotmail.com"), ip, "j");
        }
    }
    c.deferral(T0 + 99, "s0@hotmail.com", RP002, IP_A);
    let inputs = [write(&dir, "acct.csv", &c.0)];
    let snds = dir.path().join("snds.csv");
    std::fs::write(
        &snds,
        format!(
            "{IP_A},1/14/2026 12:00 AM,1/14/2026 11:59 PM,31,31,31,RED,> 0.3%,1/14/2026,1/14/2026,7,mail.example.com,bounce@example.com,\n\
             {IP_B},1/14/2026 12:00 AM,1/14/2026 11:59 PM,20,20,20,YELLOW,0.2%,,,1,mail.example.com,bounce@example.com,\n\
             this line is not SNDS\n\
             198.51.100.9,1/14/2026 12:00 AM,1/14/2026 11:59 PM,5,5,5,GREEN,< 0.1%,,,0,mail.example.com,bounce@example.com,\n"
        ),
    )
    .expect("write");
    let params = AnalysisParams {
        snds: Some(snds.clone()),
        ..AnalysisParams::default()
    };
    let a = analyse(&inputs, 1 << 20, &params);
    let s = a.snds.as_ref().expect("joined");
    assert_eq!(s.rows, 3);
    assert_eq!(s.malformed.len(), 1);
    assert_eq!(s.malformed[0].line, 3);
    assert!(
        s.malformed[0].reason.contains("found 1"),
        "{:?}",
        s.malformed[0]
    );
    let ips: Vec<(&str, Option<&str>, u64, &str)> = s
        .ips
        .iter()
        .map(|i| {
            (
                i.source_ip.as_str(),
                i.status.map(analysis::snds::Colour::as_str),
                i.attempts,
                i.action.as_str(),
            )
        })
        .collect();
    assert_eq!(
        ips,
        [
            (IP_A, Some("RED"), 31, "Stop sending from this IP"),
            (IP_B, Some("YELLOW"), 20, "Investigate; reduce volume 25%"),
            ("192.0.2.3", None, 10, analysis::snds::NOT_IN_SNDS),
            (
                "198.51.100.9",
                Some("GREEN"),
                0,
                analysis::snds::NOT_IN_LOGS
            ),
        ]
    );
    assert_eq!(s.ips[0].trap_hits, 7);
    assert_eq!(s.ips[0].codes, [("RP-002".to_string(), 1)]);
    let codes: Vec<(&str, Severity)> = a
        .findings
        .iter()
        .filter(|f| f.code.starts_with("snds"))
        .map(|f| (f.code.as_str(), f.severity))
        .collect();
    assert_eq!(
        codes,
        [
            ("snds-red", Severity::Critical),
            ("snds-yellow", Severity::Warning),
            ("snds-missing", Severity::Info),
            ("snds-malformed", Severity::Info),
        ]
    );
    // The command names the bad line on stderr and still prints the report.
    let o = Command::new(env!("CARGO_BIN_EXE_pmta-lens"))
        .args(["summary", "--format", "json", "--snds"])
        .arg(&snds)
        .arg(&inputs[0].path)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("snds.csv:3: expected 14"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["snds"]["ips"][0]["status"], "RED");
    assert_eq!(v["snds"]["malformed"][0]["line"], 3);
    // A missing SNDS file is an error (exit 2), the report still printed.
    let o = Command::new(env!("CARGO_BIN_EXE_pmta-lens"))
        .args(["summary", "--snds", "/nonexistent/snds.csv"])
        .arg(&inputs[0].path)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/snds.csv"));
}

fn sample_logs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs")
}

#[test]
fn sample_logs_show_each_finding() {
    let (inputs, errors) = discover(&[sample_logs()]);
    assert!(errors.is_empty());
    let a = analyse(&inputs, 4096, &AnalysisParams::default());
    // The README's ground truth: the RP-002 burst of 13:58:04-14:03:58 on .10 (19) and .11 (31).
    let b = a
        .bursts
        .iter()
        .find(|b| b.source_ip.is_none())
        .expect("the burst");
    let at = |h: i64, m: i64| 1_795_132_800 + h * 3600 + m * 60; // 2026-11-20
    assert_eq!((b.start, b.end, b.count), (at(13, 58), at(14, 3), 50));
    assert_eq!(
        b.source_ips,
        [
            ("192.0.2.11".to_string(), 31),
            ("192.0.2.10".to_string(), 19)
        ]
    );
    // RP-001 is retried after PowerMTA's default 20 minutes, everywhere.
    assert!(a.retry_hygiene.recipients.too_soon > 0);
    assert!(
        a.retry_hygiene
            .recipients
            .shortest_gap
            .is_some_and(|g| g < 3600)
    );
    assert_eq!(a.complaints.total, 16);
    for code in [
        "burst",
        "rp001-retry",
        "complaints",
        "volume-tier",
        "spike-and-silence",
    ] {
        assert!(a.findings.iter().any(|f| f.code == code), "{code}");
    }
    // Findings come most severe first.
    assert!(
        a.findings
            .windows(2)
            .all(|w| w[0].severity <= w[1].severity)
    );

    // With the SNDS export made for them (tests/fixtures, 2026-11-20 only): every colour, IPs
    // SNDS lacks (the malformed line was .13's; .21 sent nothing to Microsoft that day), one only
    // SNDS knows.
    let params = AnalysisParams {
        snds: Some(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snds-sample-logs.csv"),
        ),
        ..AnalysisParams::default()
    };
    let a = analyse(&inputs, 1 << 20, &params);
    let s = a.snds.as_ref().expect("joined");
    assert_eq!((s.rows, s.malformed.len(), s.malformed[0].line), (5, 1, 5));
    let ips: Vec<(&str, Option<&str>)> = s
        .ips
        .iter()
        .map(|i| {
            (
                i.source_ip.as_str(),
                i.status.map(analysis::snds::Colour::as_str),
            )
        })
        .collect();
    assert_eq!(
        ips,
        [
            ("192.0.2.12", Some("RED")),
            ("192.0.2.11", Some("YELLOW")),
            ("192.0.2.13", None),
            ("198.51.100.21", None),
            ("192.0.2.10", Some("GREEN")),
            ("203.0.113.5", Some("GREEN")),
            ("198.51.100.99", Some("GREEN")),
        ]
    );
    for code in ["snds-red", "snds-yellow", "snds-missing", "snds-malformed"] {
        assert!(a.findings.iter().any(|f| f.code == code), "{code}");
    }
}

/// sample-logs/README.md's spike-and-silence IP, as the summary JSON reports it: the win-back job
/// routed to vmta-gen-02 sends 6 to Microsoft on 11-19, nothing on 11-20 and 120 on 11-21. It is
/// the only IP flagged; the Microsoft pool's IPs send every day.
#[test]
fn sample_logs_flag_one_spike_and_silence_ip_in_the_summary_json() {
    let o = Command::new(env!("CARGO_BIN_EXE_pmta-lens"))
        .args(["summary", "--format", "json"])
        .arg(sample_logs())
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let c = &v["consistency"];
    assert_eq!(c["domain"], "outlook.com");
    assert_eq!(
        c["days"],
        serde_json::json!(["2026-11-19", "2026-11-20", "2026-11-21"])
    );
    assert_eq!(c["judged"], true);
    let flagged: Vec<&serde_json::Value> = c["ips"]
        .as_array()
        .expect("ips")
        .iter()
        .filter(|i| i["spike_and_silence"] == true)
        .collect();
    assert_eq!(flagged.len(), 1, "{}", c["ips"]);
    let ip = flagged[0];
    assert_eq!(ip["source_ip"], "198.51.100.21");
    assert_eq!(ip["volumes"], serde_json::json!([6, 0, 120]));
    assert_eq!(
        (&ip["sending_days"], &ip["silent_days"], &ip["max"]),
        (
            &serde_json::json!(2),
            &serde_json::json!(1),
            &serde_json::json!(120)
        )
    );
    assert_eq!(ip["median"], 6.0);
    assert_eq!(ip["spike_days"], serde_json::json!(["2026-11-21"]));

    let findings: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "spike-and-silence")
        .collect();
    assert_eq!(findings.len(), 1);
    let f = findings[0];
    assert_eq!(f["severity"], "warning");
    assert_eq!(
        f["title"],
        "Spike-and-silence sending toward Microsoft from 1 IP"
    );
    assert_eq!(
        f["evidence"],
        "198.51.100.21: 1 silent day between 2 sending days (max 120 attempts/day, median 6, \
         1 spike day)"
    );
    assert_eq!(f["action"], tiers::HEARTBEAT_ACTION);
    assert!(
        tiers::HEARTBEAT_ACTION.contains("daily heartbeat"),
        "{}",
        tiers::HEARTBEAT_ACTION
    );
}
