//! Tests of the checks' helpers: misspellings, whole rates, tiers and the directive table.

use super::directives::{KNOWN, fixed_value, misspelling, whole_rate};

use super::*;

#[test]
fn misspellings_and_whole_rates() {
    assert_eq!(
        misspelling("max-conn-rate").map(|m| m.0),
        Some("max-connect-rate")
    );
    assert_eq!(
        misspelling("max-smtp-outt").map(|m| m.0),
        Some("max-smtp-out")
    );
    assert_eq!(
        misspelling("retry-afterr").map(|m| m.0),
        Some("retry-after")
    );
    assert_eq!(misspelling("max-smtp-out"), None);
    assert_eq!(misspelling("frobnicate-everything"), None);
    assert_eq!(whole_rate("0.5/s").as_deref(), Some("1/2s"));
    assert_eq!(whole_rate("1.5/h").as_deref(), Some("3/2h"));
    assert_eq!(whole_rate("0.25/10m").as_deref(), Some("1/40m"));
    assert_eq!(whole_rate("200/h"), None);
    assert_eq!(
        fixed_value("max-smtp-out", "tuning 5").as_deref(),
        Some("5")
    );
    assert_eq!(fixed_value("max-smtp-out", "5"), None);
    assert_eq!(strsim::osa_distance("kitten", "sitting"), 3);
    // Two swaps of neighbours are two edits (four apart for plain Levenshtein).
    assert_eq!(
        misspelling("mxa-smtp-otu").map(|m| m.0),
        Some("max-smtp-out")
    );
}

#[test]
fn a_long_unknown_directive_is_checked_in_linear_time() {
    // Found by the fuzz harness (tests/fuzz.rs): each unknown name was compared with every
    // known one, at a cost of its length times theirs; 2 MiB of one word took minutes.
    let text = format!("{} 1\nmax-smtp-ot 5\n", "x".repeat(2 << 20));
    let config = Config::parse_str(&text, "/etc/pmta/config").expect("parses");
    let started = std::time::Instant::now();
    let report = check(&config, None, &[]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.title.contains("max-smtp-ot")),
        "short names still get their suggestion"
    );
}

#[test]
fn tiers_by_volume() {
    assert_eq!(tier_of(0).max_smtp_out, 4);
    assert_eq!(tier_of(99_999).max_smtp_out, 4);
    assert_eq!(tier_of(100_000).max_smtp_out, 5);
    assert_eq!(tier_of(2_000_000).max_smtp_out, 6);
}

#[test]
fn every_known_directive_is_unique_and_lowercase() {
    let mut seen = std::collections::BTreeSet::new();
    for k in KNOWN.iter() {
        assert_eq!(k.to_ascii_lowercase(), *k);
        assert!(seen.insert(*k), "{k} twice");
    }
}

#[test]
fn the_directive_table_is_read_without_comments_or_blank_lines() {
    assert!(KNOWN.len() > 300, "{} names", KNOWN.len());
    assert!(
        KNOWN
            .iter()
            .all(|k| !k.is_empty() && !k.starts_with('#') && k.trim() == *k)
    );
    for k in [
        "total-max-smtp-out",
        "max-smtp-out",
        "dkim-sign",
        "domain-key-list",
    ] {
        assert!(KNOWN.contains(&k), "{k}");
    }
}
