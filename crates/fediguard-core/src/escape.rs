//! Quoting untrusted bytes (agents, app names) for one error_log line,
//! and showing untrusted text (app names, websites, agents) where it is
//! read by people: the status page and its JSON.

/// Appends `raw` to `out` as the inside of a double-quoted log value: at most
/// `max` input bytes, `"` and `\` escaped, control and non-ASCII bytes as
/// `\xNN`, so that a request can neither break the line nor forge fields.
pub fn quote_into(out: &mut String, raw: &[u8], max: usize) {
    let cut = raw.len() > max;
    for &b in &raw[..raw.len().min(max)] {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\x");
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xf) as usize] as char);
            }
        }
    }
    if cut {
        out.push_str("...");
    }
}

/// A character that changes how the text around it reads without being
/// seen: bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/F,
/// U+061C) and the other invisible format characters (Unicode category
/// Cf: zero-width spaces and joiners, the byte order mark, tags, ...),
/// plus the line and paragraph separators.
pub fn is_deceptive(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x2028..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// Appends `c` as shown: a deceptive character as `\u{202E}` (visible,
/// inert), anything else as itself.
pub fn push_visible(out: &mut String, c: char) {
    if is_deceptive(c) {
        use core::fmt::Write;
        let _ = write!(out, "\\u{{{:04X}}}", c as u32);
    } else {
        out.push(c);
    }
}

/// Bytes `push_visible` writes for `c`.
pub fn visible_len(c: char) -> usize {
    if is_deceptive(c) {
        // \u{ + 4 to 6 hex digits + }
        let digits = match c as u32 {
            0..=0xFFFF => 4,
            0x1_0000..=0xF_FFFF => 5,
            _ => 6,
        };
        4 + digits
    } else {
        c.len_utf8()
    }
}

/// `quote_into` into a new string.
pub fn quote(raw: &[u8], max: usize) -> String {
    let mut s = String::with_capacity(raw.len().min(max) + 8);
    quote_into(&mut s, raw, max);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_quotes_controls_and_non_ascii() {
        assert_eq!(quote(b"plain UA/1.0", 100), "plain UA/1.0");
        assert_eq!(quote(b"a\"b\\c", 100), "a\\\"b\\\\c");
        assert_eq!(quote(b"x\ny\r\t", 100), "x\\x0ay\\x0d\\x09");
        assert_eq!(quote("é".as_bytes(), 100), "\\xc3\\xa9");
        assert_eq!(quote(b"abcdef", 3), "abc...");
        assert_eq!(quote(b"", 3), "");
        // Bidi controls are escaped bytes in a log line.
        assert_eq!(quote("a\u{202E}b".as_bytes(), 100), "a\\xe2\\x80\\xaeb");
    }

    #[test]
    fn deceptive_characters_are_shown() {
        let show = |s: &str| {
            let mut out = String::new();
            s.chars().for_each(|c| push_visible(&mut out, c));
            assert_eq!(out.len(), s.chars().map(visible_len).sum::<usize>());
            out
        };
        assert_eq!(show("Reader\u{202E}txt.exe"), "Reader\\u{202E}txt.exe");
        let all = "\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}\u{2066}\u{2067}\u{2068}\u{2069}\
                   \u{200E}\u{200F}\u{061C}\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}\u{E0041}";
        for c in all.chars() {
            assert!(is_deceptive(c), "{:X}", c as u32);
            assert!(show(&c.to_string()).starts_with("\\u{"));
        }
        assert_eq!(show("\u{E0041}"), "\\u{E0041}");
        // Letters of every script, emoji, accents: as they are.
        for s in ["CDSC Reader", "Élan", "مرحبا", "日本語", "🦣", "e\u{0301}"] {
            assert_eq!(show(s), s);
        }
    }
}
