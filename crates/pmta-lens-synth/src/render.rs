//! One event rendered as one CSV row: which columns each record type fills, recipients, message
//! ids and the per-row parts of replies.

use super::columns::{Col, Piece, Tpl};
use super::compiled::{CDomain, Compiled};
use super::events::{Event, Kind, Special};
use super::numbers::{Rng, TimeFmt, civil_from_days, put_hex, put_i64, put_u64, put2};
use super::profile::Provider;
use super::responses::{CATALOGUE, RespKind};
use pmta_lens_core::duration::DAY;

/// Cuts the row that starts at `start` after its `keep`-th field (quote-aware).
pub(super) fn cut_after_fields(buf: &mut Vec<u8>, start: usize, keep: usize) {
    let mut fields = 1;
    let mut quoted = false;
    for i in start..buf.len() {
        match buf[i] {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                if fields == keep {
                    buf.truncate(i);
                    return;
                }
                fields += 1;
            }
            _ => {}
        }
    }
}

/// Per-message values derived from `msg`, so a row and its follow-ups agree.
pub(super) fn msg_part(msg: u64, salt: u64) -> u64 {
    let mut r = Rng(msg ^ salt);
    r.next()
}

/// The recipient domain of one row as written, and the MX host its message went to.
pub(super) struct RowDomain<'a> {
    pub(super) dom: &'a CDomain,
    /// The name when it is derived from a tail rank or the row's number.
    pub(super) derived: [u8; 40],
    pub(super) len: usize,
    /// Seeds a derived name's MX addresses; `None` for a named domain.
    pub(super) key: Option<u64>,
    /// Which of the destination's four MX addresses (0..4).
    pub(super) mx: usize,
}

impl<'a> RowDomain<'a> {
    pub(super) fn new(c: &'a Compiled, ev: &Event, serial: u64) -> RowDomain<'a> {
        let mut rd = RowDomain {
            dom: &c.domains[ev.domain],
            derived: [0; 40],
            len: 0,
            key: None,
            mx: usize::from((ev.msg >> 60).to_le_bytes()[0] & 3),
        };
        if c.unique_per_row {
            rd.push(b"a");
            rd.push_u64(serial);
            rd.push(b".example");
            rd.key = Some(serial);
        } else if ev.rank > 0 {
            let rank = u64::from(ev.rank);
            let (prefix, suffix): (&[u8], &[u8]) = match msg_part(rank, c.seed ^ 0x7a11_4a3e) % 4 {
                0 => (b"shop", b".example"),
                1 => (b"n", b".example.net"),
                2 => (b"co", b".example.org"),
                _ => (b"biz", b".example.com"),
            };
            rd.push(prefix);
            rd.push_u64(rank);
            rd.push(suffix);
            rd.key = Some(rank ^ c.seed.rotate_left(17));
        }
        rd
    }

    pub(super) fn push(&mut self, bytes: &[u8]) {
        let end = (self.len + bytes.len()).min(self.derived.len());
        self.derived[self.len..end].copy_from_slice(&bytes[..end - self.len]);
        self.len = end;
    }

    pub(super) fn push_u64(&mut self, v: u64) {
        self.push(itoa::Buffer::new().format(v).as_bytes());
    }

    pub(super) fn name(&self) -> &[u8] {
        if self.key.is_some() {
            &self.derived[..self.len]
        } else {
            self.dom.name.as_bytes()
        }
    }

    /// A derived name at a destination with its own MX hosts (own MX, Office 365) gets hosts
    /// named after it; at Gmail, Yahoo and Microsoft consumer it uses the provider's.
    pub(super) fn own_hosts(&self) -> Option<u64> {
        self.key
            .filter(|_| matches!(self.dom.provider, Provider::Other | Provider::Office365))
    }

    pub(super) fn put_queue(&self, buf: &mut Vec<u8>) {
        if self.key.is_some() {
            buf.extend_from_slice(self.name());
        } else {
            buf.extend_from_slice(self.dom.queue.as_bytes());
        }
    }

    /// The host of MX number `mx` (0 or 1) of a derived name.
    pub(super) fn put_own_host(&self, buf: &mut Vec<u8>, mx: usize) {
        if self.dom.provider == Provider::Office365 {
            for &b in self.name() {
                buf.push(if b == b'.' { b'-' } else { b });
            }
            buf.extend_from_slice(b".mail.protection.outlook.com");
        } else {
            buf.extend_from_slice(if mx.is_multiple_of(2) {
                b"mx1."
            } else {
                b"mx2."
            });
            buf.extend_from_slice(self.name());
        }
    }

    pub(super) fn put_ip(&self, buf: &mut Vec<u8>) {
        let Some(key) = self.own_hosts() else {
            buf.extend_from_slice(&self.dom.mx[self.mx].ip);
            return;
        };
        let h = msg_part(key, 0x6d78 + self.mx as u64);
        if self.dom.provider == Provider::Office365 {
            buf.extend_from_slice(b"52.101.");
        } else {
            // RFC 2544 benchmarking range: not routable, not ours.
            buf.extend_from_slice(if h & 1 == 0 { b"198.18." } else { b"198.19." });
        }
        put_u64(buf, (h >> 8) % 256);
        buf.push(b'.');
        put_u64(buf, 1 + (h >> 16) % 250);
    }

    /// `dsnMta`: `host (ip)`.
    pub(super) fn put_dsn_mta(&self, buf: &mut Vec<u8>) {
        if self.own_hosts().is_none() {
            buf.extend_from_slice(&self.dom.mx[self.mx].dsn_mta);
            return;
        }
        self.put_own_host(buf, self.mx);
        buf.extend_from_slice(b" (");
        self.put_ip(buf);
        buf.push(b')');
    }

    /// `dsnReportingMta` of a remote DSN: the main MX host.
    pub(super) fn put_mx_host(&self, buf: &mut Vec<u8>) {
        if self.own_hosts().is_some() {
            self.put_own_host(buf, 0);
        } else {
            buf.extend_from_slice(self.dom.mx_host.as_bytes());
        }
    }
}

/// Seeds the per-row ids of [`Profile::per_row_ids`]: differs between a message's attempts.
pub(super) fn row_key(ev: &Event) -> u64 {
    msg_part(
        ev.msg
            ^ (ev.logged as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (u64::from(ev.attempt) << 56)
            ^ ((ev.kind as u64) << 48),
        0x51d,
    )
}

/// A Microsoft front-end tag such as `BAY004-MC1F37`.
pub(super) fn put_ms_frontend(buf: &mut Vec<u8>, key: u64) {
    const SITES: [&[u8]; 8] = [
        b"BAY004", b"SNT004", b"COL004", b"BLU004", b"DUB004", b"SNT0", b"COL0", b"BAY0",
    ];
    let h = msg_part(key, 0xfe);
    buf.extend_from_slice(SITES[(h % 8) as usize]);
    buf.extend_from_slice(b"-MC");
    put_u64(buf, 1 + (h >> 8) % 9);
    buf.push(b'F');
    put_u64(buf, 1 + (h >> 16) % 60);
}

/// A Microsoft trailer: `[BL6PEPF00012345.namprd02.prod.outlook.com 2026-11-20T14:03:11.123Z
/// 08DD0A1B2C3D4E5F]` (front-end host, UTC time with milliseconds, a transaction id).
pub(super) fn put_ms_trailer(buf: &mut Vec<u8>, key: u64, logged: i64) {
    const HOSTS: [&[u8]; 12] = [
        b"BL6", b"SN1", b"CH2", b"DM6", b"AM4", b"DB5", b"PH0", b"BN8", b"CY4", b"MW2", b"SA1",
        b"LV3",
    ];
    const REGIONS: [&[u8]; 8] = [
        b"namprd02",
        b"namprd03",
        b"namprd04",
        b"namprd11",
        b"namprd12",
        b"eurprd04",
        b"eurprd83",
        b"apcprd06",
    ];
    let h = msg_part(key, 0x7a);
    buf.push(b'[');
    buf.extend_from_slice(HOSTS[(h % 12) as usize]);
    buf.extend_from_slice(b"PEPF000");
    put_hex(buf, h >> 8, 5, true);
    buf.push(b'.');
    buf.extend_from_slice(REGIONS[((h >> 40) % 8) as usize]);
    buf.extend_from_slice(b".prod.outlook.com ");
    let (year, month, day) = civil_from_days(logged.div_euclid(DAY));
    let sod = logged.rem_euclid(DAY).unsigned_abs();
    let mut stamp = *b"0000-00-00T00:00:00.000Z";
    let year = year.clamp(0, 9999).unsigned_abs();
    put2(&mut stamp, 0, year / 100);
    put2(&mut stamp, 2, year % 100);
    put2(&mut stamp, 5, month);
    put2(&mut stamp, 8, day);
    put2(&mut stamp, 11, sod / 3600);
    put2(&mut stamp, 14, sod / 60 % 60);
    put2(&mut stamp, 17, sod % 60);
    let millis = (h >> 44) % 1000;
    stamp[20] = b'0' + (millis / 100).to_le_bytes()[0];
    put2(&mut stamp, 21, millis % 100);
    buf.extend_from_slice(&stamp);
    buf.extend_from_slice(b" 08DD");
    put_hex(buf, msg_part(key, 0x1d), 12, true);
    buf.push(b']');
}

pub(super) fn put_tpl(buf: &mut Vec<u8>, tpl: &Tpl, c: &Compiled, ev: &Event, rd: &RowDomain) {
    if tpl.quoted {
        buf.push(b'"');
    }
    for piece in &tpl.pieces {
        match piece {
            Piece::Lit(bytes) => buf.extend_from_slice(bytes),
            Piece::Ip => buf.extend_from_slice(&c.vmtas[ev.vmta].ip),
            Piece::MsgId => {
                buf.push(b'<');
                put_hex(buf, ev.msg, 16, false);
                buf.extend_from_slice(b"@mail.");
                buf.extend_from_slice(c.sdomain.as_bytes());
                buf.push(b'>');
            }
            Piece::Rcpt => put_rcpt(buf, rd, ev),
            Piece::RDomain => buf.extend_from_slice(rd.name()),
            Piece::SDomain => buf.extend_from_slice(c.sdomain.as_bytes()),
            Piece::SDomainUpper => buf.extend_from_slice(c.sdomain_upper.as_bytes()),
            Piece::Gid if c.per_row_ids => {
                // Today's form, new on every attempt: d2e1a72fcca58-6f2a1b9c7e3si1234567qkb.123
                let key = row_key(ev);
                put_hex(buf, msg_part(key, 1), 13, false);
                buf.push(b'-');
                put_hex(buf, msg_part(key, 2), 11, false);
                buf.extend_from_slice(b"si");
                put_u64(buf, 1_000_000 + msg_part(key, 3) % 9_000_000);
                let mut letters = msg_part(key, 4);
                for _ in 0..3 {
                    buf.push(b'a' + (letters % 26).to_le_bytes()[0]);
                    letters /= 26;
                }
                buf.push(b'.');
                put_u64(buf, 1 + msg_part(key, 5) % 999);
            }
            Piece::Gid => {
                let g = msg_part(ev.msg, 1);
                put_hex(buf, g, 13, false);
                buf.push(b'-');
                put_hex(buf, g >> 20, 11, false);
                buf.extend_from_slice(b"si");
                put_u64(buf, 10_000_000 + msg_part(ev.msg, 2) % 90_000_000);
                buf.push(b'.');
                put_u64(buf, 100 + msg_part(ev.msg, 3) % 900);
            }
            Piece::Ts => put_i64(buf, ev.logged),
            Piece::Size => put_u64(buf, msg_size(ev.msg)),
            Piece::Qid => put_hex(buf, msg_part(ev.msg, 4), 10, true),
            Piece::N => put_u64(buf, 100_000 + msg_part(ev.msg, 5) % 900_000),
            Piece::MsFrontend => put_ms_frontend(buf, row_key(ev)),
            Piece::MsTrailer => put_ms_trailer(buf, row_key(ev), ev.logged),
        }
    }
    if tpl.quoted {
        buf.push(b'"');
    }
}

pub(super) fn msg_size(msg: u64) -> u64 {
    8_000 + msg_part(msg, 6) % 80_000
}

pub(super) fn put_rcpt(buf: &mut Vec<u8>, rd: &RowDomain, ev: &Event) {
    buf.extend_from_slice(b"user");
    put_u64(buf, 10_000 + ev.user);
    buf.push(b'@');
    buf.extend_from_slice(rd.name());
}

/// The reporting MTA of a feedback report: Microsoft's or Yahoo's, never ours.
pub(super) fn put_reporter(buf: &mut Vec<u8>, ev: &Event, provider: Provider, with_host: bool) {
    let x = msg_part(ev.msg, 7);
    let (c, d) = (x % 64, 1 + (x >> 8) % 250);
    if provider == Provider::Yahoo {
        if with_host {
            buf.extend_from_slice(b"sonic30");
            put_u64(buf, c % 10);
            buf.extend_from_slice(b".consmr.mail.gq1.yahoo.com (");
        }
        buf.extend_from_slice(b"66.163.");
        put_u64(buf, 128 + c);
    } else {
        if with_host {
            buf.extend_from_slice(b"mail-oln0400920");
            put_u64(buf, 10 + c);
            put_u64(buf, 100 + d);
            buf.extend_from_slice(b".outbound.protection.outlook.com (");
        }
        buf.extend_from_slice(b"40.92.");
        put_u64(buf, 10 + c);
    }
    buf.push(b'.');
    put_u64(buf, d);
    if with_host {
        buf.push(b')');
    }
}

/// Writes one row (no line ending). The match says which columns each record type fills;
/// anything not listed stays empty, as in real files.
#[allow(clippy::too_many_lines)] // one arm per column keeps the layout readable in one place
/// `serial` is the row's number (from 0), for [`Profile::unique_per_row`].
pub(super) fn render(
    c: &Compiled,
    time: &mut TimeFmt,
    ev: &Event,
    special: Special,
    serial: u64,
    buf: &mut Vec<u8>,
) {
    let k = ev.kind;
    let resp = ev.resp.map(|r| &CATALOGUE[r]);
    let expired = resp.is_some_and(|r| r.kind == RespKind::Expire);
    let rd = RowDomain::new(c, ev, serial);
    let dom = rd.dom;
    let camp = &c.campaigns[ev.campaign];
    let vm = &c.vmtas[ev.vmta];
    // Rows that went through an SMTP conversation from one of our IPs.
    let smtp_out = matches!(k, Kind::D | Kind::T) || (k == Kind::B && !expired);
    // Rows about a message in one of our queues (an expired bounce still names its queue).
    let queued = matches!(k, Kind::D | Kind::T | Kind::B | Kind::Tq);
    let no_answer = k == Kind::Tq && resp.is_some_and(|r| r.diag.is_empty());
    let message = !matches!(k, Kind::Tq);
    let with_headers = matches!(k, Kind::D | Kind::T | Kind::B | Kind::R | Kind::F);
    for (i, col) in c.cols.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        match col {
            Col::Type => buf.extend_from_slice(k.token()),
            Col::TimeLogged => match special {
                Special::BadTime if time.iso => buf.extend_from_slice(b"2026-13-45 99:00:00+0000"),
                Special::BadTime => buf.extend_from_slice(b"1795X83402"),
                _ => time.put(buf, ev.logged),
            },
            Col::TimeQueued if matches!(k, Kind::D | Kind::T | Kind::B | Kind::R) => {
                time.put(buf, ev.queued);
            }
            Col::Orig if message => buf.extend_from_slice(&camp.orig),
            Col::Rcpt if message => put_rcpt(buf, &rd, ev),
            Col::OriginalRecipient if k == Kind::F => put_rcpt(buf, &rd, ev),
            Col::DsnAction => buf.extend_from_slice(match k {
                Kind::D => b"relayed",
                Kind::T | Kind::Rs => b"delayed",
                Kind::B | Kind::Rb => b"failed",
                _ => b"",
            }),
            Col::DsnStatus => {
                if let Some(r) = ev.resp {
                    buf.extend_from_slice(&c.statuses[r]);
                }
            }
            Col::DsnDiag => {
                if let Some(r) = ev.resp {
                    put_tpl(buf, &c.diags[r], c, ev, &rd);
                }
            }
            Col::DsnMta if smtp_out || matches!(k, Kind::Tq | Kind::Rb | Kind::Rs) => {
                rd.put_dsn_mta(buf);
            }
            Col::BounceCat if matches!(k, Kind::T | Kind::B | Kind::Rb) => {
                if let Some(r) = resp {
                    buf.extend_from_slice(r.cat.as_bytes());
                }
            }
            Col::SrcType if message => buf.extend_from_slice(b"smtp"),
            Col::SrcMta => match k {
                Kind::D | Kind::T | Kind::B | Kind::R => buf.extend_from_slice(&c.injector_mta),
                Kind::F => put_reporter(buf, ev, dom.provider, true),
                Kind::Rb | Kind::Rs => rd.put_dsn_mta(buf),
                Kind::Tq => {}
            },
            Col::DlvType if smtp_out || k == Kind::Tq => buf.extend_from_slice(b"smtp"),
            Col::DlvSourceIp => match k {
                // PowerMTA writes 0.0.0.0 when no connection was made (manual's tq sample).
                Kind::Tq if no_answer => buf.extend_from_slice(b"0.0.0.0"),
                Kind::F => put_reporter(buf, ev, dom.provider, false),
                _ if smtp_out || k == Kind::Tq => buf.extend_from_slice(&vm.ip),
                _ => {}
            },
            Col::DlvDestinationIp if smtp_out || k == Kind::Tq => rd.put_ip(buf),
            Col::DlvEsmtpAvailable if smtp_out => buf.extend_from_slice(dom.esmtp),
            Col::DlvSize if k == Kind::D => put_u64(buf, msg_size(ev.msg)),
            Col::Vmta if queued || k == Kind::R => {
                buf.extend_from_slice(&vm.name);
            }
            Col::JobId | Col::HeaderXJob if message && c.unique_per_row => {
                buf.push(b'j');
                put_u64(buf, serial);
            }
            Col::JobId | Col::HeaderXJob if message => buf.extend_from_slice(&camp.job),
            Col::EnvId if message && c.unique_per_row => {
                buf.push(b'e');
                put_u64(buf, serial);
            }
            Col::EnvId if message && camp.api && k != Kind::F => {
                buf.extend_from_slice(b"e-");
                put_hex(buf, msg_part(ev.msg, 8), 10, false);
            }
            Col::Queue if queued => {
                rd.put_queue(buf);
                buf.push(b'/');
                buf.extend_from_slice(&vm.name);
            }
            Col::VmtaPool if queued => buf.extend_from_slice(&vm.pool),
            Col::SubaccountId if with_headers && camp.api => put_u64(buf, camp.subaccount),
            Col::SpMessageId if message && camp.api => {
                put_hex(buf, msg_part(ev.msg, 9), 20, true);
            }
            Col::RepSourceIp if k == Kind::F => buf.extend_from_slice(&vm.ip),
            Col::FeedbackType if k == Kind::F => buf.extend_from_slice(b"abuse"),
            Col::Format if k == Kind::F => {
                let format: &[u8] = if dom.provider == Provider::Yahoo {
                    b"arf"
                } else {
                    b"jmrp"
                };
                buf.extend_from_slice(format);
            }
            Col::UserAgent if k == Kind::F && dom.provider == Provider::Yahoo => {
                buf.extend_from_slice(b"Yahoo!-Mail-Feedback/2.0");
            }
            Col::ReportedDomain if k == Kind::F && dom.provider == Provider::Yahoo => {
                buf.extend_from_slice(c.sdomain.as_bytes());
            }
            Col::HeaderFrom if with_headers => buf.extend_from_slice(&camp.from),
            // The final MTA adds Return-Path: only copies that came back (reports, bounces) have it.
            Col::HeaderReturnPath if matches!(k, Kind::F | Kind::Rb) => {
                buf.extend_from_slice(&camp.return_path);
            }
            Col::HeaderSubject if with_headers => {
                let tpl = if special == Special::Multiline {
                    &c.multiline_subject
                } else {
                    &camp.subjects[ev.subject]
                };
                put_tpl(buf, tpl, c, ev, &rd);
            }
            Col::RcvSourceIp if k == Kind::R => buf.extend_from_slice(&c.injector_ip),
            // Only rows that stand for a DSN name its reporting MTA.
            Col::DsnReportingMta => match k {
                Kind::B => buf.extend_from_slice(&c.reporting_mta),
                Kind::Rb | Kind::Rs => rd.put_mx_host(buf),
                _ => {}
            },
            _ => {}
        }
    }
}
