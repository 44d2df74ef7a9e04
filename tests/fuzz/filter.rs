//! Fuzz targets for the `--where` language: any text, and expressions built from its grammar.

use super::*;

// ---------------------------------------------------------------------------------------------
// The `--where` language

/// `2026-01-14T12:00:00Z`.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_768_392_000, 0).expect("in range")
}

/// Rows to evaluate parsed filters on: a deferral, a bounce with empty fields, non-ASCII.
fn rows() -> [RowView<'static>; 3] {
    [
        RowView {
            kind: RecordKind::Transient,
            vmta: b"vmta-ms-1",
            pool: b"pool",
            source_ip: b"192.0.2.10",
            domain: b"outlook.com",
            rcpt_domain: b"hotmail.com",
            code: Code::Smtp(SmtpCode(421)),
            response_kind: Some(ResponseKind::Deferral),
            job: b"job",
            diag: b"smtp;421 rate limit",
            time: Some(1_768_384_800),
            rcpt: b"u@hotmail.com",
            orig: b"",
            queue: b"",
            env_id: b"",
        },
        RowView {
            kind: RecordKind::Bounced,
            vmta: b"",
            pool: b"",
            source_ip: b"",
            domain: b"",
            rcpt_domain: b"",
            code: Code::None,
            response_kind: None,
            job: b"",
            diag: b"",
            time: None,
            rcpt: b"",
            orig: b"",
            queue: b"",
            env_id: b"",
        },
        RowView {
            kind: RecordKind::Delivered,
            vmta: "VMTA-ü".as_bytes(),
            pool: b"\xff\xfe",
            source_ip: b"2001:db8::1",
            domain: "bücher.de".as_bytes(),
            rcpt_domain: b"xn--bcher-kva.de",
            code: Code::Smtp(SmtpCode(999)),
            response_kind: Some(ResponseKind::Bounce),
            job: "ß".as_bytes(),
            diag: b"\0",
            time: Some(i64::MIN),
            rcpt: "ü@bücher.de".as_bytes(),
            orig: b"",
            queue: b"",
            env_id: b"",
        },
    ]
}

/// Parses `expr`; when it parses, its canonical text parses to itself and the filter can be
/// evaluated, extended and cut down.
fn check_filter(expr: &str) -> Result<(), TestCaseError> {
    let _running = Running::start("filter", expr.as_bytes());
    let Ok(f) = Filter::parse(expr, &CLASSIFIER, now()) else {
        return Ok(());
    };
    let text = f.to_string();
    match Filter::parse(&text, &CLASSIFIER, now()) {
        Ok(again) => prop_assert_eq!(again.to_string(), text.clone(), "from {:?}", expr),
        Err(e) => prop_assert!(
            false,
            "canonical {:?} of {:?} does not parse: {}",
            text,
            expr,
            e
        ),
    }
    for row in &rows() {
        let _ = f.matches(row);
    }
    let _ = f.time_range();
    let _ = f.and(expr, &CLASSIFIER, now());
    for i in 0..=f.terms().len() {
        let _ = f.without(i);
    }
    Ok(())
}

fn filter_term() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        6 => prop::sample::select(
            &[
                "type", "vmta", "pool", "ip", "domain", "rcpt-domain", "rcpt_domain", "code",
                "kind", "job", "diag", "since", "until", "dlvSourceIp", "VMTAPOOL", "jobId",
                "dsnDiag", "source-ip", "domian", "tpye", "", "!vmta", "\"type\"", "Since",
            ][..]
        )
        .prop_map(str::to_string),
        1 => "[a-zA-Z_-]{0,8}",
    ];
    let op = prop::sample::select(&["=", "!=", "~", "!~", "==", "!", "", "=~", "~=", "!!="][..]);
    let value = prop_oneof![
        4 => prop::sample::select(
            &[
                "d", "tq", "x", "deferral", "bounce", "RP-002", "5.7.1", "421", "(none)",
                "outlook.com", "BÜCHER.de", "xn--bcher-kva.de", "192.0.2.1", "2026-01-14",
                "2026-01-14T10:00", "\"2026-01-14 10:00\"", "2026-01-14 10:00:00.5+0200",
                "-2h", "-1h30m", "-0s", "-99999999999999999999d", "-9223372036854775807s",
                "-106751991167300d", "2h", "-", "-1x", "1970-01-01", "9999-12-31T23:59:59Z",
                "+262143-01-01", "2026-02-30", "a,b", "a,,b", ",", "\"a b\",c", "'x\"y'",
                "\"unterminated", "'", "(a*)*b", "[", "\\", "(?i)rate", "\\p{L}+", ".{9999}",
                "a{1000}{1000}", "((((((((((x))))))))))", "ü", "\u{0}", "10:00", "tq,TQ,t",
            ][..]
        )
        .prop_map(str::to_string),
        1 => "[ -~]{0,12}",
        1 => "\\PC{0,8}",
    ];
    (name, op, value).prop_map(|(n, o, v)| format!("{n}{o}{v}"))
}

fn filter_expr() -> impl Strategy<Value = String> {
    let sep = prop::sample::select(&[" ", " ", "  ", "\t", "\u{3000}", "\n", ""][..]);
    prop::collection::vec((filter_term(), sep), 0..6).prop_map(|terms| {
        terms.into_iter().fold(String::new(), |mut out, (t, s)| {
            out.push_str(&t);
            out.push_str(s);
            out
        })
    })
}

#[test]
fn filter_any() {
    fuzz!("filter_any", any::<String>(), |expr| {
        check_filter(&expr)?;
    });
}

#[test]
fn filter_grammar() {
    fuzz!("filter_grammar", filter_expr(), |expr| {
        check_filter(&expr)?;
    });
}
