//! Wildcard expansion for `include` (the manual: "Wildcards may be used"): `*`, `?` and `[...]`
//! in any path component, matched against directory listings. Small on purpose, to keep the
//! dependency list short. Lists config directories only; never touches the accounting logs.

use std::path::{Component, Path, PathBuf};

/// Whether a path text has wildcard characters.
pub(crate) fn has_wildcards(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// The files matching `pattern` (absolute, or already joined to the including file's
/// directory), sorted so includes are read in a stable order. Unreadable directories simply
/// match nothing.
pub(crate) fn expand(pattern: &Path) -> Vec<PathBuf> {
    let mut current: Vec<PathBuf> = vec![PathBuf::new()];
    for comp in pattern.components() {
        let part = comp.as_os_str().to_string_lossy();
        let is_plain = !matches!(comp, Component::Normal(_)) || !has_wildcards(&part);
        let mut next = Vec::new();
        for base in &current {
            if is_plain {
                next.push(base.join(comp.as_os_str()));
                continue;
            }
            let dir = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base.as_path()
            };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                // Hidden files (editor swap files, `.orig`) only match a pattern that asks.
                .filter(|n| !n.starts_with('.') || part.starts_with('.'))
                .filter(|n| wildcard_match(part.as_bytes(), n.as_bytes()))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| base.join(n)));
        }
        current = next;
    }
    let mut files: Vec<PathBuf> = current.into_iter().filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// Shell-style match of one path component: `*` any run, `?` one byte, `[abc]`, `[a-z]`,
/// `[!x]` / `[^x]` one byte of (or not of) a set. An unclosed `[` is a literal.
pub(crate) fn wildcard_match(pat: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    backtrack = Some((p, n));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, len)) = class_match(&pat[p..], name[n]) {
                        if matched {
                            p += len;
                            n += 1;
                            continue;
                        }
                    } else if name[n] == b'[' {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
                c if c == name[n] => {
                    p += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
        }
        match backtrack {
            Some((bp, bn)) => {
                p = bp + 1;
                n = bn + 1;
                backtrack = Some((bp, bn + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// Matches one byte against the class at the start of `pat` (`[...]`). Returns whether it
/// matched and the class's length, or `None` when the class is not closed.
fn class_match(pat: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(pat.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pat.len() {
        if pat[i] == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < pat.len() && pat[i + 1] == b'-' && pat[i + 2] != b']' {
            if (pat[i]..=pat[i + 2]).contains(&c) {
                matched = true;
            }
            i += 3;
        } else {
            if pat[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match(b"*.conf", b"vmtas.conf"));
        assert!(!wildcard_match(b"*.conf", b"vmtas.conf.bak"));
        assert!(wildcard_match(b"a?c", b"abc"));
        assert!(wildcard_match(b"[0-9]*-x", b"10-x"));
        assert!(!wildcard_match(b"[!0-9]*", b"1a"));
        assert!(wildcard_match(b"*a*b*", b"xxaYYbzz"));
        assert!(wildcard_match(b"[x", b"[x"));
        assert!(wildcard_match(b"*", b""));
    }
}
