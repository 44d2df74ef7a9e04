//! Tokenizing: an expression cut into space-separated terms, quotes kept literal, a date and
//! clock written apart (`2026-01-14 10:00`) joined back into one term.

use super::{Field, FilterError, Op};
use chrono::NaiveDate;

/// One space-separated term. Quotes make what they enclose literal (spaces, commas, operators)
/// and may cover any part of the term: `diag~"rate limit"`, `job="a b",c`.
#[derive(Debug)]
pub(super) struct Token {
    /// As written, quotes included: what errors show.
    pub(super) raw: String,
    /// The characters with quotes removed, each with whether it was quoted.
    pub(super) chars: Vec<(char, bool)>,
}

pub(super) fn tokenize(expr: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut it = expr.char_indices().peekable();
    while let Some(&(start, c)) = it.peek() {
        if c.is_whitespace() {
            it.next();
            continue;
        }
        let mut chars = Vec::new();
        let mut quote: Option<char> = None;
        let mut end = expr.len();
        while let Some(&(i, c)) = it.peek() {
            match quote {
                None if c.is_whitespace() => {
                    end = i;
                    break;
                }
                None if c == '"' || c == '\'' => quote = Some(c),
                None => chars.push((c, false)),
                Some(q) if c == q => quote = None,
                Some(_) => chars.push((c, true)),
            }
            it.next();
        }
        let raw = expr[start..end].to_string();
        if let Some(q) = quote {
            return Err(FilterError {
                term: raw,
                reason: format!("unterminated quote: a {q} has no closing {q}"),
            });
        }
        tokens.push(Token { raw, chars });
    }
    Ok(tokens)
}

/// The first unquoted operator in a term: its position, the operator and its length.
pub(super) fn find_op(chars: &[(char, bool)]) -> Option<(usize, Op, usize)> {
    for (i, &(c, quoted)) in chars.iter().enumerate() {
        if quoted {
            continue;
        }
        let next = chars.get(i + 1).filter(|(_, q)| !q).map(|&(c, _)| c);
        match (c, next) {
            ('=', _) => return Some((i, Op::Eq, 1)),
            ('~', _) => return Some((i, Op::Match, 1)),
            ('!', Some('=')) => return Some((i, Op::Ne, 2)),
            ('!', Some('~')) => return Some((i, Op::NotMatch, 2)),
            _ => {}
        }
    }
    None
}

/// `since=2026-01-14 10:00` written without quotes arrives as two tokens; the second can never be
/// a term of its own, so it is joined to the first instead of being an error.
pub(super) fn join_split_times(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    for tok in tokens {
        if let Some(prev) = out.last_mut()
            && is_bare_date_term(prev)
            && is_clock(&tok)
        {
            prev.raw.push(' ');
            prev.raw.push_str(&tok.raw);
            prev.chars.push((' ', true));
            prev.chars.extend(tok.chars);
            continue;
        }
        out.push(tok);
    }
    out
}

pub(super) fn is_bare_date_term(tok: &Token) -> bool {
    let Some((pos, Op::Eq, len)) = find_op(&tok.chars) else {
        return false;
    };
    let name: String = tok.chars[..pos].iter().map(|&(c, _)| c).collect();
    let value: String = tok.chars[pos + len..].iter().map(|&(c, _)| c).collect();
    Field::from_name(&name).is_some_and(Field::is_time)
        && NaiveDate::parse_from_str(&value, "%Y-%m-%d").is_ok()
}

/// A time of day, possibly with seconds, fraction and offset: `10:00`, `10:00:00.5+0200`.
pub(super) fn is_clock(tok: &Token) -> bool {
    let s = &tok.raw;
    s.len() <= 24
        && s.starts_with(|c: char| c.is_ascii_digit())
        && s.contains(':')
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | '+' | '-' | 'Z' | 'z'))
}
