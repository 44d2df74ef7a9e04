//! The data model of a parsed `PowerMTA` config: locations, directives, domain blocks with their
//! patterns, virtual MTAs, pools, pattern lists, MX rollups and generic blocks. Plain data plus
//! small helpers; the queries that combine them (inheritance, rollups) live in `query.rs`. Reads
//! no files and never touches the accounting logs.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::Serialize;

/// Where something was written: the file (as reached, include paths resolved) and its 1-based
/// line. A directive continued over several lines with `\` has the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Loc {
    pub file: PathBuf,
    pub line: u32,
}

impl Loc {
    pub fn new(file: impl Into<PathBuf>, line: u32) -> Self {
        Self {
            file: file.into(),
            line,
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// How a block was written: `PowerMTA`'s own `<tag args>` ... `</tag>`, or the brace form
/// (`tag args { ... }`) that guides such as the reference article print and operators paste.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockForm {
    Angle,
    Brace,
}

/// One `name value` line as written, after comments, continuations and quoting were resolved.
/// Every line of the config becomes one (or, in the brace form, one per `key value` pair), known
/// or not, so that a lint can point at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directive {
    /// The first word, lowercased (directive names are case-insensitive). For pattern-list
    /// entries that start with a quoted text or a `/regex/`, that token as written.
    pub name: String,
    /// The rest of the line with runs of blanks outside quotes collapsed to one space; a value
    /// that is one quoted string is unquoted (`backoff-notify ""` has the empty value).
    pub value: String,
    pub loc: Loc,
    /// The enclosing blocks, outermost first, each as `tag args` (e.g. `virtual-mta-pool
    /// default`, `domain *`). Empty for a global directive.
    pub context: Vec<String>,
}

impl Directive {
    /// The value split into words, honouring double quotes (which are removed).
    pub fn args(&self) -> Vec<String> {
        super::lexer::split_words(&self.value)
    }
}

/// A `key value` setting inside a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// Lowercased directive name.
    pub key: String,
    /// As in [`Directive::value`].
    pub value: String,
    pub loc: Loc,
}

/// Which virtual MTAs a `<domain>` block applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Scope {
    /// A top-level block: every virtual MTA.
    Global,
    /// Nested in `<virtual-mta NAME>`.
    Vmta(String),
    /// Nested in `<virtual-mta-pool NAME>`: inherited by the pool's members.
    Pool(String),
}

/// One concrete domain pattern (after `$macro` expansion), as `PowerMTA` matches them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "domain", rename_all = "kebab-case")]
pub enum DomainPattern {
    /// `*`: every domain.
    Any,
    /// `*.x`: proper subdomains of x, not x itself.
    Subdomains(String),
    /// `[*.]x`: x and its subdomains.
    DomainAndSubdomains(String),
    /// A single domain (or any other name, such as `{sparkpost}` or a `NAME.rollup` queue).
    Exact(String),
}

impl DomainPattern {
    /// Parses one expanded pattern (no `$` left). Lowercases; a trailing dot is ignored.
    pub fn parse(text: &str) -> Self {
        let text = text.trim().trim_end_matches('.').to_ascii_lowercase();
        if text == "*" {
            Self::Any
        } else if let Some(rest) = text.strip_prefix("[*.]") {
            Self::DomainAndSubdomains(rest.to_owned())
        } else if let Some(rest) = text.strip_prefix("*.") {
            Self::Subdomains(rest.to_owned())
        } else {
            Self::Exact(text)
        }
    }

    /// Whether `domain` (already lowercased, no trailing dot) matches.
    pub fn matches(&self, domain: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(d) => d == domain,
            Self::Subdomains(d) => is_proper_subdomain(domain, d),
            Self::DomainAndSubdomains(d) => domain == d || is_proper_subdomain(domain, d),
        }
    }

    /// Rank used to pick the most specific match (bigger wins). An exact name beats every
    /// wildcard; between wildcards the longer suffix wins, and for the same suffix `*.x` beats
    /// `[*.]x` because it matches a strict subset (the manual lists them in that order); `*`
    /// comes last.
    pub(crate) fn specificity(&self) -> (u8, usize, u8) {
        match self {
            Self::Any => (0, 0, 0),
            Self::DomainAndSubdomains(d) => (1, labels(d), 0),
            Self::Subdomains(d) => (1, labels(d), 1),
            Self::Exact(d) => (2, labels(d), 0),
        }
    }
}

impl fmt::Display for DomainPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Subdomains(d) => write!(f, "*.{d}"),
            Self::DomainAndSubdomains(d) => write!(f, "[*.]{d}"),
            Self::Exact(d) => f.write_str(d),
        }
    }
}

fn labels(domain: &str) -> usize {
    domain.split('.').filter(|l| !l.is_empty()).count()
}

fn is_proper_subdomain(domain: &str, parent: &str) -> bool {
    domain.len() > parent.len() + 1
        && domain.ends_with(parent)
        && domain.as_bytes()[domain.len() - parent.len() - 1] == b'.'
}

/// A pattern of a domain block after macro expansion, remembering whether a macro produced it:
/// the manual says "specifically listed domains always take precedence over expanded ones".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matcher {
    pub pattern: DomainPattern,
    pub from_macro: bool,
}

/// A `<domain PATTERN>` block (or `domain PATTERN { }` in the brace form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainBlock {
    /// The pattern as written, lowercased (`*`, `*.x`, `[*.]x`, `hotmail.com`, `$hotmail`,
    /// `yahoo.$tld`).
    pub pattern: String,
    /// What the pattern matches after `domain-macro` expansion. Empty when it names a macro that
    /// is not defined (`PowerMTA` would refuse such a config; here it just matches nothing).
    pub matchers: Vec<Matcher>,
    pub scope: Scope,
    pub settings: Vec<Setting>,
    pub form: BlockForm,
    pub loc: Loc,
}

impl DomainBlock {
    /// The last setting of `key` in this block (a later line overrides an earlier one).
    pub fn get(&self, key: &str) -> Option<&Setting> {
        last_setting(&self.settings, key)
    }

    /// The rank of this block's best matcher for `domain`, if any matches.
    pub(crate) fn match_rank(&self, domain: &str) -> Option<(u8, usize, u8, u8)> {
        self.matchers
            .iter()
            .filter(|m| m.pattern.matches(domain))
            .map(|m| {
                let (class, len, kind) = m.pattern.specificity();
                (class, len, kind, u8::from(!m.from_macro))
            })
            .max()
    }
}

/// `smtp-source-host IP HOST` of a virtual MTA. The address is kept as written: configs carry
/// placeholders (`YourIP`) and CIDR ranges (`10/8`) as well as plain addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceHost {
    pub ip: String,
    /// The HELO name; empty when the line gives none.
    pub host: String,
    pub loc: Loc,
}

impl SourceHost {
    /// Whether `ip` is this source address, or inside it when it is a CIDR range.
    pub fn contains(&self, ip: &str) -> bool {
        if self.ip.eq_ignore_ascii_case(ip) {
            return true;
        }
        let Ok(addr) = ip.trim().parse::<IpAddr>() else {
            return false;
        };
        cidr_contains(&self.ip, addr)
    }
}

/// `a.b.c.d`, `a.b/16`-style short CIDR (as `PowerMTA` writes `10/8`, `0/0`) or IPv6 with
/// `/len`. Returns false for anything it cannot read.
fn cidr_contains(spec: &str, addr: IpAddr) -> bool {
    let (base, len) = match spec.split_once('/') {
        Some((b, l)) => match l.trim().parse::<u32>() {
            Ok(l) => (b.trim(), Some(l)),
            Err(_) => return false,
        },
        None => (spec.trim(), None),
    };
    match addr {
        IpAddr::V4(a) => {
            let parts: Vec<&str> = base.split('.').collect();
            if parts.is_empty() || parts.len() > 4 {
                return false;
            }
            let mut octets = [0u8; 4];
            for (i, p) in parts.iter().enumerate() {
                match p.parse::<u8>() {
                    Ok(v) => octets[i] = v,
                    Err(_) => return false,
                }
            }
            let len = len.unwrap_or(32).min(32);
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            (u32::from(a) & mask) == (u32::from_be_bytes(octets) & mask)
        }
        IpAddr::V6(a) => {
            let Ok(b) = base.parse::<std::net::Ipv6Addr>() else {
                return false;
            };
            let len = len.unwrap_or(128).min(128);
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            (u128::from(a) & mask) == (u128::from(b) & mask)
        }
    }
}

/// A `<virtual-mta NAME>` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vmta {
    pub name: String,
    pub source_ips: Vec<SourceHost>,
    /// Its nested `<domain>` blocks (the same blocks also appear in [`super::Config::domains`]
    /// with scope [`Scope::Vmta`]).
    pub domains: Vec<DomainBlock>,
    /// Its other directives (`domain-key`, a VMTA-wide `max-smtp-out`, ...).
    pub settings: Vec<Setting>,
    pub form: BlockForm,
    pub loc: Loc,
}

/// A `<virtual-mta-pool NAME>` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VmtaPool {
    pub name: String,
    /// `virtual-mta NAME` lines, in order.
    pub members: Vec<String>,
    /// Nested `<domain>` blocks, inherited by every member (also in
    /// [`super::Config::domains`] with scope [`Scope::Pool`]).
    pub domains: Vec<DomainBlock>,
    pub settings: Vec<Setting>,
    pub form: BlockForm,
    pub loc: Loc,
}

/// One entry of a pattern list: `reply /regex/ mode=backoff` in `<smtp-pattern-list>`,
/// `mail-from /regex/ virtual-mta=x` in `<pattern-list>`, or the article's brace-form
/// `"421 4.7.0 RP-001" retry-after=4h`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatternEntry {
    /// What is matched: `reply`, `mail-from`, `rcpt-to`, `header`, ... A brace-form entry that
    /// starts with its pattern is a `reply` entry.
    pub kind: String,
    /// The header name of a `header NAME /re/` entry.
    pub param: Option<String>,
    /// The regex between the slashes, or the quoted text.
    pub pattern: String,
    /// True for `/regex/`, false for a quoted text (matched as a substring).
    pub is_regex: bool,
    /// The actions or results, split on blanks and commas: `mode=backoff` gives
    /// (`mode`, Some(`backoff`)), `bounce` gives (`bounce`, None).
    pub actions: Vec<(String, Option<String>)>,
    pub loc: Loc,
}

impl PatternEntry {
    /// The value of action `name` (`retry-after` -> `4h`), or `Some(None)` for a bare flag.
    pub fn action(&self, name: &str) -> Option<Option<&str>> {
        self.actions
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }

    /// The compiled pattern. `PowerMTA` matches case-insensitively; a quoted text is matched
    /// literally. `None` when the regex uses syntax the `regex` crate lacks (PCRE lookaround).
    /// Builds a new regex on each call: meant for checks on a config, not for a per-row path.
    pub fn regex(&self) -> Option<regex::Regex> {
        let source = if self.is_regex {
            self.pattern.clone()
        } else {
            regex::escape(&self.pattern)
        };
        regex::RegexBuilder::new(&source)
            .case_insensitive(true)
            .build()
            .ok()
    }

    /// Whether this entry's pattern matches an SMTP reply text.
    pub fn matches(&self, reply: &str) -> bool {
        self.regex().is_some_and(|r| r.is_match(reply))
    }
}

/// A `<smtp-pattern-list NAME>` or `<pattern-list NAME>` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatternList {
    pub name: String,
    pub entries: Vec<PatternEntry>,
    /// Lines that are not entries (e.g. `include`, unknown lines), kept for lint.
    pub other: Vec<Directive>,
    /// Anonymous lists nested in an entry (`mail-from /x/ <pattern-list> ... </pattern-list>`).
    pub nested: Vec<PatternList>,
    pub form: BlockForm,
    pub loc: Loc,
}

/// One `mx PATTERN NAME.rollup [options]` line of `<mx-rollup-list>`. The pattern matches MX
/// host names (what DNS returns for a domain), not recipient domains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MxRollup {
    /// The MX host pattern as written, lowercased.
    pub mx: String,
    pub pattern: DomainPattern,
    /// The rollup queue name (`PowerMTA` requires it to end in `.rollup`).
    pub rollup: String,
    /// Further words, such as `rollup-by-ip`.
    pub options: Vec<String>,
    pub loc: Loc,
}

/// Any other block, kept generically: `<source>`, `<acct-file>`, `<spool>`, `<smtp-user>`,
/// `<bounce-category-patterns>`, `<bounce-processor>` with its nested `<address-list>`, ...
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Block {
    /// Lowercased tag name.
    pub tag: String,
    /// Everything after the tag name, as written (`0/0`, `/var/log/pmta/acct.csv`,
    /// `|/usr/local/bin/acct_etl --logfile acct_etl.log`).
    pub args: String,
    /// Text before a tag that opens at the end of a line (`mail-from /x/ <pattern-list>`).
    pub lead: Option<String>,
    pub settings: Vec<Setting>,
    pub children: Vec<Block>,
    pub form: BlockForm,
    pub loc: Loc,
}

impl Block {
    /// The last setting of `key` directly in this block.
    pub fn get(&self, key: &str) -> Option<&Setting> {
        last_setting(&self.settings, key)
    }
}

/// Where a value returned by a typed query came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "loc", rename_all = "lowercase")]
pub enum Source {
    /// Read from this line as written.
    Config(Loc),
    /// This line's value is not what `PowerMTA` accepts (the article's `max-smtp-out tuning 5`);
    /// the number was read from it leniently, as the operator evidently meant it.
    Lenient(Loc),
    /// This line sets the value but nothing usable can be read from it; the `PowerMTA` default
    /// is returned.
    Invalid(Loc),
    /// Not set anywhere that applies: `PowerMTA`'s documented default.
    Default,
}

impl Source {
    /// The line behind the value, if any.
    pub fn loc(&self) -> Option<&Loc> {
        match self {
            Self::Config(l) | Self::Lenient(l) | Self::Invalid(l) => Some(l),
            Self::Default => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(l) => write!(f, "{l}"),
            Self::Lenient(l) => write!(f, "{l} (value read leniently)"),
            Self::Invalid(l) => write!(f, "PowerMTA default ({l} is unreadable)"),
            Self::Default => f.write_str("PowerMTA default"),
        }
    }
}

pub(crate) fn last_setting<'a>(settings: &'a [Setting], key: &str) -> Option<&'a Setting> {
    settings
        .iter()
        .rev()
        .find(|s| s.key.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_patterns_match_as_the_manual_says() {
        let sub = DomainPattern::parse("*.port25.com");
        assert!(sub.matches("mail.port25.com"));
        assert!(!sub.matches("port25.com"));
        assert!(!sub.matches("xport25.com"));
        let both = DomainPattern::parse("[*.]port25.com");
        assert!(both.matches("port25.com") && both.matches("a.b.port25.com"));
        assert!(!both.matches("notport25.com"));
        assert!(DomainPattern::parse("*").matches("anything.example"));
        assert_eq!(
            DomainPattern::parse("Inbox.COM."),
            DomainPattern::Exact("inbox.com".into())
        );
    }

    #[test]
    fn source_host_cidr() {
        let loc = Loc::new("c", 1);
        let h = |ip: &str| SourceHost {
            ip: ip.into(),
            host: String::new(),
            loc: loc.clone(),
        };
        assert!(h("192.0.2.10").contains("192.0.2.10"));
        assert!(h("10/8").contains("10.1.2.3"));
        assert!(!h("10/8").contains("11.1.2.3"));
        assert!(h("198.51.100.0/24").contains("198.51.100.77"));
        assert!(h("0/0").contains("203.0.113.5"));
        assert!(h("2001:db8::/32").contains("2001:db8::1"));
        assert!(!h("YourIP").contains("192.0.2.1"));
    }
}
