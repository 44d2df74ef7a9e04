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
    #[error("{}: no accounting files (acct*.csv, *.csv.gz) in this directory", path.display())]
    EmptyDir { path: PathBuf },
    #[error(
        "no path given and {default} does not exist: pass accounting files or a directory \
         (for example `pmta-lens summary /var/log/pmta/acct-*.csv`), or - to read standard input"
    )]
    NoDefault { default: String },
}
