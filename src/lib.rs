//! pmta-lens: turns `PowerMTA` accounting logs into answers. The core (`acct`, `model`, `rollup`,
//! `classify`, `filter`, `aggregate`, `scan`) returns data and errors and never prints; the front
//! ends (`output` for summary and rows, `tui` for the dashboard) show the same numbers from it.
//! docs/architecture.md maps the path of a row and what each module may depend on.

pub mod acct;
pub mod aggregate;
pub mod analysis;
pub mod classify;
pub mod cli;
pub mod config;
pub mod connections;
pub mod duration;
pub mod error;
pub mod filter;
pub mod fmt;
pub mod model;
pub mod output;
pub mod rollup;
pub mod scan;
#[cfg(unix)]
mod signal;
pub mod synth;
#[cfg(feature = "tui")]
pub mod tui;
pub mod volume;
