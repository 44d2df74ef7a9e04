//! Parsing: each token read into a [`super::Term`] and its test, with errors that name the term
//! and suggest the field meant.

use super::eval::{CodeRegex, Folded, RESP_ALL, RESP_BOUNCE, RESP_DEFERRAL, Test, TextField};
use super::lexer::{Token, find_op, is_clock, join_split_times, tokenize};
use super::time::parse_time;
use super::{Field, FilterError, Op, Term};
use crate::classify::Classifier;
use crate::model::{Code, EnhancedStatus, NONE_KEY, RecordKind, ResponseKind, SmtpCode};
use chrono::{DateTime, Utc};
use regex::bytes::Regex;

pub(super) const TIME_FORMS: &str = "expected RFC 3339 (2026-01-14T10:00:00Z, 2026-01-14T10:00:00+02:00), \
     YYYY-MM-DDTHH:MM or \"YYYY-MM-DD HH:MM\" (UTC), YYYY-MM-DD (midnight UTC), \
     or a time back from now (-90s, -30m, -2h, -1d)";

pub(super) fn parse_terms(
    expr: &str,
    classifier: &Classifier,
    now: DateTime<Utc>,
) -> Result<Vec<Term>, FilterError> {
    join_split_times(tokenize(expr)?)
        .iter()
        .map(|tok| {
            parse_term(tok, classifier, now).map_err(|reason| FilterError {
                term: tok.raw.clone(),
                reason,
            })
        })
        .collect()
}

pub(super) fn parse_term(
    tok: &Token,
    classifier: &Classifier,
    now: DateTime<Utc>,
) -> Result<Term, String> {
    let Some((pos, op, op_len)) = find_op(&tok.chars) else {
        return Err(missing_operator(tok));
    };
    let name: String = tok.chars[..pos].iter().map(|&(c, _)| c).collect();
    if name.is_empty() {
        return Err(format!(
            "missing field name before `{op}`; the fields are {}",
            field_list()
        ));
    }
    let field = Field::from_name(&name).ok_or_else(|| unknown_field(&name))?;
    let rest = &tok.chars[pos + op_len..];

    if field.is_time() && op != Op::Eq {
        return Err(time_op_error(field));
    }
    if op.is_regex() {
        let src: String = rest.iter().map(|&(c, _)| c).collect();
        if src.is_empty() {
            return Err(format!("empty regex: write {field}{op}REGEX"));
        }
        let re = Regex::new(&src).map_err(|e| format!("bad regex: {e}"))?;
        let test = regex_test(field, op, re, classifier);
        return Ok(Term {
            field,
            op,
            values: vec![src],
            test,
        });
    }

    // `=` and `!=` take a list split at unquoted commas.
    let mut values = vec![String::new()];
    for &(c, quoted) in rest {
        if c == ',' && !quoted {
            values.push(String::new());
        } else if let Some(v) = values.last_mut() {
            v.push(c);
        }
    }
    if values.iter().any(String::is_empty) {
        return Err(empty_value(field, op, values.len()));
    }
    if field.is_time() {
        if values.len() > 1 {
            return Err(format!("{field} takes one time, not a list"));
        }
        let (bound, canonical) = parse_time(&values[0], now)?;
        let test = if field == Field::Since {
            Test::Since(bound)
        } else {
            Test::Until(bound)
        };
        return Ok(Term {
            field,
            op,
            values: vec![canonical],
            test,
        });
    }
    let negate = op.negated();
    let (values, test) = match field {
        Field::Type => list_types(&values, negate)?,
        Field::Kind => list_kinds(&values, negate)?,
        Field::Code => list_codes(&values, negate, classifier)?,
        _ => {
            let Some(tf) = TextField::of(field) else {
                return Err(format!("`{field}` cannot be compared with `{op}`"));
            };
            list_text(tf, values, negate)
        }
    };
    Ok(Term {
        field,
        op,
        values,
        test,
    })
}

pub(super) fn regex_test(field: Field, op: Op, re: Regex, classifier: &Classifier) -> Test {
    let negate = op.negated();
    match field {
        // Closed value sets: run the regex over every possible value now.
        Field::Type => {
            let mask = RecordKind::ALL
                .iter()
                .filter(|k| re.is_match(k.as_str().as_bytes()))
                .fold(0u8, |m, k| m | 1 << k.index());
            Test::Types(if negate { !mask } else { mask })
        }
        Field::Kind => {
            let mut mask = 0;
            for (kind, bit) in [
                (ResponseKind::Deferral, RESP_DEFERRAL),
                (ResponseKind::Bounce, RESP_BOUNCE),
            ] {
                if re.is_match(kind.as_str().as_bytes()) {
                    mask |= bit;
                }
            }
            Test::Responses(if negate { RESP_ALL & !mask } else { mask })
        }
        Field::Code => Test::CodeRegex(Box::new(CodeRegex::new(re, classifier, negate))),
        _ => match TextField::of(field) {
            Some(field) => Test::Regex { field, re, negate },
            // Time fields were turned away before; an impossible combination matches nothing.
            None => Test::Types(0),
        },
    }
}

pub(super) fn list_types(values: &[String], negate: bool) -> Result<(Vec<String>, Test), String> {
    let mut mask = 0u8;
    let mut canonical = Vec::new();
    for v in values {
        let kind = RecordKind::from_bytes(v.to_ascii_lowercase().as_bytes()).ok_or_else(|| {
            let all: Vec<&str> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
            format!(
                "unknown record type `{v}`: expected one of {}",
                all.join(", ")
            )
        })?;
        if mask & (1 << kind.index()) == 0 {
            mask |= 1 << kind.index();
            canonical.push(kind.as_str().to_string());
        }
    }
    Ok((canonical, Test::Types(if negate { !mask } else { mask })))
}

pub(super) fn list_kinds(values: &[String], negate: bool) -> Result<(Vec<String>, Test), String> {
    let mut mask = 0u8;
    let mut canonical = Vec::new();
    for v in values {
        let (kind, bit) = if v.eq_ignore_ascii_case("deferral") {
            (ResponseKind::Deferral, RESP_DEFERRAL)
        } else if v.eq_ignore_ascii_case("bounce") {
            (ResponseKind::Bounce, RESP_BOUNCE)
        } else {
            return Err(format!("unknown kind `{v}`: expected deferral or bounce"));
        };
        if mask & bit == 0 {
            mask |= bit;
            canonical.push(kind.as_str().to_string());
        }
    }
    let mask = if negate { RESP_ALL & !mask } else { mask };
    Ok((canonical, Test::Responses(mask)))
}

pub(super) fn list_codes(
    values: &[String],
    negate: bool,
    classifier: &Classifier,
) -> Result<(Vec<String>, Test), String> {
    let mut codes = Vec::new();
    let mut canonical = Vec::new();
    for v in values {
        let meanings = code_meanings(v, classifier);
        let Some(&primary) = meanings.first() else {
            return Err(format!(
                "unknown code `{v}`: expected a rule id (RP-002, 5.7.606, ...), an enhanced \
                 status like 5.1.1, an SMTP code like 421, or {NONE_KEY}"
            ));
        };
        let name = classifier.code_name(primary);
        if !canonical.contains(&name) {
            canonical.push(name);
        }
        for c in meanings {
            if !codes.contains(&c) {
                codes.push(c);
            }
        }
    }
    let test = Test::Codes {
        codes: codes.into_boxed_slice(),
        negate,
    };
    Ok((canonical, test))
}

/// Every code a name can stand for, the classifier's reading first. A rule may be named after
/// the status it matches (`5.7.606`): then rows bucketed under the rule and rows that fell back
/// to the bare status are both what the user means.
pub(super) fn code_meanings(name: &str, classifier: &Classifier) -> Vec<Code> {
    let candidates = [
        classifier.parse_code(name),
        classifier.rule_id(name).map(Code::Rule),
        EnhancedStatus::parse(name.as_bytes()).map(Code::Status),
        SmtpCode::parse(name.as_bytes()).map(Code::Smtp),
        name.eq_ignore_ascii_case(NONE_KEY).then_some(Code::None),
    ];
    let mut out = Vec::new();
    for c in candidates.into_iter().flatten() {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

pub(super) fn list_text(
    field: TextField,
    values: Vec<String>,
    negate: bool,
) -> (Vec<String>, Test) {
    let mut canonical: Vec<String> = Vec::new();
    let mut folded: Vec<Folded> = Vec::new();
    for v in values {
        let v = if field.lowercase_canonical() {
            v.to_lowercase()
        } else {
            v
        };
        let f = Folded::new(field, &v);
        if !folded.iter().any(|x| x.lower == f.lower) {
            canonical.push(v);
            folded.push(f);
        }
    }
    let test = Test::Text {
        field,
        values: folded.into_boxed_slice(),
        negate,
    };
    (canonical, test)
}

pub(super) fn empty_value(field: Field, op: Op, count: usize) -> String {
    if count > 1 {
        return "empty value in the list: separate values with single commas (a,b)".to_string();
    }
    match field {
        Field::Since | Field::Until => format!("empty value: write {field}=TIME ({TIME_FORMS})"),
        Field::Type | Field::Kind => format!("empty value: write {field}{op}VALUE"),
        // The buckets show an empty field as (none), and so does the filter.
        _ => format!(
            "empty value: write {field}{op}VALUE (to match rows where it is empty, use \
             {field}{op}{NONE_KEY})"
        ),
    }
}

pub(super) fn time_op_error(field: Field) -> String {
    format!("{field} only takes `=`: write {field}=TIME ({TIME_FORMS})")
}

pub(super) fn field_list() -> String {
    let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
    names.join(", ")
}

pub(super) fn unknown_field(name: &str) -> String {
    let hint = if let Some(rest) = name.strip_prefix('!') {
        format!(" (to negate, write {rest}!=VALUE)")
    } else if let Some(best) = closest_field(name) {
        format!(" (did you mean `{best}`?)")
    } else {
        String::new()
    };
    format!(
        "unknown field `{name}`{hint}; the fields are {}",
        field_list()
    )
}

/// The field a mistyped name most likely meant: a small edit away, or the only field it starts.
pub(super) fn closest_field(name: &str) -> Option<Field> {
    let lower = name.to_ascii_lowercase().replace('_', "-");
    let limit = if lower.len() <= 4 { 1 } else { 2 };
    let best = Field::ALL
        .into_iter()
        // A swap of neighbours counts as one edit: `domian` is one from `domain`.
        .map(|f| (strsim::osa_distance(&lower, f.name()), f))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, f)| f);
    best.or_else(|| {
        let mut starts = Field::ALL
            .into_iter()
            .filter(|f| lower.len() >= 2 && f.name().starts_with(&lower));
        match (starts.next(), starts.next()) {
            (Some(f), None) => Some(f),
            _ => None,
        }
    })
}

pub(super) fn missing_operator(tok: &Token) -> String {
    let base = "missing operator: write FIELD=VALUE, FIELD!=VALUE or FIELD~REGEX";
    if tok
        .chars
        .iter()
        .any(|&(c, quoted)| quoted && matches!(c, '=' | '~'))
    {
        return format!("{base} (quote only the value: diag~\"rate limit\")");
    }
    if is_clock(tok) {
        return format!(
            "{base} (a time of day on its own: write since=2026-01-14T10:00 or \
             since=\"2026-01-14 10:00\")"
        );
    }
    let text: String = tok.chars.iter().map(|&(c, _)| c).collect();
    let lead: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    if let Some(f) = Field::from_name(&lead).or_else(|| closest_field(&lead)) {
        return format!("{base} (for example {f}=VALUE)");
    }
    base.to_string()
}
