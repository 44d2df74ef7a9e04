//! Command-line front end of `pmta_lens_synth`: writes a synthetic accounting file for benches
//! and tests, or regenerates the shipped `sample-logs/`.
//!
//! ```text
//! cargo run --release --example gen -- --size 1G --seed 42 -o bench-data/acct-1g.csv
//! cargo run --release --example gen -- --profile esp --size 1G -o esp.csv --config-out esp.config
//! cargo run --release --example gen -- --rows 100000 --unix-times --crlf --gzip -o a.csv.gz
//! cargo run --example gen -- sample sample-logs/
//! ```

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use flate2::Compression;
use flate2::write::GzEncoder;
use pmta_lens_synth::{self as synth, Profile, Size, Stats};

const USAGE: &str = "\
usage: gen [--profile narrow|esp|adversarial] [--size N[K|M|G] | --rows N] [--seed N] [-o PATH]
           [--config-out PATH] [--unix-times] [--crlf] [--gzip] [--start YYYY-MM-DD]
           [--offset +HHMM] [--no-burst] [--showcase]
       gen sample DIR

Writes a synthetic PowerMTA accounting file (default: 100000 rows to stdout), 2026-11-20, with
an RP-002 burst at 14:00 on 192.0.2.10/.11, from one of three profiles:
  narrow       (default) the bench file: sender example.com, 7 VMTAs in 3 pools, 16 domains,
               3 jobs; the same bytes as before profiles existed, for the same seed and size
  esp          a large sender's day: 240 VMTAs in 6 pools, 2,400 jobs, the big providers plus
               a Zipf tail of 300,000 reserved-name domains (75,000+ of them in 1 GiB), about
               1.5 M distinct recipients per GiB, Gmail and Microsoft replies with per-row ids
               and timestamps, RP-001/002/003 in three written forms, a burst of 600
  adversarial  the narrow file with a new recipient domain, jobId and envId on every row
--config-out writes a PowerMTA config for the profile's VMTAs and pools (for pmta-lens
--config). --gzip (or an -o path ending in .gz) compresses. `sample DIR` rewrites the
sample-logs files (and pmta-log) and prints their ground truth (for sample-logs/README.md).
Stats go to stderr.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("sample") => match args.get(1) {
            Some(dir) if args.len() == 2 => sample(Path::new(dir)),
            _ => Err(format!("sample takes one directory\n\n{USAGE}")),
        },
        Some("-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => generate(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen: {e}");
            ExitCode::from(2)
        }
    }
}

struct Options {
    profile: Profile,
    out: Option<PathBuf>,
    config_out: Option<PathBuf>,
    gzip: bool,
}

/// The profile named by `--profile` (looked for first, so that the other flags adjust it).
fn base_profile(args: &[String]) -> Result<Profile, String> {
    let name = args
        .iter()
        .position(|a| a == "--profile")
        .map(|i| {
            args.get(i + 1)
                .ok_or_else(|| format!("--profile needs a value\n\n{USAGE}"))
        })
        .transpose()?
        .map_or("narrow", String::as_str);
    match name {
        "narrow" => Ok(Profile::default_bench(42)),
        "esp" => Ok(Profile::esp(42)),
        "adversarial" => Ok(Profile::adversarial(42)),
        other => Err(format!(
            "unknown profile {other:?} (narrow, esp, adversarial)\n\n{USAGE}"
        )),
    }
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut p = base_profile(args)?;
    p.size = Size::Rows(100_000);
    let mut out = None;
    let mut config_out = None;
    let mut gzip = false;
    let mut no_burst = false;
    let mut start = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{arg} needs a value\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--size" => p.size = Size::Bytes(parse_size(value()?)?),
            "--rows" => p.size = Size::Rows(parse_num(value()?)?),
            "--seed" => p.seed = parse_num(value()?)?,
            "-o" | "--output" => out = Some(PathBuf::from(value()?)),
            "--config-out" => config_out = Some(PathBuf::from(value()?)),
            // Read by base_profile.
            "--profile" => {
                value()?;
            }
            "--unix-times" => p.iso_times = false,
            "--crlf" => p.crlf = true,
            "--gzip" => gzip = true,
            "--no-burst" => no_burst = true,
            "--showcase" => p.showcase = true,
            "--start" => start = Some(parse_date(value()?)?),
            "--offset" => p.utc_offset_mins = parse_offset(value()?)?,
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    // The day starts at local midnight, and the burst moves with it (14:00 local).
    let start = start.unwrap_or(p.start) - i64::from(p.utc_offset_mins) * 60;
    for b in &mut p.bursts {
        b.start += start - p.start;
    }
    p.start = start;
    if no_burst {
        p.bursts.clear();
    }
    gzip |= out
        .as_ref()
        .is_some_and(|o| o.extension().is_some_and(|e| e == "gz"));
    Ok(Options {
        profile: p,
        out,
        config_out,
        gzip,
    })
}

fn parse_num(s: &str) -> Result<u64, String> {
    s.replace('_', "")
        .parse()
        .map_err(|_| format!("not a number: {s:?}"))
}

/// `1G`, `512M`, `64K` (binary units) or plain bytes.
fn parse_size(s: &str) -> Result<u64, String> {
    let upper = s.to_ascii_uppercase();
    let trimmed = upper.trim_end_matches('B').trim_end_matches('I');
    let (digits, shift) = match trimmed.chars().last() {
        Some('K') => (&trimmed[..trimmed.len() - 1], 10),
        Some('M') => (&trimmed[..trimmed.len() - 1], 20),
        Some('G') => (&trimmed[..trimmed.len() - 1], 30),
        _ => (trimmed, 0),
    };
    parse_num(digits)?
        .checked_shl(shift)
        .ok_or_else(|| format!("size too large: {s}"))
}

fn parse_date(s: &str) -> Result<i64, String> {
    let bad = || format!("not a date (YYYY-MM-DD): {s:?}");
    let mut parts = s.split('-').map(|p| p.parse::<u32>().map_err(|_| bad()));
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let (y, m, d) = (y?, m?, d?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    Ok(synth::unix_time(i64::from(y), m, d, 0, 0, 0))
}

/// `+0000`, `-0500`, `+0530`.
fn parse_offset(s: &str) -> Result<i32, String> {
    let bad = || format!("not an offset (+HHMM): {s:?}");
    let (sign, digits) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return Err(bad()),
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let h: i32 = digits[..2].parse().map_err(|_| bad())?;
    let m: i32 = digits[2..].parse().map_err(|_| bad())?;
    Ok(sign * (h * 60 + m))
}

fn generate(args: &[String]) -> Result<(), String> {
    let opts = parse(args)?;
    if let Some(path) = &opts.config_out {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, synth::pmta_config(&opts.profile))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let began = Instant::now();
    let stats = write_to(&opts).map_err(|e| e.to_string())?;
    let secs = began.elapsed().as_secs_f64();
    // KiB fit in a u32 up to 4 TiB, and a u32 converts to f64 exactly.
    let kib = u32::try_from(stats.bytes >> 10).unwrap_or(u32::MAX);
    let mib = f64::from(kib) / 1024.0;
    eprintln!(
        "wrote {mib:.1} MiB in {secs:.2} s ({:.0} MiB/s)",
        mib / secs.max(1e-9)
    );
    report(&mut io::stderr().lock(), "output", &stats).map_err(|e| e.to_string())
}

fn write_to(opts: &Options) -> io::Result<Stats> {
    let sink: Box<dyn Write> = match &opts.out {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            Box::new(File::create(path)?)
        }
        None => Box::new(io::stdout().lock()),
    };
    if opts.gzip {
        let mut gz = GzEncoder::new(sink, Compression::fast());
        let stats = synth::write_accounting(&opts.profile, &mut gz)?;
        gz.finish()?.flush()?;
        Ok(stats)
    } else {
        synth::write_accounting(&opts.profile, sink)
    }
}

fn sample(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let written = synth::write_sample_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = io::stdout().lock();
    for (name, stats) in &written {
        report(&mut out, name, stats).map_err(|e| e.to_string())?;
    }
    // The log-connections log of the Connections view (sample-logs/pmta-config is hand-written).
    let log = synth::connections::sample_pmta_log().map_err(|e| e.to_string())?;
    let path = dir.join("pmta-log");
    std::fs::write(&path, &log).map_err(|e| format!("{}: {e}", path.display()))?;
    writeln!(
        out,
        "## pmta-log\n\n- lines: {}, bytes: {}\n",
        log.lines().count(),
        log.len()
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// The ground truth of one file, as markdown (what sample-logs/README.md quotes).
fn report(out: &mut dyn Write, name: &str, s: &Stats) -> io::Result<()> {
    writeln!(out, "## {name}\n")?;
    let types: Vec<String> = synth::RECORD_TYPES
        .iter()
        .zip(s.rows)
        .map(|(t, n)| format!("{t}={n}"))
        .collect();
    writeln!(
        out,
        "- rows: {} ({}), lines: {}, bytes: {}",
        s.total_rows(),
        types.join(" "),
        s.lines,
        s.bytes
    )?;
    writeln!(
        out,
        "- timeLogged: {} .. {} (Unix)",
        s.first_time, s.last_time
    )?;
    for (line, reason) in &s.malformed {
        writeln!(out, "- malformed: line {line}: {reason}")?;
    }
    if let Some(line) = s.multiline_row_line {
        writeln!(out, "- multi-line Subject: row starts at line {line}")?;
    }
    for b in &s.bursts {
        let ips: Vec<String> = b.by_ip.iter().map(|(ip, n)| format!("{ip}: {n}")).collect();
        writeln!(
            out,
            "- burst {}: {} rows, {:?} .. {:?} (window {} .. {}), lines {} .. {}, {}",
            b.code,
            b.count,
            b.first,
            b.last,
            b.window_start,
            b.window_end,
            b.first_line,
            b.last_line,
            ips.join(", ")
        )?;
    }
    for t in &s.sends {
        writeln!(
            out,
            "- send {} from {}: {} rows, {:?} .. {:?} (window {} .. {}), lines {} .. {}",
            t.job,
            t.source_ip,
            t.count,
            t.first,
            t.last,
            t.window_start,
            t.window_end,
            t.first_line,
            t.last_line
        )?;
    }
    writeln!(
        out,
        "\n| response | rows | first line |\n| --- | --- | --- |"
    )?;
    for r in &s.responses {
        writeln!(out, "| `{}` | {} | {} |", r.id, r.count, r.first_line)?;
    }
    writeln!(out)
}
