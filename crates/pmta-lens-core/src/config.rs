//! The operator's `PowerMTA` config (`/etc/pmta/config`, `--config PATH`): parsing and a model
//! answering what the budget and `check-config` need to know (which settings apply to a domain
//! sent through a VMTA, pool membership, source IPs, rollups). Reads config files only and never
//! touches the accounting logs.
//!
//! The parser accepts the real syntax (`name value` lines, `#` comments, `\` continuations,
//! quotes, `<tag args>` blocks, `include` with wildcards) and the brace form that guides such as
//! the reference article print (`domain outlook.com {{ max-smtp-out 5 }}`), because operators
//! paste from them. Every line is kept with its file and line, known or not: unknown directives
//! are data for the lint, never an error. Only what would stop `PowerMTA` from loading the file
//! (an unclosed block, a missing include, an include cycle) is an error.
//!
//! Matching follows the manual: the most specific `<domain>` pattern that matches wins (an
//! exact name, then the longest wildcard suffix, `*.x` before `[*.]x`, `*` last; a listed
//! domain before one expanded from a `domain-macro`), settings not set there are inherited from
//! the less specific matches down to `<domain *>`, and at equal specificity a block nested in
//! the VMTA beats one in its pool, which beats a global one.

mod build;
mod error;
mod glob;
mod lexer;
pub mod lint;
mod model;
mod parser;
mod query;
pub mod side_file;
mod values;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use error::ConfigError;
pub use model::{
    Block, BlockForm, Directive, DomainBlock, DomainPattern, Loc, Matcher, MxRollup, PatternEntry,
    PatternList, Scope, Setting, Source, SourceHost, Vmta, VmtaPool,
};
pub use values::{parse_duration, parse_duration_list, parse_rate};

/// Where `PowerMTA` keeps its config on Linux.
pub const DEFAULT_PATH: &str = "/etc/pmta/config";

/// `PowerMTA`'s `max-smtp-out` when no block sets it (per queue, i.e. per domain and VMTA).
pub const DEFAULT_MAX_SMTP_OUT: u32 = 20;

/// `PowerMTA`'s `retry-after` when no block sets it: 10 minutes.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 600;

/// A parsed `PowerMTA` config.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Config {
    /// Every `<domain>` block, global and nested, in file order; [`DomainBlock::scope`] says
    /// where it was nested.
    pub domains: Vec<DomainBlock>,
    pub vmtas: Vec<Vmta>,
    pub pools: Vec<VmtaPool>,
    /// `<smtp-pattern-list>` blocks (reply patterns that change a queue's mode or retry).
    pub pattern_lists: Vec<PatternList>,
    /// `<pattern-list>` blocks (`mail-from` / `rcpt-to` / `header` routing to a VMTA).
    pub routing_lists: Vec<PatternList>,
    /// The lines of every `<mx-rollup-list>`.
    pub mx_rollups: Vec<MxRollup>,
    /// `domain-macro NAME a.com,b.com`, by lowercased name, fully expanded (macros within
    /// macros resolved), duplicates removed, in the order written.
    pub macros: BTreeMap<String, Vec<String>>,
    /// `<source>` blocks (inbound connections and named sources).
    pub sources: Vec<Block>,
    /// `<acct-file>` blocks: where `PowerMTA` writes the accounting files and which records.
    pub acct_files: Vec<Block>,
    /// Every other block (`<spool>`, `<smtp-user>`, `<bounce-category-patterns>`, ...).
    pub other_blocks: Vec<Block>,
    /// Every directive of every file, in reading order, with its location and enclosing blocks:
    /// the material for lints.
    pub directives: Vec<Directive>,
    /// Every file read (the main file first, then includes as reached).
    pub files: Vec<PathBuf>,
}

impl Config {
    /// Reads and parses a config file and everything it includes.
    pub fn parse_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        build::build(parser::parse_file(path.as_ref())?)
    }

    /// Parses config text as if it had been read from `virtual_path`: locations name that path
    /// and `include`s resolve against its directory.
    pub fn parse_str(text: &str, virtual_path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        build::build(parser::parse_text(text, virtual_path.as_ref())?)
    }
}
