//! `PowerMTA`'s main log written with `log-connections yes`: exact connection lives. A line is
//! `YYYY-MM-DD HH:MM:SS[+ZZZZ] ( N)message`, where `( N)` numbers the session (reused once it is
//! free). Of the messages, three matter (everything else is skipped):
//!
//! - `starting QUEUE` (`outlook.com/vmta-ms-01`): the queue the session's next connection serves;
//! - `connecting [from HOST (IP)] to MX-HOST (MX-IP)`: a connection opens;
//! - `closed MX-HOST (MX-IP) in=N out=N`: it closes.
//!
//! Starts and closes are paired by session number, or, on lines without one, by MX host and
//! address (oldest open first). A close with no start (the connection was opened before the log
//! begins) counts from the log's first line; a start with no close (still open when the log
//! ends, or its close was lost) counts to the log's last line. Both are reported. Times without
//! an offset are taken as UTC. Reads the log only; never the accounting files.

use std::collections::VecDeque;
use std::io::{self, BufRead};
use std::path::Path;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::acct::time::TimeParser;
use crate::config::side_file::{self, LOG_LINE_LIMIT};

/// One connection of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogConnection {
    /// The session number `( N)`, if the lines carry one.
    pub session: Option<u32>,
    /// `connecting from HOST (IP)`: our side, when the line names it.
    pub source_host: Option<String>,
    pub source_ip: Option<String>,
    /// From the session's `starting QUEUE` line: the queue's domain part (lowercased) and VMTA.
    pub queue: Option<String>,
    pub vmta: Option<String>,
    /// The remote side, lowercased host.
    pub mx_host: String,
    pub mx_ip: String,
    /// Unix milliseconds (the middle of the logged second).
    pub open_ms: i64,
    pub close_ms: i64,
    /// False when the log has no start for it: `open_ms` is then the log's first line.
    pub start_seen: bool,
    /// False when the log has no close for it: `close_ms` is then the log's last line.
    pub close_seen: bool,
}

/// What reading the log found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LogReport {
    pub path: String,
    pub lines: u64,
    /// `connecting` and `closed` lines.
    pub connection_lines: u64,
    /// First and last timestamp of the log (Unix seconds).
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub connections: u64,
    /// Closes with no start in the log: counted from its first line.
    pub open_at_start: u64,
    /// Starts with no close in the log: counted to its last line.
    pub never_closed: u64,
    /// Lines longer than [`LOG_LINE_LIMIT`], skipped unread.
    pub long_lines: u64,
}

/// Reads a log file: a regular file (not a device or a FIFO), streamed, so its size is not
/// limited; lines are at most [`LOG_LINE_LIMIT`] bytes.
pub fn read(path: &Path) -> io::Result<(Vec<LogConnection>, LogReport)> {
    let file = side_file::open_regular(path, side_file::LOG)?;
    let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(io::BufReader::new(flate2::read::MultiGzDecoder::new(file)))
    } else {
        Box::new(io::BufReader::with_capacity(1 << 16, file))
    };
    parse(reader, &path.display().to_string())
}

#[derive(Default)]
struct Pending {
    queue: Option<(String, Option<String>)>,
}

/// Parses log text. Lines that are not UTF-8 are read lossily.
#[allow(clippy::too_many_lines)] // one pass over the lines, one arm per message kind
pub fn parse<R: BufRead>(
    mut reader: R,
    label: &str,
) -> io::Result<(Vec<LogConnection>, LogReport)> {
    let mut rep = LogReport {
        path: label.to_owned(),
        ..LogReport::default()
    };
    let mut done: Vec<LogConnection> = Vec::new();
    // Open connections by session, and (for lines without one) by MX host and address.
    let mut by_session: FxHashMap<u32, LogConnection> = FxHashMap::default();
    let mut by_mx: FxHashMap<(String, String), VecDeque<LogConnection>> = FxHashMap::default();
    let mut pending: FxHashMap<u32, Pending> = FxHashMap::default();
    // Closes seen before any start: their open time is the log's first line, known only later.
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match read_line(&mut reader, &mut buf)? {
            Line::End => break,
            Line::Long => {
                rep.lines += 1;
                rep.long_lines += 1;
                continue;
            }
            Line::Read => rep.lines += 1,
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\n', '\r']);
        let Some((secs, rest)) = timestamp(line) else {
            continue;
        };
        rep.first = Some(rep.first.map_or(secs, |f| f.min(secs)));
        rep.last = Some(rep.last.map_or(secs, |l| l.max(secs)));
        let ms = secs * 1000 + 500;
        let (session, msg) = session(rest);
        if let Some(q) = msg.strip_prefix("starting ") {
            if let Some(s) = session {
                let q = q.split_whitespace().next().unwrap_or_default();
                let (domain, vmta) = match q.split_once('/') {
                    Some((d, v)) => (d, Some(v.to_owned())),
                    None => (q, None),
                };
                pending.entry(s).or_default().queue = Some((domain.to_ascii_lowercase(), vmta));
            }
        } else if let Some(rest) = msg.strip_prefix("connecting ") {
            let Some(c) = connecting(rest) else { continue };
            rep.connection_lines += 1;
            let (queue, vmta) = session
                .and_then(|s| pending.remove(&s))
                .and_then(|p| p.queue)
                .map_or((None, None), |(q, v)| (Some(q), v));
            let conn = LogConnection {
                session,
                source_host: c.source_host,
                source_ip: c.source_ip,
                queue,
                vmta,
                mx_host: c.mx_host,
                mx_ip: c.mx_ip,
                open_ms: ms,
                close_ms: ms,
                start_seen: true,
                close_seen: false,
            };
            match session {
                Some(s) => {
                    // A session that starts again was never seen to close: end it here.
                    if let Some(mut old) = by_session.insert(s, conn) {
                        old.close_ms = ms;
                        done.push(old);
                    }
                }
                None => by_mx
                    .entry((conn.mx_host.clone(), conn.mx_ip.clone()))
                    .or_default()
                    .push_back(conn),
            }
        } else if let Some(rest) = msg.strip_prefix("closed ") {
            let Some((mx_host, mx_ip)) = host_ip(rest).map(|(h, i, _)| (h, i)) else {
                continue;
            };
            rep.connection_lines += 1;
            let open = match session {
                Some(s) => by_session.remove(&s),
                None => by_mx
                    .get_mut(&(mx_host.clone(), mx_ip.clone()))
                    .and_then(VecDeque::pop_front),
            };
            let mut conn = open.unwrap_or_else(|| LogConnection {
                session,
                source_host: None,
                source_ip: None,
                queue: None,
                vmta: None,
                mx_host: mx_host.clone(),
                mx_ip: mx_ip.clone(),
                open_ms: i64::MIN,
                close_ms: ms,
                start_seen: false,
                close_seen: true,
            });
            conn.close_ms = ms;
            conn.close_seen = true;
            done.push(conn);
        }
    }
    let first_ms = rep.first.map_or(0, |f| f * 1000 + 500);
    let last_ms = rep.last.map_or(0, |l| l * 1000 + 500);
    let still_open = by_session
        .into_values()
        .chain(by_mx.into_values().flatten());
    for mut c in still_open {
        c.close_ms = last_ms;
        done.push(c);
    }
    for c in &mut done {
        if !c.start_seen {
            c.open_ms = first_ms;
            rep.open_at_start += 1;
        }
        if !c.close_seen {
            rep.never_closed += 1;
        }
    }
    done.sort_by(|a, b| {
        (a.open_ms, a.close_ms, &a.mx_ip, a.session)
            .cmp(&(b.open_ms, b.close_ms, &b.mx_ip, b.session))
    });
    rep.connections = done.len() as u64;
    Ok((done, rep))
}

enum Line {
    Read,
    /// Longer than [`LOG_LINE_LIMIT`]: skipped to its end, not held.
    Long,
    End,
}

/// Reads one line into `buf`, holding at most [`LOG_LINE_LIMIT`] bytes of it: a file without
/// newlines (or with a huge `log-data` line) must not fill the memory.
fn read_line<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>) -> io::Result<Line> {
    let limit = LOG_LINE_LIMIT as u64 + 1;
    let n = io::Read::take(&mut *reader, limit).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(Line::End);
    }
    if buf.len() <= LOG_LINE_LIMIT || buf.last() == Some(&b'\n') {
        return Ok(Line::Read);
    }
    // Skip the rest of the line, a buffer at a time.
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        if let Some(i) = memchr::memchr(b'\n', chunk) {
            reader.consume(i + 1);
            break;
        }
        let len = chunk.len();
        reader.consume(len);
    }
    buf.clear();
    Ok(Line::Long)
}

/// `YYYY-MM-DD HH:MM:SS` (optionally `.fff` and a zone: `+ZZZZ`, `-ZZ:ZZ`, `Z`) at the start of a
/// line: Unix seconds (UTC) and the rest of the line. The accounting files' parser, so both read
/// a time alike (an invalid date or offset is no time).
fn timestamp(line: &str) -> Option<(i64, &str)> {
    let (secs, len) = TimeParser::default().parse_iso_prefix(line.as_bytes())?;
    Some((secs, line.get(len..)?))
}

/// The session number `( N)` or `[N]` after the timestamp, and the message after it.
fn session(rest: &str) -> (Option<u32>, &str) {
    let r = rest.trim_start();
    for (open, close) in [('(', ')'), ('[', ']')] {
        if let Some(inner) = r.strip_prefix(open)
            && let Some(end) = inner.find(close)
            && let Ok(n) = inner[..end].trim().parse::<u32>()
        {
            return (Some(n), inner[end + 1..].trim_start());
        }
    }
    (None, r)
}

/// `HOST (IP)` at the start of `s`: lowercased host, address, and the rest after `)`.
fn host_ip(s: &str) -> Option<(String, String, &str)> {
    let s = s.trim_start();
    let space = s.find(' ')?;
    let host = &s[..space];
    let after = s[space..].trim_start().strip_prefix('(')?;
    let end = after.find(')')?;
    let ip = after[..end].trim();
    if host.is_empty() || ip.is_empty() {
        return None;
    }
    Some((
        host.trim_end_matches('.').to_ascii_lowercase(),
        ip.to_owned(),
        &after[end + 1..],
    ))
}

struct Connecting {
    source_host: Option<String>,
    source_ip: Option<String>,
    mx_host: String,
    mx_ip: String,
}

/// The part after `connecting `: `[from HOST (IP) ]to HOST (IP)`.
fn connecting(rest: &str) -> Option<Connecting> {
    let (source_host, source_ip, rest) = match rest.strip_prefix("from ") {
        Some(r) => {
            let (h, i, r) = host_ip(r)?;
            (Some(h), Some(i), r.trim_start())
        }
        None => (None, None, rest),
    };
    let to = rest.strip_prefix("to ")?;
    let (mx_host, mx_ip, _) = host_ip(to)?;
    Some(Connecting {
        source_host,
        source_ip,
        mx_host,
        mx_ip,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> (Vec<LogConnection>, LogReport) {
        parse(io::Cursor::new(text.as_bytes()), "log").expect("in memory")
    }

    const T0: i64 = 1_795_132_800; // 2026-11-20 00:00:00 UTC

    #[test]
    fn timestamps() {
        assert_eq!(timestamp("2026-11-20 00:00:00 ( 1)x"), Some((T0, " ( 1)x")));
        assert_eq!(
            timestamp("2026-11-20 01:00:00+0100 x").map(|t| t.0),
            Some(T0)
        );
        assert_eq!(
            timestamp("2026-11-19 20:00:00 -0400 x").map(|t| t.0),
            Some(T0)
        );
        assert_eq!(
            timestamp("2026-11-20T00:00:05.250Z x").map(|t| t.0),
            Some(T0 + 5)
        );
        assert_eq!(timestamp("-0400"), None);
        assert_eq!(timestamp("2026-13-20 00:00:00 x"), None);
        assert_eq!(timestamp(">>> 220 ready"), None);
    }

    #[test]
    fn an_invalid_date_or_offset_is_no_time_and_a_colon_offset_counts() {
        // Found reading the code beside the accounting parser: this one took `2026-02-31` as
        // March 3rd and read `+05:30` as UTC.
        assert_eq!(timestamp("2026-02-31 00:00:00 ( 1)x"), None);
        assert_eq!(timestamp("2025-02-29 00:00:00 ( 1)x"), None);
        assert_eq!(
            timestamp("2026-11-20 05:30:00+05:30 ( 1)x"),
            Some((T0, " ( 1)x"))
        );
        assert_eq!(timestamp("2026-11-20 05:30:00 +0530 x"), Some((T0, " x")));
        assert_eq!(timestamp("2026-11-20 00:00:00+2500 x"), None);
        assert_eq!(timestamp("2026-11-20 00:00:00+05:3x x"), None);
        assert_eq!(timestamp("2026-11-20 00:00:00 UTC x"), Some((T0, " x")));
        assert_eq!(timestamp("2026-11-20 00:00:00.5 x"), Some((T0, " x")));
    }

    #[test]
    fn pairs_by_session_with_queue_and_source() {
        let log = "\
2026-11-20 00:00:10 ( 20)starting outlook.com/vmta-ms-01
2026-11-20 00:00:10 ( 20)connecting from vmta-ms-01.mail.example.com (192.0.2.10) to outlook-com.olc.protection.outlook.com (104.47.48.33)
2026-11-20 00:00:11 ( 21)starting gmail.com/vmta-gen-01
2026-11-20 00:00:11 ( 21)connecting to gmail-smtp-in.l.google.com (142.250.1.27)
2026-11-20 00:00:11 ( 20)>>> 220 CO1NAM05FT041.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready
2026-11-20 00:00:40 ( 20)closed outlook-com.olc.protection.outlook.com (104.47.48.33) in=601 out=48
2026-11-20 00:00:41 ( 20)starting outlook.com/vmta-ms-01
2026-11-20 00:00:41 ( 20)connecting from vmta-ms-01.mail.example.com (192.0.2.10) to outlook-com.olc.protection.outlook.com (104.47.48.34)
2026-11-20 00:01:00 ( 21)closed gmail-smtp-in.l.google.com (142.250.1.27) in=1 out=2
2026-11-20 00:01:30 ( 20)closed outlook-com.olc.protection.outlook.com (104.47.48.34) in=1 out=2
";
        let (conns, rep) = parse_str(log);
        assert_eq!(rep.connections, 3);
        assert_eq!((rep.open_at_start, rep.never_closed), (0, 0));
        assert_eq!(rep.connection_lines, 6);
        assert_eq!(rep.lines, 10);
        let first = &conns[0];
        assert_eq!(first.session, Some(20));
        assert_eq!(first.queue.as_deref(), Some("outlook.com"));
        assert_eq!(first.vmta.as_deref(), Some("vmta-ms-01"));
        assert_eq!(first.source_ip.as_deref(), Some("192.0.2.10"));
        assert_eq!(
            (first.open_ms, first.close_ms),
            ((T0 + 10) * 1000 + 500, (T0 + 40) * 1000 + 500)
        );
        let gmail = &conns[1];
        assert_eq!(gmail.source_ip, None, "`connecting to` names no source");
        assert_eq!(gmail.queue.as_deref(), Some("gmail.com"));
        assert_eq!(gmail.close_ms, (T0 + 60) * 1000 + 500);
        assert_eq!(conns[2].mx_ip, "104.47.48.34");
    }

    #[test]
    fn a_close_before_any_start_counts_from_the_first_line_and_an_open_one_to_the_last() {
        let log = "\
2026-11-20 00:00:00 ( 3)closed mx1.example.net (198.18.0.1) in=10 out=20
2026-11-20 00:00:05 ( 4)connecting to mx1.example.net (198.18.0.2)
2026-11-20 00:00:09 some other message
2026-11-20 00:00:30 ( 5)connecting to mx1.example.net (198.18.0.3)
2026-11-20 00:00:50 ( 5)closed mx1.example.net (198.18.0.3) in=10 out=20
";
        let (conns, rep) = parse_str(log);
        assert_eq!(rep.connections, 3);
        assert_eq!((rep.open_at_start, rep.never_closed), (1, 1));
        assert_eq!((rep.first, rep.last), (Some(T0), Some(T0 + 50)));
        let early = conns
            .iter()
            .find(|c| !c.start_seen)
            .expect("censored start");
        assert_eq!(
            (early.open_ms, early.close_ms),
            (T0 * 1000 + 500, T0 * 1000 + 500)
        );
        let open = conns.iter().find(|c| !c.close_seen).expect("never closed");
        assert_eq!(open.mx_ip, "198.18.0.2");
        assert_eq!(
            open.close_ms,
            (T0 + 50) * 1000 + 500,
            "runs to the last line"
        );
    }

    #[test]
    fn lines_without_sessions_pair_by_mx_oldest_first() {
        let log = "\
2026-11-20 00:00:00 connecting to mx.example.org (198.18.0.9)
2026-11-20 00:00:01 connecting to mx.example.org (198.18.0.9)
2026-11-20 00:00:04 closed mx.example.org (198.18.0.9) in=1 out=1
2026-11-20 00:00:08 closed MX.example.org. (198.18.0.9) in=1 out=1
";
        let (conns, rep) = parse_str(log);
        assert_eq!(rep.connections, 2);
        assert_eq!(
            conns
                .iter()
                .map(|c| (c.open_ms / 1000 - T0, c.close_ms / 1000 - T0))
                .collect::<Vec<_>>(),
            [(0, 4), (1, 8)]
        );
    }

    #[test]
    fn a_reused_session_without_close_ends_the_old_connection() {
        let log = "\
2026-11-20 00:00:00 ( 7)connecting to a.example (198.18.0.1)
2026-11-20 00:00:10 ( 7)connecting to b.example (198.18.0.2)
2026-11-20 00:00:20 ( 7)closed b.example (198.18.0.2) in=1 out=1
";
        let (conns, rep) = parse_str(log);
        assert_eq!(rep.never_closed, 1);
        assert_eq!(conns[0].mx_host, "a.example");
        assert_eq!(conns[0].close_ms / 1000 - T0, 10);
        assert!(conns[1].close_seen);
    }

    #[test]
    fn overlong_lines_are_skipped_unheld_and_counted() {
        let long = "x".repeat(LOG_LINE_LIMIT + 10);
        let text = format!(
            "2026-11-20 00:00:00 ( 1)connecting to a.example (198.18.0.1)\n\
             {long}\n\
             2026-11-20 00:00:09 ( 1)closed a.example (198.18.0.1) in=1 out=1\n\
             {long}"
        );
        let (conns, rep) = parse_str(&text);
        assert_eq!((rep.lines, rep.long_lines), (4, 2));
        assert_eq!(conns.len(), 1);
        assert!(
            conns[0].close_seen,
            "the line after the long one still read"
        );
        // A line of exactly the limit (with its newline) is a line like any other.
        let exact = format!("{}\n", "y".repeat(LOG_LINE_LIMIT - 1));
        assert_eq!(parse_str(&exact).1.long_lines, 0);
    }

    #[test]
    fn devices_and_fifos_are_refused() {
        let e = read(Path::new("/dev/zero")).expect_err("a device");
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }

    #[test]
    fn the_manual_samples_read() {
        // The reference's resolve trace ends with the closed line; the log-commands sample starts
        // sessions with `starting` and `connecting to`.
        let log = "\
2003-06-29 15:32:00 ( 20)starting aol.com
2003-06-29 15:32:00 ( 20)connecting to yh.mx.aol.com (205.188.157.1)
2003-06-29 15:32:00 ( 20)>>> 220-rly-yh01.mx.aol.com ESMTP relay_in.5; Thu, 29 Jun 2003 09:27:58
-0400
2003-06-29 15:32:09 ( 20)closed yh.mx.aol.com (205.188.157.1) in=601 out=48
";
        let (conns, rep) = parse_str(log);
        assert_eq!(rep.lines, 5);
        assert_eq!(conns.len(), 1);
        assert_eq!(conns[0].queue.as_deref(), Some("aol.com"));
        assert_eq!((conns[0].close_ms - conns[0].open_ms) / 1000, 9);
    }
}
