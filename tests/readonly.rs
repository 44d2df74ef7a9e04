//! pmta-lens only reads logs: every command, run on a copy of sample-logs/ whose files this test
//! holds exclusively locked, finishes without waiting on a lock, and leaves every file as it was
//! (bytes, size, inode, modification time) and the directory with no file added or removed.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What identifies a file's state: its bytes, size, inode and modification time.
type State = (Vec<u8>, u64, u64, i64, i64);

fn states(dir: &Path) -> BTreeMap<String, State> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let e = e.expect("entry");
            let m = e.metadata().expect("metadata");
            let bytes = std::fs::read(e.path()).expect("read");
            let name = e.file_name().to_string_lossy().into_owned();
            (name, (bytes, m.len(), m.ino(), m.mtime(), m.mtime_nsec()))
        })
        .collect()
}

#[test]
fn every_command_leaves_the_logs_untouched_and_takes_no_lock() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    let dir = tempfile::tempdir().expect("tempdir");
    for e in std::fs::read_dir(&samples).expect("samples") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy");
    }
    let before = states(dir.path());
    // An exclusive lock on every file: a command that tried to lock one would wait forever
    // (and fail the deadline below) or fail.
    let held: Vec<std::fs::File> = before
        .keys()
        .map(|name| {
            let f = std::fs::File::open(dir.path().join(name)).expect("open");
            // SAFETY: flock on a descriptor this test owns.
            #[allow(unsafe_code)]
            let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            assert_eq!(r, 0, "lock {name}");
            f
        })
        .collect();
    let d = dir.path().to_str().expect("utf-8 path");
    let config = format!("{d}/pmta-config");
    let csv = format!("{d}/acct-2026-11-20-0000.csv");
    let commands: [&[&str]; 6] = [
        &["summary", d],
        &["summary", "--format", "json", "--config", &config, d],
        &["rows", "--where", "code=RP-002", d],
        &["rows", "--no-mmap", &csv],
        &["check-config", &config],
        &["check-config", "--daily-volume", "5", &config, d],
    ];
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pmta-lens"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{args:?} did not finish: waiting on a lock?");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.code().is_some(), "{args:?} died: {status:?}");
    }
    drop(held);
    let after = states(dir.path());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "no file added or removed"
    );
    for (name, b) in &before {
        assert!(after[name] == *b, "{name} changed");
    }
}
