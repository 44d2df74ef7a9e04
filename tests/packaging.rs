//! What the packages ship and what an operator on the MTA host sees, from the real binary:
//! `--version`, the generated man page and completions, the lowered priority `--stats` reports,
//! and the advice on an input only a group may read (as `nobody`, when the tests run as root).
//! The packages themselves are built and installed by scripts/package-check.sh.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_pmta-lens");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("RAYON_NUM_THREADS")
        .output()
        .expect("pmta-lens runs")
}

fn stdout(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8")
}

#[test]
fn version_names_the_version_the_commit_and_the_target() {
    let v = stdout(&["--version"]);
    let rest = v
        .trim_end()
        .strip_prefix(&format!("pmta-lens {} (commit ", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{v}"));
    let (commit, target) = rest
        .strip_suffix(')')
        .and_then(|r| r.split_once(", "))
        .unwrap_or_else(|| panic!("{v}"));
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{v}"
    );
    assert!(
        target.contains("-linux-") && target.split('-').count() >= 3,
        "{v}"
    );
    assert_eq!(stdout(&["-V"]), v);
}

#[test]
fn the_man_page_documents_commands_where_exit_codes_files_and_environment() {
    let page = stdout(&["--generate", "man"]);
    for needle in [
        ".TH pmta-lens 1",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        ".SH \"WHERE EXPRESSIONS\"",
        ".SH \"EXIT STATUS\"",
        ".SH FILES",
        ".SH ENVIRONMENT",
        "NO_COLOR",
        "/etc/pmta/config",
        "rcpt\\-domain",
        "\\-\\-priority",
    ] {
        assert!(page.contains(needle), "{needle} missing");
    }
    for command in ["summary", "rows", "metrics", "export", "check-config"] {
        assert!(
            page.contains(&format!(".SS \"pmta-lens {command}\"")),
            "{command} missing"
        );
    }
    // The hidden flag and the test-only chunk size stay out of the page.
    assert!(!page.contains("generate") && !page.contains("chunk\\-size"));
}

#[test]
fn the_man_page_renders_through_man() {
    if Command::new("man").arg("--version").output().is_err() {
        eprintln!("no man here: skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("pmta-lens.1");
    std::fs::write(&path, stdout(&["--generate", "man"])).expect("written");
    let o = Command::new("man")
        .arg("-l")
        .arg(&path)
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .output()
        .expect("man runs");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for heading in ["NAME", "COMMANDS", "EXIT STATUS", "FILES", "ENVIRONMENT"] {
        assert!(
            text.lines().any(|l| l == heading),
            "{heading} missing:\n{text}"
        );
    }
}

#[test]
fn completions_know_the_commands_the_flags_and_their_values() {
    let bash = stdout(&["--generate", "complete-bash"]);
    for needle in [
        "check-config",
        "summary",
        "--where",
        "--priority",
        "--format",
    ] {
        assert!(bash.contains(needle), "bash: {needle} missing");
    }
    let zsh = stdout(&["--generate", "complete-zsh"]);
    assert!(zsh.starts_with("#compdef pmta-lens"));
    assert!(zsh.contains("text markdown json"), "--format's values");
    assert!(zsh.contains("raw ndjson rcpt"), "rows --format's values");
    assert!(zsh.contains("auto always never"), "--color's values");
    assert!(zsh.contains("_files"), "paths complete as files");
    let fish = stdout(&["--generate", "complete-fish"]);
    assert!(fish.contains("-l priority") && fish.contains("check-config"));
    assert!(fish.contains("-l color") && fish.contains("always"));
    for shell in [&bash, &zsh, &fish] {
        assert!(
            !shell.contains("generate"),
            "the hidden flag is not offered"
        );
    }
}

/// The priority line of `--stats`.
fn priority_line(args: &[&str]) -> String {
    let o = run(args);
    assert!(o.status.success());
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("pmta-lens: priority: ").map(str::to_owned))
        .expect("a priority line")
}

#[test]
fn it_lowers_its_priority_by_default_and_stats_says_so() {
    let low = priority_line(&["--stats", "summary", "sample-logs"]);
    let nice: i32 = low
        .strip_prefix("nice ")
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{low}"));
    // 10, or what the test runner already had if that is lower still (`nice -n 19 cargo test`).
    assert!(nice >= 10, "{low}");
    assert!(
        low.contains("I/O best-effort 7") || low.contains("I/O idle"),
        "{low}"
    );
    assert!(!low.contains("could not"), "{low}");
    let normal = priority_line(&["--stats", "--priority", "normal", "summary", "sample-logs"]);
    assert!(
        normal.starts_with("as started (--priority normal): nice "),
        "{normal}"
    );
}

/// A group of /etc/group other than root's, for a file only that group may read.
fn some_group() -> Option<(String, u32)> {
    let text = std::fs::read_to_string("/etc/group").ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        let gid: u32 = f.get(2)?.parse().ok()?;
        matches!(f[0], "adm" | "mail" | "staff").then(|| (f[0].to_owned(), gid))
    })
}

fn as_nobody(args: &[&str]) -> Option<Output> {
    Command::new("setpriv")
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "--",
            BIN,
        ])
        .args(args)
        .output()
        .ok()
}

#[test]
fn an_input_only_a_group_may_read_names_the_group() {
    // Only root can become `nobody` and give the file to another group.
    let root = std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:\t0\t")));
    let Some((group, gid)) = some_group().filter(|_| root) else {
        eprintln!("not root, or no adm/mail/staff group: skipped");
        return;
    };
    // `nobody` must reach the binary itself (a checkout under a private home hides it).
    if !as_nobody(&["--version"]).is_some_and(|o| o.status.success()) {
        eprintln!("nobody cannot run {BIN} (or no setpriv): skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let file = dir.path().join("acct-2026-11-20-0000.csv");
    std::fs::copy(Path::new("sample-logs/acct-2026-11-20-0000.csv"), &file).expect("copied");
    std::os::unix::fs::chown(&file, None, Some(gid)).expect("chgrp");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let path = file.to_str().expect("UTF-8 path");
    let o = as_nobody(&["summary", path]).expect("ran");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{path}: Permission denied (os error 13) (skipped); the group {group} can read it: \
             join it with `sudo usermod -aG {group} $USER`, then log in again"
        )),
        "{err}"
    );
    // The same for a PowerMTA config only the group may read (`/etc/pmta/config` is often
    // `root:pmta`, mode 640).
    let config = dir.path().join("pmta-config");
    std::fs::copy(Path::new("sample-logs/pmta-config"), &config).expect("copied");
    std::os::unix::fs::chown(&config, None, Some(gid)).expect("chgrp");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let config = config.to_str().expect("UTF-8 path");
    let o = as_nobody(&["check-config", "--config", config]).expect("ran");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "--config {config}: cannot read {config}: Permission denied (os error 13); the \
             group {group} can read it"
        )),
        "{err}"
    );
}
