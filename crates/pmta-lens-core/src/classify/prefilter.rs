//! The classifier's prefilter: for each rule, a set of literals of which every match of its
//! pattern contains at least one, read off the parsed pattern (`regex_syntax`'s HIR), and for a
//! pattern anchored at the start of the reply, how far into the reply that literal ends at the
//! latest. A text that holds none of a rule's literals (where they can be) cannot match that
//! rule, so only the rules whose literals occur in a text need their regex run on it; most
//! texts name none. Sound by construction: literals and distances are only ever derived from
//! what a pattern must match, literals are searched for ASCII case-insensitively (a superset
//! of the exact occurrences), and a pattern with no literal (it may match without any fixed
//! text, like `^\w+$`) turns the prefilter off.

use std::cell::RefCell;

use aho_corasick::{AhoCorasick, Input, MatchKind, Span, packed};
use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// The most strings one literal set may hold: a longer alternation or a bigger cross product is
/// not expanded (a shorter required piece is looked for instead).
const MAX_SET: usize = 64;
/// The most characters of a class expanded into single-character literals (`\d` has 10).
const MAX_CLASS: usize = 16;
/// Literals longer than this are no better at ruling out texts: prefer the smallest set among
/// sets whose shortest literal reaches this length.
const ENOUGH_LEN: usize = 6;
/// Required literals are cut to this length: a prefix of a required literal is required too.
const MAX_LITERAL: usize = 8;

/// The most bytes at the start of a reply searched for the literals of anchored rules: a rule
/// whose literal may end further in is searched for in the whole text instead.
const MAX_WINDOW: usize = 64;

/// The literals of the rules, and which rules each one speaks for. The literals of a rule
/// anchored at the start of a reply that end within a few bytes of it (all built-in rules:
/// `RP-002` ends at most 21 bytes in) are looked for only there (`near`); the literals of other
/// rules are looked for in the whole text (`far`).
#[derive(Clone, Debug)]
pub(super) struct Prefilter {
    near: Option<Near>,
    far: Option<Far>,
}

/// Literals searched for at the start of each reply, all at once with the bit-parallel
/// Shift-And algorithm: each literal owns as many bits of a few 64-bit words as it has bytes,
/// and each byte of the reply costs a shift, an OR and two ANDs per word, with no branch.
/// Windows are short (at most `MAX_WINDOW`): a SIMD searcher's set-up, and its false hits on
/// the digits and dots these literals are made of, cost more; so does looking at each byte
/// for literals that start with it (a branch per byte the CPU cannot predict).
#[derive(Clone, Debug)]
struct Near {
    /// How many bytes of each reply are searched: the furthest any of the literals can end.
    window: usize,
    /// How many of the `NEAR_WORDS` words are in use.
    words: usize,
    /// Per byte value, the bits of the literal positions holding that byte.
    masks: Box<[[u64; NEAR_WORDS]; 256]>,
    /// The bits of each literal's first byte, and of its last.
    first: [u64; NEAR_WORDS],
    last: [u64; NEAR_WORDS],
    /// Per bit (word * 64 + bit) that is some literal's last, the rules (table indices,
    /// ascending) that may match a text holding it.
    rules_at: Vec<Vec<usize>>,
}

/// The most words of literal bits: 256 bytes of literals (32 literals of 8 bytes).
const NEAR_WORDS: usize = 4;

/// Literals searched for anywhere in the text: a leftmost-first search over literals of which
/// none is a prefix of another, so that at most one literal starts at any offset and
/// restarting one byte after each hit's start visits every occurrence of every literal. The
/// search runs over an ASCII-lowercased copy of the text with the packed (SIMD Teddy) searcher
/// (up to 128 literals), else with an ASCII case-insensitive Aho-Corasick automaton. Measured on
/// a 330-byte Gmail text with five literals: lowercasing and Teddy 105 ns, the automaton (any
/// kind, with or without case folding) 720-1090 ns, Aho-Corasick's own overlapping search
/// slower still.
#[derive(Clone, Debug)]
struct Far {
    finder: Finder,
    /// Per literal of the finder, the rules (table indices, ascending) that may match a text
    /// holding it.
    rules_of: Vec<Vec<usize>>,
}

#[derive(Clone, Debug)]
enum Finder {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

thread_local! {
    /// The lowercased copy of the text being searched, reused from text to text.
    static LOWER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// At most this many candidate rules are tried one by one; a text naming more goes through
/// the whole `RegexSet` instead.
pub(super) const MAX_CANDIDATES: usize = 8;

/// The rules a text may match, ascending, or `None` if there are too many to try one by one.
pub(super) type Candidates = Option<([usize; MAX_CANDIDATES], usize)>;

/// Rules found so far for one text.
struct Found {
    rules: [usize; MAX_CANDIDATES],
    n: usize,
}

impl Found {
    /// Adds `rules`; `None` when there are more than `MAX_CANDIDATES` in all.
    #[inline]
    fn add(&mut self, rules: &[usize]) -> Option<()> {
        for &rule in rules {
            if !self.rules[..self.n].contains(&rule) {
                *self.rules.get_mut(self.n)? = rule;
                self.n += 1;
            }
        }
        Some(())
    }
}

/// `(literal, rule)` pairs as distinct literals, each with its rules, ascending.
fn group(mut pairs: Vec<(Vec<u8>, usize)>) -> (Vec<Vec<u8>>, Vec<Vec<usize>>) {
    pairs.sort_unstable();
    pairs.dedup();
    let mut literals: Vec<Vec<u8>> = Vec::new();
    let mut rules_of: Vec<Vec<usize>> = Vec::new();
    for (lit, rule) in pairs {
        if literals.last() == Some(&lit) {
            if let Some(rules) = rules_of.last_mut() {
                rules.push(rule);
            }
        } else {
            literals.push(lit);
            rules_of.push(vec![rule]);
        }
    }
    (literals, rules_of)
}

impl Prefilter {
    /// Builds the prefilter for `patterns` (as compiled by the regex crate's byte regexes), or
    /// `None` when some pattern has no required literals (then every text must go through all
    /// patterns) or the searcher cannot be built.
    pub(super) fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Option<Prefilter> {
        let mut near: Vec<(Vec<u8>, usize)> = Vec::new();
        let mut far: Vec<(Vec<u8>, usize)> = Vec::new();
        let mut window = 0;
        for (rule, pattern) in patterns.into_iter().enumerate() {
            let needs = needs(pattern)?;
            let pairs = needs.literals.into_iter().map(|lit| (lit, rule));
            match needs.window.filter(|w| *w <= MAX_WINDOW) {
                Some(w) => {
                    window = window.max(w);
                    near.extend(pairs);
                }
                None => far.extend(pairs),
            }
        }
        let near = if near.is_empty() {
            None
        } else {
            let (packed, rest) = Near::new(near, window);
            far.extend(rest);
            Some(packed)
        };
        Some(Prefilter {
            near,
            far: if far.is_empty() {
                None
            } else {
                Some(Far::new(far)?)
            },
        })
    }

    /// How many bytes at the start of each reply are searched, and whether the whole text is
    /// searched as well.
    #[cfg(test)]
    pub(super) fn reach(&self) -> (usize, bool) {
        (
            self.near.as_ref().map_or(0, |n| n.window),
            self.far.is_some(),
        )
    }

    /// The rules whose literals occur in `text` (whose replies are `replies`), ascending; empty:
    /// no rule can match `text`.
    pub(super) fn candidates<'a>(
        &self,
        text: &'a [u8],
        replies: impl Iterator<Item = &'a [u8]>,
    ) -> Candidates {
        let mut found = Found {
            rules: [0; MAX_CANDIDATES],
            n: 0,
        };
        if let Some(near) = &self.near {
            for reply in replies {
                near.scan(&reply[..near.window.min(reply.len())], &mut found)?;
            }
        }
        if let Some(far) = &self.far {
            far.scan(text, &mut found)?;
        }
        found.rules[..found.n].sort_unstable();
        Some((found.rules, found.n))
    }
}

impl Near {
    /// Packs `pairs` into the words; the literals that do not fit are returned (to be searched
    /// for in the whole text instead).
    fn new(pairs: Vec<(Vec<u8>, usize)>, window: usize) -> (Near, Vec<(Vec<u8>, usize)>) {
        let (literals, rules_of) = group(pairs);
        let mut near = Near {
            window,
            words: 0,
            masks: Box::new([[0; NEAR_WORDS]; 256]),
            first: [0; NEAR_WORDS],
            last: [0; NEAR_WORDS],
            rules_at: vec![Vec::new(); NEAR_WORDS * 64],
        };
        let mut used = [0usize; NEAR_WORDS];
        let mut rest = Vec::new();
        for (lit, rules) in literals.into_iter().zip(rules_of) {
            // Literals are at most `MAX_LITERAL` (8) bytes, so one always fits an empty word.
            let Some(w) = (0..NEAR_WORDS).find(|&w| used[w] + lit.len() <= 64) else {
                rest.extend(rules.into_iter().map(|rule| (lit.clone(), rule)));
                continue;
            };
            let start = used[w];
            used[w] += lit.len();
            near.words = near.words.max(w + 1);
            for (k, &b) in lit.iter().enumerate() {
                near.masks[usize::from(b)][w] |= 1 << (start + k);
                near.masks[usize::from(b.to_ascii_uppercase())][w] |= 1 << (start + k);
            }
            near.first[w] |= 1 << start;
            let end = start + lit.len() - 1;
            near.last[w] |= 1 << end;
            near.rules_at[w * 64 + end] = rules;
        }
        (near, rest)
    }

    #[inline]
    fn scan(&self, hay: &[u8], found: &mut Found) -> Option<()> {
        match self.words {
            0 => Some(()),
            1 => self.scan_words::<1>(hay, found),
            2 => self.scan_words::<2>(hay, found),
            3 => self.scan_words::<3>(hay, found),
            _ => self.scan_words::<NEAR_WORDS>(hay, found),
        }
    }

    #[inline]
    fn scan_words<const N: usize>(&self, hay: &[u8], found: &mut Found) -> Option<()> {
        // Bit i of `state` is set when the bytes up to here end with the first bytes of the
        // literal owning bit i, up to bit i's position in it.
        let mut state = [0u64; N];
        let mut ended = [0u64; N];
        for &b in hay {
            let mask = &self.masks[usize::from(b)];
            for w in 0..N {
                state[w] = ((state[w] << 1) | self.first[w]) & mask[w];
                ended[w] |= state[w] & self.last[w];
            }
        }
        for (w, &bits) in ended.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                found.add(&self.rules_at[w * 64 + bit])?;
            }
        }
        Some(())
    }
}

impl Far {
    fn new(pairs: Vec<(Vec<u8>, usize)>) -> Option<Far> {
        let (all, rules) = group(pairs);
        // Sorted, a literal comes after the literals that are its prefixes. A literal with a
        // shorter one as prefix is dropped and its rules join the shorter one's: a text holding
        // it holds the shorter one, so its rules stay candidates (with a few false ones).
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut rules_of: Vec<Vec<usize>> = Vec::new();
        for (lit, rules) in all.into_iter().zip(rules) {
            if let Some(at) = literals.iter().rposition(|kept| lit.starts_with(kept)) {
                rules_of[at].extend(rules);
                rules_of[at].sort_unstable();
                rules_of[at].dedup();
            } else {
                literals.push(lit);
                rules_of.push(rules);
            }
        }
        let packed = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(&literals)
            .build();
        let finder = match packed {
            Some(searcher) => Finder::Packed(searcher),
            None => Finder::Automaton(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .ascii_case_insensitive(true)
                    .build(&literals)
                    .ok()?,
            ),
        };
        Some(Far { finder, rules_of })
    }

    #[inline]
    fn scan(&self, text: &[u8], found: &mut Found) -> Option<()> {
        match &self.finder {
            Finder::Packed(searcher) => LOWER.with_borrow_mut(|lower| {
                lower.clear();
                lower.extend_from_slice(text);
                lower.make_ascii_lowercase();
                let mut from = 0;
                while let Some(hit) = searcher.find_in(&lower, Span::from(from..lower.len())) {
                    from = hit.start() + 1;
                    found.add(&self.rules_of[hit.pattern().as_usize()])?;
                }
                Some(())
            }),
            Finder::Automaton(ac) => {
                let mut from = 0;
                while let Some(hit) = ac.find(Input::new(text).range(from..)) {
                    from = hit.start() + 1;
                    found.add(&self.rules_of[hit.pattern().as_usize()])?;
                }
                Some(())
            }
        }
    }
}

/// What a pattern needs of a text it matches.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Needs {
    /// Non-empty literals of which every match contains one (empty: it never matches).
    pub(super) literals: Vec<Vec<u8>>,
    /// For a pattern anchored at the start of the haystack (`^...`): the literal found ends
    /// within this many bytes of the start.
    pub(super) window: Option<usize>,
}

/// What `pattern` needs of a text, or `None` if nothing is known (the pattern fails to parse as
/// the regex crate parses byte patterns, or it can match without any fixed text).
pub(super) fn needs(pattern: &str) -> Option<Needs> {
    // `regex::bytes` parses with these settings (regex_automata's defaults, `utf8` off); the
    // other parser defaults are the same as the regex crate's.
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let summary = summarize(&hir);
    let required = best(
        summary.required,
        summary.exact.and_then(|e| run_required(e, Some(0))),
    )?;
    // A prefix of a required literal is required too, and ends sooner: short literals keep the
    // searcher and the window small.
    let cut = required
        .lits
        .iter()
        .map(|l| l.len().saturating_sub(MAX_LITERAL))
        .min()
        .unwrap_or(0);
    let literals = normalize(
        required
            .lits
            .into_iter()
            .map(|mut l| {
                l.truncate(MAX_LITERAL);
                l
            })
            .collect(),
    );
    let anchored = hir.properties().look_set_prefix().contains(Look::Start);
    Some(Needs {
        literals,
        window: required.reach.filter(|_| anchored).map(|r| r - cut),
    })
}

/// The literals of [`needs`].
#[cfg(test)]
pub(super) fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    needs(pattern).map(|n| n.literals)
}

/// Literals of which every match of a sub-expression contains one, and how far from the start
/// of the match the one found ends at the latest (`None`: no bound).
#[derive(Clone, Debug)]
struct Required {
    lits: Vec<Vec<u8>>,
    reach: Option<usize>,
}

/// What is known of the strings one sub-expression matches.
struct Summary {
    /// All of them, if few (may hold the empty string).
    exact: Option<Vec<Vec<u8>>>,
    required: Option<Required>,
}

fn summarize(hir: &Hir) -> Summary {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Summary {
            exact: Some(vec![Vec::new()]),
            required: None,
        },
        HirKind::Literal(lit) => {
            let set = normalize(vec![lit.0.to_vec()]);
            Summary {
                exact: Some(set.clone()),
                required: run_required(set, Some(0)),
            }
        }
        HirKind::Class(class) => {
            let exact = class_strings(class);
            Summary {
                required: exact.clone().and_then(|e| run_required(e, Some(0))),
                exact,
            }
        }
        HirKind::Capture(cap) => summarize(&cap.sub),
        HirKind::Repetition(rep) => {
            let sub = summarize(&rep.sub);
            let exact = match (rep.min, rep.max) {
                (0, Some(0)) => Some(vec![Vec::new()]),
                (0, Some(1)) => sub.exact.clone().map(|mut e| {
                    e.push(Vec::new());
                    normalize(e)
                }),
                (1, Some(1)) => sub.exact.clone(),
                _ => None,
            };
            // The first repetition starts where the whole does.
            let required = if rep.min >= 1 {
                best(
                    sub.required,
                    sub.exact.and_then(|e| run_required(e, Some(0))),
                )
            } else {
                None
            };
            Summary { exact, required }
        }
        HirKind::Concat(children) => concat(children),
        HirKind::Alternation(children) => {
            let subs: Vec<Summary> = children.iter().map(summarize).collect();
            let exact = subs
                .iter()
                .map(|s| s.exact.clone())
                .collect::<Option<Vec<_>>>()
                .map(|sets| normalize(sets.concat()))
                .filter(|e| e.len() <= MAX_SET);
            // Each branch must contribute; one branch that may match anything spoils it.
            let required = subs
                .into_iter()
                .map(|s| best(s.required, s.exact.and_then(|e| run_required(e, Some(0)))))
                .collect::<Option<Vec<_>>>()
                .and_then(|branches| {
                    let reach = branches
                        .iter()
                        .map(|b| b.reach)
                        .collect::<Option<Vec<_>>>()
                        .map(|r| r.into_iter().max().unwrap_or(0));
                    let lits = normalize(branches.into_iter().flat_map(|b| b.lits).collect());
                    (lits.len() <= MAX_SET).then_some(Required { lits, reach })
                });
            Summary { exact, required }
        }
    }
}

/// A concatenation: any part's required set is required of the whole (ending as far in as the
/// parts before it can be long, plus its own reach); runs of parts whose strings are all known
/// combine into longer literals (`\[?` `RP-002` gives `[RP-002`, `RP-002`), cut where the cross
/// product would grow past `MAX_SET`.
fn concat(children: &[Hir]) -> Summary {
    let mut required: Option<Required> = None;
    let mut whole: Option<Vec<Vec<u8>>> = Some(vec![Vec::new()]);
    // The longest the parts so far can be, so the latest offset the next one starts at.
    let mut offset = Some(0);
    // The current run of known parts: its strings and its latest start.
    let mut run: Option<(Vec<Vec<u8>>, Option<usize>)> = None;
    for child in children {
        let sub = summarize(child);
        whole = whole
            .zip(sub.exact.as_ref())
            .and_then(|(w, e)| product(&w, e));
        let shifted = sub.required.map(|r| Required {
            lits: r.lits,
            reach: offset.zip(r.reach).map(|(o, r)| o + r),
        });
        required = best(required, shifted);
        match sub.exact {
            Some(e) => {
                run = match run {
                    None => Some((e, offset)),
                    Some((r, start)) => {
                        if let Some(longer) = product(&r, &e) {
                            Some((longer, start))
                        } else {
                            required = best(required, run_required(r, start));
                            Some((e, offset))
                        }
                    }
                };
            }
            None => {
                if let Some((r, start)) = run.take() {
                    required = best(required, run_required(r, start));
                }
            }
        }
        offset = offset
            .zip(child.properties().maximum_len())
            .map(|(o, l)| o + l);
    }
    if let Some((r, start)) = run {
        required = best(required, run_required(r, start));
    }
    Summary {
        exact: whole,
        required,
    }
}

/// Known strings starting at most `start` bytes into a match, as required literals (if none is
/// empty: an empty literal is in every text).
fn run_required(set: Vec<Vec<u8>>, start: Option<usize>) -> Option<Required> {
    if set.iter().any(Vec::is_empty) {
        return None;
    }
    let longest = set.iter().map(Vec::len).max().unwrap_or(0);
    Some(Required {
        reach: start.map(|s| s + longest),
        lits: set,
    })
}

/// Every string of `a` followed by every string of `b`, if there are at most `MAX_SET`.
fn product(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if a.len().saturating_mul(b.len()) > MAX_SET {
        return None;
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            let mut s = x.clone();
            s.extend_from_slice(y);
            out.push(s);
        }
    }
    Some(normalize(out))
}

/// The strings a small class matches: each byte, or each character's UTF-8 encoding.
fn class_strings(class: &Class) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    match class {
        Class::Bytes(bytes) => {
            for r in bytes.ranges() {
                for b in r.start()..=r.end() {
                    if out.len() == MAX_CLASS {
                        return None;
                    }
                    out.push(vec![b]);
                }
            }
        }
        Class::Unicode(unicode) => {
            for r in unicode.ranges() {
                for c in r.start()..=r.end() {
                    if out.len() == MAX_CLASS {
                        return None;
                    }
                    let mut buf = [0; 4];
                    out.push(c.encode_utf8(&mut buf).as_bytes().to_vec());
                }
            }
        }
    }
    Some(normalize(out))
}

/// A literal set sorted, without duplicates, ASCII-lowercased: literals are searched for
/// ASCII case-insensitively (a few more false hits, which the regexes sort out), so that a
/// case-insensitive pattern's literals do not multiply (`(?i)spamhaus` is one literal, not 256).
fn normalize(mut set: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    for lit in &mut set {
        lit.make_ascii_lowercase();
    }
    set.sort_unstable();
    set.dedup();
    set
}

/// The better of two required sets: longer shortest literal (up to `ENOUGH_LEN`), then one
/// found at a bounded distance from the start, then fewer literals, then longer ones.
fn best(a: Option<Required>, b: Option<Required>) -> Option<Required> {
    let score = |r: &Required| {
        let shortest = r.lits.iter().map(Vec::len).min().unwrap_or(usize::MAX);
        (
            shortest.min(ENOUGH_LEN),
            r.reach.is_some(),
            std::cmp::Reverse(r.lits.len()),
            shortest,
        )
    };
    match (a, b) {
        (Some(a), Some(b)) => Some(if score(&b) > score(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(pattern: &str) -> Option<Vec<String>> {
        required_literals(pattern).map(|set| {
            set.into_iter()
                .map(|l| String::from_utf8_lossy(&l).into_owned())
                .collect()
        })
    }

    #[test]
    fn literals_are_what_every_match_must_contain() {
        let s = |v: &[&str]| Some(v.iter().map(ToString::to_string).collect::<Vec<_>>());
        // Literals are kept lowercase: they are searched for ASCII case-insensitively.
        assert_eq!(
            lits(r"(?-u:^4\d\d[ -](?:4\.\d{1,3}\.\d{1,3} )?\[?RP-002\b)"),
            s(&["rp-002"])
        );
        assert_eq!(lits(r"^5\d\d[ -]5\.7\.606\b"), s(&["5.7.606"]));
        assert_eq!(lits(r"RP-00[12]"), s(&["rp-001", "rp-002"]));
        assert_eq!(lits(r"(?:foobar|barbaz)\d+"), s(&["barbaz", "foobar"]));
        assert_eq!(lits(r"^5\d\d[ -]5\.7\.1 .*block list"), s(&["5.7.1 "]));
        // Long ones are cut (a prefix of a required literal is required too).
        assert_eq!(lits(r"domain owner policy"), s(&["domain o"]));
        // A longer literal is worth more than a short one near the start.
        assert_eq!(lits(r"(?-u)^550 .*domain owner policy"), s(&["domain o"]));
        // Case-insensitive patterns do not multiply their literals (but Unicode's long s and
        // Kelvin sign are other bytes).
        assert_eq!(lits(r"(?i-u)spamhaus"), s(&["spamhaus"]));
        assert_eq!(lits(r"(?i)ab"), s(&["ab"]));
        assert_eq!(lits(r"(?i)sk").map(|v| v.len()), Some(4));
        // Nothing is required of a pattern that can match the empty string or anything.
        assert_eq!(lits(r"x*"), None);
        assert_eq!(lits(r"^"), None);
        assert_eq!(lits(r".+"), None);
        assert_eq!(lits(r"foo|.*"), None);
        assert_eq!(lits(r"(unclosed"), None);
        assert_eq!(lits(r"[^\x00-\x7f]"), None);
        // Digits and separators are literals too, cut to keep sets small; Unicode's `\d` is
        // too wide to list.
        assert_eq!(lits(r"(?-u:^5\d\d .*)").map(|v| v.len()), Some(10));
        assert_eq!(lits(r"^5\d\d .*"), s(&["5"]));
        // A pattern that can never match needs nothing.
        assert_eq!(lits(r"[^\x00-\x{10FFFF}]"), s(&[]));
        // A class too wide to list is skipped for a literal elsewhere.
        assert_eq!(lits(r"[a-z]+@acme"), s(&["@acme"]));
    }

    #[test]
    fn anchored_patterns_need_only_the_start_of_a_reply() {
        let window = |pattern: &str| needs(pattern).and_then(|n| n.window);
        // `^` + 3 digits + separator + an optional `4.x.y ` (at most 10) + `[` + `RP-002`.
        assert_eq!(
            window(r"(?-u:^4\d\d[ -](?:4\.\d{1,3}\.\d{1,3} )?\[?RP-002\b)"),
            Some(21)
        );
        // Long literals are cut, and end sooner.
        let long = r"(?-u:^5\d\d[ -]5\.5\.0 Requested action not taken: mailbox unavailable)";
        assert_eq!(
            needs(long),
            Some(Needs {
                literals: vec![b"5.5.0 re".to_vec()],
                window: Some(12),
            })
        );
        // The literal after `.*` is not bounded, so a bounded one before it is taken.
        assert_eq!(window(r"^550 .*acme"), Some(4));
        assert_eq!(window(r"^(?:a|bc)+x.*DMARC"), None);
        assert_eq!(window(r"^(?:a|bc)x"), Some(3));
        // Not anchored: the literal may be anywhere.
        assert_eq!(window(r"RP-002"), None);
        assert_eq!(window(r"(?m)^RP-002"), None);
        assert_eq!(window(r"^RP|RP-002"), None);
    }

    #[test]
    fn the_builtin_table_searches_a_short_window() {
        let patterns: Vec<String> = crate::classify::rules::BUILTIN
            .iter()
            .map(|r| format!("(?-u:{})", r.pattern))
            .collect();
        let pre = Prefilter::new(patterns.iter().map(String::as_str)).expect("prefilter");
        assert_eq!(pre.reach(), (21, false));
    }
}
