//! Errors of the core, each carrying the context a user needs (path, line, reason). A malformed
//! row is not an error: it is data, counted and sampled by the scan.

use std::path::PathBuf;

/// A problem with one input. The scan reports it and goes on with the others.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{}: shrank from {from} to {to} bytes while being read (truncated or rewritten in \
         place)",
        path.display()
    )]
    Shrank { path: PathBuf, from: u64, to: u64 },
    /// A gzip stream that stops inside a member: the rows before the cut are counted.
    #[error("{}: truncated: the gzip stream ends before its end, after {rows} rows", path.display())]
    Truncated { path: PathBuf, rows: u64 },
    /// Bytes after the last complete gzip member that are neither a member nor zero padding
    /// (`gzip` too warns and exits 2): the rows before them are counted.
    #[error(
        "{}: trailing garbage after the gzip data ignored, after {rows} rows",
        path.display()
    )]
    TrailingGarbage { path: PathBuf, rows: u64 },
    /// A read error after part of the input was read: the rows before it are counted.
    #[error("{}: {source}, after {rows} rows", path.display())]
    Cut {
        path: PathBuf,
        #[source]
        source: std::io::Error,
        rows: u64,
    },
    #[error("{}: no accounting files (acct*.csv, *.csv.gz) in this directory", path.display())]
    EmptyDir { path: PathBuf },
    #[error(
        "no path given and {default} does not exist: pass accounting files or a directory \
         (for example `pmta-lens summary /var/log/pmta/acct-*.csv`), or - to read standard input"
    )]
    NoDefault { default: String },
}

impl InputError {
    /// Whether part of the input was read (its rows count) before the problem, rather than the
    /// input being skipped.
    pub fn is_partial(&self) -> bool {
        matches!(
            self,
            InputError::Truncated { .. }
                | InputError::TrailingGarbage { .. }
                | InputError::Cut { .. }
                | InputError::Shrank { .. }
        )
    }

    /// How a message about the input ends: what became of its rows.
    pub fn outcome(&self) -> &'static str {
        if self.is_partial() {
            " (the rows before it are counted)"
        } else {
            " (skipped)"
        }
    }
}
