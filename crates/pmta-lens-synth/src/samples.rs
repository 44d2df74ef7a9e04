//! The profiles behind the shipped `sample-logs/`, and writing them.

use super::numbers::unix_time;
use super::profile::{Burst, Campaign, Profile, Provider, ScheduledSend, Size};
use super::stats::Stats;
use super::{NARROW_HEADER, write_accounting};
use flate2::{Compression, GzBuilder};
use pmta_lens_core::duration::DAY;
use std::fs::File;
use std::io;
use std::path::Path;

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
