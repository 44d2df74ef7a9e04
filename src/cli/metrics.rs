//! The command line of `pmta-lens metrics`: its flags, and where the exposition goes: stdout, or
//! a file replaced atomically for `node_exporter`'s textfile collector, which may read the file at
//! any moment and must never see half of it.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{Summarized, stdout};
use crate::output::metrics::{self, Inputs};
use crate::output::summary::Summary;

/// `metrics` flags.
#[derive(Debug, clap::Args, Clone)]
pub struct Args {
    /// Write to PATH instead of stdout: a temporary file in PATH's directory renamed over it
    /// (readable by all, as the textfile collector runs as another user), e.g.
    /// `/var/lib/node_exporter/textfile/pmta_lens.prom`.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Label values kept per dimension (domains, VMTAs, fallback codes, sending IPs of bursts,
    /// connection rows); the rest are summed under `(other)`.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
}

/// Turns away flags that would only fail after the scan: an `--out` whose directory is missing.
pub fn check(args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.top >= 1, "--top must be at least 1");
    if let Some(path) = &args.out {
        let dir = directory(path);
        let meta = std::fs::metadata(dir)
            .with_context(|| format!("--out {}: directory {}", path.display(), dir.display()))?;
        anyhow::ensure!(
            meta.is_dir(),
            "--out {}: {} is not a directory",
            path.display(),
            dir.display()
        );
        anyhow::ensure!(
            !path.is_dir(),
            "--out {}: is a directory; name the file to write (pmta_lens.prom)",
            path.display()
        );
    }
    Ok(())
}

/// Renders the metrics and writes them where `args` says.
pub(super) fn write(args: &Args, s: &Summary<'_>, x: &Summarized<'_>) -> anyhow::Result<()> {
    let text = metrics::render(
        s,
        &Inputs {
            aggregates: x.aggregates,
            classifier: x.classifier,
            burst_codes: &x.params.burst_codes,
            top: args.top,
            scan_seconds: x.elapsed.as_secs_f64(),
        },
    );
    match &args.out {
        None => stdout::write_text(&text),
        Some(path) => {
            replace(path, text.as_bytes()).with_context(|| format!("--out {}", path.display()))
        }
    }
}

/// The directory a file is written in (`.` for a bare name).
fn directory(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Replaces `path` with `data` atomically: written and synced under a temporary name in the same
/// directory (the collector reads only `*.prom`, and a rename within one file system is atomic),
/// then renamed over it. A failure leaves the old file as it was and no temporary behind.
fn replace(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".pmta-lens-")
        .suffix(".tmp")
        .tempfile_in(directory(path))
        .context("creating a temporary file beside it")?;
    tmp.write_all(data).context("writing the temporary file")?;
    tmp.as_file()
        .sync_all()
        .context("syncing the temporary file")?;
    // A temporary file is private (0600); node_exporter reads it as another user.
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .context("making it readable")?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .context("renaming the temporary file over it")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_atomically_and_readable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pmta_lens.prom");
        std::fs::write(&path, "old\n").expect("write");
        replace(&path, b"new\n").expect("replace");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new\n");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(left, ["pmta_lens.prom"], "no temporary file is left behind");
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A directory where the file should be: the rename fails, the directory stays.
        let path = dir.path().join("taken");
        std::fs::create_dir(&path).expect("mkdir");
        std::fs::write(path.join("inside"), "x").expect("write");
        let err = replace(&path, b"new\n").expect_err("cannot rename over a directory");
        assert!(format!("{err:#}").contains("renaming"), "{err:#}");
        assert!(path.join("inside").exists());
        let left = std::fs::read_dir(dir.path()).expect("list").count();
        assert_eq!(left, 1, "no temporary file is left behind");
    }

    #[test]
    fn check_names_the_missing_directory() {
        let args = Args {
            out: Some(PathBuf::from("/nonexistent-dir-pmta/x.prom")),
            top: 20,
        };
        let err = check(&args).expect_err("missing directory");
        assert!(
            format!("{err:#}").contains("/nonexistent-dir-pmta"),
            "{err:#}"
        );
        let zero = Args { out: None, top: 0 };
        assert!(check(&zero).is_err());
    }
}
