//! The `pmta-lens` binary's front ends, as a library so the tests reach them: `cli` (arguments,
//! which front end runs, stderr messages, exit codes), `output` (`summary`, `rows`, `metrics`,
//! `check-config` printers), `export` (Parquet parts) and `tui` (the dashboard), and what more
//! than one of them uses: `learn` (rollups learned before a pass, in bounded memory), `allocator`.
//! The work is in the core crate, `pmta_lens_core`, re-exported here module by module so a front
//! end names `crate::scan` as the core's `scan`. docs/architecture.md maps the path of a row.

pub use pmta_lens_core::{
    acct, aggregate, analysis, classify, config, connections, duration, error, filter, fmt, model,
    rollup, scan, volume,
};

pub mod allocator;
pub mod cli;
pub mod export;
pub mod learn;
pub mod output;
#[cfg(feature = "tui")]
pub mod tui;
