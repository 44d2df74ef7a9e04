//! Microsoft SNDS data export (`--snds FILE`): CSV, no header, 14 columns (IP, activity start,
//! activity end, RCPT commands, DATA commands, recipients, filter result GREEN/YELLOW/RED,
//! complaint rate, trap period start, trap period end, trap hits, sample HELO, sample MAIL FROM,
//! comments). Joined per sending IP with our own volume and codes toward Microsoft, with the
//! article's action per colour. A malformed line is reported with file and line and skipped.

use std::collections::BTreeMap;
use std::path::Path;

use crate::aggregate::Aggregates;
use crate::classify::Classifier;
use crate::scan::Malformed;

/// Columns of an SNDS export line.
pub const COLUMNS: usize = 14;
/// How many of our codes each IP lists.
const TOP_CODES: usize = 3;

/// SNDS filter result, worst last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Colour {
    Green,
    Yellow,
    Red,
}

impl Colour {
    pub fn parse(s: &str) -> Option<Colour> {
        match s.trim().to_ascii_uppercase().as_str() {
            "GREEN" => Some(Colour::Green),
            "YELLOW" => Some(Colour::Yellow),
            "RED" => Some(Colour::Red),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Green => "GREEN",
            Colour::Yellow => "YELLOW",
            Colour::Red => "RED",
        }
    }

    /// The article's action (section 2).
    pub fn action(self) -> &'static str {
        match self {
            Colour::Green => "Maintain practices",
            Colour::Yellow => "Investigate; reduce volume 25%",
            Colour::Red => "Stop sending from this IP",
        }
    }
}

/// What to do about an IP we send from that SNDS does not list.
pub const NOT_IN_SNDS: &str = "Not in SNDS: add the IP to your SNDS access so Microsoft's view \
of it can be monitored";
/// What to do about an IP SNDS lists that these logs do not send from.
pub const NOT_IN_LOGS: &str = "No traffic from this IP to Microsoft in these logs: check whether \
another system sends from it";

/// One parsed SNDS line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SndsRow {
    pub ip: String,
    pub activity_start: String,
    pub activity_end: String,
    pub rcpt_commands: u64,
    pub data_commands: u64,
    pub recipients: u64,
    pub colour: Colour,
    pub complaint_rate: String,
    pub trap_hits: u64,
}

/// One sending IP: SNDS's view beside ours.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SndsIp {
    pub source_ip: String,
    /// The worst filter result of the IP's SNDS lines; `None`: SNDS does not list the IP.
    pub status: Option<Colour>,
    /// SNDS lines (activity periods, normally days) for the IP.
    pub periods: u64,
    pub activity_start: Option<String>,
    pub activity_end: Option<String>,
    pub rcpt_commands: u64,
    pub data_commands: u64,
    pub recipients: u64,
    /// The complaint rate of the IP's last SNDS line, as SNDS writes it (`< 0.1%`).
    pub complaint_rate: Option<String>,
    pub trap_hits: u64,
    /// Our attempts and deliveries toward the rolled-up `outlook.com` from the IP.
    pub attempts: u64,
    pub delivered: u64,
    /// Our top deferral and bounce codes toward Microsoft from the IP.
    #[serde(serialize_with = "super::ser::pairs")]
    pub codes: Vec<(String, u64)>,
    pub action: String,
}

/// The SNDS join.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Snds {
    pub path: String,
    /// Why the file could not be read, if so.
    pub error: Option<String>,
    /// Lines read as data.
    pub rows: u64,
    pub malformed: Vec<Malformed>,
    /// Worst colour first, then IPs only we know, then IPs only SNDS knows; IP ascending within.
    pub ips: Vec<SndsIp>,
}

fn number(field: &str, name: &str) -> Result<u64, String> {
    let f = field.trim();
    if f.is_empty() {
        return Ok(0);
    }
    f.replace(',', "")
        .parse()
        .map_err(|_| format!("{name} `{f}` is not a number"))
}

/// Parses one line's fields.
pub fn parse_row(fields: &csv::StringRecord) -> Result<SndsRow, String> {
    if fields.len() != COLUMNS {
        return Err(format!(
            "expected {COLUMNS} comma-separated fields (SNDS export), found {}",
            fields.len()
        ));
    }
    let f = |i: usize| fields.get(i).unwrap_or_default().trim();
    let ip = f(0);
    if ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("`{ip}` is not an IP address"));
    }
    let colour = Colour::parse(f(6))
        .ok_or_else(|| format!("filter result `{}` is not GREEN, YELLOW or RED", f(6)))?;
    Ok(SndsRow {
        ip: ip.to_string(),
        activity_start: f(1).to_string(),
        activity_end: f(2).to_string(),
        rcpt_commands: number(f(3), "RCPT commands")?,
        data_commands: number(f(4), "DATA commands")?,
        recipients: number(f(5), "recipients")?,
        colour,
        complaint_rate: f(7).to_string(),
        trap_hits: number(f(10), "trap hits")?,
    })
}

/// Reads an SNDS export: its rows and its malformed lines. Err: the file cannot be read.
pub fn read(path: &Path) -> Result<(Vec<SndsRow>, Vec<Malformed>), std::io::Error> {
    // Bounded: `--snds /dev/zero` must not eat the memory (see `config::side_file`).
    let data = crate::config::side_file::read(path, crate::config::side_file::SNDS)?;
    Ok(parse(&data, &path.display().to_string()))
}

/// Parses an SNDS export held in memory; `name` is used in malformed-line reports. Lines are
/// split first (an export holds no quoted newlines), so every report names the exact line.
pub fn parse(data: &[u8], name: &str) -> (Vec<SndsRow>, Vec<Malformed>) {
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    let mut rec = csv::StringRecord::new();
    for (i, line) in data.split(|b| *b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            continue;
        }
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(line);
        let parsed = match rdr.read_record(&mut rec) {
            Ok(_) => parse_row(&rec),
            Err(e) => Err(e.to_string()),
        };
        match parsed {
            Ok(r) => rows.push(r),
            Err(reason) => bad.push(Malformed {
                path: name.to_string(),
                line: i as u64 + 1,
                reason,
            }),
        }
    }
    (rows, bad)
}

/// Joins SNDS rows with our traffic toward Microsoft, per IP.
pub fn join(rows: &[SndsRow], agg: &Aggregates, classifier: &Classifier) -> Vec<SndsIp> {
    let mut ours: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for b in agg.microsoft_source_ips() {
        let c = &b.counts.counts;
        if super::tiers::is_sending_ip(&b.key) && c.attempts() > 0 {
            ours.insert(b.key.to_string(), (c.attempts(), c.delivered()));
        }
    }
    let mut theirs: BTreeMap<&str, Vec<&SndsRow>> = BTreeMap::new();
    for r in rows {
        theirs.entry(&r.ip).or_default().push(r);
    }
    let mut ips: Vec<&str> = ours.keys().map(String::as_str).collect();
    ips.extend(theirs.keys().copied());
    ips.sort_unstable();
    ips.dedup();
    let mut out: Vec<SndsIp> = ips
        .into_iter()
        .map(|ip| {
            let (attempts, delivered) = ours.get(ip).copied().unwrap_or_default();
            let lines = theirs.get(ip).map(Vec::as_slice).unwrap_or_default();
            let status = lines.iter().map(|r| r.colour).max();
            let codes = if attempts > 0 {
                let mut c = agg.microsoft_codes(ip, |c| classifier.code_name(c));
                c.truncate(TOP_CODES);
                c
            } else {
                Vec::new()
            };
            let action = match (status, attempts) {
                (Some(c), _) if attempts > 0 || c != Colour::Green => c.action(),
                (Some(_), _) => NOT_IN_LOGS,
                (None, _) => NOT_IN_SNDS,
            };
            SndsIp {
                source_ip: ip.to_string(),
                status,
                periods: lines.len() as u64,
                activity_start: lines.first().map(|r| r.activity_start.clone()),
                activity_end: lines.last().map(|r| r.activity_end.clone()),
                rcpt_commands: lines.iter().map(|r| r.rcpt_commands).sum(),
                data_commands: lines.iter().map(|r| r.data_commands).sum(),
                recipients: lines.iter().map(|r| r.recipients).sum(),
                complaint_rate: lines.last().map(|r| r.complaint_rate.clone()),
                trap_hits: lines.iter().map(|r| r.trap_hits).sum(),
                attempts,
                delivered,
                codes,
                action: action.to_string(),
            }
        })
        .collect();
    out.sort_by_key(|s| (rank(s), s.source_ip.clone()));
    out
}

/// Order of the join: RED, YELLOW, ours only, GREEN, SNDS only.
fn rank(s: &SndsIp) -> u8 {
    match (s.status, s.attempts > 0) {
        (Some(Colour::Red), _) => 0,
        (Some(Colour::Yellow), _) => 1,
        (None, _) => 2,
        (Some(Colour::Green), true) => 3,
        (Some(Colour::Green), false) => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_or_say_why_not() {
        let data = b"192.0.2.1,1/14/2026 12:00 AM,1/14/2026 11:59 PM,1000,990,1000,GREEN,< 0.1%,,,0,mail.example.com,bounce@example.com,\n\
\n\
192.0.2.2,a,b,10,10,10,PURPLE,< 0.1%,,,0,h,m,\n\
192.0.2.3,a,b,10,10\n\
nonsense,a,b,1,1,1,RED,1%,,,0,h,m,\n\
192.0.2.4,a,b,\"1,200\",5,5,red,0.5%,a,b,3,h,m,c\n\
192.0.2.5,a,b,x,5,5,RED,0.5%,a,b,3,h,m,c\n";
        let (rows, bad) = parse(data, "snds.csv");
        assert_eq!(
            rows.iter()
                .map(|r| (r.ip.as_str(), r.colour))
                .collect::<Vec<_>>(),
            [("192.0.2.1", Colour::Green), ("192.0.2.4", Colour::Red)]
        );
        assert_eq!(rows[1].rcpt_commands, 1200);
        assert_eq!(rows[1].trap_hits, 3);
        let got: Vec<(u64, bool)> = bad.iter().map(|m| (m.line, m.path == "snds.csv")).collect();
        assert_eq!(got, [(3, true), (4, true), (5, true), (7, true)]);
        assert!(bad[0].reason.contains("PURPLE"), "{:?}", bad[0]);
        assert!(bad[1].reason.contains("found 5"), "{:?}", bad[1]);
        assert!(bad[2].reason.contains("not an IP"), "{:?}", bad[2]);
        assert!(bad[3].reason.contains("RCPT commands `x`"), "{:?}", bad[3]);
    }
}
