//! Reads located rows back from their files for the Rows view: only the rows in view, by byte
//! offset, split with the scanner's own field splitter. Read-only, like everything else.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::acct::header::{Col, Header};
use crate::acct::record::{FieldSplitter, unescape};

use super::data::RowLoc;

/// One row, split into its fields.
#[derive(Clone, Debug)]
pub struct ParsedRow {
    pub header: Option<Arc<Header>>,
    pub values: Vec<String>,
    /// The file's name (no directory) and the row's byte offset in it.
    pub file: String,
    pub offset: u64,
    /// The 1-based line of the row in its file.
    pub line: u64,
    /// The row as written, without its line end (what `Y` copies).
    pub raw: String,
    /// Why the row could not be read, if it could not.
    pub error: Option<String>,
}

impl ParsedRow {
    pub fn get(&self, col: Col) -> &str {
        self.header
            .as_ref()
            .and_then(|h| h.pos(col))
            .and_then(|p| self.values.get(p))
            .map_or("", String::as_str)
    }

    /// The value of the column named `name` (ASCII case ignored, the first of repeated names),
    /// for the columns the scan does not know by name (`repSourceIp`, `userAgent`...).
    pub fn named(&self, name: &str) -> Option<&str> {
        let h = self.header.as_ref()?;
        let p = h.names.iter().position(|n| n.eq_ignore_ascii_case(name))?;
        self.values.get(p).map(String::as_str)
    }

    /// Every field as (column name, value), in file order.
    pub fn fields(&self) -> Vec<(String, &str)> {
        self.values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let name = self
                    .header
                    .as_ref()
                    .and_then(|h| h.names.get(i).cloned())
                    .unwrap_or_else(|| format!("field {}", i + 1));
                (name, v.as_str())
            })
            .collect()
    }
}

/// Open files, kept for the next read.
#[derive(Debug, Default)]
pub struct Reader {
    files: HashMap<PathBuf, File>,
}

impl Reader {
    pub fn read(&mut self, loc: &RowLoc) -> ParsedRow {
        let file = loc.path.file_name().map_or_else(
            || loc.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut row = ParsedRow {
            header: loc.header.clone(),
            values: Vec::new(),
            file,
            offset: loc.offset,
            line: loc.line,
            raw: String::new(),
            error: None,
        };
        match self.bytes(loc) {
            Ok(buf) => {
                row.values = split(&buf);
                let end = buf.strip_suffix(b"\n").unwrap_or(&buf);
                let end = end.strip_suffix(b"\r").unwrap_or(end);
                row.raw = String::from_utf8_lossy(end).into_owned();
            }
            Err(e) => row.error = Some(e.to_string()),
        }
        row
    }

    fn bytes(&mut self, loc: &RowLoc) -> std::io::Result<Vec<u8>> {
        self.span(
            &loc.path,
            loc.buffer.as_ref(),
            loc.offset,
            loc.offset + u64::from(loc.len),
        )
    }

    /// Bytes `from..to` of a file (or of `buffer`, a compressed input's block): the rows of a
    /// piece at once, for a search.
    pub fn span(
        &mut self,
        path: &Path,
        buffer: Option<&Arc<Vec<u8>>>,
        from: u64,
        to: u64,
    ) -> std::io::Result<Vec<u8>> {
        let len = usize::try_from(to.saturating_sub(from))
            .map_err(|_| std::io::Error::other("span too long"))?;
        if let Some(b) = buffer {
            let at = usize::try_from(from).unwrap_or(usize::MAX);
            return b
                .get(at..at.saturating_add(len))
                .map(<[u8]>::to_vec)
                .ok_or_else(|| std::io::Error::other("row outside its block"));
        }
        if !self.files.contains_key(path) {
            let f = File::open(path)?;
            self.files.insert(path.to_path_buf(), f);
        }
        let f = &self.files[path];
        let mut buf = vec![0u8; len];
        f.read_exact_at(&mut buf, from)?;
        Ok(buf)
    }
}

/// The fields of one record, unquoted and unescaped.
pub fn split(record: &[u8]) -> Vec<String> {
    let mut buf = record.to_vec();
    if !buf.ends_with(b"\n") {
        buf.push(b'\n');
    }
    let mut s = FieldSplitter::default();
    s.split(&buf, 0);
    s.fields()
        .iter()
        .map(|f| String::from_utf8_lossy(&unescape(f.bytes(&buf), f.escaped)).into_owned())
        .collect()
}
