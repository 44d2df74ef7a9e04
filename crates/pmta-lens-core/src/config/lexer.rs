//! Lexing of `PowerMTA` config text: physical lines to logical lines (comments removed, `\`
//! continuations joined, CRLF and a BOM tolerated), and the word-level helpers the parser needs
//! (quote-aware splitting, `/regex/` tokens, brace tokens). Pure text functions: no file access,
//! and nothing here touches the accounting logs.

/// One logical line: comment-free, trimmed, continuations joined, with the 1-based number of
/// the physical line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub text: String,
    pub number: u32,
}

/// Splits config text into logical lines, dropping blank and comment-only ones.
///
/// `#` starts a comment anywhere outside double quotes, as the manual says (it tells users to
/// write `\x23` to match a `#` in a regex). A line whose comment-free text ends with `\` goes on
/// with the next line, which the reference article uses for `dkim-sign`.
pub(crate) fn logical_lines(text: &str) -> Vec<Line> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut pending: Option<Line> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let stripped = strip_comment(raw).trim_end();
        let (body, continues) = match stripped.strip_suffix('\\') {
            Some(b) => (b.trim_end(), true),
            None => (stripped, false),
        };
        let line = match pending.take() {
            Some(mut p) => {
                let body = body.trim_start();
                if !body.is_empty() {
                    if !p.text.is_empty() {
                        p.text.push(' ');
                    }
                    p.text.push_str(body);
                }
                p
            }
            None => Line {
                text: body.trim_start().to_owned(),
                number,
            },
        };
        if continues {
            pending = Some(line);
        } else if !line.text.is_empty() {
            out.push(line);
        }
    }
    if let Some(p) = pending.filter(|p| !p.text.is_empty()) {
        out.push(p);
    }
    out
}

/// The part of a line before its comment. Quotes are tracked (with `\"` escapes) so a `#`
/// inside a quoted value is kept.
pub(crate) fn strip_comment(line: &str) -> &str {
    let mut in_quote = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => in_quote = !in_quote,
            '#' if !in_quote => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Byte length of the `/regex/` token at the start of `s` (which starts with `/`). The regex
/// ends at the first unescaped `/` followed by a blank, a comma or the end of the text; failing
/// that (`/x/other`, as one real config writes) at the last unescaped `/`; failing that the
/// token runs to the end.
pub(crate) fn regex_token_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut last_slash = None;
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'/' => {
                let next = bytes.get(i + 1).copied();
                if next.is_none_or(|n| n.is_ascii_whitespace() || n == b',') {
                    return i + 1;
                }
                last_slash = Some(i);
            }
            _ => {}
        }
        i += 1;
    }
    last_slash.map_or(s.len(), |i| i + 1)
}

/// Byte length of the quoted token at the start of `s` (which starts with `"`), quotes
/// included; an unterminated quote runs to the end.
fn quoted_token_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'"' => return i + 1,
            _ => {}
        }
        i += 1;
    }
    s.len()
}

/// Byte length of the first token of `s` (no leading blanks): a quoted string, a `/regex/`
/// when `regex_aware`, else up to the next blank. A quote in the middle of a word
/// (`domain="x y"`) keeps the quoted part in the word.
pub(crate) fn token_len(s: &str, regex_aware: bool) -> usize {
    if s.starts_with('"') {
        return quoted_token_len(s);
    }
    if regex_aware && s.starts_with('/') {
        return regex_token_len(s);
    }
    let bytes = s.as_bytes();
    let mut in_quote = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'"' => in_quote = !in_quote,
            c if c.is_ascii_whitespace() && !in_quote => return i,
            _ => {}
        }
        i += 1;
    }
    s.len()
}

/// Splits text into raw tokens (quotes kept) with their byte offsets.
pub(crate) fn raw_tokens(s: &str, regex_aware: bool) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < s.len() {
        let rest = &s[pos..];
        let trimmed = rest.trim_start();
        if trimmed.is_empty() {
            break;
        }
        let start = pos + (rest.len() - trimmed.len());
        let len = token_len(trimmed, regex_aware).max(1);
        // `len` never splits a char: token ends are at ASCII bytes or the end of the text.
        let end = (start + len).min(s.len());
        out.push((start, &s[start..end]));
        pos = end;
    }
    out
}

/// Removes the double quotes of a token (`"a b"` -> `a b`, `domain="x"` -> `domain=x`),
/// turning `\"` and `\\` into `"` and `\`. Other backslashes are kept: they belong to regexes
/// and Windows paths.
pub(crate) fn unquote(token: &str) -> String {
    if !token.contains('"') {
        return token.to_owned();
    }
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {}
            '\\' => match chars.next() {
                Some(n @ ('"' | '\\')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            _ => out.push(c),
        }
    }
    out
}

/// Words of a value, quotes honoured and removed.
pub(crate) fn split_words(value: &str) -> Vec<String> {
    raw_tokens(value, false)
        .into_iter()
        .map(|(_, t)| unquote(t))
        .collect()
}

/// A directive value as stored: blanks between tokens collapsed to one space, and a value that
/// is a single quoted string unquoted.
pub(crate) fn normalize_value(rest: &str) -> String {
    let tokens = raw_tokens(rest, false);
    if let [(_, only)] = tokens.as_slice()
        && only.starts_with('"')
    {
        return unquote(only);
    }
    tokens
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits a logical line into its directive name and the rest. The name is lowercased unless it
/// is a quoted text or a `/regex/` (pattern-list entries, bounce-category patterns).
pub(crate) fn split_name(text: &str) -> (String, &str) {
    let text = text.trim();
    let len = token_len(text, true).max(1).min(text.len());
    let (name, rest) = text.split_at(len);
    let name = if name.starts_with('"') || name.starts_with('/') {
        name.to_owned()
    } else {
        name.to_ascii_lowercase()
    };
    (name, rest.trim())
}

/// A piece of a line in the brace form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    Text(&'a str),
    Open,
    Close,
}

/// Splits a line on standalone `{`, `{{`, `}` and `}}` tokens (the article prints every brace
/// doubled). Braces glued to a word, like `{auth}` or `{sparkpost}`, are names, not blocks.
/// Returns `None` when the line has no brace token, which is the common case.
pub(crate) fn brace_pieces(text: &str) -> Option<Vec<Piece<'_>>> {
    let tokens = raw_tokens(text, true);
    if !tokens.iter().any(|(_, t)| is_brace(t)) {
        return None;
    }
    let mut pieces = Vec::new();
    let mut start = 0;
    for (off, tok) in tokens {
        if !is_brace(tok) {
            continue;
        }
        let before = text[start..off].trim();
        if !before.is_empty() {
            pieces.push(Piece::Text(before));
        }
        pieces.push(if tok.starts_with('{') {
            Piece::Open
        } else {
            Piece::Close
        });
        start = off + tok.len();
    }
    let after = text[start..].trim();
    if !after.is_empty() {
        pieces.push(Piece::Text(after));
    }
    Some(pieces)
}

fn is_brace(tok: &str) -> bool {
    matches!(tok, "{" | "{{" | "}" | "}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<(u32, String)> {
        logical_lines(src)
            .into_iter()
            .map(|l| (l.number, l.text))
            .collect()
    }

    #[test]
    fn comments_quotes_crlf_and_continuations() {
        let src = "\u{feff}# header\r\nsmtp-listener 0/0:25   # all IPs\r\n\r\npassword \"a#b\" # c\n\
                   dkim-sign domain=\"x\" \\\n      key-file=\"/k\" \\\n   selector=\"s1\"\nlast \\";
        assert_eq!(
            texts(src),
            vec![
                (2, "smtp-listener 0/0:25".to_owned()),
                (4, "password \"a#b\"".to_owned()),
                (
                    5,
                    "dkim-sign domain=\"x\" key-file=\"/k\" selector=\"s1\"".to_owned()
                ),
                (8, "last".to_owned()),
            ]
        );
        assert_eq!(
            texts("http-access #YOUR_IP admin"),
            vec![(1, "http-access".to_owned())]
        );
        assert_eq!(
            texts("password ## YOUR PASSWORD HERE ##"),
            vec![(1, "password".to_owned())]
        );
    }

    #[test]
    fn names_values_and_words() {
        let (n, rest) = split_name("Max-SMTP-Out   tuning    5");
        assert_eq!(
            (n.as_str(), normalize_value(rest).as_str()),
            ("max-smtp-out", "tuning 5")
        );
        let (n, rest) = split_name("reply /421 .* SERVICE NOT AVAILABLE/ mode=backoff");
        assert_eq!(n, "reply");
        assert_eq!(rest, "/421 .* SERVICE NOT AVAILABLE/ mode=backoff");
        let (n, rest) = split_name("\"421 4.7.0 RP-001\" retry-after=4h");
        assert_eq!(
            (n.as_str(), rest),
            ("\"421 4.7.0 RP-001\"", "retry-after=4h")
        );
        let (n, _) = split_name("/junk mail/ spam-related");
        assert_eq!(n, "/junk mail/");
        assert_eq!(normalize_value("\"\""), "");
        assert_eq!(normalize_value("\"hotmail.queue\""), "hotmail.queue");
        assert_eq!(
            split_words("a \"b c\" d=\"e f\""),
            vec!["a", "b c", "d=e f"]
        );
    }

    #[test]
    fn regex_tokens() {
        let s = "/mail.live.com\\/mail\\/x.aspx/ mode=backoff";
        assert_eq!(&s[..regex_token_len(s)], "/mail.live.com\\/mail\\/x.aspx/");
        let s = "/Too many (bad|x)/other";
        assert_eq!(&s[..regex_token_len(s)], "/Too many (bad|x)/");
        let s = "/(user|mailbox) (has|is)? *(currently|temporarily ";
        assert_eq!(regex_token_len(s), s.len());
        assert_eq!(regex_token_len("//"), 2);
    }

    #[test]
    fn brace_pieces_split_only_standalone_braces() {
        assert_eq!(brace_pieces("source {auth}"), None);
        assert_eq!(
            brace_pieces("domain hotmail.com     {{ mx-rollup outlook.com }}"),
            Some(vec![
                Piece::Text("domain hotmail.com"),
                Piece::Open,
                Piece::Text("mx-rollup outlook.com"),
                Piece::Close
            ])
        );
        assert_eq!(brace_pieces("}}"), Some(vec![Piece::Close]));
        assert_eq!(brace_pieces("command \"{ x }\""), None);
    }
}
