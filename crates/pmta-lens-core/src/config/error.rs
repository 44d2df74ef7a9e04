//! Errors of config parsing. Each names the file and line it is about, so a message reads like
//! `/etc/pmta/config:42: <domain> opened here is never closed`. Reads no files itself and never
//! touches the accounting logs.

use std::path::PathBuf;

use super::model::Loc;

/// Why a config could not be read. Unknown directives are never an error: only what would stop
/// `PowerMTA` from loading the file, or stop us from reading it, is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The main file (or an included one, `at` the include line) could not be read.
    // The OS's reason is in the text and not a `source` too: `{:#}` would print it twice.
    #[error("{}cannot read {}: {reason}", at.as_ref().map(|l| format!("{l}: ")).unwrap_or_default(), path.display())]
    Read {
        path: PathBuf,
        at: Option<Loc>,
        reason: std::io::Error,
    },
    /// `include FILE` names a file that does not exist.
    #[error("{at}: include {}: no such file", path.display())]
    IncludeNotFound { at: Loc, path: PathBuf },
    /// A file includes itself, directly or through others.
    #[error("{at}: include cycle: {}", chain.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" -> "))]
    IncludeCycle { at: Loc, chain: Vec<PathBuf> },
    /// A block is still open at the end of the file it was opened in.
    #[error("{open}: <{tag}> opened here is never closed")]
    Unclosed { open: Loc, tag: String },
    /// A closing tag or brace does not match the innermost open block.
    #[error("{at}: {found} does not close {expected} opened at {open}")]
    Mismatched {
        at: Loc,
        found: String,
        expected: String,
        open: Loc,
    },
    /// A closing tag or brace with no open block.
    #[error("{at}: {found} without an open block")]
    UnexpectedClose { at: Loc, found: String },
    /// A `domain-macro` refers to itself through other macros.
    #[error("{at}: domain-macro loop: {}", chain.join(" -> "))]
    MacroLoop { at: Loc, chain: Vec<String> },
    /// A line `PowerMTA` could not read at all (a `<tag` without `>`, `include` without a file,
    /// a `{` with nothing to open).
    #[error("{at}: {message}")]
    Syntax { at: Loc, message: String },
}

impl ConfigError {
    /// The line the error is about, when there is one.
    pub fn loc(&self) -> Option<&Loc> {
        match self {
            Self::Read { at, .. } => at.as_ref(),
            Self::IncludeNotFound { at, .. }
            | Self::IncludeCycle { at, .. }
            | Self::Mismatched { at, .. }
            | Self::UnexpectedClose { at, .. }
            | Self::MacroLoop { at, .. }
            | Self::Syntax { at, .. } => Some(at),
            Self::Unclosed { open, .. } => Some(open),
        }
    }
}
