//! What a rerun reads of each file, from what the state file remembers.

use super::*;

fn id(ino: u64, size: u64, head: &[u8]) -> Identity {
    Identity {
        dev: 1,
        ino,
        size,
        head: head.to_vec(),
    }
}

fn at(offset: u64) -> Reached {
    Reached { offset, line: None }
}

fn state_with(path: &str, seen: &Identity, offset: u64) -> State {
    let mut s = State::default();
    s.record(
        path,
        seen,
        at(offset),
        10,
        &["day=2026-11-20/host=h/part-1.parquet".into()],
    );
    s
}

#[test]
fn an_unchanged_file_is_skipped_and_a_grown_one_read_from_its_offset() {
    let head = b"type,timeLogged\nd,2026-11-20 00:00:00+0000\n";
    let seen = id(7, 1000, head);
    let s = state_with("/logs/acct.csv", &seen, 990);
    let p = Path::new("/logs/acct.csv");
    assert_eq!(s.plan(p, &seen, false), Plan::Skip);
    // Grown: the rows past the offset reached (a last line without its newline was left).
    assert_eq!(s.plan(p, &id(7, 5000, head), false), Plan::From(at(990)));
    // Renamed by rotation: the same inode and content under another name.
    assert_eq!(
        s.plan(Path::new("/logs/acct-0001.csv"), &id(7, 5000, head), false),
        Plan::From(at(990))
    );
    // Truncated in place: shorter than what was read.
    assert_eq!(s.plan(p, &id(7, 500, head), false), Plan::Whole);
    // A new file (another inode) under the old name, and an inode reused by other content.
    assert_eq!(s.plan(p, &id(8, 5000, head), false), Plan::Whole);
    assert_eq!(
        s.plan(
            p,
            &id(7, 5000, b"type,timeLogged\nd,2026-11-21 00:00:00+0000\n"),
            false
        ),
        Plan::Whole
    );
}

#[test]
fn the_compressed_copy_of_a_file_read_before_is_read_past_its_offset() {
    let seen = id(7, 1000, b"type,timeLogged\n");
    let s = state_with("/logs/acct.csv", &seen, 1000);
    let gz = id(9, 300, b"\x1f\x8b...");
    assert_eq!(
        s.plan(Path::new("/logs/acct.csv.gz"), &gz, true),
        Plan::From(at(1000))
    );
    assert_eq!(
        s.plan(Path::new("/logs/other.csv.gz"), &gz, true),
        Plan::Whole
    );
    // Once read, the compressed copy is known by itself.
    let mut s = s;
    s.record("/logs/acct.csv.gz", &gz, at(1200), 2, &[]);
    assert_eq!(
        s.plan(Path::new("/logs/acct.csv.gz"), &gz, true),
        Plan::Skip
    );
}

#[test]
fn recording_again_adds_rows_and_parts_and_a_replaced_file_starts_over() {
    let head = b"type,timeLogged\nd,1\n";
    let mut s = state_with("/l/a.csv", &id(7, 1000, head), 1000);
    s.record("/l/a.csv", &id(7, 2000, head), at(2000), 5, &["p2".into()]);
    assert_eq!(s.inputs.len(), 1);
    assert_eq!(s.inputs[0].rows, 15);
    assert_eq!(s.inputs[0].parts.len(), 2);
    assert_eq!((s.inputs[0].size, s.inputs[0].offset), (2000, 2000));
    // The inode now holds another file: its history is not carried over.
    s.record(
        "/l/a.csv",
        &id(7, 100, b"type,x\n"),
        at(100),
        1,
        &["p3".into()],
    );
    assert_eq!(s.inputs[0].rows, 1);
    assert_eq!(s.inputs[0].parts, ["p3"]);
}

#[test]
fn the_state_is_saved_atomically_and_refused_for_another_host_or_filter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = State::load(dir.path(), "mta-1", Some("type=b")).expect("empty state");
    s.record("/l/a.csv", &id(7, 10, b"x"), at(10), 1, &["p".into()]);
    s.save(dir.path()).expect("saved");
    assert_eq!(
        State::load(dir.path(), "mta-1", Some("type=b")).expect("loaded"),
        s
    );
    // Only the state file: the temporary file was renamed over it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, [FILE]);
    let other_host = State::load(dir.path(), "mta-2", Some("type=b")).expect_err("another host");
    assert!(
        format!("{other_host:#}").contains("--host mta-1"),
        "{other_host:#}"
    );
    let other_filter = State::load(dir.path(), "mta-1", None).expect_err("another filter");
    assert!(
        format!("{other_filter:#}").contains("--where 'type=b'"),
        "{other_filter:#}"
    );
    std::fs::write(dir.path().join(FILE), "{not json").expect("write");
    assert!(State::load(dir.path(), "mta-1", Some("type=b")).is_err());
}

#[test]
fn recovery_renames_committed_parts_and_removes_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let part_dir = dir.path().join("day=2026-11-20/host=h");
    std::fs::create_dir_all(&part_dir).expect("mkdir");
    let committed = "day=2026-11-20/host=h/.part-a-0001.parquet.tmp";
    let stray = "day=2026-11-20/host=h/.part-b-0001.parquet.tmp";
    std::fs::write(dir.path().join(committed), "a").expect("write");
    std::fs::write(dir.path().join(stray), "b").expect("write");
    let mut s = State {
        host: "h".into(),
        pending: vec![Pending {
            tmp: committed.into(),
            path: "day=2026-11-20/host=h/part-a-0001.parquet".into(),
        }],
        ..State::default()
    };
    assert_eq!(s.recover(dir.path()).expect("recovered"), (1, 1));
    assert!(s.pending.is_empty());
    let names: Vec<_> = std::fs::read_dir(&part_dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().into_string().expect("UTF-8"))
        .collect();
    assert_eq!(names, ["part-a-0001.parquet"]);
}

#[test]
fn fnv1a_is_the_published_function() {
    // Test vectors of the FNV-1a 64-bit definition.
    assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
}
