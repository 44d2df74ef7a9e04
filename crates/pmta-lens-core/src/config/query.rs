//! Questions asked of a parsed config: the setting that applies to a domain sent through a VMTA
//! (most specific pattern, inheritance through pool and global blocks, `PowerMTA` defaults),
//! pool membership, source IPs, and the rollups that group domains into one queue. Works on the
//! model only; never touches the accounting logs.

use std::cmp::Reverse;

use rustc_hash::FxHashMap;

use super::model::{
    DomainBlock, DomainPattern, Loc, PatternList, Scope, Setting, Source, VmtaPool,
};
use super::values::{parse_duration, parse_duration_list, parse_rate};
use super::{Config, DEFAULT_MAX_SMTP_OUT, DEFAULT_RETRY_AFTER_SECS, Directive, Vmta};

/// Domain-level keys that put a domain into another queue: `PowerMTA`'s `queue-to`, and the
/// reference article's `mx-rollup NAME` (not a `PowerMTA` directive, but what operators paste).
const ROLLUP_KEYS: [&str; 2] = ["queue-to", "mx-rollup"];

impl Config {
    /// The `<domain>` blocks that apply to `domain` sent through `vmta` (a VMTA or pool name;
    /// `None` for global blocks only), most specific first: by pattern specificity, then a
    /// block nested in the VMTA before one in its pool before a global one, then the later
    /// block before the earlier. This is the order settings are inherited in.
    pub fn matching_blocks(&self, domain: &str, vmta: Option<&str>) -> Vec<&DomainBlock> {
        let domain = normalize_domain(domain);
        let mut found: Vec<(_, u8, usize, &DomainBlock)> = self
            .domains
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let layer = self.layer(&b.scope, vmta)?;
                Some((b.match_rank(&domain)?, layer, i, b))
            })
            .collect();
        found.sort_by_key(|&(rank, layer, i, _)| Reverse((rank, layer, i)));
        found.into_iter().map(|(_, _, _, b)| b).collect()
    }

    /// The blocks that match `domain` and how well, whatever the VMTA: two domains with the same
    /// list get the same settings through every VMTA (what a per-domain cache can key on).
    pub fn match_signature(&self, domain: &str) -> Vec<(usize, (u8, usize, u8, u8))> {
        let domain = normalize_domain(domain);
        self.domains
            .iter()
            .enumerate()
            .filter_map(|(i, b)| Some((i, b.match_rank(&domain)?)))
            .collect()
    }

    /// Whether a block other than the catch-all `*` matches `domain`: the config gives the
    /// destination settings of its own.
    pub fn configures(&self, domain: &str) -> bool {
        self.match_signature(domain)
            .iter()
            .any(|(i, _)| self.domains[*i].pattern != "*")
    }

    /// The setting of `key` that applies to `domain` through `vmta`, with its line: the first
    /// of [`Self::matching_blocks`] that sets it. `None` when no block does.
    pub fn effective_setting(
        &self,
        domain: &str,
        vmta: Option<&str>,
        key: &str,
    ) -> Option<&Setting> {
        self.matching_blocks(domain, vmta)
            .into_iter()
            .find_map(|b| b.get(key))
    }

    /// The value of `key` for `domain` through `vmta`, and where it was set.
    pub fn effective(&self, domain: &str, vmta: Option<&str>, key: &str) -> Option<(String, Loc)> {
        self.effective_setting(domain, vmta, key)
            .map(|s| (s.value.clone(), s.loc.clone()))
    }

    /// `max-smtp-out` for the queue of `domain` on `vmta`: connections one VMTA may open to the
    /// domain (a pool of N VMTAs may open N times this). `PowerMTA`'s default is 20.
    pub fn max_smtp_out(&self, domain: &str, vmta: Option<&str>) -> (u32, Source) {
        let Some(s) = self.effective_setting(domain, vmta, "max-smtp-out") else {
            return (DEFAULT_MAX_SMTP_OUT, Source::Default);
        };
        if let Ok(n) = s.value.trim().parse::<u32>() {
            return (n, Source::Config(s.loc.clone()));
        }
        match lenient(&s.value, |w| w.parse::<u32>().ok()) {
            Some(n) => (n, Source::Lenient(s.loc.clone())),
            None => (DEFAULT_MAX_SMTP_OUT, Source::Invalid(s.loc.clone())),
        }
    }

    /// `retry-after` in seconds for `domain` on `vmta` (the first interval of a list such as
    /// `10m,10m,1h`). `PowerMTA`'s default is 10 minutes.
    pub fn retry_after(&self, domain: &str, vmta: Option<&str>) -> (u64, Source) {
        self.effective_duration(domain, vmta, "retry-after", DEFAULT_RETRY_AFTER_SECS)
    }

    /// A time-interval setting in seconds (the first interval of a list), or `default` when it
    /// is unset ([`Source::Default`]) or unreadable ([`Source::Invalid`]).
    pub fn effective_duration(
        &self,
        domain: &str,
        vmta: Option<&str>,
        key: &str,
        default: u64,
    ) -> (u64, Source) {
        let Some(s) = self.effective_setting(domain, vmta, key) else {
            return (default, Source::Default);
        };
        let first = |v: &str| parse_duration_list(v).and_then(|l| l.first().copied());
        match first(&s.value) {
            Some(secs) => (secs, Source::Config(s.loc.clone())),
            None => match lenient(&s.value, parse_duration) {
                Some(secs) => (secs, Source::Lenient(s.loc.clone())),
                None => (default, Source::Invalid(s.loc.clone())),
            },
        }
    }

    /// A rate setting (`max-msg-rate`, `max-connect-rate`) in events per second. `PowerMTA`'s
    /// rates default to unlimited, so unset or unreadable gives infinity (with
    /// [`Source::Default`] or [`Source::Invalid`]); `unlimited` written out is infinity too.
    pub fn effective_rate(&self, domain: &str, vmta: Option<&str>, key: &str) -> (f64, Source) {
        let Some(s) = self.effective_setting(domain, vmta, key) else {
            return (f64::INFINITY, Source::Default);
        };
        match parse_rate(&s.value) {
            Some(r) => (r, Source::Config(s.loc.clone())),
            None => match lenient(&s.value, parse_rate) {
                Some(r) => (r, Source::Lenient(s.loc.clone())),
                None => (f64::INFINITY, Source::Invalid(s.loc.clone())),
            },
        }
    }

    /// The pool a domain is sent through according to the brace form's `virtual-mta-pool NAME`
    /// inside a domain block (`PowerMTA` itself selects pools per message, not per domain).
    pub fn pool_for_domain(&self, domain: &str) -> Option<(String, Loc)> {
        self.effective(domain, None, "virtual-mta-pool")
    }

    /// The `<virtual-mta>` named `name` (case-insensitive; the first if defined twice).
    pub fn vmta(&self, name: &str) -> Option<&Vmta> {
        self.vmtas
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name))
    }

    /// The `<virtual-mta-pool>` named `name` (case-insensitive; the first if defined twice).
    pub fn pool(&self, name: &str) -> Option<&VmtaPool> {
        self.pools
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The member VMTA names of a pool, `None` when no such pool is defined (the article names
    /// a `microsoft-pool` it never defines).
    pub fn pool_members(&self, pool: &str) -> Option<&[String]> {
        self.pool(pool).map(|p| p.members.as_slice())
    }

    /// The pools a VMTA belongs to.
    pub fn pools_of(&self, vmta: &str) -> Vec<&VmtaPool> {
        self.pools
            .iter()
            .filter(|p| p.members.iter().any(|m| m.eq_ignore_ascii_case(vmta)))
            .collect()
    }

    /// The source addresses (`smtp-source-host`) of a VMTA; for a pool name, those of all its
    /// members; for `{default}`, the global `smtp-source-host` lines. As written (may be CIDR
    /// ranges or placeholders); empty when unknown.
    pub fn vmta_ips(&self, name: &str) -> Vec<&str> {
        if let Some(v) = self.vmta(name) {
            return v.source_ips.iter().map(|s| s.ip.as_str()).collect();
        }
        if let Some(members) = self.pool_members(name) {
            return members
                .iter()
                .filter_map(|m| self.vmta(m))
                .flat_map(|v| v.source_ips.iter().map(|s| s.ip.as_str()))
                .collect();
        }
        if name.eq_ignore_ascii_case("{default}") {
            return self
                .directives
                .iter()
                .filter(|d| d.context.is_empty() && d.name == "smtp-source-host")
                .filter_map(|d| d.value.split_whitespace().next())
                .collect();
        }
        Vec::new()
    }

    /// The VMTA that sends from `ip`: one naming the address exactly, else one whose
    /// `smtp-source-host` range contains it.
    pub fn vmta_for_ip(&self, ip: &str) -> Option<&str> {
        let ip = ip.trim();
        let exact = self
            .vmtas
            .iter()
            .find(|v| v.source_ips.iter().any(|s| s.ip.eq_ignore_ascii_case(ip)));
        exact
            .or_else(|| {
                self.vmtas
                    .iter()
                    .find(|v| v.source_ips.iter().any(|s| s.contains(ip)))
            })
            .map(|v| v.name.as_str())
    }

    /// Domain -> queue name for every domain the config names explicitly (directly or through
    /// a `domain-macro`) with `queue-to` or the brace form's `mx-rollup`: a `<domain $hotmail>`
    /// with `queue-to outlook.com` rolls each of the macro's domains into `outlook.com`.
    /// Wildcard blocks cannot be listed; ask [`Self::rollup_for_domain`] for those. MX-based
    /// rollups are separate: see [`Self::rollup_for_mx_host`].
    pub fn rollups(&self) -> FxHashMap<String, String> {
        let mut out = FxHashMap::default();
        for block in &self.domains {
            if !ROLLUP_KEYS.iter().any(|k| block.get(k).is_some()) {
                continue;
            }
            for m in &block.matchers {
                let DomainPattern::Exact(d) = &m.pattern else {
                    continue;
                };
                if out.contains_key(d) {
                    continue;
                }
                if let Some(target) = self.rollup_for_domain(d) {
                    out.insert(d.clone(), target);
                }
            }
        }
        out
    }

    /// The queue `domain` is rolled into by `queue-to` or `mx-rollup`, wildcards included. Global
    /// blocks decide; failing those, the first VMTA or pool that rolls it up (the manual's
    /// example puts `queue-to` inside a `<virtual-mta>`).
    pub fn rollup_for_domain(&self, domain: &str) -> Option<String> {
        let pick = |vmta: Option<&str>| {
            self.matching_blocks(domain, vmta)
                .into_iter()
                .find_map(|b| {
                    // In one block, `queue-to` (PowerMTA's own) wins over the article's spelling.
                    ROLLUP_KEYS
                        .iter()
                        .find_map(|k| b.get(k))
                        .filter(|s| !s.value.is_empty())
                })
        };
        if let Some(s) = pick(None) {
            return Some(s.value.to_ascii_lowercase());
        }
        self.domains.iter().find_map(|b| {
            let name = match &b.scope {
                Scope::Global => return None,
                Scope::Vmta(n) | Scope::Pool(n) => n.as_str(),
            };
            pick(Some(name)).map(|s| s.value.to_ascii_lowercase())
        })
    }

    /// The `<mx-rollup-list>` queue for an MX host name: the most specific matching `mx`
    /// pattern, the first written on a tie.
    pub fn rollup_for_mx_host(&self, host: &str) -> Option<&str> {
        let host = normalize_domain(host);
        self.mx_rollups
            .iter()
            .enumerate()
            .filter(|(_, r)| r.pattern.matches(&host))
            .max_by_key(|(i, r)| (r.pattern.specificity(), Reverse(*i)))
            .map(|(_, r)| r.rollup.as_str())
    }

    /// The expanded domains of a `domain-macro` (name without `$`, case-insensitive).
    pub fn macro_domains(&self, name: &str) -> Option<&[String]> {
        let name = name.trim_start_matches('$').to_ascii_lowercase();
        self.macros.get(&name).map(Vec::as_slice)
    }

    /// The `<smtp-pattern-list>` named `name`.
    pub fn pattern_list(&self, name: &str) -> Option<&PatternList> {
        self.pattern_lists
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }

    /// The last top-level directive `name` (`host-name`, `postmaster`, `total-max-smtp-out`).
    pub fn global(&self, name: &str) -> Option<&Directive> {
        self.directives
            .iter()
            .rev()
            .find(|d| d.context.is_empty() && d.name.eq_ignore_ascii_case(name))
    }

    /// How strongly blocks of `scope` apply to `vmta` (2 its own, 1 its pool's, 0 global), or
    /// `None` when they do not apply.
    fn layer(&self, scope: &Scope, vmta: Option<&str>) -> Option<u8> {
        match (scope, vmta) {
            (Scope::Global, _) => Some(0),
            (_, None) => None,
            (Scope::Vmta(n), Some(v)) => n.eq_ignore_ascii_case(v).then_some(2),
            (Scope::Pool(p), Some(v)) => {
                let is_pool = p.eq_ignore_ascii_case(v);
                let is_member = self
                    .pool(p)
                    .is_some_and(|pool| pool.members.iter().any(|m| m.eq_ignore_ascii_case(v)));
                (is_pool || is_member).then_some(1)
            }
        }
    }
}

/// Lowercased, no trailing dot, as domain patterns are stored.
fn normalize_domain(domain: &str) -> String {
    domain.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The value read leniently: the one word of it that parses, if exactly one does.
fn lenient<T>(value: &str, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
    let mut found = value.split_whitespace().filter_map(parse);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}
