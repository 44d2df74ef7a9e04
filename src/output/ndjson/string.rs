//! JSON string literals from raw field bytes, written straight into an output buffer: quotes,
//! backslashes and every control character below U+0020 escaped (RFC 8259 requires it), invalid
//! UTF-8 replaced by U+FFFD one maximal bad sequence at a time (as `String::from_utf8_lossy`
//! does), optionally ASCII-lowercased, and a CSV field's doubled quotes (`""`) read as one. No
//! allocation: runs of bytes that need nothing are copied whole.

/// How a field's bytes are read before they are escaped.
#[derive(Clone, Copy, Debug, Default)]
pub struct Read {
    /// The field was quoted and holds doubled quotes (`""`): each pair is one `"`.
    pub doubled_quotes: bool,
    /// ASCII letters are lowercased (domains).
    pub lowercase: bool,
}

const REPLACEMENT: &str = "\u{fffd}";

/// Which ASCII bytes need more than a copy: 1 to escape, 2 to lowercase.
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = 1;
        b += 1;
    }
    t[b'"' as usize] = 1;
    t[b'\\' as usize] = 1;
    let mut c = b'A';
    while c <= b'Z' {
        t[c as usize] = 2;
        c += 1;
    }
    t
};

/// Appends `bytes` as a JSON string literal, quotes included.
#[inline]
pub fn push(out: &mut Vec<u8>, bytes: &[u8], read: Read) {
    out.push(b'"');
    // Nearly every field is ASCII: checked at once, it skips the UTF-8 decoder.
    if bytes.is_ascii() {
        push_valid(out, bytes, read);
    } else {
        for chunk in bytes.utf8_chunks() {
            push_valid(out, chunk.valid().as_bytes(), read);
            if !chunk.invalid().is_empty() {
                out.extend_from_slice(REPLACEMENT.as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Escapes valid UTF-8. Only ASCII bytes can need escaping: multi-byte sequences are copied.
#[inline]
fn push_valid(out: &mut Vec<u8>, s: &[u8], read: Read) {
    // Class bits that stop the copy: escapes always, uppercase letters when lowercasing.
    let stop = if read.lowercase { 3 } else { 1 };
    let mut run = 0;
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if CLASS[usize::from(b)] & stop == 0 {
            i += 1;
            continue;
        }
        out.extend_from_slice(&s[run..i]);
        match b {
            b'"' => {
                out.extend_from_slice(b"\\\"");
                // In a field with doubled quotes every quote is one of a pair.
                if read.doubled_quotes && s.get(i + 1) == Some(&b'"') {
                    i += 1;
                }
            }
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b if b < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            b => out.push(b.to_ascii_lowercase()),
        }
        i += 1;
        run = i;
    }
    out.extend_from_slice(&s[run..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(bytes: &[u8], read: Read) -> String {
        let mut out = Vec::new();
        push(&mut out, bytes, read);
        String::from_utf8(out).expect("always UTF-8")
    }

    #[test]
    fn escapes_what_json_requires() {
        let cases: [(&[u8], &str); 7] = [
            (b"plain", r#""plain""#),
            (b"a\"b\\c", r#""a\"b\\c""#),
            (b"l1\nl2\r\t", r#""l1\nl2\r\t""#),
            (
                b"\x00\x1b[2J\x08\x0c\x7f",
                "\"\\u0000\\u001b[2J\\b\\f\x7f\"",
            ),
            ("bücher.de".as_bytes(), "\"bücher.de\""),
            (b"", r#""""#),
            (b"\x1f", r#""\u001f""#),
        ];
        for (bytes, want) in cases {
            assert_eq!(lit(bytes, Read::default()), want, "{bytes:?}");
        }
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        // A lone continuation byte, a truncated sequence at the end, an overlong encoding.
        let got = lit(b"a\x80b\xc3(\xc0\xafz\xe2\x82", Read::default());
        assert_eq!(got, "\"a\u{fffd}b\u{fffd}(\u{fffd}\u{fffd}z\u{fffd}\"");
        let lossy = String::from_utf8_lossy(b"a\x80b\xc3(\xc0\xafz\xe2\x82");
        assert_eq!(got, serde_json::to_string(&lossy).expect("serialise"));
    }

    #[test]
    fn agrees_with_serde_json_on_every_ascii_byte() {
        let all: Vec<u8> = (0u8..0x80).collect();
        let ours: String = serde_json::from_str(&lit(&all, Read::default())).expect("parses");
        assert_eq!(ours.as_bytes(), &all[..]);
    }

    #[test]
    fn doubled_quotes_read_as_one_and_lowercase() {
        let read = Read {
            doubled_quotes: true,
            lowercase: false,
        };
        assert_eq!(
            lit(br#"""Doorbusters"" are live"#, read),
            r#""\"Doorbusters\" are live""#
        );
        let lower = Read {
            doubled_quotes: false,
            lowercase: true,
        };
        assert_eq!(lit("Hotmail.DE/Ü".as_bytes(), lower), "\"hotmail.de/Ü\"");
    }
}
