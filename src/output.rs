//! The non-interactive front end: the `summary` report (text, markdown, JSON) built from a scan,
//! and the table renderer they share. Knows nothing of the dashboard.

pub mod budget;
pub mod check;
pub mod escape;
pub mod exposition;
pub mod json;
pub mod metrics;
pub mod ndjson;
pub mod summary;
pub mod table;
pub mod text;
