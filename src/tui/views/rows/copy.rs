//! Copying from the Rows view (`y` the recipient, `Y` the whole row): an OSC 52 escape written
//! to the terminal, which puts the text on the clipboard of the machine the terminal runs on,
//! over SSH too (most terminal emulators read it; tmux with `set-clipboard on`).

use base64::Engine as _;

/// The OSC 52 sequence that sets the clipboard to `text`.
pub fn osc52(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{b64}\x07")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_the_escape_with_the_text_in_base64() {
        assert_eq!(
            osc52("user@hotmail.de"),
            "\x1b]52;c;dXNlckBob3RtYWlsLmRl\x07"
        );
        assert_eq!(osc52(""), "\x1b]52;c;\x07");
    }
}
