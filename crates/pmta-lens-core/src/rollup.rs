//! Destination rollup: which bucket a recipient domain counts under. Microsoft's consumer domains
//! (hotmail.*, live.*, msn.com, windowslive.com, outlook.com) share one MX infrastructure and one
//! set of limits, so they count as one `outlook.com`, as the reference article's mx-rollup does.
//!
//! Order (first that applies): operator rollups (from the `PowerMTA` config, when given), the
//! built-in Microsoft family, a `NAME.rollup` queue name `PowerMTA` wrote for the domain, the MX
//! host seen in `dsnMta` (`*.olc.protection.outlook.com` is Microsoft consumer mail), else the
//! domain itself, lowercased. The scan learns queue names and MX hosts per domain; the rollup is
//! decided once per distinct domain when aggregates are merged, so a domain rolls up the same way
//! on every row.

use rustc_hash::FxHashMap;

/// The bucket every Microsoft consumer domain rolls up to.
pub const MICROSOFT: &str = "outlook.com";

/// The article's list of Microsoft consumer domains.
pub const MICROSOFT_FAMILY: [&str; 10] = [
    "hotmail.com",
    "hotmail.co.uk",
    "hotmail.de",
    "hotmail.fr",
    "live.com",
    "live.co.uk",
    "live.de",
    "msn.com",
    "windowslive.com",
    "outlook.com",
];

/// Whether an ASCII domain, in any case, is one of the Microsoft family (as [`Rollup::fixed`]
/// finds it once lowercased), without lowercasing it: this runs once per new domain per worker,
/// and a large sender's day brings a million.
pub fn is_microsoft_family_ascii(domain: &[u8]) -> bool {
    MICROSOFT_FAMILY
        .iter()
        .any(|m| m.len() == domain.len() && m.as_bytes().eq_ignore_ascii_case(domain))
}

/// Whether an MX host (from `dsnMta`, `host (ip)`) is Microsoft consumer mail. Office 365
/// tenants (`*.mail.protection.outlook.com`) are business domains with their own limits and are
/// deliberately not included.
pub fn is_microsoft_consumer_mx(dsn_mta: &[u8]) -> bool {
    // Called on every row: the host ends at the first space; suffixes compare 8 bytes at a time.
    let host = memchr::memchr(b' ', dsn_mta).map_or(dsn_mta, |p| &dsn_mta[..p]);
    let host = host.strip_suffix(b".").unwrap_or(host);
    ends_with_lowercase(host, b".olc.protection.outlook.com")
        || (starts_with_ignore_case(host, b"mx") && ends_with_lowercase(host, b".hotmail.com"))
}

/// Whether `s` ends with `suffix` (lowercase ASCII) ignoring ASCII case, as
/// [`ends_with_ignore_case`] but 8 bytes at a time.
#[inline]
fn ends_with_lowercase(s: &[u8], suffix: &[u8]) -> bool {
    let Some(start) = s.len().checked_sub(suffix.len()) else {
        return false;
    };
    let tail = &s[start..];
    let Some(last) = suffix.len().checked_sub(8) else {
        return tail.eq_ignore_ascii_case(suffix);
    };
    // Words at 0, 8, 16, ... and one ending at the end (overlapping the one before).
    (0..suffix.len())
        .step_by(8)
        .map(|at| at.min(last))
        .all(|at| lowercase_word(word(tail, at)) == word(suffix, at))
}

#[inline]
fn word(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// ASCII-lowercases the 8 bytes of `w` (bytes >= 0x80 unchanged).
#[inline]
fn lowercase_word(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Per byte, with the top bit cleared so nothing carries: 0x80 set iff `A` <= byte <= `Z`.
    let low7 = w & (ONES * 0x7f);
    let ge_a = low7 + ONES * (0x80 - u64::from(b'A'));
    let gt_z = low7 + ONES * (0x80 - u64::from(b'Z') - 1);
    let upper = ge_a & !gt_z & !w & (ONES * 0x80);
    w | (upper >> 2)
}

/// The rollup name in a queue (`yahoo.rollup/vmta1` gives `yahoo.rollup`).
pub fn queue_rollup(queue: &[u8]) -> Option<&[u8]> {
    let name = queue_domain(queue);
    ends_with_ignore_case(name, b".rollup").then_some(name)
}

/// The domain part of a queue name (`hotmail.com/vmta-ms-01` gives `hotmail.com`).
pub fn queue_domain(queue: &[u8]) -> &[u8] {
    match memchr::memchr(b'/', queue) {
        Some(p) => &queue[..p],
        None => queue,
    }
}

/// The domain of an address (`User@Hotmail.com` gives `Hotmail.com`; case is kept, callers
/// lowercase once per distinct domain). Angle brackets and a trailing dot are dropped.
pub fn address_domain(addr: &[u8]) -> &[u8] {
    let d = match memchr::memrchr(b'@', addr) {
        Some(p) => &addr[p + 1..],
        None => return &[],
    };
    let d = d.strip_suffix(b">").unwrap_or(d);
    d.strip_suffix(b".").unwrap_or(d)
}

fn ends_with_ignore_case(s: &[u8], suffix: &[u8]) -> bool {
    s.len() >= suffix.len() && s[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// What the scan saw about one recipient domain that bears on its rollup.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DomainHints {
    /// A `NAME.rollup` queue name `PowerMTA` used for the domain (lowercase).
    pub queue_rollup: Option<String>,
    /// The domain was delivered to a Microsoft consumer MX.
    pub microsoft_mx: bool,
}

impl DomainHints {
    /// Combines what two scans saw. The smallest rollup name wins so the result does not depend on
    /// merge order (a domain normally has exactly one).
    pub fn merge(&mut self, other: &DomainHints) {
        self.microsoft_mx |= other.microsoft_mx;
        match (&self.queue_rollup, &other.queue_rollup) {
            (None, Some(o)) => self.queue_rollup = Some(o.clone()),
            (Some(s), Some(o)) if o < s => self.queue_rollup = Some(o.clone()),
            _ => {}
        }
    }
}

/// Decides rollups. Built with the operator's rollups (domain -> name) if a config gave any.
#[derive(Clone, Debug, Default)]
pub struct Rollup {
    operator: FxHashMap<String, String>,
}

impl Rollup {
    pub fn new(operator: FxHashMap<String, String>) -> Rollup {
        let operator = operator
            .into_iter()
            .map(|(d, r)| (d.to_ascii_lowercase(), r.to_ascii_lowercase()))
            .collect();
        Rollup { operator }
    }

    /// The bucket for a lowercase recipient domain, given what the scan saw about it.
    pub fn resolve(&self, domain: &str, hints: Option<&DomainHints>) -> String {
        if let Some(r) = self.fixed(domain) {
            return r.to_string();
        }
        if let Some(h) = hints {
            if let Some(r) = &h.queue_rollup {
                return r.clone();
            }
            if h.microsoft_mx {
                return MICROSOFT.to_string();
            }
        }
        domain.to_string()
    }

    /// Whether only the built-in Microsoft family applies (no config gave operator rollups).
    pub fn builtin_only(&self) -> bool {
        self.operator.is_empty()
    }

    /// The bucket a lowercase domain goes to whatever the scan sees about it (the operator's
    /// rollups, then the built-in Microsoft family), or `None` when hints decide.
    pub fn fixed(&self, domain: &str) -> Option<&str> {
        if let Some(r) = self.operator.get(domain) {
            return Some(r);
        }
        MICROSOFT_FAMILY.contains(&domain).then_some(MICROSOFT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft_family_rolls_up() {
        let r = Rollup::default();
        for d in MICROSOFT_FAMILY {
            assert_eq!(r.resolve(d, None), "outlook.com", "{d}");
        }
        assert_eq!(r.resolve("gmail.com", None), "gmail.com");
        assert_eq!(
            r.resolve("hotmail.it", None),
            "hotmail.it",
            "not in the article's list"
        );
    }

    #[test]
    fn family_found_in_any_case_without_lowercasing() {
        for d in MICROSOFT_FAMILY {
            assert!(is_microsoft_family_ascii(d.as_bytes()), "{d}");
            assert!(
                is_microsoft_family_ascii(d.to_uppercase().as_bytes()),
                "{d}"
            );
        }
        for d in ["hotmail.it", "outlook.co", "xoutlook.com", "", "msn.com."] {
            assert!(!is_microsoft_family_ascii(d.as_bytes()), "{d}");
        }
    }

    #[test]
    fn order_of_rules() {
        let mut op = FxHashMap::default();
        op.insert("Hotmail.com".to_string(), "MS.rollup".to_string());
        let r = Rollup::new(op);
        assert_eq!(
            r.resolve("hotmail.com", None),
            "ms.rollup",
            "operator first"
        );
        let queue = DomainHints {
            queue_rollup: Some("yahoo.rollup".into()),
            microsoft_mx: true,
        };
        assert_eq!(r.resolve("ymail.com", Some(&queue)), "yahoo.rollup");
        let mx = DomainHints {
            queue_rollup: None,
            microsoft_mx: true,
        };
        assert_eq!(r.resolve("hotmail.it", Some(&mx)), "outlook.com");
        assert_eq!(
            r.resolve("live.de", Some(&queue)),
            "outlook.com",
            "family before queue"
        );
    }

    #[test]
    fn microsoft_consumer_mx_only() {
        assert!(is_microsoft_consumer_mx(
            b"outlook-com.olc.protection.outlook.com (104.47.48.33)"
        ));
        assert!(is_microsoft_consumer_mx(
            b"hotmail-com.olc.protection.outlook.com. (104.47.1.2)"
        ));
        assert!(is_microsoft_consumer_mx(b"mx1.hotmail.com (65.55.37.104)"));
        assert!(!is_microsoft_consumer_mx(
            b"example-com.mail.protection.outlook.com (52.101.1.1)"
        ));
        assert!(!is_microsoft_consumer_mx(
            b"gmail-smtp-in.l.google.com (142.250.1.27)"
        ));
        assert!(!is_microsoft_consumer_mx(b""));
    }

    #[test]
    fn word_lowercasing_agrees_with_std() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..10_000 {
            // xorshift: every byte value turns up, letters of both cases included
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let want = u64::from_le_bytes(x.to_le_bytes().map(|b| b.to_ascii_lowercase()));
            assert_eq!(lowercase_word(x), want, "{x:#x}");
        }
        for b in 0..=255u8 {
            let w = u64::from(b) * 0x0101_0101_0101_0101;
            assert_eq!(lowercase_word(w).to_le_bytes()[3], b.to_ascii_lowercase());
        }
        for (s, suffix) in [
            (
                &b"A.OLC.Protection.Outlook.COM"[..],
                &b".olc.protection.outlook.com"[..],
            ),
            (
                b"x.olc.protection.outlook.co",
                b".olc.protection.outlook.com",
            ),
            (
                b"x.olc.protection.outlook.con",
                b".olc.protection.outlook.com",
            ),
            (
                b"x\x0eolc.protection.outlook.com",
                b".olc.protection.outlook.com",
            ),
            (
                b"x@olc.protection.outlook.com",
                b".olc.protection.outlook.com",
            ),
            (b"MX4.HOTMAIL.COM", b".hotmail.com"),
            (b"mx4.hotmail.co", b".hotmail.com"),
            (b"hotmail.com", b".hotmail.com"),
            (b"a.b", b".b"),
        ] {
            assert_eq!(
                ends_with_lowercase(s, suffix),
                ends_with_ignore_case(s, suffix),
                "{}",
                String::from_utf8_lossy(s)
            );
        }
    }

    #[test]
    fn addresses_and_queues() {
        assert_eq!(address_domain(b"User@Hotmail.COM"), b"Hotmail.COM");
        assert_eq!(address_domain(b"<a@b.example.>"), b"b.example");
        assert_eq!(address_domain(b"a\"@\"x@example.org"), b"example.org");
        assert_eq!(address_domain(b"no-at-sign"), b"");
        assert_eq!(queue_domain(b"hotmail.com/vmta-ms-01"), b"hotmail.com");
        assert_eq!(
            queue_rollup(b"yahoo.rollup/vmta18"),
            Some(&b"yahoo.rollup"[..])
        );
        assert_eq!(queue_rollup(b"yahoo.com/vmta18"), None);
    }

    #[test]
    fn hint_merge_is_order_independent() {
        let a = DomainHints {
            queue_rollup: Some("b.rollup".into()),
            microsoft_mx: false,
        };
        let b = DomainHints {
            queue_rollup: Some("a.rollup".into()),
            microsoft_mx: true,
        };
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, ba);
    }
}
