//! Parsing of config files into a tree of directives and blocks: `<tag args>` ... `</tag>`
//! blocks, the brace form (`tag args { ... }`, doubled braces and one-liners included, several
//! `key value` pairs per line for known keys), tags opened at the end of a line, and `include`
//! with wildcards, relative paths and cycle detection. Reads config files only; never touches
//! the accounting logs.

use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::glob;
use super::lexer::{self, Line, Piece};
use super::model::{BlockForm, Directive, Loc};

/// A parsed item: a directive or a block with its content.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Directive(Directive),
    Block(RawBlock),
}

/// A block as parsed, before the model gives it a type.
#[derive(Debug, Clone)]
pub(crate) struct RawBlock {
    pub tag: String,
    pub args: String,
    pub lead: Option<String>,
    pub form: BlockForm,
    pub loc: Loc,
    pub children: Vec<Node>,
}

/// The result of parsing: the tree and every file read, in the order first read.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub nodes: Vec<Node>,
    pub files: Vec<PathBuf>,
}

/// Settings the brace form may write several to a line (`max-smtp-out 4 max-conn-rate 0.5/s
/// max-msg-rate 150/h retry-after 20m`). A line is split only at these names, so a value such
/// as `tuning 5` stays whole. `max-conn-rate` is the article's spelling of `max-connect-rate`;
/// it is split here so the lint can point at it.
const PAIR_KEYS: &[&str] = &[
    "backoff-max-msg-rate",
    "backoff-retry-after",
    "backoff-to-normal-after",
    "backoff-to-normal-after-delivery",
    "bounce-after",
    "dkim-sign",
    "max-conn-rate",
    "max-connect-rate",
    "max-errors-per-connection",
    "max-msg-per-connection",
    "max-msg-rate",
    "max-rcpt-per-message",
    "max-smtp-out",
    "mx-rollup",
    "queue-to",
    "retry-after",
    "smtp-pattern-list",
    "use-starttls",
    "virtual-mta-pool",
];

/// Blocks nested deeper than this are refused: no real config comes close, and it keeps the
/// recursive model building safe from hostile input.
const MAX_DEPTH: usize = 64;

/// Parses a file and what it includes.
pub(crate) fn parse_file(path: &Path) -> Result<Parsed, ConfigError> {
    let text = read(path, None)?;
    parse_text(&text, path)
}

/// Parses text as if read from `path` (includes resolve against its directory).
pub(crate) fn parse_text(text: &str, path: &Path) -> Result<Parsed, ConfigError> {
    let mut p = Parser {
        stack: Vec::new(),
        root: Vec::new(),
        files: Vec::new(),
        chain: Vec::new(),
    };
    p.parse_file_text(text, path)?;
    Ok(Parsed {
        nodes: p.root,
        files: p.files,
    })
}

fn read(path: &Path, at: Option<&Loc>) -> Result<String, ConfigError> {
    // Lossy: a stray Latin-1 byte in a comment must not make the whole config unreadable.
    // Bounded: `--config /dev/zero` or an include of a huge file must not eat the memory.
    super::side_file::read(path, super::side_file::CONFIG)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|reason| ConfigError::Read {
            path: path.to_owned(),
            at: at.cloned(),
            reason,
        })
}

/// The canonical form used to recognise a file reached twice (cycle detection).
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

struct Parser {
    /// Open blocks, innermost last.
    stack: Vec<RawBlock>,
    root: Vec<Node>,
    files: Vec<PathBuf>,
    /// Files being read, outermost first: (canonical identity, path as reached).
    chain: Vec<(PathBuf, PathBuf)>,
}

impl Parser {
    fn parse_file_text(&mut self, text: &str, path: &Path) -> Result<(), ConfigError> {
        let id = identity(path);
        self.chain.push((id.clone(), path.to_owned()));
        if !self.files.iter().any(|f| identity(f) == id) {
            self.files.push(path.to_owned());
        }
        // Blocks must close in the file that opened them, as PowerMTA reads each file whole.
        let depth = self.stack.len();
        for line in lexer::logical_lines(text) {
            let loc = Loc::new(path, line.number);
            self.line(&line, &loc, depth)?;
        }
        if self.stack.len() > depth {
            let open = self.stack.swap_remove(depth);
            return Err(ConfigError::Unclosed {
                open: open.loc,
                tag: open.tag,
            });
        }
        self.chain.pop();
        Ok(())
    }

    fn line(&mut self, line: &Line, loc: &Loc, depth: usize) -> Result<(), ConfigError> {
        let text = line.text.as_str();
        if let Some(rest) = text.strip_prefix("</") {
            return self.close_tag(rest, loc, depth);
        }
        if text.starts_with('<') {
            let (tag, args) = parse_tag(text, loc)?;
            return self.open(tag, args, None, BlockForm::Angle, loc);
        }
        if let Some((lead, tag, args)) = trailing_tag(text) {
            return self.open(tag, args, Some(lead), BlockForm::Angle, loc);
        }
        match lexer::brace_pieces(text) {
            None => self.statement(text, loc),
            Some(pieces) => self.brace_line(&pieces, loc, depth),
        }
    }

    fn brace_line(
        &mut self,
        pieces: &[Piece<'_>],
        loc: &Loc,
        depth: usize,
    ) -> Result<(), ConfigError> {
        let mut i = 0;
        while i < pieces.len() {
            match pieces[i] {
                Piece::Text(t) if matches!(pieces.get(i + 1), Some(Piece::Open)) => {
                    let (tag, args) = split_header(t);
                    self.open(tag, args, None, BlockForm::Brace, loc)?;
                    i += 2;
                    continue;
                }
                Piece::Text(t) => self.statement(t, loc)?,
                Piece::Open => self.open_headerless(loc)?,
                Piece::Close => {
                    self.close(loc, depth, "`}`".to_owned(), |top| {
                        top.form == BlockForm::Brace
                    })?;
                }
            }
            i += 1;
        }
        Ok(())
    }

    /// A `{` alone on its line opens a block whose header is the directive just before it
    /// (`domain outlook.com` then `{` on the next line).
    fn open_headerless(&mut self, loc: &Loc) -> Result<(), ConfigError> {
        let items = self.items();
        match items.last() {
            Some(Node::Directive(d)) if d.loc.file == loc.file => {
                let (tag, args) = (d.name.clone(), d.value.clone());
                let header_loc = d.loc.clone();
                items.pop();
                self.open(tag, args, None, BlockForm::Brace, &header_loc)
            }
            _ => Err(ConfigError::Syntax {
                at: loc.clone(),
                message: "`{` with nothing to open".into(),
            }),
        }
    }

    fn items(&mut self) -> &mut Vec<Node> {
        match self.stack.last_mut() {
            Some(f) => &mut f.children,
            None => &mut self.root,
        }
    }

    fn context(&self) -> Vec<String> {
        self.stack
            .iter()
            .map(|f| {
                if f.args.is_empty() {
                    f.tag.clone()
                } else {
                    format!("{} {}", f.tag, f.args)
                }
            })
            .collect()
    }

    fn open(
        &mut self,
        tag: String,
        args: String,
        lead: Option<String>,
        form: BlockForm,
        loc: &Loc,
    ) -> Result<(), ConfigError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(ConfigError::Syntax {
                at: loc.clone(),
                message: format!("blocks nested more than {MAX_DEPTH} deep"),
            });
        }
        let block = RawBlock {
            tag,
            args,
            lead,
            form,
            loc: loc.clone(),
            children: Vec::new(),
        };
        self.stack.push(block);
        Ok(())
    }

    fn pop_into_parent(&mut self) {
        if let Some(frame) = self.stack.pop() {
            self.items().push(Node::Block(frame));
        }
    }

    fn close_tag(&mut self, rest: &str, loc: &Loc, depth: usize) -> Result<(), ConfigError> {
        let inner = rest
            .trim_end()
            .strip_suffix('>')
            .ok_or_else(|| ConfigError::Syntax {
                at: loc.clone(),
                message: format!("closing tag `</{rest}` has no `>`"),
            })?;
        // `</domain-key-list NAME>` is written in the manual: only the name counts.
        let name = inner
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        self.close(loc, depth, format!("</{name}>"), |top| {
            top.form != BlockForm::Brace && top.tag == name
        })
    }

    /// Closes the innermost open block when `closes` accepts it; `found` names the closer in
    /// the errors. The first `depth` blocks on the stack are an including file's: not closed here.
    fn close(
        &mut self,
        loc: &Loc,
        depth: usize,
        found: String,
        closes: impl FnOnce(&RawBlock) -> bool,
    ) -> Result<(), ConfigError> {
        let Some(top) = self.stack.last().filter(|_| self.stack.len() > depth) else {
            return Err(ConfigError::UnexpectedClose {
                at: loc.clone(),
                found,
            });
        };
        if !closes(top) {
            return Err(ConfigError::Mismatched {
                at: loc.clone(),
                found,
                expected: describe_open(top),
                open: top.loc.clone(),
            });
        }
        self.pop_into_parent();
        Ok(())
    }

    /// A directive line (or a piece of a brace-form line).
    fn statement(&mut self, text: &str, loc: &Loc) -> Result<(), ConfigError> {
        let (name, rest) = lexer::split_name(text);
        if name == "include" {
            let directive = self.directive(name, rest, loc);
            let target = directive.value.clone();
            self.items().push(Node::Directive(directive));
            return self.include(&target, loc);
        }
        let in_brace = self
            .stack
            .last()
            .is_some_and(|f| f.form == BlockForm::Brace);
        if in_brace && PAIR_KEYS.contains(&name.as_str()) {
            for (key, value) in split_pairs(&name, rest) {
                let d = self.directive(key, &value, loc);
                self.items().push(Node::Directive(d));
            }
        } else {
            let d = self.directive(name, rest, loc);
            self.items().push(Node::Directive(d));
        }
        Ok(())
    }

    fn directive(&self, name: String, rest: &str, loc: &Loc) -> Directive {
        Directive {
            name,
            value: lexer::normalize_value(rest),
            loc: loc.clone(),
            context: self.context(),
        }
    }

    fn include(&mut self, target: &str, at: &Loc) -> Result<(), ConfigError> {
        if target.is_empty() {
            return Err(ConfigError::Syntax {
                at: at.clone(),
                message: "include without a file name".into(),
            });
        }
        let base = at.file.parent().unwrap_or_else(|| Path::new(""));
        let joined = base.join(target);
        let files = if glob::has_wildcards(target) {
            // A pattern that matches nothing is not an error: an empty conf.d is normal.
            glob::expand(base, target)
        } else if joined.exists() {
            vec![joined]
        } else {
            return Err(ConfigError::IncludeNotFound {
                at: at.clone(),
                path: joined,
            });
        };
        for file in files {
            let id = identity(&file);
            if let Some(pos) = self.chain.iter().position(|(c, _)| *c == id) {
                let mut chain: Vec<PathBuf> =
                    self.chain[pos..].iter().map(|(_, p)| p.clone()).collect();
                chain.push(file);
                return Err(ConfigError::IncludeCycle {
                    at: at.clone(),
                    chain,
                });
            }
            let text = read(&file, Some(at))?;
            self.parse_file_text(&text, &file)?;
        }
        Ok(())
    }
}

fn describe_open(block: &RawBlock) -> String {
    match block.form {
        BlockForm::Angle => format!("<{}>", block.tag),
        BlockForm::Brace => format!("`{} {{`", block.tag),
    }
}

/// `<tag args>` -> (lowercased tag, args).
fn parse_tag(text: &str, loc: &Loc) -> Result<(String, String), ConfigError> {
    let inner = text[1..]
        .trim_end()
        .strip_suffix('>')
        .ok_or_else(|| ConfigError::Syntax {
            at: loc.clone(),
            message: format!("block tag `{text}` has no closing `>`"),
        })?;
    let (tag, args) = split_header(inner);
    if tag.is_empty() {
        return Err(ConfigError::Syntax {
            at: loc.clone(),
            message: format!("empty block tag `{text}`"),
        });
    }
    Ok((tag, args))
}

/// `tag args` -> (lowercased tag, args with blanks collapsed).
fn split_header(text: &str) -> (String, String) {
    let text = text.trim();
    let (tag, args) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    (
        tag.to_ascii_lowercase(),
        lexer::normalize_value(args.trim()),
    )
}

/// A tag opening at the end of a line: `mail-from /newsletter/ <pattern-list>` (the manual's
/// nested pattern lists). Returns (text before, tag, args).
fn trailing_tag(text: &str) -> Option<(String, String, String)> {
    if !text.ends_with('>') {
        return None;
    }
    let tokens = lexer::raw_tokens(text, true);
    let (start, _) = tokens.iter().rev().find(|(_, t)| t.starts_with('<'))?;
    let lead = text[..*start].trim();
    let tail = &text[*start + 1..text.len() - 1];
    let first = tail.chars().next()?;
    if lead.is_empty() || !first.is_ascii_alphabetic() || tail.contains(['<', '>']) {
        return None;
    }
    let (tag, args) = split_header(tail);
    Some((lead.to_owned(), tag, args))
}

/// Splits `max-smtp-out 4 max-conn-rate 0.5/s` into pairs at known keys. A known key right
/// after another key is taken as that key's value, not as a new pair.
fn split_pairs(name: &str, rest: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, Vec<&str>)> = vec![(name.to_owned(), Vec::new())];
    for (_, tok) in lexer::raw_tokens(rest, false) {
        let lower = tok.to_ascii_lowercase();
        let current_has_value = pairs.last().is_some_and(|(_, v)| !v.is_empty());
        if current_has_value && PAIR_KEYS.contains(&lower.as_str()) {
            pairs.push((lower, Vec::new()));
        } else if let Some((_, v)) = pairs.last_mut() {
            v.push(tok);
        }
    }
    pairs.into_iter().map(|(k, v)| (k, v.join(" "))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_split_only_at_known_keys() {
        let got = split_pairs(
            "max-smtp-out",
            "4 max-conn-rate 0.5/s max-msg-rate 150/h retry-after 20m",
        );
        let want = [
            ("max-smtp-out", "4"),
            ("max-conn-rate", "0.5/s"),
            ("max-msg-rate", "150/h"),
            ("retry-after", "20m"),
        ];
        assert_eq!(got, want.map(|(k, v)| (k.to_owned(), v.to_owned())));
        assert_eq!(
            split_pairs("max-smtp-out", "tuning 5"),
            vec![("max-smtp-out".to_owned(), "tuning 5".to_owned())]
        );
    }

    #[test]
    fn trailing_tags() {
        assert_eq!(
            trailing_tag("mail-from /newsletter/ <pattern-list>"),
            Some((
                "mail-from /newsletter/".into(),
                "pattern-list".into(),
                String::new()
            ))
        );
        assert_eq!(trailing_tag("mail-from foo@x <>"), None);
        assert_eq!(
            trailing_tag("custom-dsn-from-header \"Postmaster <a@b.c>\""),
            None
        );
    }
}
