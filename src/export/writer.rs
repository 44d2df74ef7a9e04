//! Part files in Hive-style partitions, `DIR/day=YYYY-MM-DD/host=NAME/part-*.parquet`: each
//! row goes to the part of its `timeLogged` day (UTC; `__HIVE_DEFAULT_PARTITION__` for a row
//! without one), written under a hidden temporary name (`.part-*.parquet.tmp`) that no engine's
//! glob reads. Memory is bounded: a row group is flushed once its encoded size reaches
//! [`Limits::row_group_bytes`], a part is closed once it reaches [`Limits::part_bytes`], and at
//! most [`Limits::open_days`] parts are open at once (a row of another day closes the part
//! written least recently). Closed parts are fsynced; [`Parts::finish`] returns them for the
//! state file, which makes them visible ([`super::state`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use arrow_array::{BooleanArray, RecordBatch};
use chrono::DateTime;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use super::schema::{NO_DICTIONARY, schema};

/// Hive's name for the partition of a null value.
pub const NO_DAY: &str = "__HIVE_DEFAULT_PARTITION__";

/// How large row groups and parts grow, and how many parts are open at once.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Encoded bytes a row group holds before it is written out: tens of MB, which engines
    /// read well, while the writer keeps little more than one in memory per open part.
    pub row_group_bytes: usize,
    /// Bytes a part file holds before another is started.
    pub part_bytes: usize,
    pub open_days: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            row_group_bytes: 24 << 20,
            part_bytes: 512 << 20,
            open_days: 2,
        }
    }
}

/// A part written and closed: its final and temporary paths, relative to the output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub path: String,
    pub tmp: String,
    pub rows: u64,
}

/// One open part.
struct Open {
    day: String,
    written: Written,
    writer: ArrowWriter<BufWriter<File>>,
    /// Order of last use, for closing the part written least recently.
    used: u64,
}

/// The parts of one run.
pub struct Parts {
    dir: PathBuf,
    host: String,
    /// Makes this run's part names unique: its start time and process id.
    run: String,
    limits: Limits,
    props: WriterProperties,
    open: Vec<Open>,
    closed: Vec<Written>,
    seq: u32,
    clock: u64,
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts")
            .field("dir", &self.dir)
            .field("open", &self.open.len())
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

/// The writer settings: zstd, row groups by size, dictionaries for all but the nearly unique
/// columns (the writer falls back to plain encoding by itself where a dictionary grows large).
fn properties(limits: &Limits) -> WriterProperties {
    let mut b = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(None)
        .set_max_row_group_bytes(Some(limits.row_group_bytes.max(1)))
        .set_created_by(format!("pmta-lens {}", env!("CARGO_PKG_VERSION")));
    for name in NO_DICTIONARY {
        b = b.set_column_dictionary_enabled(ColumnPath::from(name), false);
    }
    b.build()
}

fn touch(touched: &mut Vec<String>, part: String) {
    if !touched.contains(&part) {
        touched.push(part);
    }
}

/// The partition directory of a day: `day=YYYY-MM-DD` from Unix seconds, UTC.
pub fn day_of(secs: Option<i64>) -> String {
    match secs.and_then(|s| DateTime::from_timestamp(s, 0)) {
        Some(t) => t.format("%Y-%m-%d").to_string(),
        None => NO_DAY.to_string(),
    }
}

impl Parts {
    pub fn new(dir: &Path, host: &str, run: &str, limits: Limits) -> Parts {
        Parts {
            dir: dir.to_path_buf(),
            host: host.to_string(),
            run: run.to_string(),
            props: properties(&limits),
            limits,
            open: Vec::new(),
            closed: Vec::new(),
            seq: 0,
            clock: 0,
        }
    }

    /// Writes a batch's rows whose `keep` is true, each to its day's part (`days[i]` for row i);
    /// adds the parts written to `touched` (once each).
    pub fn write(
        &mut self,
        batch: &RecordBatch,
        days: &[String],
        keep: &[bool],
        touched: &mut Vec<String>,
    ) -> anyhow::Result<()> {
        let mut start = 0;
        // Rows come in time order nearly always: runs of one day are written as slices, and a
        // piece that straddles midnight (or has skipped rows) as one filtered batch per day.
        let whole = keep.iter().all(|k| *k) && days.windows(2).all(|w| w[0] == w[1]);
        if whole {
            if let Some(day) = days.first() {
                let part = self.write_day(day, batch)?;
                touch(touched, part);
            }
            return Ok(());
        }
        let mut seen: Vec<&String> = Vec::new();
        while start < days.len() {
            let day = &days[start];
            start += 1;
            if seen.contains(&day) {
                continue;
            }
            seen.push(day);
            let mask: BooleanArray = days
                .iter()
                .zip(keep)
                .map(|(d, k)| Some(*k && d == day))
                .collect();
            if mask.true_count() == 0 {
                continue;
            }
            let rows = arrow_select::filter::filter_record_batch(batch, &mask)?;
            let part = self.write_day(day, &rows)?;
            touch(touched, part);
        }
        Ok(())
    }

    /// Writes rows of one day; returns the part they went to.
    fn write_day(&mut self, day: &str, batch: &RecordBatch) -> anyhow::Result<String> {
        self.clock += 1;
        let i = if let Some(i) = self.open.iter().position(|o| o.day == day) {
            i
        } else {
            if self.open.len() >= self.limits.open_days.max(1)
                && let Some(lru) = (0..self.open.len()).min_by_key(|&i| self.open[i].used)
            {
                let o = self.open.swap_remove(lru);
                self.close(o)?;
            }
            let o = self.start(day)?;
            self.open.push(o);
            self.open.len() - 1
        };
        let o = &mut self.open[i];
        o.used = self.clock;
        o.writer
            .write(batch)
            .with_context(|| format!("writing {}", o.written.tmp))?;
        o.written.rows += batch.num_rows() as u64;
        let part = o.written.path.clone();
        if o.writer.bytes_written() + o.writer.in_progress_size() >= self.limits.part_bytes {
            let o = self.open.swap_remove(i);
            self.close(o)?;
        }
        Ok(part)
    }

    /// Opens a new part of `day` under its temporary name.
    fn start(&mut self, day: &str) -> anyhow::Result<Open> {
        self.seq += 1;
        let rel_dir = format!("day={day}/host={}", self.host);
        let name = format!("part-{}-{:04}.parquet", self.run, self.seq);
        let path = format!("{rel_dir}/{name}");
        let tmp = format!("{rel_dir}/.{name}.tmp");
        let dir = self.dir.join(&rel_dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let file = File::create(self.dir.join(&tmp))
            .with_context(|| format!("creating {}", self.dir.join(&tmp).display()))?;
        let writer = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 20, file),
            schema(),
            Some(self.props.clone()),
        )?;
        Ok(Open {
            day: day.to_string(),
            written: Written { path, tmp, rows: 0 },
            writer,
            used: self.clock,
        })
    }

    /// Finishes a part's footer and makes it durable under its temporary name.
    fn close(&mut self, mut o: Open) -> anyhow::Result<()> {
        let at = self.dir.join(&o.written.tmp);
        o.writer
            .finish()
            .with_context(|| format!("writing {}", at.display()))?;
        let out = o.writer.inner_mut();
        out.flush()
            .and_then(|()| out.get_ref().sync_all())
            .with_context(|| format!("writing {}", at.display()))?;
        self.closed.push(o.written);
        Ok(())
    }

    /// Closes every open part; returns every part of the run, in the order they were closed.
    pub fn finish(mut self) -> anyhow::Result<Vec<Written>> {
        let mut open = std::mem::take(&mut self.open);
        open.sort_by_key(|o| o.used);
        for o in open {
            self.close(o)?;
        }
        Ok(std::mem::take(&mut self.closed))
    }

    /// Removes every temporary file of the run (after a failure: nothing of it is kept).
    pub fn abandon(mut self) {
        let open = std::mem::take(&mut self.open);
        for o in open.iter().map(|o| &o.written).chain(&self.closed) {
            let _ = std::fs::remove_file(self.dir.join(&o.tmp));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, StringArray, new_null_array};
    use parquet::file::reader::{FileReader, SerializedFileReader};

    use super::*;

    /// `n` rows of the schema: lines 0..n, the rest null where it may be.
    fn batch(n: usize) -> RecordBatch {
        let s = schema();
        let cols = s
            .fields()
            .iter()
            .map(|f| match f.name().as_str() {
                "type" | "host" | "file" => Arc::new(StringArray::from(vec!["d"; n])) as ArrayRef,
                "line" => Arc::new(Int64Array::from_iter_values(0..n as i64)),
                _ => new_null_array(f.data_type(), n),
            })
            .collect();
        RecordBatch::try_new(s, cols).expect("batch")
    }

    fn rows_in(path: &Path) -> i64 {
        let r = SerializedFileReader::new(File::open(path).expect("open")).expect("Parquet");
        r.metadata().file_metadata().num_rows()
    }

    fn days(d: &[&str]) -> Vec<String> {
        d.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn rows_go_to_their_days_part_and_skipped_rows_nowhere() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut parts = Parts::new(dir.path(), "h", "run", Limits::default());
        let mut touched = Vec::new();
        let b = batch(4);
        let d = days(&["2026-11-20", "2026-11-20", "2026-11-21", NO_DAY]);
        parts
            .write(&b, &d, &[false, true, true, true], &mut touched)
            .expect("written");
        parts
            .write(&b, &days(&["2026-11-21"; 4]), &[true; 4], &mut touched)
            .expect("written");
        // Two open days at most: the row without a day closed the least recently used part.
        let written = parts.finish().expect("finished");
        let mut got: Vec<(String, u64)> =
            written.iter().map(|w| (w.path.clone(), w.rows)).collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("day=2026-11-20/host=h/part-run-0001.parquet".to_string(), 1),
                ("day=2026-11-21/host=h/part-run-0002.parquet".to_string(), 5),
                (format!("day={NO_DAY}/host=h/part-run-0003.parquet"), 1),
            ]
        );
        assert_eq!(touched.len(), 3);
        for w in &written {
            // Still under the temporary name: the state file commits them.
            assert!(!dir.path().join(&w.path).exists());
            assert!(w.tmp.ends_with(".parquet.tmp") && w.tmp.contains("/.part-run-"));
            assert_eq!(rows_in(&dir.path().join(&w.tmp)), w.rows as i64);
        }
    }

    #[test]
    fn a_full_part_is_closed_and_another_started_and_abandon_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let limits = Limits {
            row_group_bytes: 1,
            part_bytes: 1,
            open_days: 1,
        };
        let mut parts = Parts::new(dir.path(), "h", "run", limits);
        let mut touched = Vec::new();
        for _ in 0..3 {
            parts
                .write(
                    &batch(10),
                    &days(&["2026-11-20"; 10]),
                    &[true; 10],
                    &mut touched,
                )
                .expect("written");
        }
        assert_eq!(touched.len(), 3, "{touched:?}");
        parts.abandon();
        let part_dir = dir.path().join("day=2026-11-20/host=h");
        assert_eq!(std::fs::read_dir(part_dir).expect("list").count(), 0);
    }

    #[test]
    fn days_are_utc_dates_and_a_missing_time_is_hives_null_partition() {
        assert_eq!(day_of(Some(0)), "1970-01-01");
        // 2026-11-20T23:59:59Z and one second later
        assert_eq!(day_of(Some(1_795_219_199)), "2026-11-20");
        assert_eq!(day_of(Some(1_795_219_200)), "2026-11-21");
        assert_eq!(day_of(None), NO_DAY);
        assert_eq!(day_of(Some(i64::MAX)), NO_DAY);
    }
}
