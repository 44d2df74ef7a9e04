//! Turns the paths a user gives into an ordered list of inputs: files as given, directories
//! expanded to their accounting files in rotation order, `-` for standard input.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use crate::error::InputError;

/// Where `PowerMTA` writes accounting files by default.
pub const DEFAULT_DIR: &str = "/var/log/pmta";

/// How an input is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A regular file, memory-mapped (or read in blocks with `--no-mmap`).
    Plain,
    /// A gzip-compressed file (rotated logs), streamed.
    Gzip,
    /// Standard input, streamed.
    Stdin,
    /// Anything else that is not a regular file (a pipe such as `<(zcat f)` or `/dev/stdin`, a
    /// named FIFO, a character device): streamed like standard input, since it can be read only
    /// once and may never end.
    Pipe,
}

impl InputKind {
    /// Whether the input can be read only once (a later pass reads a spool of it, if one was
    /// kept: [`crate::acct::source::MapCache`]).
    pub fn is_once(self) -> bool {
        matches!(self, InputKind::Stdin | InputKind::Pipe)
    }
}

/// One input to scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    pub kind: InputKind,
}

impl Input {
    /// The name shown to users (`-` for standard input).
    pub fn display(&self) -> String {
        match self.kind {
            InputKind::Stdin => "-".to_string(),
            _ => self.path.display().to_string(),
        }
    }
}

/// Expands user paths. With no paths, [`DEFAULT_DIR`]. Problems with one path (missing, an empty
/// directory) are returned beside the inputs that were found, so the rest still gets scanned.
pub fn discover(paths: &[PathBuf]) -> (Vec<Input>, Vec<InputError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    if paths.is_empty() {
        let dir = Path::new(DEFAULT_DIR);
        if !dir.is_dir() {
            errors.push(InputError::NoDefault {
                default: DEFAULT_DIR.into(),
            });
            return (inputs, errors);
        }
        expand_dir(dir, &mut inputs, &mut errors);
        return (inputs, errors);
    }
    for p in paths {
        if p.as_os_str() == "-" {
            inputs.push(Input {
                path: p.clone(),
                kind: InputKind::Stdin,
            });
        } else if p.is_dir() {
            expand_dir(p, &mut inputs, &mut errors);
        } else {
            // Missing or unreadable files are reported when opened, with the OS's reason.
            inputs.push(Input {
                path: p.clone(),
                kind: kind_of(p),
            });
        }
    }
    (inputs, errors)
}

/// How to read `p`. Only a regular file can be mapped or read twice: anything else (looked at
/// through symbolic links, as `/dev/stdin` and `/dev/fd/63` are) is a stream. `stat` does not
/// open the file, so a FIFO without a writer does not block here.
fn kind_of(p: &Path) -> InputKind {
    if std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return InputKind::Pipe;
    }
    if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
        InputKind::Gzip
    } else {
        InputKind::Plain
    }
}

/// Whether a file in a directory is an accounting file: `acct*.csv`, or any `*.csv.gz`.
pub fn is_accounting_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let is_csv = |n: &str| Path::new(n).extension().is_some_and(|e| e == "csv");
    (lower.starts_with("acct") && is_csv(&lower)) || lower.strip_suffix(".gz").is_some_and(is_csv)
}

fn expand_dir(dir: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<InputError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(source) => {
            errors.push(InputError::Io {
                path: dir.to_path_buf(),
                source,
            });
            return;
        }
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_accounting_name)
        })
        .collect();
    if found.is_empty() {
        errors.push(InputError::EmptyDir {
            path: dir.to_path_buf(),
        });
        return;
    }
    found.sort_by(|a, b| rotation_order(a, b));
    inputs.extend(found.into_iter().map(|p| Input {
        kind: kind_of(&p),
        path: p,
    }));
}

/// Rotation order: files named with a date (`acct-2026-01-14-0003.csv[.gz]`) by date and
/// sequence, oldest first; then undated files (the live `acct.csv`), by name.
pub fn rotation_order(a: &Path, b: &Path) -> Ordering {
    let key = |p: &Path| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (rotation_stamp(&name).is_none(), rotation_stamp(&name), name)
    };
    key(a).cmp(&key(b))
}

/// The `YYYY-MM-DD[-NNNN]` stamp in a file name, as a sortable string.
fn rotation_stamp(name: &str) -> Option<String> {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let d = &b[i..i + 10];
        let is_date = d.iter().enumerate().all(|(j, c)| match j {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
        if !is_date {
            return None;
        }
        let seq: String = b[i + 10..]
            .strip_prefix(b"-")
            .map(|r| {
                r.iter()
                    .take_while(|c| c.is_ascii_digit())
                    .map(|c| *c as char)
                    .collect()
            })
            .unwrap_or_default();
        Some(format!("{}-{seq:0>8}", &name[i..i + 10]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounting_names() {
        for yes in [
            "acct.csv",
            "acct-2026-01-14-0000.csv",
            "acct-x.csv.gz",
            "old.csv.gz",
        ] {
            assert!(is_accounting_name(yes), "{yes}");
        }
        for no in ["diag.csv", "acct.csv.bak", "README.md", "acct-2026.log"] {
            assert!(!is_accounting_name(no), "{no}");
        }
    }

    #[test]
    fn rotation_order_is_by_date_then_sequence_then_live_file() {
        let mut names: Vec<PathBuf> = [
            "acct.csv",
            "acct-2026-01-14-0010.csv",
            "acct-2026-01-13-0000.csv.gz",
            "acct-2026-01-14-0002.csv",
            "acct-2026-01-14-0002.csv.gz",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        names.sort_by(|a, b| rotation_order(a, b));
        let got: Vec<String> = names.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(
            got,
            [
                "acct-2026-01-13-0000.csv.gz",
                "acct-2026-01-14-0002.csv",
                "acct-2026-01-14-0002.csv.gz",
                "acct-2026-01-14-0010.csv",
                "acct.csv"
            ]
        );
    }

    #[test]
    fn directories_expand_and_report_problems() {
        let dir = tempfile::tempdir().expect("tempdir");
        for n in [
            "acct-2026-01-14-0001.csv",
            "acct-2026-01-14-0000.csv",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(n), "type\n").expect("write");
        }
        let empty = tempfile::tempdir().expect("tempdir");
        let (inputs, errors) = discover(&[
            dir.path().to_path_buf(),
            empty.path().to_path_buf(),
            PathBuf::from("-"),
            PathBuf::from("x.csv.gz"),
        ]);
        let names: Vec<String> = inputs
            .iter()
            .map(|i| {
                i.path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(
            names,
            [
                "acct-2026-01-14-0000.csv",
                "acct-2026-01-14-0001.csv",
                "-",
                "x.csv.gz"
            ]
        );
        assert_eq!(inputs[2].kind, InputKind::Stdin);
        assert_eq!(inputs[3].kind, InputKind::Gzip);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].to_string().contains("no accounting files"));
    }
}
