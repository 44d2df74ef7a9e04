//! Tests of the generator: determinism, sizes, ground truth, quirks and the sample files.

use super::compiled::per_row_microsoft;
use super::numbers::{TimeFmt, civil_from_days, unix_time};
use super::pmta_config::pmta_config;
use super::profile::{Campaign, Profile, Provider, Quirks, ScheduledSend, Size};
use super::samples::sample_files;
use super::stats::Stats;

use super::*;

mod profiles;
use std::path::Path;

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
    let sent: Vec<&csv::ByteRecord> = recs[1..].iter().filter(|r| &r[job] == b"winback").collect();
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
    let config = pmta_lens_core::config::Config::parse_str(&text, "esp-config").expect("parses");
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
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-logs");
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
