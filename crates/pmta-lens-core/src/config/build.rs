//! Turns the parsed tree into the typed [`Config`]: domain blocks with their scope and expanded
//! patterns, VMTAs, pools, pattern lists, MX rollups, `domain-macro` resolution (macros within
//! macros, loops reported), and the flat directive list for lints. No file access; never touches
//! the accounting logs.

use std::collections::BTreeMap;

use super::Config;
use super::error::ConfigError;
use super::lexer;
use super::model::{
    Block, Directive, DomainBlock, DomainPattern, Loc, Matcher, MxRollup, PatternEntry,
    PatternList, Scope, Setting, SourceHost, Vmta, VmtaPool,
};
use super::parser::{Node, Parsed, RawBlock};

/// How deep macros may nest before we call it a loop even without a repeated name; guards
/// against exponential expansion from hostile input.
const MAX_MACRO_DEPTH: usize = 32;

pub(crate) fn build(parsed: Parsed) -> Result<Config, ConfigError> {
    let mut b = Builder {
        config: Config::default(),
        raw_macros: Vec::new(),
    };
    b.config.files = parsed.files;
    b.nodes(&parsed.nodes, &Scope::Global);
    let macros = resolve_macros(&b.raw_macros)?;
    let mut config = b.config;
    for block in &mut config.domains {
        block.matchers = matchers(block, &macros)?;
    }
    for block in config.vmtas.iter_mut().flat_map(|v| v.domains.iter_mut()) {
        block.matchers = matchers(block, &macros)?;
    }
    for block in config.pools.iter_mut().flat_map(|p| p.domains.iter_mut()) {
        block.matchers = matchers(block, &macros)?;
    }
    config.macros = macros;
    Ok(config)
}

struct RawMacro {
    name: String,
    items: Vec<String>,
    loc: Loc,
}

struct Builder {
    config: Config,
    raw_macros: Vec<RawMacro>,
}

impl Builder {
    fn nodes(&mut self, nodes: &[Node], scope: &Scope) {
        for node in nodes {
            match node {
                Node::Directive(d) => {
                    self.record(d);
                }
                Node::Block(b) => self.block(b, scope),
            }
        }
    }

    /// Keeps a directive for the lint list and notes macro definitions wherever they are.
    fn record(&mut self, d: &Directive) -> Setting {
        if d.name == "domain-macro" {
            let (name, list) = d
                .value
                .split_once(char::is_whitespace)
                .unwrap_or((&d.value, ""));
            let items = list
                .split([',', ' ', '\t'])
                .map(str::trim)
                .filter(|s| !s.is_empty());
            self.raw_macros.push(RawMacro {
                name: name.trim_start_matches('$').to_ascii_lowercase(),
                items: items.map(str::to_ascii_lowercase).collect(),
                loc: d.loc.clone(),
            });
        }
        self.config.directives.push(d.clone());
        Setting {
            key: d.name.clone(),
            value: d.value.clone(),
            loc: d.loc.clone(),
        }
    }

    fn block(&mut self, b: &RawBlock, scope: &Scope) {
        match b.tag.as_str() {
            "domain" => {
                let block = self.domain(b, scope.clone());
                self.config.domains.push(block);
            }
            "virtual-mta" => {
                let vmta = self.vmta(b);
                self.config.vmtas.push(vmta);
            }
            "virtual-mta-pool" => {
                let pool = self.pool(b);
                self.config.pools.push(pool);
            }
            "smtp-pattern-list" => {
                let list = self.pattern_list(b, "reply");
                self.config.pattern_lists.push(list);
            }
            "pattern-list" => {
                let list = self.pattern_list(b, "");
                self.config.routing_lists.push(list);
            }
            "mx-rollup-list" => self.mx_rollup_list(b),
            "source" => {
                let block = self.generic(b);
                self.config.sources.push(block);
            }
            "acct-file" => {
                let block = self.generic(b);
                self.config.acct_files.push(block);
            }
            _ => {
                let block = self.generic(b);
                self.config.other_blocks.push(block);
            }
        }
    }

    fn domain(&mut self, b: &RawBlock, scope: Scope) -> DomainBlock {
        let mut settings = Vec::new();
        for node in &b.children {
            match node {
                Node::Directive(d) => settings.push(self.record(d)),
                // PowerMTA has no blocks inside <domain>; keep any for the lint.
                Node::Block(inner) => {
                    let block = self.generic(inner);
                    self.config.other_blocks.push(block);
                }
            }
        }
        DomainBlock {
            pattern: b.args.to_ascii_lowercase(),
            matchers: Vec::new(),
            scope,
            settings,
            form: b.form,
            loc: b.loc.clone(),
        }
    }

    fn vmta(&mut self, b: &RawBlock) -> Vmta {
        let name = b.args.clone();
        let mut source_ips = Vec::new();
        let (domains, settings) = self.scoped_children(b, &Scope::Vmta(name.clone()), |d| {
            if d.name == "smtp-source-host" {
                let words = d.args();
                if let Some((ip, host)) = words.split_first() {
                    source_ips.push(SourceHost {
                        ip: ip.clone(),
                        host: host.join(" "),
                        loc: d.loc.clone(),
                    });
                    return true;
                }
            }
            false
        });
        Vmta {
            name,
            source_ips,
            domains,
            settings,
            form: b.form,
            loc: b.loc.clone(),
        }
    }

    fn pool(&mut self, b: &RawBlock) -> VmtaPool {
        let name = b.args.clone();
        let mut members = Vec::new();
        let (domains, settings) = self.scoped_children(b, &Scope::Pool(name.clone()), |d| {
            if d.name != "virtual-mta" {
                return false;
            }
            let names = d.value.split([',', ' ', '\t']).filter(|s| !s.is_empty());
            members.extend(names.map(str::to_owned));
            true
        });
        VmtaPool {
            name,
            members,
            domains,
            settings,
            form: b.form,
            loc: b.loc.clone(),
        }
    }

    /// The children of a block that scopes what it holds (`<virtual-mta>`,
    /// `<virtual-mta-pool>`): every directive is recorded, and those that `take` does not claim
    /// become the block's settings; a nested `<domain>` gets `scope` and is kept both in the
    /// block and in [`Config::domains`]; any other nested block is read as at top level, with
    /// `scope`. Returns the block's domains and settings.
    fn scoped_children(
        &mut self,
        b: &RawBlock,
        scope: &Scope,
        mut take: impl FnMut(&Directive) -> bool,
    ) -> (Vec<DomainBlock>, Vec<Setting>) {
        let (mut domains, mut settings) = (Vec::new(), Vec::new());
        for node in &b.children {
            match node {
                Node::Directive(d) => {
                    let setting = self.record(d);
                    if !take(d) {
                        settings.push(setting);
                    }
                }
                Node::Block(inner) if inner.tag == "domain" => {
                    let block = self.domain(inner, scope.clone());
                    domains.push(block.clone());
                    self.config.domains.push(block);
                }
                Node::Block(inner) => self.block(inner, scope),
            }
        }
        (domains, settings)
    }

    fn pattern_list(&mut self, b: &RawBlock, implied_kind: &str) -> PatternList {
        let mut list = PatternList {
            name: b.lead.clone().unwrap_or_else(|| b.args.clone()),
            entries: Vec::new(),
            other: Vec::new(),
            nested: Vec::new(),
            form: b.form,
            loc: b.loc.clone(),
        };
        for node in &b.children {
            match node {
                Node::Directive(d) => {
                    self.record(d);
                    match pattern_entry(d, implied_kind) {
                        Some(entry) => list.entries.push(entry),
                        None => list.other.push(d.clone()),
                    }
                }
                Node::Block(inner) if inner.tag.ends_with("pattern-list") => {
                    let nested = self.pattern_list(inner, implied_kind);
                    list.nested.push(nested);
                }
                Node::Block(inner) => {
                    let block = self.generic(inner);
                    self.config.other_blocks.push(block);
                }
            }
        }
        list
    }

    fn mx_rollup_list(&mut self, b: &RawBlock) {
        for node in &b.children {
            match node {
                Node::Directive(d) => {
                    self.record(d);
                    let words = d.args();
                    if let (true, [mx, rollup, options @ ..]) = (d.name == "mx", words.as_slice()) {
                        let mx = mx.to_ascii_lowercase();
                        self.config.mx_rollups.push(MxRollup {
                            pattern: DomainPattern::parse(&mx),
                            mx,
                            rollup: rollup.to_ascii_lowercase(),
                            options: options.to_vec(),
                            loc: d.loc.clone(),
                        });
                    }
                }
                Node::Block(inner) => {
                    let block = self.generic(inner);
                    self.config.other_blocks.push(block);
                }
            }
        }
    }

    fn generic(&mut self, b: &RawBlock) -> Block {
        let mut block = Block {
            tag: b.tag.clone(),
            args: b.args.clone(),
            lead: b.lead.clone(),
            settings: Vec::new(),
            children: Vec::new(),
            form: b.form,
            loc: b.loc.clone(),
        };
        for node in &b.children {
            match node {
                Node::Directive(d) => block.settings.push(self.record(d)),
                Node::Block(inner) => {
                    let child = self.generic(inner);
                    block.children.push(child);
                }
            }
        }
        block
    }
}

/// Reads a pattern-list line as an entry, or `None` when it has no pattern (an `include`, an
/// unknown line).
fn pattern_entry(d: &Directive, implied_kind: &str) -> Option<PatternEntry> {
    // An entry that starts with its pattern: the brace form's `"421 4.7.0 RP-001" retry-after=4h`.
    if d.name.starts_with('"') || d.name.starts_with('/') {
        let (pattern, is_regex) = pattern_text(&d.name)?;
        return Some(PatternEntry {
            kind: implied_kind.to_owned(),
            param: None,
            pattern,
            is_regex,
            actions: actions(&d.value),
            loc: d.loc.clone(),
        });
    }
    // `* virtual-mta=anything`: the catch-all of a nested pattern list.
    if d.name == "*" {
        return Some(PatternEntry {
            kind: "*".into(),
            param: None,
            pattern: String::new(),
            is_regex: true,
            actions: actions(&d.value),
            loc: d.loc.clone(),
        });
    }
    let mut rest = d.value.as_str();
    let mut param = None;
    if !rest.starts_with(['"', '/']) {
        // `header NAME /re/ ...`: one parameter word before the pattern.
        let (word, after) = rest.split_once(' ')?;
        param = Some(word.to_owned());
        rest = after;
    }
    let len = lexer::token_len(rest, true);
    let (pattern, is_regex) = pattern_text(&rest[..len])?;
    Some(PatternEntry {
        kind: d.name.clone(),
        param,
        pattern,
        is_regex,
        actions: actions(&rest[len..]),
        loc: d.loc.clone(),
    })
}

/// `/re/` -> (`re`, true); `"text"` -> (`text`, false).
fn pattern_text(token: &str) -> Option<(String, bool)> {
    if token.starts_with('"') {
        return Some((lexer::unquote(token), false));
    }
    let inner = token.strip_prefix('/')?;
    Some((inner.strip_suffix('/').unwrap_or(inner).to_owned(), true))
}

/// `mode=backoff,disable-source-ip reenable-after=1h` -> name/value pairs.
fn actions(text: &str) -> Vec<(String, Option<String>)> {
    lexer::split_words(text)
        .iter()
        .flat_map(|w| w.split(',').map(str::to_owned).collect::<Vec<_>>())
        .filter(|w| !w.is_empty())
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(v.to_owned())),
            None => (w.to_ascii_lowercase(), None),
        })
        .collect()
}

/// The most a macro, or a `<domain>` pattern, may expand to: `$a.$a.$a` multiplies, so a few
/// lines can name billions of domains. Real configs expand to hundreds.
const MAX_EXPANSION: usize = 100_000;
const MAX_EXPANSION_BYTES: usize = 16 << 20;

/// Why a text could not be expanded.
enum ExpandError {
    /// A macro names itself, through others (the chain of names), or nests too deep.
    Loop(Vec<String>),
    /// More than [`MAX_EXPANSION`] values or [`MAX_EXPANSION_BYTES`] bytes.
    TooLarge,
}

fn too_large(what: &str) -> String {
    format!(
        "{what} expands to more than {MAX_EXPANSION} domains or {} MiB",
        MAX_EXPANSION_BYTES >> 20
    )
}

fn resolve_macros(raw: &[RawMacro]) -> Result<BTreeMap<String, Vec<String>>, ConfigError> {
    // A macro defined twice: the later definition wins, as a later setting does.
    let by_name: BTreeMap<&str, &RawMacro> = raw.iter().map(|m| (m.name.as_str(), m)).collect();
    let mut done = BTreeMap::new();
    for (name, m) in &by_name {
        resolve(name, &by_name, &mut done, &mut Vec::new()).map_err(|e| match e {
            ExpandError::Loop(chain) => ConfigError::MacroLoop {
                at: m.loc.clone(),
                chain,
            },
            ExpandError::TooLarge => ConfigError::Syntax {
                at: m.loc.clone(),
                message: too_large(&format!("domain-macro {name}")),
            },
        })?;
    }
    Ok(done)
}

/// Expands macro `name` into `done` (once: each macro is expanded once however often it is
/// named, so nesting costs no more than the macros' size), after the macros it names. An
/// undefined macro expands to nothing. `chain`: the macros being expanded, outermost first.
fn resolve(
    name: &str,
    macros: &BTreeMap<&str, &RawMacro>,
    done: &mut BTreeMap<String, Vec<String>>,
    chain: &mut Vec<String>,
) -> Result<(), ExpandError> {
    if done.contains_key(name) {
        return Ok(());
    }
    if chain.iter().any(|c| c == name) || chain.len() > MAX_MACRO_DEPTH {
        let mut looped = chain.clone();
        looped.push(name.to_owned());
        return Err(ExpandError::Loop(looped));
    }
    let Some(m) = macros.get(name) else {
        return Ok(());
    };
    chain.push(name.to_owned());
    for item in &m.items {
        for part in parts(item) {
            if let Part::Macro(inner) = part {
                resolve(&inner, macros, done, chain)?;
            }
        }
    }
    chain.pop();
    let mut values = Vec::new();
    for item in &m.items {
        substitute(item, done, &mut values)?;
    }
    done.insert(name.to_owned(), dedup(values));
    Ok(())
}

/// A piece of a text that may name macros.
enum Part<'a> {
    Text(&'a str),
    /// `$name`, lowercased (the name may be empty: a lone `$`).
    Macro(String),
}

/// `yahoo.$tld` -> `yahoo.`, `$tld`.
fn parts(text: &str) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        if dollar > 0 {
            out.push(Part::Text(&rest[..dollar]));
        }
        let after = &rest[dollar + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        out.push(Part::Macro(after[..len].to_ascii_lowercase()));
        rest = &after[len..];
    }
    if !rest.is_empty() {
        out.push(Part::Text(rest));
    }
    out
}

/// Appends to `out` every text `text` stands for, each `$name` replaced by each of the
/// macro's values (from `done`, already expanded: they hold no `$`); nothing if it names an
/// undefined macro. Iterative, and bounded by [`MAX_EXPANSION`] and [`MAX_EXPANSION_BYTES`]
/// (with what `out` holds already).
fn substitute(
    text: &str,
    done: &BTreeMap<String, Vec<String>>,
    out: &mut Vec<String>,
) -> Result<(), ExpandError> {
    let mut acc = vec![String::new()];
    let mut acc_bytes = 0usize;
    for part in parts(text) {
        match part {
            Part::Text(t) => {
                acc_bytes = t
                    .len()
                    .checked_mul(acc.len())
                    .and_then(|n| n.checked_add(acc_bytes))
                    .filter(|n| *n <= MAX_EXPANSION_BYTES)
                    .ok_or(ExpandError::TooLarge)?;
                for a in &mut acc {
                    a.push_str(t);
                }
            }
            Part::Macro(name) => {
                let Some(values) = done.get(&name) else {
                    return Ok(());
                };
                let count = acc.len().saturating_mul(values.len());
                let value_bytes: usize = values.iter().map(String::len).sum();
                let bytes = acc_bytes
                    .saturating_mul(values.len())
                    .saturating_add(acc.len().saturating_mul(value_bytes));
                if count > MAX_EXPANSION || bytes > MAX_EXPANSION_BYTES {
                    return Err(ExpandError::TooLarge);
                }
                acc = acc
                    .iter()
                    .flat_map(|a| values.iter().map(move |v| format!("{a}{v}")))
                    .collect();
                acc_bytes = bytes;
            }
        }
    }
    let bytes: usize = out.iter().map(String::len).sum();
    if out.len() + acc.len() > MAX_EXPANSION
        || bytes.saturating_add(acc_bytes) > MAX_EXPANSION_BYTES
    {
        return Err(ExpandError::TooLarge);
    }
    out.extend(acc);
    Ok(())
}

fn dedup(values: Vec<String>) -> Vec<String> {
    let mut seen = rustc_hash::FxHashSet::default();
    values
        .into_iter()
        .filter(|v| seen.insert(v.clone()))
        .collect()
}

/// The matchers of a domain block's pattern: itself, or its macro expansion.
fn matchers(
    block: &DomainBlock,
    macros: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<Matcher>, ConfigError> {
    let pattern = &block.pattern;
    if !pattern.contains('$') {
        return Ok(vec![Matcher {
            pattern: DomainPattern::parse(pattern),
            from_macro: false,
        }]);
    }
    let mut out = Vec::new();
    substitute(pattern, macros, &mut out).map_err(|_| ConfigError::Syntax {
        at: block.loc.clone(),
        message: too_large(&format!("<domain {pattern}>")),
    })?;
    Ok(dedup(out)
        .iter()
        .map(|p| Matcher {
            pattern: DomainPattern::parse(p),
            from_macro: true,
        })
        .collect())
}
