//! `rows`: the original bytes of every matching row, in input order, with the header line
//! before them (again whenever it changes). Pieces are scanned in parallel and written in order
//! as each window completes, so memory is bounded by the window whatever the input size.

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::sync::Arc;

use super::{Driver, Engine, Row, ScanOptions, ScanReport, Sink};
use crate::acct::discover::Input;
use crate::acct::header::Header;

/// The matching rows of one piece, with the header of each run of rows.
#[derive(Default)]
pub(super) struct RowsOut {
    bytes: Vec<u8>,
    /// (offset in `bytes`, header of the rows from there on)
    headers: Vec<(usize, Arc<Header>)>,
    matched: u64,
}

/// The sink of `rows`: each piece collects its matching rows.
struct Matching;

impl Sink for Matching {
    type Fold = ();
    type Chunk = RowsOut;

    fn new_fold(&self) {}

    fn new_chunk(&self) -> RowsOut {
        RowsOut::default()
    }

    fn merge(&self, (): &mut (), (): ()) {}

    fn row(&self, (): &mut (), out: &mut RowsOut, row: &Row<'_>) {
        if out
            .headers
            .last()
            .is_none_or(|(_, h)| !Arc::ptr_eq(h, row.header))
        {
            out.headers.push((out.bytes.len(), Arc::clone(row.header)));
        }
        out.bytes.extend_from_slice(row.raw);
        if !row.raw.ends_with(b"\n") {
            out.bytes.push(b'\n');
        }
        out.matched += 1;
    }
}

/// Writes rows in order, repeating the header line whenever it changes.
struct RowsWriter<'w> {
    out: &'w mut dyn Write,
    last_header: Option<Vec<u8>>,
    matched: u64,
}

impl RowsWriter<'_> {
    fn write(&mut self, chunk: &RowsOut) -> io::Result<()> {
        let mut at = 0;
        for (i, (off, h)) in chunk.headers.iter().enumerate() {
            self.out.write_all(&chunk.bytes[at..*off])?;
            if self.last_header.as_deref() != Some(&h.raw[..]) {
                self.out.write_all(&h.raw)?;
                self.out.write_all(b"\n")?;
                self.last_header = Some(h.raw.clone());
            }
            at = *off;
            if i + 1 == chunk.headers.len() {
                break;
            }
        }
        self.out.write_all(&chunk.bytes[at..])?;
        self.matched += chunk.matched;
        Ok(())
    }
}

/// Writes every row that passes the filter, in input order, as its original bytes.
/// Returns the number of rows written; a write error (a closed pipe) stops the scan.
pub fn rows(
    inputs: &[Input],
    opts: &ScanOptions,
    eng: &Engine<'_>,
    out: &mut dyn Write,
) -> (Result<u64, io::Error>, ScanReport) {
    let mut w = RowsWriter {
        out,
        last_header: None,
        matched: 0,
    };
    let mut result = Ok(());
    let ((), report) = Driver::new(inputs, opts).run_in_order(eng, &Matching, |chunk, _| {
        result = w.write(&chunk);
        if result.is_ok() {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    });
    (result.map(|()| w.matched), report)
}
