//! Makes text from inputs safe to print on a terminal. A config, rules file, log or file name
//! can hold terminal control sequences (`ESC [2J` clears the screen, `ESC ]0;...BEL` retitles
//! the window, a CR overwrites the line); printed raw in an error or a report they would act on
//! the operator's terminal instead of being seen. Every message and text report goes through
//! [`controls`], so a sequence shows as `\x1b[2J` instead.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `s` with every control character written visibly: C0 controls and DEL as `\xNN`, C1 controls
/// (`U+0080`..`U+009F`, which 8-bit terminals read as `ESC` sequences) and the bidirectional
/// overrides that can reorder what a line appears to say as `\u{NNNN}`. Newline and tab are
/// layout, kept as they are. Borrowed when there is nothing to escape, the usual case.
pub fn controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        // Embedding and override controls (LRE..RLO) and isolates (LRI..PDI).
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        c => c.is_control(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_sequences_are_shown_not_sent() {
        assert_eq!(
            controls("a\x1b]0;pwned\x07b\x1b[2Jc\rd\x7f"),
            "a\\x1b]0;pwned\\x07b\\x1b[2Jc\\x0dd\\x7f"
        );
        assert_eq!(controls("\u{9b}31m \u{202e}txt"), "\\u{9b}31m \\u{202e}txt");
    }

    #[test]
    fn plain_text_is_borrowed_and_layout_kept() {
        let s = "bücher.de:3: bad\ttime\n  next line";
        assert!(matches!(controls(s), Cow::Borrowed(_)));
        assert_eq!(controls(s), s);
    }
}
