//! Quoting untrusted bytes (agents, app names) for one error_log line.

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
    }
}
