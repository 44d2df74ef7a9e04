//! The connection budget of one destination and pool: the pool's VMTAs times the `max-smtp-out`
//! that applies to the destination on each (summed per VMTA where they differ), with where each
//! number came from. `max-smtp-out` is per queue, and a queue is one destination on one VMTA,
//! so a pool of N VMTAs may open N times it. Reads the config model only.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::config::{Config, DEFAULT_MAX_SMTP_OUT, Source};
use crate::fmt::plural;
use crate::model::NONE_KEY;

/// Flags that stand in for the config (or override it): `--max-smtp-out N`, `--pool-size N`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    pub max_smtp_out: Option<u32>,
    pub pool_size: Option<u32>,
}

/// A budget and its sources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    pub pool_size: u32,
    /// The per-VMTA `max-smtp-out`; the largest when the VMTAs differ.
    pub max_smtp_out: u32,
    pub budget: u32,
    /// Where the numbers came from: config lines, `PowerMTA` defaults or flags.
    pub source: String,
    /// `max-smtp-out` of each member VMTA (empty when `--pool-size` replaced the members).
    pub per_vmta: Vec<(String, u32)>,
}

/// The budget of `domain` (a rolled-up destination, which is also the queue name `PowerMTA`
/// uses when the config rolls it up) sent through `pool`. `seen` are the pool's VMTAs that
/// appear in the rows, used when the config does not define the pool.
pub fn budget(
    domain: &str,
    pool: &str,
    seen: &BTreeSet<String>,
    config: Option<&Config>,
    flags: Overrides,
) -> Budget {
    let defined = config
        .filter(|_| pool != NONE_KEY)
        .and_then(|c| c.pool(pool).map(|p| (c, p)));
    let (members, mut source): (Vec<String>, String) = if let Some((_, p)) = defined {
        (
            p.members.clone(),
            format!(
                "pool {} at {} ({} VMTA{})",
                p.name,
                p.loc,
                p.members.len(),
                plural(p.members.len())
            ),
        )
    } else {
        let n = seen.len();
        let what = if pool == NONE_KEY {
            "no pool"
        } else if config.is_some() {
            "pool not in the config"
        } else {
            "no config"
        };
        (
            seen.iter().cloned().collect(),
            format!("{what}: {n} VMTA{} seen in the rows", plural(n)),
        )
    };
    let per_vmta: Vec<(String, u32, Source)> = members
        .iter()
        .map(|v| match (flags.max_smtp_out, config) {
            (Some(n), _) => (v.clone(), n, Source::Default),
            (None, Some(c)) => {
                let (n, s) = c.max_smtp_out(domain, Some(v));
                (v.clone(), n, s)
            }
            (None, None) => (v.clone(), DEFAULT_MAX_SMTP_OUT, Source::Default),
        })
        .collect();
    let max_smtp_out = match flags.max_smtp_out {
        Some(n) => n,
        None => per_vmta
            .iter()
            .map(|p| p.1)
            .max()
            .unwrap_or(DEFAULT_MAX_SMTP_OUT),
    };
    let uniform = per_vmta
        .windows(2)
        .all(|w| w[0].1 == w[1].1 && w[0].2 == w[1].2);
    let (pool_size, budget) = match flags.pool_size {
        Some(n) => {
            source = format!("--pool-size {n}");
            (n, n.saturating_mul(max_smtp_out))
        }
        None => (
            u32::try_from(members.len()).unwrap_or(u32::MAX),
            per_vmta.iter().map(|p| p.1).fold(0u32, u32::saturating_add),
        ),
    };
    source.push_str("; ");
    if let Some(n) = flags.max_smtp_out {
        let _ = write!(source, "--max-smtp-out {n}");
    } else if uniform || flags.pool_size.is_some() {
        let s = per_vmta.first().map_or(Source::Default, |p| p.2.clone());
        let _ = write!(source, "max-smtp-out {max_smtp_out}{}", where_set(&s));
    } else {
        source.push_str("max-smtp-out differs per VMTA:");
        for (v, n, s) in &per_vmta {
            let _ = write!(source, " {v} {n}{};", where_set(s));
        }
        source.pop();
    }
    Budget {
        pool_size,
        max_smtp_out,
        budget,
        source,
        per_vmta: if flags.pool_size.is_some() {
            Vec::new()
        } else {
            per_vmta.into_iter().map(|(v, n, _)| (v, n)).collect()
        },
    }
}

fn where_set(s: &Source) -> String {
    match s {
        Source::Config(l) => format!(" at {l}"),
        Source::Lenient(l) => format!(" at {l} (read leniently: PowerMTA rejects that value)"),
        Source::Invalid(l) => format!(": PowerMTA default ({l} is unreadable)"),
        Source::Default => ": PowerMTA default".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    const CONFIG: &str = "\
<virtual-mta v1>
smtp-source-host 192.0.2.10 a.example.com
</virtual-mta>
<virtual-mta v2>
smtp-source-host 192.0.2.11 b.example.com
<domain outlook.com>
max-smtp-out 2
</domain>
</virtual-mta>
<virtual-mta v3>
smtp-source-host 192.0.2.12 c.example.com
</virtual-mta>
<virtual-mta-pool ms>
virtual-mta v1
virtual-mta v2
virtual-mta v3
</virtual-mta-pool>
<domain outlook.com>
max-smtp-out 5
</domain>
<domain *>
max-smtp-out 30
</domain>
";

    fn config() -> Config {
        Config::parse_str(CONFIG, "pmta.conf").expect("parses")
    }

    #[test]
    fn pool_size_times_max_smtp_out_with_lines() {
        let c = config();
        let b = budget(
            "gmail.com",
            "ms",
            &seen(&["v1"]),
            Some(&c),
            Overrides::default(),
        );
        assert_eq!((b.pool_size, b.max_smtp_out, b.budget), (3, 30, 90));
        assert_eq!(
            b.source,
            "pool ms at pmta.conf:13 (3 VMTAs); max-smtp-out 30 at pmta.conf:22"
        );
    }

    #[test]
    fn per_vmta_values_are_summed_where_they_differ() {
        let c = config();
        let b = budget(
            "outlook.com",
            "ms",
            &seen(&[]),
            Some(&c),
            Overrides::default(),
        );
        assert_eq!((b.pool_size, b.max_smtp_out, b.budget), (3, 5, 5 + 2 + 5));
        assert_eq!(
            b.per_vmta,
            [("v1".into(), 5), ("v2".into(), 2), ("v3".into(), 5)]
        );
        assert!(
            b.source
                .contains("differs per VMTA: v1 5 at pmta.conf:19; v2 2 at pmta.conf:7;"),
            "{}",
            b.source
        );
    }

    #[test]
    fn without_a_config_the_rows_and_the_default() {
        let b = budget(
            "outlook.com",
            "microsoft-pool",
            &seen(&["a", "b", "c", "d"]),
            None,
            Overrides::default(),
        );
        assert_eq!((b.pool_size, b.max_smtp_out, b.budget), (4, 20, 80));
        assert_eq!(
            b.source,
            "no config: 4 VMTAs seen in the rows; max-smtp-out 20: PowerMTA default"
        );
        let none = budget(
            "x.example",
            NONE_KEY,
            &seen(&["a"]),
            None,
            Overrides::default(),
        );
        assert_eq!(none.budget, 20);
        assert!(none.source.starts_with("no pool: 1 VMTA seen"));
    }

    #[test]
    fn flags_override() {
        let c = config();
        let flags = Overrides {
            max_smtp_out: Some(6),
            pool_size: Some(10),
        };
        let b = budget("outlook.com", "ms", &seen(&[]), Some(&c), flags);
        assert_eq!((b.pool_size, b.max_smtp_out, b.budget), (10, 6, 60));
        assert_eq!(b.source, "--pool-size 10; --max-smtp-out 6");
        let only_max = Overrides {
            max_smtp_out: Some(4),
            pool_size: None,
        };
        let b = budget("outlook.com", "ms", &seen(&[]), Some(&c), only_max);
        assert_eq!((b.pool_size, b.budget), (3, 12));
    }

    #[test]
    fn the_articles_lenient_value_is_used_and_flagged() {
        let c = Config::parse_str(
            "domain outlook.com {\n  max-smtp-out tuning 5\n}\n",
            "article.conf",
        )
        .expect("parses");
        let b = budget(
            "outlook.com",
            "p",
            &seen(&["a", "b"]),
            Some(&c),
            Overrides::default(),
        );
        assert_eq!(b.budget, 10);
        assert!(b.source.contains("read leniently"), "{}", b.source);
    }
}
