//! The real binary in a real terminal: tmux runs `pmta-lens sample-logs/` at 80x24; the test
//! switches through every view, applies a filter, drills down and quits, reading the screen at
//! each step. Skipped (with a message) when tmux is not installed.
#![cfg(feature = "tui")]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs the shell line `command` with `env` (`NAME=value`) in a detached 80x24 session
    /// `e2e`, on a tmux server of its own (named after `name` and this process), which goes when
    /// the returned value does.
    fn start(name: &str, env: &str, command: &str) -> Tmux {
        let t = Tmux {
            socket: format!("pmta-lens-{name}-{}", std::process::id()),
        };
        let out = t.cmd(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "80",
            "-y",
            "24",
            "-e",
            env,
            command,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    /// Waits until the screen shows every one of `want`, and returns it.
    fn wait_for(&self, want: &[&str]) -> String {
        // Generous: a loaded 2-core CI machine can be slow to start and redraw.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let s = self.screen();
            if want.iter().all(|w| s.contains(w)) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "screen never showed {want:?}; it shows:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `done` holds; after `secs` seconds, fails with `what` and the screen.
    fn wait_until(&self, secs: u64, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !done() {
            assert!(Instant::now() < deadline, "{what}:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

fn have_tmux() -> bool {
    let ok = Command::new("tmux").arg("-V").output().is_ok();
    if !ok {
        println!("SKIPPED: tmux is not installed (.ci/run installs it)");
    }
    ok
}

#[test]
#[allow(clippy::too_many_lines)] // one session, step by step, as an operator goes
fn an_operator_session_at_80x24() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let status = dir.path().join("status");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    let command = format!(
        "'{}' '{}'; echo $? > '{}'",
        env!("CARGO_BIN_EXE_pmta-lens"),
        samples.display(),
        status.display()
    );
    let t = Tmux::start("e2e", "NO_COLOR=1", &command);
    let s = t.wait_for(&[
        "1 Overview",
        "scan complete",
        "What to do",
        "Top destinations",
    ]);
    assert!(s.contains("575 records"), "{s}");
    assert!(s.contains("outlook.com"), "{s}");
    for (key, want) in [
        (
            "2",
            &[
                "codes in 141 deferral and bounce rows",
                "RP-002 in full",
                "Action",
            ][..],
        ),
        ("3", &["7 VMTAs + (unattributed) (none)", "vmta-ms-01"]),
        ("g", &["sending IPs", "192.0.2.10"]),
        ("4", &["destinations", "outlook.com (10)"]),
        ("5", &["peak / budget", "outlook.com · microsoft-pool"]),
        ("6", &["Deferrals per", "RP-002", "11-20 14:02"]),
        ("7", &["575 matching rows", "dsnDiag"]),
        ("Tab", &["1 Overview", "What to do"]),
        ("?", &["Keys", "drill down"]),
        (
            "Escape",
            &[
                "What to do",
                // the per-IP bursts of the same minutes are that one event
                "1 burst (RP-002 at 11-20 13:58): n shows it",
            ],
        ),
        // the RP-002 burst: when, which IPs, what to do
        (
            "n",
            &[
                "Burst 1/1 RP-002 all IPs",
                "192.0.2.11 (31), 192.0.2.10 (19)",
                "Reduce max-connect-rate",
            ],
        ),
    ] {
        t.keys(&[key]);
        let s = t.wait_for(want);
        assert_eq!(s.lines().count(), 24, "{s}");
    }
    // a filter from the prompt
    t.keys(&["/"]);
    t.wait_for(&["Enter apply"]);
    t.keys(&["-l", "code=RP-002"]);
    t.keys(&["Enter"]);
    let s = t.wait_for(&["filter: code=RP-002", "52 of 575 rows match"]);
    assert!(s.contains("RP-002"), "{s}");
    // drill down from Senders into the rows, look at one, go back
    t.keys(&["3"]);
    t.wait_for(&["sending IPs", "192.0.2.11"]);
    t.keys(&["Enter"]);
    t.wait_for(&[
        "filter: code=RP-002 ip=192.0.2.11",
        "32 matching rows",
        "scan complete",
    ]);
    t.keys(&["Enter"]);
    t.wait_for(&["Row 1 of 32", "dsnDiag"]);
    t.keys(&["Escape"]);
    // the row closed before the next key: an Esc and a key sent back to back reach the
    // dashboard as Alt and that key when the machine is loaded (Alt-Backspace is no Backspace)
    t.wait_until(60, "Esc did not close the row", || {
        let s = t.screen();
        !s.contains("Row 1 of 32") && s.contains("1/32")
    });
    t.keys(&["BSpace"]);
    t.wait_for(&["filter: code=RP-002  ", "sending IPs"]);
    t.keys(&["q"]);
    t.wait_until(10, "did not quit on q", || status.exists());
    std::thread::sleep(Duration::from_millis(100));
    let code = std::fs::read_to_string(&status).expect("status");
    assert_eq!(code.trim(), "0", "exit status");
}

#[test]
fn a_panic_in_a_scan_worker_restores_the_terminal() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let status = dir.path().join("status");
    let stty = dir.path().join("stty");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    // after the dashboard exits, the shell records its status and the terminal's modes
    let command = format!(
        "'{}' '{}' 2>/dev/null; echo $? > '{}'; stty -a > '{}'; sleep 30",
        env!("CARGO_BIN_EXE_pmta-lens"),
        samples.display(),
        status.display(),
        stty.display()
    );
    let t = Tmux::start("panic", "PMTA_LENS_TEST_PANIC=1", &command);
    // Generous: a loaded 2-core CI machine can be slow to start and redraw.
    t.wait_until(60, "did not exit after the panic", || {
        status.exists() && stty.exists() && std::fs::metadata(&stty).is_ok_and(|m| m.len() > 0)
    });
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        std::fs::read_to_string(&status).expect("status").trim(),
        "2"
    );
    let modes = std::fs::read_to_string(&stty).expect("stty");
    let words: Vec<&str> = modes.split_whitespace().collect();
    for mode in ["icanon", "echo", "isig"] {
        assert!(words.contains(&mode), "{mode} not restored: {modes}");
    }
    // back on the normal screen, not the dashboard's alternate one
    assert!(!t.screen().contains("1 Overview"), "{}", t.screen());
}

/// Standard input is read once, and kept for the analyses' second pass: the dashboard shows the
/// findings `summary` finds in the same file (RP-001 retries and complaints included).
#[test]
fn standard_input_gives_the_summarys_findings() {
    if !have_tmux() {
        return;
    }
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/acct-2026-11-20-0000.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_pmta-lens"))
        .args(["summary", "--format", "json", "--no-config"])
        .arg(&file)
        .output()
        .expect("summary");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let findings = json["findings"].as_array().expect("findings").len();
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"rp001-retry") && codes.contains(&"complaints"),
        "{codes:?}"
    );
    let command = format!(
        "cat '{}' | '{}' --no-config -; sleep 30",
        file.display(),
        env!("CARGO_BIN_EXE_pmta-lens"),
    );
    let t = Tmux::start("stdin", "NO_COLOR=1", &command);
    let want = format!("What to do ({findings})");
    let s = t.wait_for(&["scan complete", &want]);
    assert!(s.contains("159 records"), "{s}");
    t.keys(&["q"]);
}

/// Killed from outside (systemd stopping the session, `kill`, the SSH connection dropping), the
/// dashboard puts the terminal back before it dies of the signal.
#[test]
fn a_killed_dashboard_restores_the_terminal() {
    if !have_tmux() {
        return;
    }
    for (signal, status_want) in [("TERM", "143"), ("HUP", "129"), ("SEGV", "139")] {
        let dir = tempfile::tempdir().expect("tempdir");
        let (pid, status, stty) = (
            dir.path().join("pid"),
            dir.path().join("status"),
            dir.path().join("stty"),
        );
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
        // The inner shell writes its pid and becomes the dashboard.
        let command = format!(
            "sh -c 'echo $$ > \"{}\"; exec \"{}\" \"{}\"' 2>/dev/null; echo $? > '{}'; \
             stty -a > '{}'; sleep 30",
            pid.display(),
            env!("CARGO_BIN_EXE_pmta-lens"),
            samples.display(),
            status.display(),
            stty.display()
        );
        let t = Tmux::start(&format!("kill{signal}"), "LANG=C.UTF-8", &command);
        t.wait_for(&["1 Overview", "scan complete"]);
        let pid = std::fs::read_to_string(&pid).expect("pid");
        let killed = Command::new("kill")
            .args([format!("-{signal}"), pid.trim().to_owned()])
            .status()
            .expect("kill");
        assert!(killed.success());
        t.wait_until(60, "did not exit after the signal", || {
            std::fs::metadata(&stty).is_ok_and(|m| m.len() > 0)
        });
        std::thread::sleep(Duration::from_millis(200));
        let code = std::fs::read_to_string(&status).expect("status");
        assert_eq!(code.trim(), status_want, "SIG{signal}: died of the signal");
        let modes = std::fs::read_to_string(&stty).expect("stty");
        let words: Vec<&str> = modes.split_whitespace().collect();
        for mode in ["icanon", "echo", "isig"] {
            assert!(
                words.contains(&mode),
                "SIG{signal}: {mode} not restored: {modes}"
            );
        }
        assert!(!t.screen().contains("1 Overview"), "{}", t.screen());
    }
}

/// `pmta-lens /nonexistent` says why and exits 2 as `summary` does, without opening an empty
/// dashboard; with something else to read, the dashboard opens, and on quitting says again
/// what could not be read and exits 2.
#[test]
fn a_path_that_cannot_be_read_is_said_and_exits_2() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let status = dir.path().join("status");
    let missing = dir.path().join("nonexistent");
    let command = format!(
        "'{}' '{}'; echo $? > '{}'; sleep 30",
        env!("CARGO_BIN_EXE_pmta-lens"),
        missing.display(),
        status.display()
    );
    let t = Tmux::start("missing", "NO_COLOR=1", &command);
    t.wait_until(30, "did not exit on a path it cannot read", || {
        status.exists()
    });
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        std::fs::read_to_string(&status).expect("status").trim(),
        "2"
    );
    let s = t.screen();
    assert!(s.contains("No such file or directory"), "{s}");
    assert!(s.contains("nothing to read"), "{s}");
    assert!(!s.contains("1 Overview"), "{s}");
    drop(t);

    let status = dir.path().join("status2");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    let command = format!(
        "'{}' '{}' '{}'; echo $? > '{}'; sleep 30",
        env!("CARGO_BIN_EXE_pmta-lens"),
        missing.display(),
        samples.display(),
        status.display()
    );
    let t = Tmux::start("missing2", "NO_COLOR=1", &command);
    t.wait_for(&["1 Overview", "scan complete", "575 records", "1 input prob"]);
    t.keys(&["q"]);
    t.wait_until(10, "did not quit on q", || status.exists());
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        std::fs::read_to_string(&status).expect("status").trim(),
        "2"
    );
    let s = t.screen();
    assert!(s.contains("No such file or directory"), "{s}");
}

/// Issue 11 as an operator types it: `3 jjjj Enter ⌫` comes back to the fifth VMTA, and the
/// prompt edits, completes and recalls with the terminal's own keys.
#[test]
fn backspace_restores_the_selection_and_the_prompt_edits_with_real_keys() {
    if !have_tmux() {
        return;
    }
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    let command = format!(
        "'{}' '{}'; sleep 30",
        env!("CARGO_BIN_EXE_pmta-lens"),
        samples.display()
    );
    let t = Tmux::start("keys", "NO_COLOR=1", &command);
    t.wait_for(&["1 Overview", "scan complete"]);
    t.keys(&["3"]);
    t.wait_for(&["7 VMTAs + (unattributed) (none)", "1/9"]);
    for _ in 0..4 {
        t.keys(&["j"]);
    }
    t.wait_for(&["5/9"]);
    t.keys(&["Enter"]);
    t.wait_for(&["filter: vmta=vmta-ms-03", "55 matching rows", "1/55"]);
    t.keys(&["BSpace"]);
    t.wait_for(&["filter: none", "5/9"]);
    // Tab completes the field, then the value; Home, Ctrl-K and the rest edit in the line
    t.keys(&["/"]);
    t.wait_for(&["Enter apply"]);
    t.keys(&["-l", "vm"]);
    t.keys(&["Tab"]);
    t.wait_for(&["/ vmta= "]);
    t.keys(&["-l", "vmta-t"]);
    t.keys(&["Tab"]);
    t.wait_for(&["/ vmta=vmta-tx-01 "]);
    t.keys(&["-l", "code=RP-002"]);
    t.keys(&["Home", "Right", "Right", "Right", "Right", "Right", "C-k"]);
    t.wait_for(&["/ vmta= "]);
    t.keys(&["C-u", "Up"]);
    t.wait_for(&["/ vmta=vmta-ms-03 "]);
    t.keys(&["C-w"]);
    t.keys(&["-l", "ip=192.0.2.1"]);
    t.keys(&["Tab"]);
    t.wait_for(&["candidates", "192.0.2.10", "192.0.2.13"]);
    t.keys(&["-l", "1"]);
    t.keys(&["Enter"]);
    t.wait_for(&["filter: ip=192.0.2.11", "of 575 rows match"]);
    t.keys(&["q"]);
}

/// Rows with real keys: `f` finds a text in the rows and `n` goes on, wrapping; End with
/// `--follow` keeps the newest row selected as `PowerMTA` appends.
#[test]
fn rows_find_with_real_keys_and_end_follows_appended_rows() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let live = dir.path().join("acct.csv");
    let row = |i: u32| {
        format!(
            "t,2026-01-14 10:00:{:02}+0000,u{i}@x.example,\"smtp;421 RP-002 x\"\n",
            i % 60
        )
    };
    let mut text = String::from("type,timeLogged,rcpt,dsnDiag\n");
    for i in 1..=30 {
        text.push_str(&row(i));
    }
    std::fs::write(&live, &text).expect("write");
    let command = format!(
        "'{}' --follow '{}'; sleep 30",
        env!("CARGO_BIN_EXE_pmta-lens"),
        live.display()
    );
    let t = Tmux::start("rows", "NO_COLOR=1", &command);
    t.wait_for(&["1 Overview", "following"]);
    t.keys(&["7"]);
    t.wait_for(&["30 matching rows", "1/30"]);
    t.keys(&["f"]);
    t.wait_for(&["find: "]);
    t.keys(&["-l", "u29@"]);
    t.keys(&["Enter"]);
    t.wait_for(&["`u29@`: row 29", "29/30"]);
    t.keys(&["n"]);
    t.wait_for(&["`u29@`: row 29"]);
    t.keys(&["End"]);
    t.wait_for(&["30/30", "following the end"]);
    let mut more = String::new();
    for i in 31..=33 {
        more.push_str(&row(i));
    }
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&live)
        .expect("open");
    std::io::Write::write_all(&mut f, more.as_bytes()).expect("append");
    t.wait_for(&["33/33", "u33@x.example"]);
    t.keys(&["q"]);
}
