//! What a pass does with rows: the [`Sink`] every front end implements.

use crate::acct::header::{Col, Header};
use crate::model::RecordKind;
use crate::scan::Row;

/// What a pass does with rows. Each worker folds rows into its own [`Sink::Fold`] (merged at
/// the end: counts); each piece fills its own [`Sink::Chunk`], handed back in input order
/// (sequences, output, anything whose order matters or that must not be kept whole).
pub trait Sink: Sync {
    type Fold: Send;
    type Chunk: Send;

    fn new_fold(&self) -> Self::Fold;

    fn new_chunk(&self) -> Self::Chunk;

    fn merge(&self, into: &mut Self::Fold, from: Self::Fold);

    /// Whether a well-formed row of this type, with these fields, can matter to the sink: asked
    /// before the row's timestamp is parsed, its response classified and the filter applied, so
    /// a pass that needs few rows skips the rest cheaply. A declined row is counted neither as a
    /// record nor as malformed (such passes discard their report).
    #[inline]
    fn wants<'d>(&self, _kind: RecordKind, _field: &dyn Fn(Col) -> &'d [u8]) -> bool {
        true
    }

    /// Whether [`Self::skim`] can decline rows: then the scan offers it each single-line
    /// record before splitting it into fields.
    const SKIMS: bool = false;

    /// Whether a record (one line, without its line ending, `header` in effect) may matter:
    /// a conservative look at its raw bytes, cheaper than splitting it. `false` skips the row
    /// unread (as [`Self::wants`] does); when unsure, say `true`.
    #[inline]
    fn skim(&self, _line: &[u8], _header: &Header) -> bool {
        true
    }

    fn row(&self, fold: &mut Self::Fold, chunk: &mut Self::Chunk, row: &Row<'_>);
}
