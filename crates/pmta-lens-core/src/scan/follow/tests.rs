//! Every rotation `PowerMTA` and logrotate do, driven through the driver with rows appended between
//! looks: each row is read exactly once (the rows' ids are checked, not only their number).

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::acct::discover::discover;
use crate::scan::tests::engine;
use crate::scan::{Driver, FollowEvent, Row, ScanOptions, Sink, Step};

const HEADER: &str = "type,timeLogged,rcpt,dsnStatus,dsnDiag,dlvSourceIp,vmta\n";

/// Row `n` (its recipient is `u<n>@hotmail.de`).
fn row(n: u32) -> String {
    format!(
        "d,2026-01-14 10:{:02}:00+0000,u{n}@hotmail.de,2.0.0 (ok),\"smtp;250 ok\",192.0.2.10,vmta-ms-01\n",
        n % 60
    )
}

fn rows(from: u32, to: u32) -> String {
    (from..=to).map(row).collect()
}

/// The header and rows `from ..= to`: a new file's first write.
fn headed(from: u32, to: u32) -> String {
    format!("{HEADER}{}", rows(from, to))
}

/// A directory holding `acct.csv` with the header and rows 1 ..= `n`.
fn live_dir(n: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let live = dir.path().join("acct.csv");
    append(&live, &headed(1, n));
    (dir, live)
}

/// What a look reports when input 0 was renamed away from `from` and a new file took its
/// path.
fn renamed_and_replaced(from: &Path) -> [FollowEvent; 2] {
    [
        FollowEvent::Renamed {
            input: 0,
            from: from.to_path_buf(),
        },
        FollowEvent::Added(1),
    ]
}

fn append(path: &Path, text: &str) {
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .expect("open for append")
        .write_all(text.as_bytes())
        .expect("append");
}

/// Collects the id of every row read, and counts the rows in the workers' folds (which a
/// window scanned twice makes the driver redo).
struct Ids;

impl Sink for Ids {
    type Fold = u64;
    type Chunk = Vec<u32>;

    fn new_fold(&self) -> u64 {
        0
    }

    fn new_chunk(&self) -> Vec<u32> {
        Vec::new()
    }

    fn merge(&self, into: &mut u64, from: u64) {
        *into += from;
    }

    fn row(&self, count: &mut u64, ids: &mut Vec<u32>, row: &Row<'_>) {
        *count += 1;
        let line = String::from_utf8_lossy(row.raw);
        let id = line
            .split(",u")
            .nth(1)
            .and_then(|s| s.split('@').next())
            .and_then(|s| s.parse().ok())
            .expect("a row id");
        ids.push(id);
    }
}

/// A followed scan, as the dashboard drives it.
struct Follow {
    driver: Driver<u64>,
    /// The paths given (directories are looked at again).
    paths: Vec<PathBuf>,
    ids: Vec<u32>,
}

impl Follow {
    fn new(paths: &[&Path]) -> Follow {
        let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
        let (inputs, errors) = discover(&paths);
        assert!(errors.is_empty(), "{errors:?}");
        let opts = ScanOptions {
            chunk_size: 256,
            ..ScanOptions::default()
        };
        let mut f = Follow {
            driver: Driver::new(&inputs, &opts).following(true),
            paths,
            ids: Vec::new(),
        };
        f.read();
        f
    }

    fn read(&mut self) {
        let ids = &mut self.ids;
        loop {
            let step = self.driver.step(&engine(), &Ids, &mut |chunk, _| {
                ids.extend(chunk);
                ControlFlow::Continue(())
            });
            if step != Step::More {
                assert_eq!(step, Step::Idle);
                return;
            }
        }
    }

    /// One look, as the dashboard's poll: what grew, then new files in the directories.
    fn poll(&mut self) -> Vec<FollowEvent> {
        let mut events = self.driver.grow();
        if self.paths.iter().any(|p| p.is_dir()) {
            let (found, _) = discover(&self.paths);
            events.extend(self.driver.discovered(found));
        }
        self.read();
        events
    }

    /// Every row was read once, and the rows read are exactly `expected`.
    fn assert_read(&mut self, expected: impl IntoIterator<Item = u32>) {
        let mut got = self.ids.clone();
        got.sort_unstable();
        let want: Vec<u32> = expected.into_iter().collect();
        assert_eq!(got, want, "each row read exactly once");
        assert_eq!(self.driver.report().records(), want.len() as u64);
        assert_eq!(self.driver.report().malformed, 0);
        let counted = self.driver.settle(&engine(), &Ids);
        assert_eq!(counted, want.len() as u64, "the counts hold each row once");
    }

    fn names(&self) -> Vec<String> {
        self.driver
            .inputs()
            .map(|i| {
                i.path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }
}

/// `PowerMTA`'s rotation: `acct.csv` renamed to `acct-<date>.csv`, a last row still written to it
/// through its open descriptor, a new `acct.csv` created. Before: the renamed file was read again
/// from 0 (300 rows for 180) and the new one ignored until it outgrew the old one.
#[test]
fn powermta_rotation_keeps_the_renamed_files_place_and_reads_the_new_file_from_its_start() {
    let (dir, live) = live_dir(100);
    let mut f = Follow::new(&[dir.path()]);
    f.assert_read(1..=100);
    assert!(f.poll().is_empty(), "nothing new");

    // PowerMTA's descriptor on the live file, kept across the rename.
    let mut writer = OpenOptions::new().append(true).open(&live).expect("open");
    writer.write_all(rows(101, 120).as_bytes()).expect("write");
    let rotated = dir.path().join("acct-2026-01-14-0000.csv");
    std::fs::rename(&live, &rotated).expect("rename");
    writer.write_all(rows(121, 125).as_bytes()).expect("write");
    append(&live, &headed(126, 185));

    let events = f.poll();
    assert_eq!(events, renamed_and_replaced(&live));
    f.assert_read(1..=185);
    assert_eq!(f.names(), ["acct-2026-01-14-0000.csv", "acct.csv"]);
    assert_eq!(f.driver.report().files[0].records, 125);
    assert_eq!(f.driver.report().files[1].records, 60);

    // PowerMTA's last row to the old file, then it closes it: read, then no longer followed.
    writer.write_all(row(186).as_bytes()).expect("write");
    drop(writer);
    append(&live, &rows(187, 190));
    assert!(f.poll().is_empty());
    f.assert_read(1..=190);
    assert_eq!(f.poll(), [FollowEvent::Dropped(0)]);
    append(&live, &rows(191, 192));
    assert!(f.poll().is_empty());
    f.assert_read(1..=192);
}

/// A single file given by path (no directory to look at): logrotate's `create` (rename to
/// `acct.csv.1`, a new `acct.csv`). The renamed file is found by its inode in the same
/// directory, under a name that is not an accounting file's.
#[test]
fn a_followed_file_renamed_by_logrotate_is_read_on_and_the_new_one_from_its_start() {
    let (dir, live) = live_dir(50);
    let mut f = Follow::new(&[&live]);
    f.assert_read(1..=50);
    append(&live, &rows(51, 60));
    std::fs::rename(&live, dir.path().join("acct.csv.1")).expect("rename");
    // the new file, empty at first (logrotate creates it; PowerMTA writes later)
    File::create(&live).expect("create");
    let events = f.poll();
    assert_eq!(events, renamed_and_replaced(&live));
    f.assert_read(1..=60);
    assert_eq!(f.names(), ["acct.csv.1", "acct.csv"]);
    append(&live, &headed(61, 70));
    assert_eq!(f.poll(), [FollowEvent::Dropped(0)]);
    f.assert_read(1..=70);
    // logrotate's `compress` later: acct.csv.1 -> acct.csv.1.gz, never read
    gzip(&dir.path().join("acct.csv.1"));
    append(&live, &rows(71, 72));
    assert!(f.poll().is_empty());
    f.assert_read(1..=72);
}

/// logrotate's `copytruncate`: the file is copied, then truncated in place and written again.
/// Before: reading went on from the old offset, in the middle of a row, with no notice.
#[test]
fn copytruncate_is_read_again_from_the_start_with_a_notice() {
    let (dir, live) = live_dir(40);
    let mut f = Follow::new(&[dir.path()]);
    f.assert_read(1..=40);
    std::fs::copy(&live, dir.path().join("acct.csv.1")).expect("copy");
    OpenOptions::new()
        .write(true)
        .open(&live)
        .expect("open")
        .set_len(0)
        .expect("truncate");
    append(&live, &headed(41, 45));
    assert_eq!(f.poll(), [FollowEvent::Truncated(0)]);
    f.assert_read(1..=45);
    assert_eq!(
        f.names(),
        ["acct.csv"],
        "the copy is not an accounting file"
    );
    append(&live, &rows(46, 47));
    assert!(f.poll().is_empty());
    f.assert_read(1..=47);
}

/// Truncated and written again past the old read position between two looks: the size alone
/// cannot tell, the bytes before the read position do.
#[test]
fn a_file_truncated_and_written_past_the_old_position_is_read_again_from_its_start() {
    let (_dir, live) = live_dir(10);
    let mut f = Follow::new(&[&live]);
    f.assert_read(1..=10);
    // `> acct.csv`, then more rows than there were
    File::create(&live).expect("truncate");
    append(&live, &headed(11, 40));
    assert_eq!(f.poll(), [FollowEvent::Truncated(0)]);
    f.assert_read(1..=40);
}

/// `> acct.csv` with nothing written yet, then rows.
#[test]
fn a_file_emptied_in_place_is_read_again_once_it_has_rows() {
    let (_dir, live) = live_dir(10);
    let mut f = Follow::new(&[&live]);
    File::create(&live).expect("truncate");
    assert_eq!(f.poll(), [FollowEvent::Truncated(0)]);
    f.assert_read(1..=10);
    append(&live, &headed(11, 12));
    assert!(f.poll().is_empty());
    f.assert_read(1..=12);
}

/// A new `acct-*.csv` in the directory is read from its start, once; the files already there
/// keep being followed.
#[test]
fn a_new_accounting_file_in_a_followed_directory_is_read_from_its_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("acct-2026-01-14-0000.csv");
    append(&first, &headed(1, 10));
    let mut f = Follow::new(&[dir.path()]);
    let second = dir.path().join("acct-2026-01-14-0001.csv");
    append(&second, &headed(11, 30));
    std::fs::write(dir.path().join("notes.txt"), "not a log\n").expect("write");
    assert_eq!(f.poll(), [FollowEvent::Added(1)]);
    f.assert_read(1..=30);
    append(&second, &rows(31, 35));
    append(&first, &rows(36, 36));
    assert!(f.poll().is_empty());
    f.assert_read(1..=36);
}

/// A rotated file compressed (`acct-<date>.csv` -> `acct-<date>.csv.gz`, the original removed)
/// is not counted again: the `.gz` of a name already read is the same rows.
#[test]
fn a_gz_appearing_for_a_file_already_read_is_not_counted_again() {
    let (dir, live) = live_dir(20);
    let mut f = Follow::new(&[dir.path()]);
    let rotated = dir.path().join("acct-2026-01-14-0000.csv");
    std::fs::rename(&live, &rotated).expect("rename");
    append(&live, &headed(21, 25));
    f.poll();
    f.assert_read(1..=25);
    let gz = gzip(&rotated);
    assert_eq!(
        f.poll(),
        [
            FollowEvent::Dropped(0),
            FollowEvent::Compressed { path: gz, of: 0 }
        ]
    );
    assert!(f.poll().is_empty(), "reported once");
    f.assert_read(1..=25);
    // a compressed file of rows never read is another matter
    let other = dir.path().join("acct-2026-01-13-0000.csv");
    std::fs::write(&other, headed(26, 27)).expect("write");
    let other_gz = gzip(&other);
    let events = f.poll();
    assert_eq!(events, [FollowEvent::Added(2)]);
    assert_eq!(
        f.names()[2],
        other_gz.file_name().expect("name").to_string_lossy()
    );
    f.assert_read(1..=27);
}

/// A followed file deleted and a new one created at its path: the old one is read to its end
/// through the descriptor, the new one from its start.
#[test]
fn a_file_deleted_and_created_again_is_a_new_input() {
    let (_dir, live) = live_dir(10);
    let mut f = Follow::new(&[&live]);
    append(&live, &rows(11, 12));
    std::fs::remove_file(&live).expect("remove");
    append(&live, &headed(13, 15));
    assert_eq!(f.poll(), [FollowEvent::Gone(0), FollowEvent::Added(1)]);
    f.assert_read(1..=15);
    assert_eq!(f.poll(), [FollowEvent::Dropped(0)]);
}

/// `gzip FILE`: writes `FILE.gz`, removes `FILE`.
fn gzip(path: &Path) -> PathBuf {
    let data = std::fs::read(path).expect("read");
    let gz = PathBuf::from(format!("{}.gz", path.display()));
    let mut enc = flate2::write::GzEncoder::new(
        File::create(&gz).expect("create"),
        flate2::Compression::fast(),
    );
    enc.write_all(&data).expect("compress");
    enc.finish().expect("finish");
    std::fs::remove_file(path).expect("remove");
    gz
}

#[test]
fn gz_names_map_back_to_the_file_they_compress() {
    use super::uncompressed_name;
    assert_eq!(
        uncompressed_name(Path::new("/l/acct.csv.1.gz")),
        Some(PathBuf::from("/l/acct.csv.1"))
    );
    assert_eq!(uncompressed_name(Path::new("/l/acct.csv")), None);
}
