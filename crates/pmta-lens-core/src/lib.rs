//! The core of pmta-lens: `PowerMTA` accounting files to counts, codes and findings. It returns
//! data and errors and never prints, reads no environment and chooses no exit code; a problem
//! that is not an error (a malformed row, an input that could not be read) comes back as a value
//! for a front end to show. The front ends (the `pmta-lens` binary: `summary`, `rows`,
//! `metrics`, `export`, the dashboard) are built on what is public here.
//!
//! Where to start: [`scan::Driver`] reads inputs found by [`acct::discover`] and feeds each row
//! to a [`scan::Sink`]; [`scan::run`] counts them into [`aggregate::Aggregates`];
//! [`analysis::run`] adds the findings; [`connections::analyze`] the connection budget.
//! docs/architecture.md in the repository maps the path of a row and what each module may
//! depend on.

pub mod acct;
pub mod aggregate;
pub mod analysis;
pub mod classify;
pub mod config;
pub mod connections;
pub mod duration;
pub mod error;
pub mod filter;
pub mod fmt;
pub mod model;
pub mod rollup;
pub mod scan;
#[cfg(unix)]
pub mod signal;
#[cfg(test)]
mod test_rng;
pub mod volume;
