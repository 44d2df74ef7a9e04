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
         place): the rows before the cut are counted, the rest was not read",
        path.display()
    )]
    Shrank { path: PathBuf, from: u64, to: u64 },
    #[error("{}: no accounting files (acct*.csv, *.csv.gz) in this directory", path.display())]
    EmptyDir { path: PathBuf },
    #[error(
        "no path given and {default} does not exist: pass accounting files or a directory \
         (for example `pmta-lens summary /var/log/pmta/acct-*.csv`), or - to read standard input"
    )]
    NoDefault { default: String },
}

impl InputError {
    /// Whether the input was skipped; `false` when its rows up to the problem were read.
    pub fn skipped(&self) -> bool {
        !matches!(self, InputError::Shrank { .. })
    }

    /// How a message ends: `" (skipped)"` for an input that was not read.
    pub fn outcome(&self) -> &'static str {
        if self.skipped() { " (skipped)" } else { "" }
    }
}
