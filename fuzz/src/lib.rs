//! What the fuzz targets share: how an input is cut into the pieces a
//! parser takes (so that seeds stay readable text), and small independent
//! oracles the properties are checked against.

/// The input cut at the first `sep`: (before, after); no `sep`: (all, None).
pub fn split_once<'a>(data: &'a [u8], sep: &[u8]) -> (&'a [u8], Option<&'a [u8]>) {
    match data.windows(sep.len()).position(|w| w == sep) {
        Some(i) => (&data[..i], Some(&data[i + sep.len()..])),
        None => (data, None),
    }
}

/// The input cut at every `sep`.
pub fn split_all<'a>(data: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    loop {
        match split_once(rest, sep) {
            (head, Some(tail)) => {
                out.push(head);
                rest = tail;
            }
            (head, None) => {
                out.push(head);
                return out;
            }
        }
    }
}

/// Whether `inner` lies inside the memory of `outer` (a borrowed result
/// really is a piece of the input).
pub fn within(inner: &[u8], outer: &[u8]) -> bool {
    let (s, e) = (
        inner.as_ptr() as usize,
        inner.as_ptr() as usize + inner.len(),
    );
    let (os, oe) = (
        outer.as_ptr() as usize,
        outer.as_ptr() as usize + outer.len(),
    );
    s >= os && e <= oe
}

/// A query component as Rack decodes it: `+` is a space, `%XX` a byte.
pub fn form_decode(s: &[u8]) -> Vec<u8> {
    let plus: Vec<u8> = s
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&plus).collect()
}

/// The (raw name, raw value) pairs of a query string, split as Rack 2 does
/// (at `&` and `;`); a parameter without `=` has an empty value.
pub fn query_params(q: &[u8]) -> Vec<(&[u8], &[u8])> {
    q.split(|&b| b == b'&' || b == b';')
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(i) => (&p[..i], &p[i + 1..]),
            None => (p, &p[p.len()..]),
        })
        .collect()
}

/// RFC 6750's b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/",
/// at least one, then any number of "=".
pub fn is_b64token(t: &[u8]) -> bool {
    let body = t.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    body > 0
        && t[..body]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// Trims spaces and tabs, as HTTP header values are trimmed.
pub fn trim_sp(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |i| i + 1);
    &s[start..end.max(start)]
}

/// A JSON object, read as the parsers read answers (at most `max` bytes).
pub fn json_object(body: &[u8], max: usize) -> Option<serde_json::Map<String, serde_json::Value>> {
    if body.len() > max {
        return None;
    }
    match serde_json::from_slice::<serde_json::Value>(body).ok()? {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

/// A string field of a JSON object.
pub fn str_field<'a>(
    m: &'a serde_json::Map<String, serde_json::Value>,
    f: &str,
) -> Option<&'a str> {
    m.get(f).and_then(serde_json::Value::as_str)
}

/// `cut` is what the parsers keep of `full`: its characters without
/// control characters, deceptive ones (bidirectional controls, invisible
/// format characters) shown escaped (`escape::push_visible`), cut between
/// two shown characters to at most `max` bytes, and no shorter than that
/// allows.
pub fn is_clean_cut(cut: &str, full: &str, max: usize) -> bool {
    let mut kept = String::new();
    for c in full.chars().filter(|c| !c.is_control()) {
        let mut shown = String::new();
        fediguard_core::escape::push_visible(&mut shown, c);
        if kept.len() + shown.len() > max {
            break;
        }
        kept.push_str(&shown);
    }
    cut == kept
}

/// Reverses `fediguard_core::escape::quote` of a text that was `cut` (it
/// then ends with `...`) or not: the bytes it stands for. None if the text
/// is not a quote's output. (Whether a text was cut cannot be read from it:
/// an agent may end with `...` itself.)
pub fn unquote(q: &str, cut: bool) -> Option<Vec<u8>> {
    let b = if cut {
        q.strip_suffix("...")?.as_bytes()
    } else {
        q.as_bytes()
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => match b.get(i + 1)? {
                b'"' => {
                    out.push(b'"');
                    i += 2;
                }
                b'\\' => {
                    out.push(b'\\');
                    i += 2;
                }
                b'x' => {
                    let hex = std::str::from_utf8(b.get(i + 2..i + 4)?).ok()?;
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 4;
                }
                _ => return None,
            },
            b'"' => return None,
            c if (0x20..=0x7e).contains(&c) => {
                out.push(c);
                i += 1;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A little-endian u64 from up to 8 bytes at `at` (missing bytes are 0).
pub fn u64_at(data: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    for (i, x) in b.iter_mut().enumerate() {
        *x = data.get(at + i).copied().unwrap_or(0);
    }
    u64::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(
            split_once(b"a\n--\nb", b"\n--\n"),
            (&b"a"[..], Some(&b"b"[..]))
        );
        assert_eq!(split_all(b"a,b,,c", b","), vec![&b"a"[..], b"b", b"", b"c"]);
        assert_eq!(form_decode(b"a+b%2Bc"), b"a b+c");
        assert!(is_b64token(b"ab+/=="));
        assert!(!is_b64token(b"=="));
        assert!(is_clean_cut("ab", "a\nb", 8));
        assert!(!is_clean_cut("a", "ab", 8));
        assert!(is_clean_cut("é", "éé", 3));
        assert_eq!(unquote("a\\\"\\x00...", true), Some(b"a\"\0".to_vec()));
        assert_eq!(unquote("a...", false), Some(b"a...".to_vec()));
    }
}
