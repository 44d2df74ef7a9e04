//! Tests of the config parser and model against the real configs in `tests/fixtures/config/`
//! (copied from the project's reference material), every snippet of the reference article, and
//! small configs written for one rule each. Only config text is read; never accounting logs.

use std::fs;

use super::*;

mod syntax;

const KIRA41: &str = include_str!("../../../../tests/fixtures/config/Kira41_pmta_config");
const TUCK1S: &str = include_str!(
    "../../../../tests/fixtures/config/tuck1s_sparkypmtatracking_etc_pmta_config.example"
);
const EVANHENRS: &str = include_str!("../../../../tests/fixtures/config/EvanHenrs_PowerMTA_config");
const STOCK: &str = include_str!(
    "../../../../tests/fixtures/config/awab-hassan_06-powerMTA-DEVOPS_config-file.txt"
);
const ARTICLE: &str = include_str!("../../../../tests/fixtures/config/article-outlook.conf");

fn parse(text: &str) -> Config {
    match Config::parse_str(text, "config") {
        Ok(c) => c,
        Err(e) => panic!("parse failed: {e}"),
    }
}

fn parse_err(text: &str) -> String {
    match Config::parse_str(text, "config") {
        Ok(_) => panic!("parsed, but an error was expected"),
        Err(e) => e.to_string(),
    }
}

fn loc(line: u32) -> Loc {
    Loc::new("config", line)
}

// ---- the real configs -------------------------------------------------------------------------

#[test]
fn kira41_macros_vmtas_and_limits() {
    let c = parse(KIRA41);
    let hotmail = c.macro_domains("hotmail").expect("hotmail macro");
    assert_eq!(
        hotmail,
        [
            "hotmail.com",
            "msn.com",
            "hotmail.co.uk",
            "hotmail.fr",
            "live.com",
            "hotmail.it",
            "hotmail.de",
            "email.msn.com",
            "email.hotmail.com",
            "webtv.com",
            "webtv.net"
        ],
        "the written list, duplicates dropped"
    );
    assert_eq!(c.macro_domains("gmail").map(<[String]>::len), Some(2));

    let names: Vec<&str> = c.vmtas.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "pmta-101crossroadsstudio",
            "pmta-adspoof",
            "pmta-allsportsads",
            "pmta-poorlydrawnheads",
            "pmta-richdadsadvisor"
        ]
    );
    assert_eq!(c.vmta_ips("pmta-adspoof"), ["209.46.126.171"]);
    assert_eq!(
        c.vmta("pmta-adspoof")
            .map(|v| v.source_ips[0].host.as_str()),
        Some("mail.adspoof.com")
    );
    assert_eq!(
        c.vmta_for_ip("66.175.239.11"),
        Some("pmta-poorlydrawnheads")
    );
    assert_eq!(c.vmta_for_ip("192.0.2.1"), None);
    assert!(c.pools.is_empty());

    // `<domain $hotmail> max-smtp-out 1` beats `<domain *> max-smtp-out 2`.
    assert_eq!(
        c.max_smtp_out("hotmail.com", None),
        (1, Source::Config(loc(185)))
    );
    assert_eq!(
        c.max_smtp_out("Live.COM", None),
        (1, Source::Config(loc(185)))
    );
    assert_eq!(
        c.max_smtp_out("example.com", None),
        (2, Source::Config(loc(448)))
    );
    // Unset in $hotmail: inherited from <domain *>.
    assert_eq!(
        c.retry_after("hotmail.com", None),
        (600, Source::Config(loc(458)))
    );
    // The VMTA's own <domain *> sets max-msg-rate 10000/h; the global $hotmail block is more
    // specific and still wins for hotmail.com, while other domains get the VMTA's value.
    assert_eq!(
        c.effective("hotmail.com", Some("pmta-adspoof"), "max-msg-rate")
            .map(|v| v.0),
        Some("250/h".into())
    );
    assert_eq!(
        c.effective("example.com", Some("pmta-adspoof"), "max-msg-rate")
            .map(|v| v.0),
        Some("10000/h".into())
    );
    assert_eq!(
        c.effective("example.com", None, "max-msg-rate")
            .map(|v| v.0),
        Some("10000/h".into())
    );
    assert_eq!(
        c.effective(
            "example.com",
            Some("pmta-adspoof"),
            "max-cold-virtual-mta-msg"
        )
        .map(|v| v.0),
        Some("400/day".into())
    );
    assert_eq!(
        c.effective("example.com", None, "max-cold-virtual-mta-msg"),
        None
    );
}

#[test]
fn kira41_pattern_lists_and_generic_blocks() {
    let c = parse(KIRA41);
    assert_eq!(
        c.effective("gmail.com", None, "smtp-pattern-list")
            .map(|v| v.0),
        Some("blocking-errors".into())
    );
    let blocking = c.pattern_list("blocking-errors").expect("blocking-errors");
    assert_eq!(blocking.entries.len(), 184);
    assert!(
        blocking
            .entries
            .iter()
            .all(|e| e.kind == "reply" && e.is_regex)
    );
    assert_eq!(blocking.entries[0].pattern, "421 .* SERVICE NOT AVAILABLE");
    assert_eq!(blocking.entries[0].action("mode"), Some(Some("backoff")));
    assert_eq!(
        c.pattern_list("common-errors").map(|l| l.entries.len()),
        Some(5)
    );

    let routing = &c.routing_lists[0];
    assert_eq!(routing.name, "strict-mailfrom-routing");
    assert_eq!(routing.entries.len(), 10);
    assert_eq!(routing.entries[2].kind, "mail-from");
    assert_eq!(routing.entries[2].pattern, "@adspoof\\.com$");
    assert_eq!(
        routing.entries[2].action("virtual-mta"),
        Some(Some("pmta-adspoof"))
    );
    // The broken multi-line regexes of its bounce-category-patterns are kept, not fatal.
    assert!(
        c.other_blocks
            .iter()
            .any(|b| b.tag == "bounce-category-patterns" && b.settings.len() > 80)
    );
    assert_eq!(
        c.global("spool").map(|d| d.value.as_str()),
        Some("/var/spool/pmta")
    );
}

#[test]
fn tuck1s_pool_and_acct_files() {
    let c = parse(TUCK1S);
    assert_eq!(c.pool_members("default"), Some(&["mta1".to_owned()][..]));
    assert_eq!(c.pools_of("mta1").len(), 1);
    assert_eq!(
        c.vmta_ips("default"),
        ["172.31.25.101"],
        "a pool's IPs are its members'"
    );
    assert_eq!(c.vmta_for_ip("172.31.25.101"), Some("mta1"));
    // The only <domain *> is nested in the pool: it applies through the pool and its member.
    assert_eq!(
        c.max_smtp_out("gmail.com", Some("mta1")),
        (20, Source::Config(loc(125)))
    );
    assert_eq!(
        c.max_smtp_out("gmail.com", Some("default")),
        (20, Source::Config(loc(125)))
    );
    assert_eq!(c.max_smtp_out("gmail.com", None), (20, Source::Default));
    assert_eq!(
        c.retry_after("gmail.com", Some("mta1")),
        (600, Source::Config(loc(127)))
    );
    assert_eq!(c.domains.len(), 1);
    assert_eq!(c.domains[0].scope, Scope::Pool("default".into()));

    assert_eq!(c.acct_files.len(), 2);
    assert_eq!(c.acct_files[0].args, "/var/log/pmta/acct.csv");
    assert_eq!(
        c.acct_files[0].get("records").map(|s| s.value.as_str()),
        Some("d,b,f,rb")
    );
    assert_eq!(
        c.acct_files[1].args,
        "|/usr/local/bin/acct_etl --logfile acct_etl.log"
    );
    assert_eq!(
        c.acct_files[1].get("records").map(|s| s.value.as_str()),
        Some("d")
    );
    // Nested generic blocks keep their children.
    let bp = c
        .other_blocks
        .iter()
        .find(|b| b.tag == "bounce-processor")
        .expect("bounce-processor");
    assert_eq!(bp.children.len(), 1);
    assert_eq!(bp.children[0].tag, "address-list");
    assert_eq!(bp.children[0].settings.len(), 2);
    // `password ## YOUR PASSWORD HERE ##` is a directive with an empty value.
    assert!(
        c.directives
            .iter()
            .any(|d| d.name == "password" && d.value.is_empty())
    );
    assert_eq!(
        c.global("host-name").map(|d| d.value.as_str()),
        Some("pmta.signalsdemo.trymsys.net")
    );
}

#[test]
fn evanhenrs_pattern_lists_and_placeholders() {
    let c = parse(EVANHENRS);
    assert_eq!(
        c.pattern_list("common-errors").map(|l| l.entries.len()),
        Some(5)
    );
    assert_eq!(
        c.pattern_list("blocking-errors").map(|l| l.entries.len()),
        Some(64)
    );
    let list = c.pattern_list("blocking-errors").expect("list");
    let e = list
        .entries
        .iter()
        .find(|e| e.pattern.starts_with("mail.live"))
        .expect("entry");
    assert_eq!(e.pattern, "mail.live.com\\/mail\\/troubleshooting.aspx");
    assert!(e.matches("see http://mail.live.com/mail/troubleshooting.aspx#errors"));
    assert_eq!(c.vmtas.len(), 2);
    assert_eq!(
        c.vmta_ips("YourDomain"),
        ["YourIP"],
        "placeholders are kept as written"
    );
    assert_eq!(
        c.effective("example.com", None, "dkim-sign").map(|v| v.0),
        Some("yes".into())
    );
    assert_eq!(c.sources.len(), 3);
    assert!(
        c.other_blocks
            .iter()
            .any(|b| b.tag == "smtp-user" && b.get("source").is_some())
    );
}

#[test]
fn stock_config_defaults() {
    let c = parse(STOCK);
    assert_eq!(c.domains.len(), 1, "the commented-out blocks are not read");
    assert_eq!(c.domains[0].pattern, "*");
    assert_eq!(
        c.max_smtp_out("anything.example", None),
        (20, Source::Config(loc(56)))
    );
    assert_eq!(
        c.retry_after("anything.example", None),
        (600, Source::Config(loc(58)))
    );
    assert_eq!(
        c.effective_duration("x.example", None, "bounce-after", 0),
        (388_800, Source::Config(loc(57)))
    );
    assert_eq!(
        c.sources
            .iter()
            .map(|s| s.args.as_str())
            .collect::<Vec<_>>(),
        ["127.0.0.1", "0/0"]
    );
    assert_eq!(
        c.acct_files[0]
            .get("move-interval")
            .map(|s| s.value.as_str()),
        Some("5m")
    );
    // `http-access #YOUR_IP admin`: the comment leaves a directive without a value.
    assert!(
        c.directives
            .iter()
            .any(|d| d.name == "http-access" && d.value.is_empty())
    );
    assert_eq!(
        c.global("http-mgmt-port").map(|d| d.value.as_str()),
        Some("8080")
    );
}

// ---- the reference article ------------------------------------------------------------------

#[test]
fn article_snippets_parse_and_roll_up_microsoft() {
    let c = parse(ARTICLE);
    let rollups = c.rollups();
    // the article's consumer domains, but the one they roll up to
    for &d in crate::rollup::MICROSOFT_FAMILY
        .iter()
        .filter(|d| **d != "outlook.com")
    {
        assert_eq!(
            rollups.get(d).map(String::as_str),
            Some("outlook.com"),
            "{d}"
        );
        assert_eq!(c.rollup_for_domain(d).as_deref(), Some("outlook.com"));
    }
    assert_eq!(rollups.len(), 10, "the nine plus outlook.com itself");
    assert_eq!(
        c.pool_for_domain("outlook.com").map(|p| p.0),
        Some("microsoft-pool".into())
    );
    assert_eq!(
        c.pool_members("microsoft-pool"),
        None,
        "the article never defines the pool"
    );
    // The last of the article's outlook.com blocks is the 500k+ tier.
    assert_eq!(
        c.max_smtp_out("outlook.com", None),
        (6, Source::Config(loc(62)))
    );
    assert_eq!(
        c.retry_after("outlook.com", None),
        (900, Source::Config(loc(62)))
    );
    let (rate, _) = c.effective_rate("outlook.com", None, "max-msg-rate");
    assert!((rate - 250.0 / 3600.0).abs() < 1e-12);
    assert_eq!(
        c.effective("outlook.com", None, "smtp-pattern-list")
            .map(|v| v.0),
        Some("microsoft-patterns".into())
    );
    // The misspelling is kept under its own name, on its line, for the lint.
    let misspelt: Vec<u32> = c
        .directives
        .iter()
        .filter(|d| d.name == "max-conn-rate")
        .map(|d| d.loc.line)
        .collect();
    assert_eq!(misspelt, [8, 50, 56, 62]);
    // The dkim-sign continuation is one directive at its first line.
    let dkim = c
        .directives
        .iter()
        .find(|d| d.name == "dkim-sign")
        .expect("dkim-sign");
    assert_eq!(dkim.loc.line, 12);
    assert_eq!(
        dkim.value,
        "domain=\"yourdomain.com\" key-file=\"/etc/pmta/dkim/yourdomain.private\" selector=\"s1\""
    );
    assert_eq!(dkim.context, ["domain outlook.com"]);

    let jmrp = c
        .sources
        .iter()
        .find(|s| s.args == "jmrp-fbl")
        .expect("source jmrp-fbl");
    assert_eq!(jmrp.form, BlockForm::Brace);
    assert_eq!(jmrp.get("type").map(|s| s.value.as_str()), Some("pipe"));
    assert_eq!(
        jmrp.get("command").map(|s| s.value.as_str()),
        Some("/usr/local/bin/process_fbl.py --provider=microsoft")
    );
}

#[test]
fn article_smtp_pattern_list() {
    let c = parse(ARTICLE);
    let list = c
        .pattern_list("microsoft-patterns")
        .expect("microsoft-patterns");
    assert_eq!(list.form, BlockForm::Brace);
    assert_eq!(list.entries.len(), 4);
    let rp001 = &list.entries[0];
    assert_eq!(
        (rp001.kind.as_str(), rp001.pattern.as_str(), rp001.is_regex),
        ("reply", "421 4.7.0 RP-001", false)
    );
    assert_eq!(rp001.action("retry-after"), Some(Some("4h")));
    assert_eq!(
        rp001
            .action("retry-after")
            .flatten()
            .and_then(parse_duration),
        Some(4 * 3600)
    );
    assert!(rp001.matches("smtp;421 4.7.0 RP-001 (COL004-MC1F20) Unfortunately..."));
    assert!(!rp001.matches("421 RP-002 (SNT0-MC2-F19)"));
    let rp002 = &list.entries[1];
    assert_eq!(rp002.action("retry-after"), Some(Some("2h")));
    assert_eq!(rp002.action("max-smtp-out"), Some(Some("2")));
    assert_eq!(list.entries[2].pattern, "550 5.7.606");
    assert_eq!(list.entries[2].action("bounce"), Some(None));
    assert_eq!(list.entries[3].action("type"), Some(Some("administrative")));
}

#[test]
fn article_snippets_one_at_a_time() {
    // Section 1 alone: `max-smtp-out tuning 5` is not valid PowerMTA; 5 is read leniently.
    let s1: String = ARTICLE
        .lines()
        .skip(4)
        .take(20)
        .collect::<Vec<_>>()
        .join("\n");
    let c = parse(&s1);
    assert_eq!(
        c.max_smtp_out("outlook.com", None),
        (5, Source::Lenient(loc(3)))
    );
    assert_eq!(
        c.retry_after("outlook.com", None),
        (1200, Source::Config(loc(6)))
    );
    let raw = c
        .effective_setting("outlook.com", None, "max-smtp-out")
        .expect("set");
    assert_eq!(raw.value, "tuning 5");
    assert_eq!(c.rollups().len(), 10);

    // Section 3's domain block.
    let s3 = "domain outlook.com {{\n    smtp-pattern-list microsoft-patterns\n    virtual-mta-pool  \
              microsoft-pool\n    max-smtp-out      5\n    mx-rollup         outlook.com\n}}\n";
    assert_eq!(
        parse(s3).max_smtp_out("outlook.com", None),
        (5, Source::Config(loc(4)))
    );

    // Section 6's tiers: (max-smtp-out, max-conn-rate per s, max-msg-rate per h, retry-after s).
    for (tier, want) in [
        (0, (4, 0.5, 150.0, 1200)),
        (1, (5, 1.0, 200.0, 1200)),
        (2, (6, 1.0, 250.0, 900)),
    ] {
        let block: String = ARTICLE
            .lines()
            .skip(48 + 6 * tier)
            .take(4)
            .collect::<Vec<_>>()
            .join("\n");
        let c = parse(&block);
        let smtp = c.max_smtp_out("outlook.com", None).0;
        let conn = c.effective_rate("outlook.com", None, "max-conn-rate").0;
        let msg = c.effective_rate("outlook.com", None, "max-msg-rate").0 * 3600.0;
        let retry = c.retry_after("outlook.com", None).0;
        assert_eq!(smtp, want.0, "tier {tier}: {block}");
        assert!((conn - want.1).abs() < 1e-9, "tier {tier}");
        assert!((msg - want.2).abs() < 1e-6, "tier {tier}");
        assert_eq!(retry, want.3, "tier {tier}");
        // Four pairs on one line, all at that line.
        assert_eq!(
            c.domains[0]
                .settings
                .iter()
                .filter(|s| s.loc.line == 2)
                .count(),
            4
        );
        assert_eq!(
            c.rollup_for_domain("outlook.com").as_deref(),
            Some("outlook.com")
        );
    }
}

// ---- matching and inheritance -----------------------------------------------------------------

#[test]
fn most_specific_pattern_wins() {
    let c = parse(
        "domain-macro tld com,de\n\
         <domain *>\n max-smtp-out 1\n</domain>\n\
         <domain [*.]example.com>\n max-smtp-out 2\n</domain>\n\
         <domain *.example.com>\n max-smtp-out 3\n</domain>\n\
         <domain *.deep.example.com>\n max-smtp-out 4\n</domain>\n\
         <domain mail.example.com>\n max-smtp-out 5\n</domain>\n\
         <domain aol.$tld>\n max-smtp-out 6\n</domain>\n\
         <domain aol.com>\n max-smtp-out 7\n</domain>\n",
    );
    for (domain, want) in [
        ("other.org", 1),
        ("example.com", 2),        // [*.]x matches x itself; *.x does not
        ("a.example.com", 3),      // *.x beats [*.]x for the same suffix
        ("x.deep.example.com", 4), // the longer suffix wins
        ("deep.example.com", 3),
        ("mail.example.com", 5),  // exact beats every wildcard
        ("MAIL.Example.com.", 5), // case and a trailing dot do not matter
        ("aol.de", 6),            // expanded from the macro
        ("aol.com", 7),           // listed beats expanded, whatever the order
    ] {
        assert_eq!(c.max_smtp_out(domain, None).0, want, "{domain}");
    }
}

#[test]
fn inheritance_through_patterns_pool_and_vmta() {
    let c = parse(
        "<virtual-mta v1>\n smtp-source-host 192.0.2.1 v1.example.com\n\
         <domain outlook.com>\n max-msg-rate 100/h\n</domain>\n</virtual-mta>\n\
         <virtual-mta v2>\n smtp-source-host 192.0.2.2 v2.example.com\n\
         <domain *>\n max-smtp-out 9\n</domain>\n</virtual-mta>\n\
         <virtual-mta v3>\n smtp-source-host 198.51.100.0/24 v3.example.com\n</virtual-mta>\n\
         <virtual-mta-pool pool>\n virtual-mta v1\n virtual-mta v2\n\
         <domain outlook.com>\n max-smtp-out 3\n retry-after 30m\n</domain>\n</virtual-mta-pool>\n\
         <domain outlook.com>\n max-smtp-out 5\n retry-after 1h\n max-msg-rate 200/h\n</domain>\n\
         <domain *>\n max-smtp-out 2\n bounce-after 2d\n</domain>\n",
    );
    let smtp = |d: &str, v: Option<&str>| c.max_smtp_out(d, v).0;
    let val = |d: &str, v: Option<&str>, k: &str| c.effective(d, v, k).map(|x| x.0);
    // Global only.
    assert_eq!(smtp("outlook.com", None), 5);
    assert_eq!(smtp("gmail.com", None), 2);
    // The pool's block beats the global one of the same pattern, for the pool and its members.
    assert_eq!(smtp("outlook.com", Some("pool")), 3);
    assert_eq!(smtp("outlook.com", Some("v1")), 3);
    assert_eq!(
        val("outlook.com", Some("v1"), "retry-after").as_deref(),
        Some("30m")
    );
    // v1's own block sets only max-msg-rate; the rest comes from the pool, then global.
    assert_eq!(
        val("outlook.com", Some("v1"), "max-msg-rate").as_deref(),
        Some("100/h")
    );
    assert_eq!(
        val("outlook.com", Some("pool"), "max-msg-rate").as_deref(),
        Some("200/h")
    );
    assert_eq!(
        val("outlook.com", Some("v1"), "bounce-after").as_deref(),
        Some("2d")
    );
    // v2's <domain *> is less specific than the pool's and global outlook.com blocks...
    assert_eq!(smtp("outlook.com", Some("v2")), 3);
    // ...but beats the global <domain *> for other domains.
    assert_eq!(smtp("gmail.com", Some("v2")), 9);
    // v3 is in no pool: global blocks only; an unknown VMTA likewise.
    assert_eq!(smtp("outlook.com", Some("v3")), 5);
    assert_eq!(smtp("outlook.com", Some("nope")), 5);
    // Unset everywhere: PowerMTA's defaults.
    let empty = parse("postmaster you@example.com\n");
    assert_eq!(
        empty.max_smtp_out("outlook.com", None),
        (20, Source::Default)
    );
    assert_eq!(
        empty.retry_after("outlook.com", Some("v1")),
        (600, Source::Default)
    );
    assert_eq!(
        empty.effective_rate("outlook.com", None, "max-msg-rate"),
        (f64::INFINITY, Source::Default)
    );
    // IPs.
    assert_eq!(c.vmta_ips("pool"), ["192.0.2.1", "192.0.2.2"]);
    assert_eq!(
        c.vmta_for_ip("198.51.100.9"),
        Some("v3"),
        "inside v3's range"
    );
    assert_eq!(c.vmta_for_ip(" 192.0.2.2 "), Some("v2"));
}

#[test]
fn unreadable_values_are_reported_not_guessed() {
    let c = parse("<domain *>\n max-smtp-out lots\n retry-after sometimes\n</domain>\n");
    assert_eq!(
        c.max_smtp_out("x.example", None),
        (20, Source::Invalid(loc(2)))
    );
    assert_eq!(
        c.retry_after("x.example", None),
        (600, Source::Invalid(loc(3)))
    );
    assert_eq!(
        Source::Invalid(loc(2)).to_string(),
        "PowerMTA default (config:2 is unreadable)"
    );
    let c = parse("<domain *>\n retry-after 10m,20m,1h\n</domain>\n");
    assert_eq!(
        c.retry_after("x.example", None),
        (600, Source::Config(loc(2)))
    );
}

// ---- rollups ------------------------------------------------------------------------------------

#[test]
fn rollups_from_macro_queue_to_and_mx_rollup_list() {
    let c = parse(
        "domain-macro hotmail hotmail.com, msn.com,live.com\n\
         <domain $hotmail>\n queue-to \"outlook.com\"\n</domain>\n\
         <domain *.psmtp.com>\n queue-to psmtp.com\n</domain>\n\
         <mx-rollup-list>\n mx *.olc.protection.outlook.com outlook.rollup\n\
         mx mx1.hotmail.com hotmail.rollup\n mx *.mail.protection.outlook.com o365.rollup rollup-by-ip\n\
         </mx-rollup-list>\n",
    );
    let rollups = c.rollups();
    for d in ["hotmail.com", "msn.com", "live.com"] {
        assert_eq!(
            rollups.get(d).map(String::as_str),
            Some("outlook.com"),
            "{d}"
        );
    }
    assert_eq!(rollups.len(), 3, "wildcards are not listed");
    assert_eq!(
        c.rollup_for_domain("a.psmtp.com").as_deref(),
        Some("psmtp.com")
    );
    assert_eq!(c.rollup_for_domain("gmail.com"), None);
    assert_eq!(c.mx_rollups.len(), 3);
    assert_eq!(c.mx_rollups[2].options, ["rollup-by-ip"]);
    assert_eq!(
        c.rollup_for_mx_host("hotmail-com.olc.protection.outlook.com"),
        Some("outlook.rollup")
    );
    assert_eq!(
        c.rollup_for_mx_host("MX1.hotmail.com."),
        Some("hotmail.rollup")
    );
    assert_eq!(
        c.rollup_for_mx_host("example-com.mail.protection.outlook.com"),
        Some("o365.rollup")
    );
    assert_eq!(
        c.rollup_for_mx_host("hotmail.com"),
        None,
        "an MX pattern, not a domain"
    );
}

#[test]
fn queue_to_inside_a_vmta_as_in_the_manual() {
    let c = parse(
        "<virtual-mta hotmail-queue>\n<domain hotmail.queue>\n max-smtp-out 10\n</domain>\n\
         <domain hotmail.com>\n queue-to \"hotmail.queue\"\n</domain>\n</virtual-mta>\n",
    );
    assert_eq!(
        c.rollups().get("hotmail.com").map(String::as_str),
        Some("hotmail.queue")
    );
    assert_eq!(c.max_smtp_out("hotmail.queue", Some("hotmail-queue")).0, 10);
    assert_eq!(c.vmtas[0].domains.len(), 2);
    assert_eq!(c.domains[1].scope, Scope::Vmta("hotmail-queue".into()));
}

#[test]
fn macros_nest_and_loops_are_errors() {
    let c = parse(
        "domain-macro com com, co.uk, com.br\ndomain-macro tld $com, org, net\n\
         <domain yahoo.$tld>\n max-smtp-out 3\n</domain>\n<domain $missing>\n max-smtp-out 4\n</domain>\n",
    );
    assert_eq!(c.macro_domains("$TLD").map(<[String]>::len), Some(5));
    assert_eq!(c.max_smtp_out("yahoo.co.uk", None).0, 3);
    assert_eq!(c.max_smtp_out("yahoo.net", None).0, 3);
    assert_eq!(c.max_smtp_out("yahoo.fr", None).0, 20);
    assert!(
        c.domains[1].matchers.is_empty(),
        "an undefined macro matches nothing"
    );
    let err = parse_err("domain-macro a x.com,$b\ndomain-macro b $a\n");
    assert!(
        err.starts_with("config:1: domain-macro loop: a -> b -> a"),
        "{err}"
    );
}
