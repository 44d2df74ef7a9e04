//! The export's state file, `DIR/_pmta-lens-state.json`: which inputs were exported (name,
//! device, inode, size, the byte offset read to, a hash of their first bytes) and to which part
//! files, so that a rerun exports only new files and the grown tail of a live one, never a row
//! twice. The file is replaced atomically (a temporary file, fsynced, renamed, the directory
//! fsynced): it is the run's commit point. Parts named in `pending` were committed by a run that
//! may have been killed before renaming them into place; the next run finishes that, and removes
//! any other temporary part (of a run killed before its commit). docs/scale-out.md explains the
//! rules to users.

use std::fs::File;
use std::io::{Read, Write};
#[cfg(unix)]
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// The state file's name in the output directory (`_` first: Spark and Hive skip such files).
pub const FILE: &str = "_pmta-lens-state.json";
const VERSION: u32 = 1;
/// How many leading bytes identify a file's content beside its inode: past the header line,
/// a few rows with their timestamps.
const HEAD: usize = 4096;

/// What the output directory holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// The `host=` partition the parts are written under.
    pub host: String,
    /// The `--where` expression every run used (rows it left out are never exported).
    pub filter: Option<String>,
    pub inputs: Vec<Exported>,
    /// Committed parts perhaps still under their temporary names.
    #[serde(default)]
    pub pending: Vec<Pending>,
}

/// One input as exported so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exported {
    pub path: String,
    pub dev: u64,
    pub ino: u64,
    /// The file's size when it was last read (compressed, for gzip).
    pub size: u64,
    /// Bytes read to (decompressed, for gzip). Rows starting before it are exported, or were
    /// left out by the filter.
    pub offset: u64,
    /// The number (0-based) of the line at `offset`: a rerun starts reading there, and the
    /// `line` column goes on from it. Unknown in a state written before it was kept: then the
    /// rerun reads the file from its start and writes only what is past `offset`.
    #[serde(default)]
    pub line: Option<u64>,
    /// FNV-1a hash of the first `head_len` bytes: an inode reused by a new file is not taken for
    /// the old one.
    pub head: u64,
    pub head_len: u64,
    /// Rows exported from it, over every run.
    pub rows: u64,
    /// Part files (relative to the output directory) holding its rows.
    pub parts: Vec<String>,
}

impl Exported {
    fn reached(&self) -> Reached {
        Reached {
            offset: self.offset,
            line: self.line,
        }
    }
}

/// A part committed under its temporary name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub tmp: String,
    pub path: String,
}

/// Where a plain or gzip file is, and what it starts with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    /// Its first `HEAD` bytes (fewer if it is shorter).
    pub head: Vec<u8>,
}

impl Identity {
    pub fn of(path: &Path) -> std::io::Result<Identity> {
        let mut f = File::open(path)?;
        let meta = f.metadata()?;
        let mut head = Vec::with_capacity(HEAD);
        (&mut f).take(HEAD as u64).read_to_end(&mut head)?;
        #[cfg(unix)]
        let (dev, ino) = (meta.dev(), meta.ino());
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        Ok(Identity {
            dev,
            ino,
            size: meta.len(),
            head,
        })
    }
}

/// FNV-1a, 64 bits: a hash whose value is fixed by its definition, so a state file written by
/// one build is read the same by the next (std's and rustc-hash's are not promised stable).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// How far an input was read: the byte offset, and the number (0-based) of the line there if
/// known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reached {
    pub offset: u64,
    pub line: Option<u64>,
}

/// What to export of one input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Nothing new.
    Skip,
    /// The rows from this point on (a grown file, or the compressed copy of one read).
    From(Reached),
    /// Every row (a new file, or one truncated or replaced since).
    Whole,
}

impl State {
    /// The state in `dir`, or an empty one for `host` and `filter` if there is none yet. A state
    /// made for another host or filter is refused: the parts would mix rows of both.
    pub fn load(dir: &Path, host: &str, filter: Option<&str>) -> anyhow::Result<State> {
        let path = dir.join(FILE);
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(State {
                    version: VERSION,
                    host: host.to_string(),
                    filter: filter.map(str::to_string),
                    ..State::default()
                });
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let state: State = serde_json::from_slice(&text)
            .with_context(|| format!("{}: not a pmta-lens export state", path.display()))?;
        anyhow::ensure!(
            state.version == VERSION,
            "{}: state version {} (this pmta-lens reads {VERSION})",
            path.display(),
            state.version
        );
        anyhow::ensure!(
            state.host == host,
            "{} was exported with --host {}: export host {host} to another directory",
            dir.display(),
            state.host
        );
        anyhow::ensure!(
            state.filter.as_deref() == filter,
            "{} was exported with {}: a different --where needs another directory",
            dir.display(),
            state
                .filter
                .as_deref()
                .map_or("no --where".to_string(), |f| format!("--where '{f}'"))
        );
        Ok(state)
    }

    /// Writes the state atomically: a reader (or a killed run) sees the old file or the new.
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(FILE);
        let mut tmp = tempfile::Builder::new()
            .prefix(".pmta-lens-state")
            .tempfile_in(dir)
            .with_context(|| format!("writing {}", path.display()))?;
        let mut json = serde_json::to_vec_pretty(self)?;
        json.push(b'\n');
        tmp.write_all(&json)
            .and_then(|()| tmp.as_file().sync_all())
            .with_context(|| format!("writing {}", path.display()))?;
        tmp.persist(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        sync_dir(dir)
    }

    /// What to export of a file, from what was exported of it (see the module documentation
    /// and docs/scale-out.md).
    pub fn plan(&self, path: &Path, id: &Identity, gzip: bool) -> Plan {
        let same = self.inputs.iter().rev().find(|e| {
            e.dev == id.dev
                && e.ino == id.ino
                && e.head_len <= id.head.len() as u64
                && fnv1a(&id.head[..e.head_len as usize]) == e.head
        });
        if let Some(e) = same {
            return if id.size == e.size {
                // Not grown.
                Plan::Skip
            } else if gzip || id.size >= e.offset {
                Plan::From(e.reached())
            } else {
                // Shorter than what was read: truncated in place and written anew.
                Plan::Whole
            };
        }
        // logrotate's compressed copy of a file read before under its plain name: the same
        // bytes once decompressed, so the rows past the offset reached are the new ones.
        if gzip
            && let Some(plain) = path.to_str().and_then(|p| p.strip_suffix(".gz"))
            && let Some(e) = self.inputs.iter().rev().find(|e| e.path == plain)
        {
            return Plan::From(e.reached());
        }
        Plan::Whole
    }

    /// Records what a run read of a file: the point `reached`, `rows` and `parts` added.
    pub fn record(
        &mut self,
        path: &str,
        id: &Identity,
        reached: Reached,
        rows: u64,
        parts: &[String],
    ) {
        let offset = reached.offset;
        let head_len = id.head.len();
        let i = self
            .inputs
            .iter()
            .position(|e| e.dev == id.dev && e.ino == id.ino);
        let e = if let Some(i) = i {
            &mut self.inputs[i]
        } else {
            self.inputs.push(Exported::default());
            let last = self.inputs.len() - 1;
            &mut self.inputs[last]
        };
        let (old_rows, mut old_parts) = if e.head_len as usize <= head_len
            && fnv1a(&id.head[..e.head_len as usize]) == e.head
            && offset >= e.offset
        {
            (e.rows, std::mem::take(&mut e.parts))
        } else {
            (0, Vec::new())
        };
        for p in parts {
            if !old_parts.contains(p) {
                old_parts.push(p.clone());
            }
        }
        *e = Exported {
            path: path.to_string(),
            dev: id.dev,
            ino: id.ino,
            size: id.size,
            offset,
            line: reached.line,
            head: fnv1a(&id.head),
            head_len: head_len as u64,
            rows: old_rows + rows,
            parts: old_parts,
        };
    }

    /// Finishes what a killed run committed (renames its parts into place) and removes the
    /// temporary parts of runs killed before their commit. Returns how many of each.
    pub fn recover(&mut self, dir: &Path) -> anyhow::Result<(usize, usize)> {
        let mut renamed = 0;
        for p in std::mem::take(&mut self.pending) {
            let (tmp, path) = (dir.join(&p.tmp), dir.join(&p.path));
            if tmp.exists() && !path.exists() {
                publish(&tmp, &path)?;
                renamed += 1;
            }
        }
        let mut removed = 0;
        for tmp in temporary_parts(dir, &self.host) {
            std::fs::remove_file(&tmp).with_context(|| format!("removing {}", tmp.display()))?;
            removed += 1;
        }
        Ok((renamed, removed))
    }
}

/// Renames a part into place and makes the rename durable.
pub fn publish(tmp: &Path, path: &Path) -> anyhow::Result<()> {
    std::fs::rename(tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    path.parent().map_or(Ok(()), sync_dir)
}

/// fsync of a directory: a rename or a new file in it survives a crash.
fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))
}

/// Every `.part-*.parquet.tmp` under `dir/day=*/host=HOST/`.
fn temporary_parts(dir: &Path, host: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(days) = std::fs::read_dir(dir) else {
        return found;
    };
    for day in days.flatten() {
        if !day.file_name().to_string_lossy().starts_with("day=") {
            continue;
        }
        let Ok(files) = std::fs::read_dir(day.path().join(format!("host={host}"))) else {
            continue;
        };
        for f in files.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if name.starts_with(".part-") && name.ends_with(".parquet.tmp") {
                found.push(f.path());
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests;
