//! Accounting files to records: finding the files ([`discover`]), opening them ([`source`]),
//! cutting them into record-aligned chunks ([`chunk`]), mapping headers ([`header`]), splitting
//! records ([`record`]), giving up on broken ones ([`broken`]) and reading timestamps
//! ([`time`]). Never writes, locks or moves a log.

pub mod broken;
pub mod chunk;
pub mod discover;
pub mod guard;
pub mod header;
pub mod record;
pub mod source;
pub mod time;
