//! Tests of the classifier: the built-in rules on real and generated replies, custom rules, the
//! prefilter against the plain rule walk, and the cache.

use super::*;

/// (`dsnDiag`, expected code name). Each is also classified with an `smtp;` prefix.
const CASES: &[(&str, &str)] = &[
    // Real Microsoft texts, verbatim from reference/README.md.
    (
        "421 RP-001 (SNT0-MC2-F19) Unfortunately, some messages from 50.57.111.177 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day. You can also refer to http://mail.live.com/mail/troubleshooting.aspx#errors.",
        "RP-001",
    ),
    (
        "421 PR(ct1) The mail server IP connecting to Windows Live Hotmail server has exceeded the connection limit allowed. ...",
        "PR(ct1)",
    ),
    (
        "550 SC-001 (SNT004-MC3F21) Unfortunately, messages from 178.33.39.27 weren't sent. Please contact your Internet service provider since part of their network is on our block list. ...",
        "SC-001",
    ),
    (
        "550 5.7.1 Unfortunately, messages from [x.xx.xx.xx] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). ...",
        "5.7.1-blocklist",
    ),
    (
        "550 5.7.1 Unfortunately, messages from [x.xx.xx.xx] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). ...",
        "5.7.1-blocklist",
    ),
    (
        "550 5.7.1 Unfortunately, messages from [x.xx.xx.xx] weren't sent. Please contact your Internet service provider since part of their network is on our block list (AS3140). ...",
        "5.7.1-blocklist",
    ),
    (
        "451 4.7.650 The mail server [192.0.2.5] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775) [***.prod.protection.outlook.com]",
        "4.7.650",
    ),
    (
        "451 4.7.650 The mail server [192.0.2.5] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S843) [***.prod.protection.outlook.com]",
        "4.7.650",
    ),
    (
        "451 4.7.651 The mail server [x] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S844) [...]",
        "4.7.651",
    ),
    (
        "451 4.7.500 Server busy. Please try again later from [134.119.1.64]. (S77719) [FR2DEU01FT008.eop-deu01.prod.protection.outlook.com]",
        "4.7.500",
    ),
    (
        "550 5.7.606 Access denied, banned sending IP [x.xx.xx.xx]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to  http://go.microsoft.com/fwlink/?LinkID=526655 (AS16012609)",
        "5.7.606",
    ),
    (
        "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7230) [...]",
        "5.7.708",
    ),
    (
        "550 5.7.515 Access denied, sending domain EXAMPLE.JP doesn't meet the required authentication level. ...",
        "5.7.515",
    ),
    (
        "421 4.3.2 The maximum number of concurrent connections per resource forest has exceeded a limit, closing transmission channel. example.com. PRX8",
        "4.3.2-concurrency",
    ),
    (
        "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [...]",
        "5.5.0-mailbox",
    ),
    // The reference article's forms, with plausible full wording.
    (
        "421 4.7.0 RP-001 Unfortunately, some messages from 192.0.2.10 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day.",
        "RP-001",
    ),
    (
        "421 4.7.0 RP-002 Unfortunately, some messages from 192.0.2.10 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day.",
        "RP-002",
    ),
    (
        "421 4.7.0 RP-003 Unfortunately, some messages from 192.0.2.10 weren't sent. Please try again later.",
        "RP-003",
    ),
    (
        "550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [AM4PEPF00027A6C.eurprd04.prod.outlook.com]",
        "5.7.1-blocklist",
    ),
    (
        "550 5.7.1 Unfortunately, messages from [198.51.100.7] on behalf of (example.com) could not be delivered due to domain owner policy restrictions.",
        "5.7.1-dmarc",
    ),
    (
        "550 5.7.1 Message rejected: example.com failed DMARC verification and has a DMARC policy of reject [DB5PEPF00014B8A.eurprd02.prod.outlook.com]",
        "5.7.1-dmarc",
    ),
    (
        "550 5.7.606 Access denied, banned sending IP [203.0.113.9]. To request removal from this list please visit https://sender.office.com/ and follow the directions.",
        "5.7.606",
    ),
    (
        "451 4.7.500 Server busy. Please try again later from [203.0.113.9]. (S77719) [VI1EUR04FT012.eop-eur04.prod.protection.outlook.com]",
        "4.7.500",
    ),
    (
        "550 5.7.510 Access denied, example.com does not accept email over IPv6 [2001:db8::25]",
        "5.7.510",
    ),
    (
        "550 5.7.509 Access denied, sending domain EXAMPLE.COM does not pass DMARC verification and has a DMARC policy of reject. [DB5PEPF00014B8A.eurprd02.prod.outlook.com]",
        "5.7.509",
    ),
    // Real-log forms of the RP codes.
    (
        "421 RP-002 (BAY004-MC1F37) Unfortunately, some messages from 198.51.100.20 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day. You can also refer to http://mail.live.com/mail/troubleshooting.aspx#errors.",
        "RP-002",
    ),
    (
        "421 RP-003 (COL004-MC5F26) Unfortunately, some messages from 198.51.100.20 weren't sent. Please try again. You can also refer to http://mail.live.com/mail/troubleshooting.aspx#errors.",
        "RP-003",
    ),
    // The bracketed form of the RP codes is the same rule, in both shapes.
    (
        "421 4.7.0 [RP-001] Unfortunately, some messages from 192.0.2.10 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day.",
        "RP-001",
    ),
    (
        "421 4.7.0 [RP-002] Unfortunately, some messages from 192.0.2.10 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day. [BL6PEPF00012345.namprd02.prod.outlook.com 2026-11-20T14:03:11.123Z 08DD0A1B2C3D4E5F]",
        "RP-002",
    ),
    (
        "421 4.7.0 [RP-003] Unfortunately, messages from example.com weren't sent. Please try again later.",
        "RP-003",
    ),
    (
        "421 [RP-001] (SNT0-MC2-F19) Unfortunately, some messages from 198.51.100.20 weren't sent. Please try again.",
        "RP-001",
    ),
    (
        "421 [RP-002] (BAY004-MC1F37) Unfortunately, some messages from 198.51.100.20 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day.",
        "RP-002",
    ),
    (
        "421-4.7.0 [RP-003] (COL004-MC5F26) Unfortunately, some messages from 198.51.100.20 weren't sent.",
        "RP-003",
    ),
    (
        "450 4.0.0 (undefined status);smtp;421 4.7.0 [RP-002] Unfortunately, some messages from [198.51.100.20] weren't sent.",
        "RP-002",
    ),
    // Trailers with per-row ids change nothing.
    (
        "421 4.7.0 RP-002 Unfortunately, some messages from [192.0.2.10] weren't sent. [BL6PEPF00012345.namprd02.prod.outlook.com 2026-11-20T14:03:11.123Z 08DD0A1B2C3D4E5F]",
        "RP-002",
    ),
    (
        "421-4.7.28 Our system has detected an unusual rate of unsolicited mail. Please try again later. d2e1a72fcca58-6f2a1b9c7e3si1234567qkb.123 - gsmtp",
        "4.7.28",
    ),
    // PowerMTA's chained diagnostics: the remote reply sits in the second one.
    (
        "450 4.0.0 (undefined status);smtp;421 RP-002 (BAY004-MC1F37) Unfortunately, some messages from 198.51.100.20 weren't sent.",
        "RP-002",
    ),
    ("450 4.0.0 (undefined status);smtp;421 Refused", "421"),
    (
        "450 4.0.0 (undefined status);smtp;Connection refused",
        "4.0.0",
    ),
    // Look-alikes from other providers fall back to their code.
    (
        "421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
        "4.7.0",
    ),
    ("550 5.7.1 Denied - Spam Suspected", "5.7.1"),
    // Brackets do not move an RP token off its place after the code.
    ("421 4.7.0 Try again later [RP-002]", "4.7.0"),
    ("550 5.7.0 [RP-002] refused", "5.7.0"),
    (
        "554 5.7.1 Denied - Spam Suspected - http://www.w357sfhsjhf873.net/services/spamwatch/blocked.php",
        "5.7.1",
    ),
    (
        "550 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using Spamhaus; To request removal from this list see https://www.spamhaus.org/query/ip/192.0.2.10",
        "5.7.1",
    ),
    (
        "550 5.7.1 Email rejected per DMARC policy for example.com",
        "5.7.1",
    ),
    (
        "550 5.1.1 <rp-001@example.com>: Recipient address rejected: RP-002 SC-001",
        "5.1.1",
    ),
    (
        "421 4.4.2 host 10.5.7.106 dropped connection at 5.7.606x",
        "4.4.2",
    ),
    (
        "550 5.5.0 Requested action not taken: mailbox unavailable",
        "5.5.0",
    ),
    // A rule named after a code owns it wherever it stands.
    (
        "550 Access denied 5.7.606 banned sending IP [203.0.113.9]",
        "5.7.606",
    ),
    // Fallbacks.
    (
        "550 5.1.1 <x@example.com>: Recipient address rejected",
        "5.1.1",
    ),
    ("550-5.7.26 Unauthenticated email is not accepted", "5.7.26"),
    ("421 Too many connections", "421"),
    ("Connection timed out", "(none)"),
    ("", "(none)"),
];

fn name(c: &Classifier, diag: &str, status: &str) -> String {
    c.code_name(c.classify(diag.as_bytes(), status.as_bytes()))
}

#[test]
fn classifies_real_and_article_texts() {
    let c = Classifier::builtin();
    for (diag, want) in CASES {
        assert_eq!(name(&c, diag, ""), *want, "{diag}");
        assert_eq!(name(&c, &format!("smtp;{diag}"), ""), *want, "smtp;{diag}");
    }
}

#[test]
fn every_rule_is_hit_by_a_case() {
    let c = Classifier::builtin();
    let hit: Vec<Code> = CASES
        .iter()
        .map(|(diag, _)| c.classify(diag.as_bytes(), b""))
        .collect();
    for (i, rule) in c.rules().iter().enumerate() {
        assert!(
            hit.contains(&Code::Rule(to_rule_id(i))),
            "no test text hits rule {}",
            rule.id
        );
    }
}

#[test]
fn type_prefixes_and_whitespace_are_skipped() {
    let c = Classifier::builtin();
    for diag in [
        "x-unix;421 4.7.0 RP-001 blocked",
        "  smtp; 421 RP-001 (SNT0-MC2-F19) Unfortunately \r\n",
        "smtp;smtp;421 RP-001 (SNT0-MC2-F19)",
        "SMTP;421-4.7.0 RP-001 blocked",
    ] {
        assert_eq!(name(&c, diag, ""), "RP-001", "{diag:?}");
    }
    // A `;` inside a reply is no boundary between replies.
    assert_eq!(name(&c, "smtp;550 5.7.1 x;y; 421 RP-001", ""), "5.7.1");
}

#[test]
fn status_is_used_when_diag_has_no_code() {
    let c = Classifier::builtin();
    assert_eq!(name(&c, "", "4.4.1 (no answer from host)"), "4.4.1");
    assert_eq!(name(&c, "  ", "4.4.1 (no answer from host)"), "4.4.1");
    assert_eq!(name(&c, "smtp;", "5.2.2 (mailbox full)"), "5.2.2");
    assert_eq!(
        name(&c, "smtp;Connection refused", "4.4.1 (no answer from host)"),
        "4.4.1"
    );
    // A diag with a code wins over the status.
    assert_eq!(
        name(&c, "smtp;550 Refused", "5.0.0 (undefined status)"),
        "550"
    );
    // A Microsoft code in the status still maps to its rule, so names stay unique.
    assert_eq!(name(&c, "", "5.7.606 (other security status)"), "5.7.606");
    assert_eq!(
        c.classify(b"", b"5.7.606"),
        Code::Rule(c.rule_id("5.7.606").expect("rule"))
    );
    assert_eq!(name(&c, "", ""), "(none)");
}

#[test]
fn rule_ids_are_unique_and_described() {
    let c = Classifier::builtin();
    for (i, rule) in c.rules().iter().enumerate() {
        assert_eq!(
            c.rule_id(rule.id),
            Some(to_rule_id(i)),
            "duplicate id {}",
            rule.id
        );
        let info = c.describe(Code::Rule(to_rule_id(i)));
        assert_eq!(info.provider, Some("Microsoft"));
        assert_eq!(info.kind, Some(rule.kind));
        assert!(info.meaning.is_some_and(|m| !m.is_empty()), "{}", rule.id);
        assert!(info.action.is_some_and(|a| !a.is_empty()), "{}", rule.id);
    }
}

#[test]
fn article_actions_are_kept() {
    let c = Classifier::builtin();
    let action = |id: &str| c.rule(c.rule_id(id).expect("rule")).action;
    assert_eq!(
        action("RP-001"),
        "Stop sending; check SNDS; do not retry for 4h minimum"
    );
    assert_eq!(
        action("RP-002"),
        "Reduce max-connect-rate; increase retry-after to 30m"
    );
    assert_eq!(
        action("RP-003"),
        "Check domain reputation; verify DMARC policy"
    );
    assert_eq!(
        action("5.7.1-blocklist"),
        "Contact Microsoft Sender Support; use alternate IP"
    );
    assert_eq!(
        action("5.7.1-dmarc"),
        "Debug SPF/DKIM alignment; check From: domain match"
    );
    assert_eq!(
        action("5.7.606"),
        "Submit delisting at sendersupport.olc.protection.outlook.com"
    );
    assert_eq!(
        action("4.7.500"),
        "Normal retry at standard retry-after interval"
    );
}

#[test]
fn code_names_round_trip() {
    let c = Classifier::builtin();
    let mut codes: Vec<Code> = (0..c.rules().len())
        .map(|i| Code::Rule(to_rule_id(i)))
        .collect();
    codes.extend(
        CASES
            .iter()
            .map(|(diag, _)| c.classify(diag.as_bytes(), b"")),
    );
    codes.push(c.classify(b"", b"4.4.1 (no answer from host)"));
    for code in codes {
        assert_eq!(c.parse_code(&c.code_name(code)), Some(code), "{code:?}");
    }
    assert_eq!(c.parse_code("rp-002"), c.rule_id("RP-002").map(Code::Rule));
    assert_eq!(
        c.parse_code("pr(CT1)"),
        c.rule_id("PR(ct1)").map(Code::Rule)
    );
    assert_eq!(c.parse_code(" 421 "), Some(Code::Smtp(SmtpCode(421))));
    assert_eq!(c.parse_code("(NONE)"), Some(Code::None));
    for bad in ["", "RP-9", "6.1.1", "42", "5.7"] {
        assert_eq!(c.parse_code(bad), None, "{bad}");
    }
}

#[test]
fn fallback_codes_are_described() {
    let c = Classifier::builtin();
    let info =
        |diag: &str, status: &str| c.describe(c.classify(diag.as_bytes(), status.as_bytes()));

    let unknown_user = info("550 5.1.1 <x@example.com>: Recipient address rejected", "");
    assert_eq!(unknown_user.provider, None);
    assert_eq!(unknown_user.kind, Some(ResponseKind::Bounce));
    assert_eq!(
        unknown_user.meaning,
        Some("Bad destination mailbox address")
    );
    assert!(unknown_user.action.is_some_and(|a| a.contains("Suppress")));

    let no_answer = info("", "4.4.1 (no answer from host)");
    assert_eq!(no_answer.kind, Some(ResponseKind::Deferral));
    assert_eq!(no_answer.meaning, Some("No answer from host"));

    // An unlisted detail falls back to its subject's meaning.
    let odd = info("451 4.4.99 odd", "");
    assert_eq!(odd.meaning, Some("Network and routing status"));
    assert_eq!(odd.action, None);

    let smtp = info("421 Too many connections", "");
    assert_eq!(smtp.kind, Some(ResponseKind::Deferral));
    assert!(
        smtp.meaning
            .is_some_and(|m| m.starts_with("Service not available"))
    );

    assert_eq!(c.describe(Code::None), CodeInfo::default());
}

fn spec(id: &str, pattern: &str) -> RuleSpec {
    let json = serde_json::json!({
        "id": id, "provider": "Acme", "kind": "bounce",
        "meaning": "Acme refuses bulk mail", "action": "Stop mailing Acme", "pattern": pattern,
    });
    serde_json::from_value(json).expect("valid spec")
}

#[test]
fn user_rules_come_before_builtin() {
    let c = Classifier::with_rules(vec![spec("ACME-1", r"RP-002 \(BAY")]).expect("compiles");
    let text = b"smtp;421 RP-002 (BAY004-MC1F37) Unfortunately, some messages weren't sent.";
    let code = c.classify(text, b"");
    assert_eq!(c.code_name(code), "ACME-1");
    assert_eq!(c.describe(code).provider, Some("Acme"));
    assert_eq!(c.describe(code).kind, Some(ResponseKind::Bounce));
    // The built-in rules still work behind the user's.
    assert_eq!(
        c.code_name(c.classify(b"smtp;421 4.7.0 RP-002 x", b"")),
        "RP-002"
    );
    assert_eq!(c.parse_code("acme-1"), Some(code));
}

#[test]
fn bad_user_rules_are_errors_naming_the_rule() {
    let err = Classifier::with_rules(vec![spec("ACME-2", "550 (unclosed")]).expect_err("bad regex");
    assert!(matches!(&err, RuleError::Pattern { id, .. } if id == "ACME-2"));
    assert!(err.to_string().contains("ACME-2"), "{err}");

    let dup = Classifier::with_rules(vec![spec("rp-001", "x")]).expect_err("duplicate");
    assert!(err_names(&dup, "rp-001"), "{dup}");

    let bad_kind = serde_json::from_str::<RuleSpec>(
        r#"{"id":"A","provider":"A","kind":"later","meaning":"","action":"","pattern":"x"}"#,
    );
    assert!(bad_kind.is_err());
}

fn err_names(err: &RuleError, id: &str) -> bool {
    err.to_string().contains(id)
}

#[test]
fn builtin_rules_are_prefiltered() {
    // Every built-in pattern holds a fixed piece of text, so the prefilter is on.
    assert!(Classifier::builtin().prefiltered());
    let with = |pattern: &str| {
        Classifier::with_rules(vec![spec("ACME-1", pattern)])
            .expect("compiles")
            .prefiltered()
    };
    assert!(with(r"^550 5\.7\.1 .*(?i:acme)"));
    // Even a short literal keeps it on: every match of this one holds a `5`.
    assert!(with(r"^5\d\d .*"));
    // A user pattern that can match without a fixed text turns it off, for correctness.
    assert!(!with(r"x*"));
    assert!(!with(r"^\w+$"));
    assert!(!with(r"[^\x00-\x7f]"));
    // With the prefilter off the user's rule still works, and so do the built-in ones.
    let c = Classifier::with_rules(vec![spec("ACME-1", r"[^\x00-\x7f]")]).expect("compiles");
    assert_eq!(name(&c, "smtp;554 Refus\u{e9}", ""), "ACME-1");
    assert_eq!(
        name(&c, "smtp;421 [RP-002] (BAY004-MC1F37) x", ""),
        "RP-002"
    );
}

use crate::test_rng::Rng;

/// `len` random upper-case hex digits, as the ids in replies.
fn hex(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(b"0123456789ABCDEF"[rng.below(16)]))
        .collect()
}

/// Pieces that rules look for, and pieces that merely resemble them.
const TOKENS: &[&str] = &[
    "RP-001",
    "RP-002",
    "RP-003",
    "[RP-001]",
    "[RP-002]",
    "[RP-003",
    "RP-0021",
    "PR(ct1)",
    "SC-001",
    "4.7.500",
    "4.7.650",
    "4.7.651",
    "5.7.606",
    "5.7.510",
    "5.7.708",
    "5.7.509",
    "5.7.515",
    "5.7.1 ",
    "4.3.2 The maximum number of concurrent connections",
    "4.3.2 The maximum number of concurrent server connections",
    "5.5.0 Requested action not taken: mailbox unavailable (S2017062302)",
    "part of their network is on our block list",
    "(S3150)",
    "(AS3140)",
    "domain owner policy restrictions",
    "Unfortunately, messages from ",
    "DMARC",
    ".outlook.com",
    "Hotmail",
    "(S1234)",
    ";smtp;",
    ";x-unix;",
    ";",
    "421 ",
    "421-",
    "450 4.0.0 ",
    "550 ",
    "550-",
    "4.7.0 ",
    "4.999.999 ",
    "5.1.1 ",
    "acme",
    "acme.example",
    "SPAMHAUS",
    "\u{17f}pamhaus",
    "ACME",
    "Acme",
    "gsmtp",
    " - gsmtp",
    "[",
    "]",
    "(",
    " ",
    "\t",
    "\u{e9}",
    "\u{212a}",
];

/// A real-looking response: a seed text with per-row ids, trailers, prefixes, chained
/// replies and random edits.
fn mutated(rng: &mut Rng, seeds: &[&str]) -> Vec<u8> {
    let mut text: Vec<u8> = rng.pick(seeds).as_bytes().to_vec();
    for _ in 0..rng.below(5) {
        let at = rng.below(text.len() + 1);
        match rng.below(11) {
            0 => {
                let id = format!(
                    " {}-{}si{}qkb.{} - gsmtp",
                    hex(rng, 13).to_lowercase(),
                    hex(rng, 11).to_lowercase(),
                    rng.below(10_000_000),
                    rng.below(1000)
                );
                text.extend_from_slice(id.as_bytes());
            }
            1 => {
                let trailer = format!(
                    " [BL6PEPF{}.namprd02.prod.outlook.com 2026-11-20T14:03:11.123Z 08DD{}]",
                    hex(rng, 8),
                    hex(rng, 12)
                );
                text.extend_from_slice(trailer.as_bytes());
            }
            2 => {
                let prefix = *rng.pick(&["smtp;", "SMTP; ", "x-unix;", "  ", "smtp;smtp;"]);
                text.splice(0..0, prefix.bytes());
            }
            3 => {
                let wrapper = *rng.pick(&[
                    "450 4.0.0 (undefined status);smtp;",
                    "550 5.0.0 (undefined status);smtp;",
                    "451 4.4.0 (other or undefined network or routing status);smtp;",
                ]);
                text.splice(0..0, wrapper.bytes());
            }
            4 => {
                let other = rng.pick(seeds).as_bytes().to_vec();
                text.extend_from_slice(b";smtp;");
                text.extend_from_slice(&other);
            }
            5 | 6 => {
                let token = rng.pick(TOKENS).as_bytes();
                text.splice(at..at, token.iter().copied());
            }
            7 => {
                let end = (at + rng.below(12)).min(text.len());
                text.drain(at..end);
            }
            8 => {
                let byte = *rng.pick(b"[]() -.;:0123456789RPSCabcxyz\t\xc3\xa9\xff");
                if at < text.len() {
                    text[at] = byte;
                } else {
                    text.push(byte);
                }
            }
            9 => {
                let code = rng.pick(&["421", "450", "451", "550", "554", "250", "4.7", "99"]);
                let end = 3.min(text.len());
                text.splice(0..end, code.bytes());
            }
            _ => text.truncate(at),
        }
    }
    text
}

fn seeds() -> Vec<&'static str> {
    let mut seeds: Vec<&str> = CASES.iter().map(|(diag, _)| *diag).collect();
    seeds.extend([
        "421-4.7.28 [198.51.100.7      15] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. For more information, go to https://support.google.com/mail/?p=UnsolicitedRateLimitError",
        "550-5.1.1 The email account that you tried to reach does not exist.",
        "421 4.7.0 RP-002 Unfortunately, some messages weren't sent.",
        "421 [RP-002] (BAY004-MC1F37) Unfortunately, some messages weren't sent.",
        // The longest heads the anchored rules allow before their token.
        "421 4.999.999 [RP-002] (BAY004-MC1F37) Unfortunately, some messages weren't sent.",
        "451-4.100.100 [RP-001] x",
        "421 4.123.456 PR(ct1) The mail server IP connecting to Windows Live Hotmail",
        "550 5.555.555 SC-001 (SNT004-MC3F21) Unfortunately",
        "550 5.7.1 Acme says no: see acme.example",
        "554 5.7.1 [acme] rejected as spam",
        "4.7.0 (other or undefined security status)",
        "5.1.1 (bad destination mailbox address)",
        "Connection timed out",
        "",
    ]);
    seeds
}

/// Classifiers whose user rules exercise the prefilter: literals shared with built-in rules
/// (so a user rule and a built-in one are both candidates), case-insensitive literals, a
/// rule that can never match, more candidates than are tried one by one, and rules without
/// any literal (prefilter off).
fn classifiers() -> Vec<Classifier> {
    let build = |patterns: &[&str]| {
        let specs = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| spec(&format!("USER-{i}"), p))
            .collect();
        Classifier::with_rules(specs).expect("compiles")
    };
    let crowd: Vec<String> = (0..10).map(|i| format!(r"\.{i}|4\.7\.")).collect();
    let crowd: Vec<&str> = crowd.iter().map(String::as_str).collect();
    vec![
        Classifier::builtin(),
        build(&[
            r"RP-002 \(BAY",
            r"(?i)acme",
            r"^550 5\.7\.1 .*spam",
            r"(?i)spamhaus|acme\.example",
        ]),
        build(&[
            r"^4\d\d[ -]RP-00[13]\b",
            r"(?i:dmarc).*outlook",
            r"[^\x00-\x{10FFFF}]",
            r"^5\d\d .*",
        ]),
        build(&[
            r"gsmtp$",
            r"\bk\b",
            r"^.{0,70}RP-002 \(",
            r"^4\d\d-4\.7\.\d+ \[",
        ]),
        build(&crowd),
        build(&[r"[^\x00-\x7f]", r"RP-002"]),
    ]
}

fn type_prefix_len_by_definition(text: &[u8]) -> usize {
    let token = text
        .iter()
        .take(21)
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        .count();
    let starts_alpha = text.first().is_some_and(u8::is_ascii_alphabetic);
    if starts_alpha && token <= 20 && text.get(token) == Some(&b';') {
        token + 1
    } else {
        0
    }
}

fn reply_code_by_definition(reply: &[u8]) -> Option<Code> {
    let (smtp, rest) = smtp_code(reply);
    EnhancedStatus::find(rest)
        .map(Code::Status)
        .or(smtp.map(Code::Smtp))
}

#[test]
fn prefilter_agrees_with_the_regex_set_on_generated_texts() {
    let seeds = seeds();
    let statuses = [
        "",
        "4.7.0 (other or undefined security status)",
        "5.7.606 (other security status)",
        "4.4.1 (no answer from host)",
    ];
    let mut rng = Rng::new(0x5EED_CAFE);
    let classifiers = classifiers();
    assert!(classifiers[..5].iter().all(Classifier::prefiltered));
    assert!(!classifiers[5].prefiltered());
    let mut ruled = 0;
    for c in &classifiers {
        let plain = c.clone().without_prefilter();
        for _ in 0..4000 {
            let diag = mutated(&mut rng, &seeds);
            let status = *rng.pick(&statuses);
            let fast = c.classify(&diag, status.as_bytes());
            let slow = plain.classify(&diag, status.as_bytes());
            assert_eq!(
                c.code_name(fast),
                c.code_name(slow),
                "{:?}",
                String::from_utf8_lossy(&diag)
            );
            ruled += usize::from(matches!(fast, Code::Rule(_)));
            // The hand-written scanners agree with their plain definitions.
            for at in 0..diag.len().min(40) {
                assert_eq!(
                    type_prefix_len(&diag[at..]),
                    type_prefix_len_by_definition(&diag[at..])
                );
            }
            for reply in replies(strip_type(diag.trim_ascii())) {
                assert_eq!(reply_code(reply), reply_code_by_definition(reply));
            }
            // The property the fast path rests on: a rule that matches a reply of the
            // text is among the text's candidates.
            let text = strip_type(diag.trim_ascii());
            let candidates = c
                .prefilter
                .as_ref()
                .map(|p| p.candidates(text, replies(text)));
            if let Some(Some((found, n))) = candidates {
                for (i, regex) in c.each.iter().enumerate() {
                    if replies(text).any(|reply| regex.is_match(reply)) {
                        assert!(
                            found[..n].contains(&i),
                            "rule {} matches but is no candidate: {:?}",
                            c.rules[i].id,
                            String::from_utf8_lossy(&diag)
                        );
                    }
                }
            }
        }
    }
    // The generated texts reach the rules, not only the fallback.
    assert!(ruled > 4000, "only {ruled} texts matched a rule");
}
