//! Fuzz targets for `PowerMTA` configs: any bytes, and configs built from directive lines.

use super::*;

// ---------------------------------------------------------------------------------------------
// `PowerMTA` configs

/// A directory of include targets, made once: a good file, one including it, one including
/// itself, one with an unclosed block, and a `conf.d` with a wildcard's worth.
static INCLUDES: LazyLock<tempfile::TempDir> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("tempdir");
    let files: &[(&str, &str)] = &[
        (
            "good.conf",
            "<domain good.example>\nmax-smtp-out 3\n</domain>\n",
        ),
        (
            "nested.conf",
            "include good.conf\ndomain-macro inc a.com,b.com\n",
        ),
        ("self.conf", "include self.conf\n"),
        ("unclosed.conf", "<virtual-mta v9>\n"),
        (
            "conf.d/a.conf",
            "<virtual-mta-pool p9>\nvirtual-mta v9\n</virtual-mta-pool>\n",
        ),
        ("conf.d/b.conf", "retry-after 5m\n"),
    ];
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write include");
    }
    dir
});

/// Parses a config (text, and the same bytes as a file); when it parses, lints and queries it.
fn check_config(bytes: &[u8], scratch: &Path) -> Result<(), TestCaseError> {
    let _running = Running::start("config", bytes);
    let virtual_path = INCLUDES.path().join("main.conf");
    let text = String::from_utf8_lossy(bytes);
    let parsed = PmtaConfig::parse_str(&text, &virtual_path);
    std::fs::write(scratch, bytes).expect("write the case");
    let from_file = PmtaConfig::parse_file(scratch);
    prop_assert_eq!(parsed.is_ok(), from_file.is_ok());
    if let Ok(c) = parsed {
        let report = pmta_lens::config::lint::check(&c, None, &["p9".to_string()]);
        let _ = report.has_problems();
        for domain in ["outlook.com", "a.com", "good.example", "", "x.y.z"] {
            for vmta in [None, Some("v1"), Some("v9")] {
                let _ = c.max_smtp_out(domain, vmta);
                let _ = c.retry_after(domain, vmta);
                let _ = c.effective_rate(domain, vmta, "max-msg-rate");
                let _ = c.matching_blocks(domain, vmta);
            }
            let _ = c.rollup_for_domain(domain);
            let _ = c.pool_for_domain(domain);
        }
        let _ = c.rollups();
        let _ = c.vmta_for_ip("192.0.2.1");
        let _ = serde_json::to_string(&c);
    }
    Ok(())
}

fn config_line() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("outlook.com".to_string()),
        Just("*.yahoo.com".to_string()),
        Just("[*.]gmail.com".to_string()),
        Just("*".to_string()),
        Just("$ms".to_string()),
        Just("$ms.$tld".to_string()),
        Just("$undefined".to_string()),
        Just("v1".to_string()),
        Just("p1".to_string()),
        Just("\"quoted word\"".to_string()),
        "[a-z0-9.$*,-]{0,10}",
    ];
    let line = prop_oneof![
        3 => (prop::sample::select(&["domain", "virtual-mta", "virtual-mta-pool",
                "smtp-pattern-list", "pattern-list", "mx-rollup-list", "source", "acct-file",
                "DOMAIN", "x", ""][..]), word.clone())
            .prop_map(|(t, w)| format!("<{t} {w}>")),
        3 => prop::sample::select(&["</domain>", "</virtual-mta>", "</virtual-mta-pool>",
                "</smtp-pattern-list>", "</pattern-list>", "</mx-rollup-list>", "</source>",
                "</x>", "</domain", "</>", "<>", "<", ">"][..])
            .prop_map(str::to_string),
        2 => (prop::sample::select(&["domain", "virtual-mta", "x", ""][..]), word.clone(),
                prop::sample::select(&["{", "{{", "{ max-smtp-out 4 }", "{{ mx-rollup x }}"][..]))
            .prop_map(|(t, w, b)| format!("{t} {w} {b}")),
        2 => prop::sample::select(&["}", "}}", "{", "{{"][..]).prop_map(str::to_string),
        4 => (prop::sample::select(&["max-smtp-out", "retry-after", "max-msg-rate",
                "max-connect-rate", "mx-rollup", "virtual-mta", "smtp-source-host",
                "queue-to", "use-starttls", "bounce-after", "backoff-max-msg-rate",
                "smtp-pattern-list", "mx", "reply", "mail-from", "*", "Max-SMTP-Out"][..]),
                prop::sample::select(&["5", "0", "-1", "99999999999999999999", "10m", "1h30m",
                "2/h", "0.5/s", "1/0s", "x", "", "192.0.2.1 mta.example.com",
                "/421 .* busy/ mode=backoff", "\"421 4.7.0\" retry-after=4h",
                "max-msg-rate 150/h retry-after 20m", "*.outlook.com outlook.rollup",
                "yes", "\"a#b\" # comment", "v1,v2 v3"][..]))
            .prop_map(|(k, v)| format!("{k} {v}")),
        2 => (prop::sample::select(&["a", "b", "ms", "tld", "x", "$ms", "MS", "$"][..]),
                prop::collection::vec(prop_oneof![
                    8 => prop::sample::select(&["a.com", "b.com", "$a", "$b", "$ms", "$tld",
                        "$x", "x.$a", "$a.$b", "$a$a", "$a.$b.$ms.$tld", "com", "net", "",
                        "$", "$$a"][..]).prop_map(str::to_string),
                    1 => (1usize..2000, prop::sample::select(&["$a", "$b.", "$ms$tld"][..]))
                        .prop_map(|(n, r)| r.repeat(n)),
                ], 0..5))
            .prop_map(|(n, items)| format!("domain-macro {n} {}", items.join(","))),
        2 => prop::sample::select(&["include good.conf", "include nested.conf",
                "include missing.conf", "include self.conf", "include unclosed.conf",
                "include conf.d/*.conf", "include conf.d/[ab].conf", "include *.none",
                "include", "include /dev/null", "include conf.d", "include ../x/*"][..])
            .prop_map(str::to_string),
        1 => prop::sample::select(&["# comment", "\\", "line \\", "\"unterminated",
                "mail-from /newsletter/ <pattern-list>", "a <b>", "\u{feff}", "\t",
                "\u{3000}domain", "\u{0}"][..]).prop_map(str::to_string),
        1 => "[ -~]{0,20}",
    ];
    let pad = prop::sample::select(&["", " ", "\t", "  \t"][..]);
    let end = prop::sample::select(&["\n", "\n", "\r\n", "\\\n", " # c\n", "\r", ""][..]);
    (pad, line, end).prop_map(|(p, l, e)| format!("{p}{l}{e}"))
}

fn config_text() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::bool::weighted(0.05),
        prop::collection::vec(config_line(), 0..40),
    )
        .prop_map(|(bom, lines)| {
            let mut out = if bom {
                "\u{feff}".to_string()
            } else {
                String::new()
            };
            out.extend(lines);
            out.into_bytes()
        })
}

#[test]
fn config_any() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scratch = dir.path().join("fuzz.conf");
    fuzz!(
        "config_any",
        prop::collection::vec(any::<u8>(), 0..2000).prop_map(Bytes),
        |Bytes(bytes)| {
            check_config(&bytes, &scratch)?;
        }
    );
}

#[test]
fn config_grammar() {
    // Beside the include targets, so the file resolves its includes as the text does.
    let scratch = INCLUDES.path().join("fuzz.conf");
    fuzz!("config_grammar", config_text().prop_map(Bytes), |Bytes(
        bytes,
    )| {
        check_config(&bytes, &scratch)?;
    });
}
