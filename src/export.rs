//! `export --format parquet`: the rows of the accounting files as Parquet part files in
//! Hive-style partitions (`DIR/day=YYYY-MM-DD/host=NAME/part-*.parquet`), for `ClickHouse`,
//! `DuckDB`, Spark or Trino; incremental and idempotent for a timer on each host. One scan of the
//! driver, as `rows --format ndjson` makes (the same columns, derived by the same rules): pieces
//! are mapped to Arrow columns in parallel ([`schema`]) and written in input order to parts
//! ([`writer`]); the state file ([`state`]) says what earlier runs exported, and is the commit
//! point of this one. docs/scale-out.md is the user's side of it.

pub mod schema;
pub mod state;
pub mod writer;

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use crate::acct::discover::{Input, InputKind};
use crate::classify::Classifier;
use crate::filter::Filter;
use crate::learn;
use crate::scan::{ChunkAt, Driver, Engine, ScanOptions, ScanReport, Start};
use schema::{Exporting, Rows};
use state::{Identity, Pending, Plan, Reached, State};
use writer::{Limits, Parts, Written, day_of};

/// Where and how to export.
#[derive(Debug)]
pub struct Target<'a> {
    pub dir: &'a Path,
    pub host: &'a str,
    /// The `--where` expression, as the state file records it.
    pub filter: Option<&'a str>,
    pub limits: Limits,
    /// Heap the learned rollups may take before they go to disk ([`learn::LEARN_BYTES`]).
    pub learn_bytes: usize,
}

/// The rules rows are selected and derived by.
#[derive(Debug)]
pub struct Rules<'a> {
    pub classifier: &'a Classifier,
    pub filter: &'a Filter,
    /// The rollups (the operator's from the config, then the built-in ones).
    pub plan: &'a Arc<crate::aggregate::Plan>,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Rows written, over every part.
    pub rows: u64,
    /// Parts made visible, relative to the output directory.
    pub parts: Vec<String>,
    /// Inputs with nothing new since the last run.
    pub unchanged: usize,
    /// Parts a killed run had committed and this one renamed into place, and temporary parts
    /// of killed runs removed.
    pub recovered: (usize, usize),
    pub report: ScanReport,
}

/// One input of this run: what is known of it and where its new rows start.
struct Planned {
    input: Input,
    id: Option<Identity>,
    from: Reached,
}

/// Receives the pieces in input order and writes the rows past each input's start.
struct Delivery<'a> {
    parts: Parts,
    host: &'a str,
    from: Vec<Reached>,
    /// Per input: how far it was read (the end of its last piece) and rows written.
    reached: Vec<Reached>,
    rows: Vec<u64>,
    /// Per input: the parts its rows went to.
    touched: Vec<Vec<String>>,
    days: Vec<String>,
    keep: Vec<bool>,
}

impl Delivery<'_> {
    fn piece(&mut self, mut rows: Rows, at: &ChunkAt<'_>, names: &[String]) -> anyhow::Result<()> {
        let end = at.offset + at.data.len() as u64;
        if let Some(r) = self.reached.get_mut(at.file)
            && end >= r.offset
        {
            // The line at the piece's end: the last row's, plus the newlines from it on.
            let newlines = |d: &[u8]| memchr::memchr_iter(b'\n', d).count() as u64;
            let lines = match (rows.offsets.last(), rows.lines.last()) {
                (Some(&o), Some(&l)) => l + newlines(at.data.get(o..).unwrap_or_default()),
                _ => newlines(at.data),
            };
            *r = Reached {
                offset: end,
                line: Some(at.line + lines),
            };
        }
        if rows.is_empty() {
            return Ok(());
        }
        let from = self.from.get(at.file).map_or(0, |f| f.offset);
        self.keep.clear();
        self.keep
            .extend(rows.offsets.iter().map(|o| at.offset + *o as u64 >= from));
        let kept = self.keep.iter().filter(|k| **k).count() as u64;
        if kept == 0 {
            return Ok(());
        }
        self.days.clear();
        self.days.extend(rows.times.iter().map(|t| day_of(*t)));
        let name = names.get(at.file).map_or("", String::as_str);
        let batch = rows.finish(self.host, name, at.line);
        let touched = &mut self.touched[at.file];
        self.parts.write(&batch, &self.days, &self.keep, touched)?;
        if let Some(n) = self.rows.get_mut(at.file) {
            *n += kept;
        }
        Ok(())
    }
}

/// A name for this run's parts, unique across runs: its start (UTC) and the process id.
fn run_name() -> String {
    format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    )
    .replace('.', "")
}

/// Exports the rows of `inputs` that earlier runs into `target.dir` did not.
pub fn export(
    inputs: &[Input],
    opts: &ScanOptions,
    rules: &Rules<'_>,
    target: &Target<'_>,
) -> anyhow::Result<Outcome> {
    let dir = target.dir;
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
    let mut state = State::load(dir, target.host, target.filter)?;
    let mut outcome = Outcome {
        recovered: state.recover(dir)?,
        ..Outcome::default()
    };
    if outcome.recovered != (0, 0) {
        state.save(dir)?;
    }

    learn::remove_stale(dir);
    let planned = plan(inputs, &state, &mut outcome);
    if planned.is_empty() {
        return Ok(outcome);
    }
    let todo: Vec<Input> = planned.iter().map(|p| p.input.clone()).collect();
    // `domain` is the summary's rollup, learned from every row of the inputs read (as for
    // `rows --format ndjson`), before the rows are written, in bounded memory; a filter on
    // `domain` selects by the same rollups.
    let opts = opts.sharing_maps();
    let learned = learn::rollups(
        &todo,
        &opts,
        rules.classifier,
        &rules.plan.rollup,
        target.learn_bytes,
        dir,
    )?;
    let eng = Engine {
        classifier: rules.classifier,
        filter: rules.filter,
        rollup: &rules.plan.rollup,
        domain_map: Some(&learned),
    };

    let mut delivery = Delivery {
        parts: Parts::new(dir, target.host, &run_name(), target.limits),
        host: target.host,
        from: planned.iter().map(|p| p.from).collect(),
        reached: planned.iter().map(|p| p.from).collect(),
        rows: vec![0; planned.len()],
        touched: vec![Vec::new(); planned.len()],
        days: Vec::new(),
        keep: Vec::new(),
    };
    let sink = Exporting {
        classifier: rules.classifier,
        rollup: &rules.plan.rollup,
        rollups: Some(&learned),
    };
    // Every input is read to its end, as `summary` reads it (a last line without its newline
    // included: a complete file may lack one), each window written while the next is scanned.
    // A grown file is read from where the last run stopped, its lines numbered on from there
    // (streams are read whole: `Delivery` writes only what is past the offset).
    let mut driver = Driver::new(&todo, &opts);
    for (i, p) in planned.iter().enumerate() {
        if let Some(line) = p.from.line
            && p.from.offset > 0
        {
            driver.start_at(
                i,
                Start {
                    offset: p.from.offset,
                    line,
                },
            );
        }
    }
    let names: Vec<String> = driver.inputs().map(Input::display).collect();
    let mut result = Ok(());
    let ((), report) = driver.run(&eng, &sink, |rows, at| {
        match delivery.piece(rows, at, &names) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                result = Err(e);
                ControlFlow::Break(())
            }
        }
    });
    outcome.report = report;
    let Delivery {
        parts,
        reached,
        rows,
        touched,
        ..
    } = delivery;
    if let Err(e) = result {
        parts.abandon();
        return Err(e);
    }
    let written = parts.finish()?;
    let read = Read {
        reached: &reached,
        rows: &rows,
        touched: &touched,
    };
    commit(dir, &mut state, &planned, &read, &written, &outcome.report)?;
    outcome.rows = rows.iter().sum();
    outcome.parts = written.into_iter().map(|w| w.path).collect();
    Ok(outcome)
}

/// Per planned input: how far it was read, rows written, parts written to.
struct Read<'a> {
    reached: &'a [Reached],
    rows: &'a [u64],
    touched: &'a [Vec<String>],
}

/// What to read of each input, from the state; inputs with nothing new are counted in
/// `outcome` and left out.
fn plan(inputs: &[Input], state: &State, outcome: &mut Outcome) -> Vec<Planned> {
    let mut planned = Vec::new();
    for input in inputs {
        let known = |gzip| {
            let id = Identity::of(&input.path).ok()?;
            Some((state.plan(&input.path, &id, gzip), id))
        };
        let (from, id) = match input.kind {
            // Read once and not identifiable: exported whole each time.
            InputKind::Stdin | InputKind::Pipe => (Reached::default(), None),
            kind => match known(kind == InputKind::Gzip) {
                Some((Plan::Skip, _)) => {
                    outcome.unchanged += 1;
                    continue;
                }
                Some((Plan::From(at), id)) => (at, Some(id)),
                Some((Plan::Whole, id)) => (Reached::default(), Some(id)),
                // Unreadable: the scan says why.
                None => (Reached::default(), None),
            },
        };
        planned.push(Planned {
            input: input.clone(),
            id,
            from,
        });
    }
    planned
}

/// Records the run in the state file (its commit point), then renames its parts into place.
fn commit(
    dir: &Path,
    state: &mut State,
    planned: &[Planned],
    read: &Read<'_>,
    written: &[Written],
    report: &ScanReport,
) -> anyhow::Result<()> {
    for (i, p) in planned.iter().enumerate() {
        let Some(id) = &p.id else { continue };
        // An input that could not be read was skipped: it is tried again next time. One that
        // failed part-way (a truncated gzip file) keeps what was read, as the offset says.
        if report
            .files
            .get(i)
            .is_some_and(|f| f.error.is_some() && !f.partial)
        {
            continue;
        }
        state.record(
            &p.input.display(),
            id,
            read.reached[i],
            read.rows[i],
            &read.touched[i],
        );
    }
    state.pending = written
        .iter()
        .map(|w| Pending {
            tmp: w.tmp.clone(),
            path: w.path.clone(),
        })
        .collect();
    state.save(dir)?;
    for w in written {
        state::publish(&dir.join(&w.tmp), &dir.join(&w.path))?;
    }
    state.pending.clear();
    state.save(dir)
}
