//! `--follow` through the loader: appends, an unfinished line, rotation to a new file, compressed
//! copies skipped, truncation in place, and the loader's thread pausing.

use super::*;

fn row(n: u32, kind: &str, diag: &str) -> String {
    format!(
        "{kind},2026-01-14 10:{:02}:00+0000,u{n}@hotmail.de,4.7.0 (x),\"smtp;{diag}\",192.0.2.10,vmta-ms-01\n",
        n % 60
    )
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .expect("open for append");
    f.write_all(text.as_bytes()).expect("append");
}

#[test]
fn follow_reads_appended_rows_waits_for_unfinished_lines_and_picks_up_rotated_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("acct-2026-01-14-0000.csv");
    append(
        &first,
        &format!(
            "{HEADER}{}{}",
            row(1, "d", "250 ok"),
            row(2, "t", "421 RP-002 x")
        ),
    );
    let mut s = Scanner::new(
        spec(vec![dir.path().to_path_buf()], Filter::default(), true),
        0,
        None,
    );
    assert!(s.initial(&AtomicBool::new(false), |_| {}));
    assert_eq!(s.snapshot().aggregates.records, 2);
    assert!(!s.poll(), "nothing new");
    // PowerMTA appends: one whole row and half of the next
    let next = row(4, "t", "421 RP-002 y");
    let (head, tail) = next.split_at(20);
    append(&first, &format!("{}{head}", row(3, "d", "250 ok")));
    assert!(s.poll());
    let snap = s.snapshot();
    assert_eq!(snap.aggregates.records, 3, "the unfinished line waits");
    assert_eq!(snap.report.scan.malformed, 0);
    append(&first, tail);
    assert!(s.poll());
    assert_eq!(s.snapshot().aggregates.records, 4);
    // rotation: a new file in the watched directory
    let second = dir.path().join("acct-2026-01-14-0001.csv");
    append(
        &second,
        &format!("{HEADER}{}", row(5, "b", "550 5.1.1 no such user")),
    );
    assert!(s.poll());
    let snap = s.snapshot();
    assert_eq!(snap.aggregates.records, 5);
    assert_eq!(snap.report.scan.files.len(), 2);
    assert_eq!(snap.rows.len, 5, "appended rows can be listed too");
    let mut reader = pmta_lens::tui::reader::Reader::default();
    let last = reader.read(&snap.rows.get(4).expect("row 5"));
    assert_eq!(last.values[0], "b");
    assert_eq!(snap.aggregates.by_type.bounced(), 1);
}

/// `--follow` across `PowerMTA`'s rotation and a truncation, through the loader the dashboard
/// runs: every row counted once (before: the renamed file was counted twice, the new one read
/// from the middle of a row), rows listed from the file they are in now, and the truncation on
/// the status line.
#[test]
fn follow_across_rotation_counts_each_row_once_and_says_when_a_file_was_truncated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let live = dir.path().join("acct.csv");
    let rows = |from: u32, to: u32| {
        (from..=to)
            .map(|n| row(n, "d", "250 ok"))
            .collect::<String>()
    };
    append(&live, &format!("{HEADER}{}", rows(1, 120)));
    let mut s = Scanner::new(
        spec(vec![dir.path().to_path_buf()], Filter::default(), true),
        0,
        None,
    );
    assert!(s.initial(&AtomicBool::new(false), |_| {}));
    assert_eq!(s.snapshot().aggregates.records, 120);
    // PowerMTA renames the live file and starts a new one
    let rotated = dir.path().join("acct-2026-01-14-0000.csv");
    std::fs::rename(&live, &rotated).expect("rename");
    append(&live, &format!("{HEADER}{}", rows(121, 180)));
    assert!(s.poll());
    let snap = s.snapshot();
    assert_eq!(snap.aggregates.records, 180, "each row once");
    assert_eq!(snap.report.scan.malformed, 0);
    let names: Vec<&str> = snap
        .report
        .scan
        .files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names[0].ends_with("acct-2026-01-14-0000.csv"), "{names:?}");
    assert!(names[1].ends_with("acct.csv"), "{names:?}");
    // the Rows view reads each row back from where it is now
    assert_eq!(snap.rows.len, 180);
    let mut reader = pmta_lens::tui::reader::Reader::default();
    for (i, n) in [(0, 1), (119, 120), (120, 121), (179, 180)] {
        let r = reader.read(&snap.rows.get(i).expect("a row"));
        assert_eq!(r.values[2], format!("u{n}@hotmail.de"), "row {i}");
    }
    // `> acct.csv`: read again from its start, and the status line says so
    std::fs::File::create(&live).expect("truncate");
    append(&live, &format!("{HEADER}{}", rows(181, 185)));
    assert!(s.poll());
    let snap = s.snapshot();
    assert_eq!(snap.aggregates.records, 185);
    assert_eq!(snap.report.shrunk.len(), 1);
    assert_eq!(
        snap.rows.len, 125,
        "the truncated file's old rows cannot be listed"
    );
    assert_eq!(snap.rows.unlocated, 60);
    let mut app = new_app(false);
    app.ctx.follow = true;
    app.update(Action::Loaded(Box::new(snap)));
    let status = pmta_lens::tui::views::status_text(&app);
    assert!(
        status.starts_with("acct.csv truncated: read again from its start · following 2 files"),
        "{status}"
    );
}

/// Through the loader: a rotated file compressed by logrotate or by hand is not counted again
/// (before: the `.gz` was a new input, its rows counted twice), and a file truncated and written
/// again past its old size is read from its start (before: from the old offset, mid-row).
#[test]
fn follow_skips_compressed_copies_and_rereads_files_truncated_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = dir.path().join("acct-2026-01-14-0000.csv");
    let live = dir.path().join("acct.csv");
    let rows = |from: u32, to: u32| {
        (from..=to)
            .map(|n| row(n, "d", "250 ok"))
            .collect::<String>()
    };
    append(&old, &format!("{HEADER}{}", rows(1, 10)));
    append(&live, &format!("{HEADER}{}", rows(11, 20)));
    let mut s = Scanner::new(
        spec(vec![dir.path().to_path_buf()], Filter::default(), true),
        0,
        None,
    );
    assert!(s.initial(&AtomicBool::new(false), |_| {}));
    assert_eq!(s.snapshot().aggregates.records, 20);
    // gzip acct-2026-01-14-0000.csv
    let data = std::fs::read(&old).expect("read");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(dir.path().join("acct-2026-01-14-0000.csv.gz")).expect("create"),
        flate2::Compression::fast(),
    );
    gz.write_all(&data).expect("compress");
    gz.finish().expect("finish");
    std::fs::remove_file(&old).expect("remove");
    s.poll();
    assert_eq!(
        s.snapshot().aggregates.records,
        20,
        "the .gz is the same rows"
    );
    // `> acct.csv`, then more rows than it had
    std::fs::File::create(&live).expect("truncate");
    append(&live, &format!("{HEADER}{}", rows(21, 40)));
    assert!(s.poll());
    let snap = s.snapshot();
    assert_eq!(snap.aggregates.records, 40);
    assert_eq!(snap.report.scan.malformed, 0);
    assert_eq!(snap.report.scan.files.len(), 2);
}

#[test]
fn follow_on_its_thread_sends_new_counts_about_once_a_second_and_pauses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("acct-2026-01-14-0000.csv");
    append(&file, &format!("{HEADER}{}", row(1, "d", "250 ok")));
    let (tx, rx) = std::sync::mpsc::channel();
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("pool"),
    );
    let loader = loader::spawn(
        spec(vec![dir.path().to_path_buf()], Filter::default(), true),
        7,
        pool,
        move |m| tx.send(m).is_ok(),
    );
    let wait_for = |records: u64| -> Snapshot {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(Msg::Snapshot(s)) if s.aggregates.records == records && s.complete => {
                    assert_eq!(s.generation, 7);
                    return *s;
                }
                Ok(Msg::Snapshot(_)) => {}
                Ok(Msg::Failed(m)) => panic!("loader failed: {m}"),
                Err(e) => panic!("no snapshot with {records} records in time: {e}"),
            }
        }
    };
    wait_for(1);
    append(&file, &row(2, "t", "421 RP-002 x"));
    let t0 = Instant::now();
    wait_for(2);
    assert!(t0.elapsed() < Duration::from_secs(5));
    append(
        &dir.path().join("acct-2026-01-14-0001.csv"),
        &format!("{HEADER}{}", row(3, "d", "250 ok")),
    );
    let s = wait_for(3);
    assert_eq!(s.report.scan.files.len(), 2);
    // paused: nothing is read
    loader.set_paused(true);
    std::thread::sleep(Duration::from_millis(1500));
    while rx.try_recv().is_ok() {}
    append(&file, &row(4, "d", "250 ok"));
    assert!(
        rx.recv_timeout(Duration::from_millis(2500)).is_err(),
        "no news while paused"
    );
    loader.set_paused(false);
    wait_for(4);
}
