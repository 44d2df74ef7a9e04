//! A `PowerMTA` config matching a profile's sender, for `--config` on a generated file.

use super::compiled::mx_for;
use super::profile::{Profile, Provider};

/// `PowerMTA` rolls up by MX host: one pattern (`*.yahoodns.net`) per rollup name and MX
/// domain of the profile's rollups.
pub(super) fn mx_rollup_patterns(p: &Profile) -> std::collections::BTreeMap<String, &str> {
    let mut rollups = std::collections::BTreeMap::new();
    for (domain, name) in &p.rollups {
        if let Some(spec) = p
            .domains
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(domain))
        {
            let (_, host) = mx_for(&spec.name, spec.provider, p.seed);
            let labels: Vec<&str> = host.rsplitn(3, '.').collect();
            if labels.len() == 3 {
                rollups.insert(format!("*.{}.{}", labels[1], labels[0]), name.as_str());
            }
        }
    }
    rollups
}

/// A `PowerMTA` config for the sender of `p`, in the real syntax, for `pmta-lens --config` on a
/// generated file: one `<virtual-mta>` per VMTA with its `smtp-source-host`, the pools, the
/// profile's rollups as an `<mx-rollup-list>` (by the MX hosts of their domains), the named
/// Microsoft consumer domains sharing settings through a `domain-macro` with the article's
/// RP-002 pattern list, and `max-smtp-out` per destination. The numbers are plausible, not
/// tuned: it is there so that the connection budget and the config findings have something to
/// work on.
#[must_use]
pub fn pmta_config(p: &Profile) -> String {
    use std::collections::BTreeMap;
    use std::fmt::Write as _;
    let mut out = String::new();
    let mut pools: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for v in &p.vmtas {
        pools.entry(&v.pool).or_default().push(&v.name);
    }
    let d = &p.sender_domain;
    let _ = writeln!(
        out,
        "# PowerMTA config for a generated accounting file (pmta_lens_synth::pmta_config):\n\
         # sender {d}, {} VMTAs in {} pools, documentation IPs.\n\n\
         postmaster postmaster@{d}\nhost-name mta1.{d}\n\n\
         <source {}>\n    always-allow-relaying yes\n    process-x-virtual-mta yes\n    \
         process-x-job yes\n</source>\n\n\
         <acct-file /var/log/pmta/acct.csv>\n    records d,b,t,tq,r,f,rb,rs\n    \
         move-interval 1d\n</acct-file>\n",
        p.vmtas.len(),
        pools.len(),
        p.injector_ip
    );
    for v in &p.vmtas {
        let _ = writeln!(
            out,
            "<virtual-mta {}>\n    smtp-source-host {} {}.mail.{d}\n</virtual-mta>",
            v.name,
            v.ip,
            v.name.trim_start_matches("vmta-")
        );
    }
    for (pool, members) in &pools {
        let _ = writeln!(out, "<virtual-mta-pool {pool}>");
        for m in members {
            let _ = writeln!(out, "    virtual-mta {m}");
        }
        let _ = writeln!(out, "</virtual-mta-pool>");
    }
    let rollups = mx_rollup_patterns(p);
    if !rollups.is_empty() {
        let _ = writeln!(out, "\n<mx-rollup-list>");
        for (pattern, name) in &rollups {
            let _ = writeln!(out, "    mx {pattern} {name}");
        }
        let _ = writeln!(out, "</mx-rollup-list>");
    }
    let microsoft: Vec<&str> = p
        .domains
        .iter()
        .filter(|s| s.provider == Provider::MicrosoftConsumer)
        .map(|s| s.name.as_str())
        .collect();
    if !microsoft.is_empty() {
        // The pattern list retries as the profile's rows do (`retry_after_by_code`).
        let reply = |code: &str| {
            let retry = p
                .retry_after_by_code
                .iter()
                .find(|(c, _)| c == code)
                .map_or(String::new(), |(_, secs)| {
                    format!(" retry-after={}m", (secs / 60).max(1))
                });
            format!("    reply /{code}/ mode=backoff{retry}\n")
        };
        let _ = writeln!(
            out,
            "\ndomain-macro microsoft {}\n\n<smtp-pattern-list microsoft>\n{}{}\
             </smtp-pattern-list>\n\n\
             <domain $microsoft>\n    max-smtp-out 5\n    max-msg-rate 2000/h\n    \
             smtp-pattern-list microsoft\n    backoff-max-smtp-out 2\n</domain>",
            microsoft.join(", "),
            reply("RP-001"),
            reply("RP-002")
        );
    }
    if p.domains.iter().any(|s| s.name == "gmail.com") {
        let _ = writeln!(out, "\n<domain gmail.com>\n    max-smtp-out 20\n</domain>");
    }
    let names: std::collections::BTreeSet<&str> =
        p.rollups.iter().map(|(_, n)| n.as_str()).collect();
    for name in names {
        let _ = writeln!(out, "\n<domain {name}>\n    max-smtp-out 10\n</domain>");
    }
    let _ = writeln!(
        out,
        "\n<domain *>\n    max-smtp-out 10\n    retry-after {}m\n    \
         connection-idle-timeout 30s\n    bounce-after 4d12h\n</domain>",
        (p.retry_after_secs / 60).max(1)
    );
    out
}
