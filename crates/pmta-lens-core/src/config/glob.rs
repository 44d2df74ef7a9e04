//! Wildcard expansion for `include` (the manual: "Wildcards may be used"): `*`, `?` and `[...]`
//! in any path component, as a shell reads them, by the `glob` crate. What `PowerMTA` configs
//! need beyond the crate's syntax is written here: `[^x]` as well as `[!x]`, `**` as `*` (no
//! recursion), an unclosed `[` as a literal, and the including file's directory taken as it is
//! written even when its name has a `[`. Lists config directories only; never touches the
//! accounting logs.

use std::path::{Path, PathBuf};

use glob::{MatchOptions, Pattern};

/// As a shell matches: case matters, a wildcard never crosses a `/`, and hidden files (editor
/// swap files, `.orig`) only match a pattern that starts with a dot.
const OPTIONS: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: true,
};

/// Whether a path text has wildcard characters.
pub(crate) fn has_wildcards(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// The files matching `pattern`, relative to `base` (the including file's directory) unless it
/// is absolute, sorted so includes are read in a stable order. Unreadable directories simply
/// match nothing.
pub(crate) fn expand(base: &Path, pattern: &str) -> Vec<PathBuf> {
    let pattern = shell_syntax(pattern);
    let full = if Path::new(&pattern).is_absolute() || base.as_os_str().is_empty() {
        pattern
    } else {
        // The directory is a name, not a pattern: `/etc/pmta[2]` is that directory.
        let base = Pattern::escape(&base.to_string_lossy());
        format!("{}/{pattern}", base.trim_end_matches('/'))
    };
    let Ok(paths) = glob::glob_with(&full, OPTIONS) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// `pattern` in the `glob` crate's syntax, with the shell's meaning: `[^` is `[!`, a run of `*`
/// is one (the crate reads `**` as any depth of directories), and a pattern the crate refuses
/// (an unclosed `[`) is taken literally.
fn shell_syntax(pattern: &str) -> String {
    let mut out = pattern.replace("[^", "[!");
    while out.contains("**") {
        out = out.replace("**", "*");
    }
    if Pattern::new(&out).is_err() {
        return Pattern::escape(pattern);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One path component matched as `expand` matches it.
    fn wildcard_match(pat: &[u8], name: &[u8]) -> bool {
        let (pat, name) = (String::from_utf8_lossy(pat), String::from_utf8_lossy(name));
        Pattern::new(&shell_syntax(&pat)).is_ok_and(|p| p.matches_with(&name, OPTIONS))
    }

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

    #[test]
    fn shell_forms_the_crate_spells_otherwise() {
        assert!(!wildcard_match(b"[^0-9]*", b"1a"));
        assert!(wildcard_match(b"[^0-9]*", b"a1"));
        assert!(wildcard_match(b"**.conf", b"vmtas.conf"));
        assert!(!wildcard_match(b"*.conf", b".vmtas.conf"));
        assert!(wildcard_match(b".*.conf", b".vmtas.conf"));
        assert!(!wildcard_match(b"*.CONF", b"vmtas.conf"));
        // `?` is one character, not one byte.
        assert!(wildcard_match("?.conf".as_bytes(), "é.conf".as_bytes()));
    }

    #[test]
    fn a_directory_with_brackets_is_taken_as_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let base = dir.path().join("pmta[2]");
        let sub = base.join("conf.d");
        std::fs::create_dir_all(&sub).expect("dirs");
        for name in ["b.conf", "a.conf", ".a.conf.swp", "c.txt"] {
            std::fs::write(sub.join(name), "").expect("write");
        }
        std::fs::create_dir(sub.join("d.conf")).expect("a directory named like a file");
        assert_eq!(
            expand(&base, "conf.d/*.conf"),
            [sub.join("a.conf"), sub.join("b.conf")]
        );
        let absolute = format!("{}/*.txt", Pattern::escape(&sub.to_string_lossy()));
        assert_eq!(
            expand(Path::new("/elsewhere"), &absolute),
            [sub.join("c.txt")]
        );
        assert_eq!(expand(&base, "none/*.conf"), Vec::<PathBuf>::new());
    }
}
