//! Where a request presents a token, read as Mastodon (Doorkeeper) reads it:
//! `Authorization: Bearer`, and the `access_token` and `bearer_token` query
//! parameters. A form body is not read (fediguard decides before the body).

use std::borrow::Cow;

use percent_encoding::percent_decode;

/// Longest token accepted (Mastodon's are 43 bytes; other servers' longer).
pub const MAX_TOKEN_LEN: usize = 512;

/// How many token presentations are looked at; more is malformed.
const MAX_PRESENTATIONS: usize = 8;

#[derive(Debug, PartialEq, Eq)]
pub enum Presented<'a> {
    None,
    /// Why, in a few words (never the token).
    Malformed(&'static str),
    /// Borrowed from the request unless the query string encoded it.
    Token(Cow<'a, [u8]>),
}

/// Finds the request's token. `authorization` holds the value of every
/// Authorization header in order; `query` the raw query string.
pub fn find_token<'a>(authorization: &[&'a [u8]], query: Option<&'a [u8]>) -> Presented<'a> {
    find(authorization, query, true)
}

/// Like `find_token`, but the alphabet of a header token is left to the
/// caller, who checks it with `well_formed` only when the verdict cache does
/// not know the token: a cached token passed the check when it was first
/// seen, so the hot path skips a pass over every byte.
pub fn find_token_unchecked<'a>(
    authorization: &[&'a [u8]],
    query: Option<&'a [u8]>,
) -> Presented<'a> {
    find(authorization, query, false)
}

/// Whether a token found by `find_token_unchecked` is one `find_token`
/// would have accepted.
pub fn well_formed(token: &[u8]) -> bool {
    check(token).is_ok()
}

fn find<'a>(
    authorization: &[&'a [u8]],
    query: Option<&'a [u8]>,
    check_header: bool,
) -> Presented<'a> {
    let mut found: Option<Cow<'a, [u8]>> = None;
    let mut count = 0;
    let mut take = |candidate: Result<Cow<'a, [u8]>, &'static str>| -> Option<Presented<'a>> {
        let token = match candidate {
            Ok(t) => t,
            Err(why) => return Some(Presented::Malformed(why)),
        };
        count += 1;
        if count > MAX_PRESENTATIONS {
            return Some(Presented::Malformed("too many tokens"));
        }
        match &found {
            Some(f) if *f != token => Some(Presented::Malformed("two different tokens")),
            Some(_) => None,
            None => {
                found = Some(token);
                None
            }
        }
    };
    let mut conflict = None;
    for value in authorization {
        if let Some(c) = bearer(value, check_header) {
            if let Some(p) = take(c) {
                match p {
                    Presented::Malformed("two different tokens") => {
                        conflict.get_or_insert(p);
                    }
                    p => return p,
                }
            }
        }
    }
    if let Some(q) = query {
        // Rack 2 (Mastodon's) splits a query at `&` and `;`.
        for param in q.split(|&b| b == b'&' || b == b';') {
            if let Some(c) = query_token(param) {
                if let Some(p) = take(c) {
                    match p {
                        Presented::Malformed("two different tokens") => {
                            conflict.get_or_insert(p);
                        }
                        p => return p,
                    }
                }
            }
        }
    }
    if let Some(c) = conflict {
        return c;
    }
    match found {
        Some(t) => Presented::Token(t),
        None => Presented::None,
    }
}

/// The token of a `Bearer` Authorization value; None for another scheme.
fn bearer(value: &[u8], check_alphabet: bool) -> Option<Result<Cow<'_, [u8]>, &'static str>> {
    const SCHEME: &[u8] = b"bearer";
    let value = trim(value);
    if value.len() < SCHEME.len() || !value[..SCHEME.len()].eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    let rest = &value[SCHEME.len()..];
    if rest.is_empty() {
        return Some(Err("empty bearer"));
    }
    if rest[0] != b' ' && rest[0] != b'\t' {
        return None; // "Bearerx": another scheme
    }
    let token = trim(rest);
    if token.is_empty() {
        return Some(Err("empty bearer"));
    }
    if !check_alphabet {
        return Some(if token.len() > MAX_TOKEN_LEN {
            Err("too long")
        } else {
            Ok(Cow::Borrowed(token))
        });
    }
    Some(check(token).map(Cow::Borrowed))
}

/// The token of an `access_token=` or `bearer_token=` parameter.
fn query_token(param: &[u8]) -> Option<Result<Cow<'_, [u8]>, &'static str>> {
    let (name, value) = match param.iter().position(|&b| b == b'=') {
        Some(i) => (&param[..i], &param[i + 1..]),
        None => (param, &param[param.len()..]),
    };
    // Names are short; anything longer is no token parameter.
    if name.len() > 3 * "bearer_token".len() {
        return None;
    }
    let name = decode(name);
    if *name != *b"access_token" && *name != *b"bearer_token" {
        return None;
    }
    if value.len() > 3 * MAX_TOKEN_LEN {
        return Some(Err("too long"));
    }
    let value = decode(value);
    if value.is_empty() {
        return Some(Err("empty token"));
    }
    if let Err(e) = check(&value) {
        return Some(Err(e));
    }
    Some(Ok(value))
}

/// A query component as Rails decodes it: `+` is a space, `%XX` a byte.
/// Borrowed when there is nothing to decode.
fn decode(s: &[u8]) -> Cow<'_, [u8]> {
    if !s.iter().any(|&b| b == b'+' || b == b'%') {
        return Cow::Borrowed(s);
    }
    let plus: Vec<u8> = s
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    Cow::Owned(percent_decode(&plus).collect())
}

/// RFC 6750's b64token alphabet, as a table: one load per byte.
const B64TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
        b += 1;
    }
    t
};

/// RFC 6750's b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/",
/// then any "=".
fn check(token: &[u8]) -> Result<&[u8], &'static str> {
    if token.len() > MAX_TOKEN_LEN {
        return Err("too long");
    }
    let body = token.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    if body == 0 {
        return Err("bad characters");
    }
    if token[..body].iter().all(|&b| B64TOKEN[b as usize]) {
        Ok(token)
    } else {
        Err("bad characters")
    }
}

fn trim(s: &[u8]) -> &[u8] {
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

#[cfg(test)]
mod tests {
    use super::*;

    const T: &[u8] = b"ZA-Yb_c9.dE~f+g/h==";

    fn tok(t: &[u8]) -> Presented<'_> {
        Presented::Token(Cow::Borrowed(t))
    }

    /// The deferred check of the hot path classifies as `find_token` does.
    #[test]
    fn deferred_check_agrees() {
        let headers: &[&[u8]] = &[
            b"Bearer abc",
            b"Bearer a b",
            b"Bearer \xc3\xa9",
            b"Bearer ===",
            b"Bearer",
            b"Basic x",
        ];
        let queries: &[Option<&[u8]>] =
            &[None, Some(b"access_token=abc"), Some(b"access_token=a%20b")];
        for h in headers {
            for q in queries {
                let checked = find_token(&[h], *q);
                let deferred = match find_token_unchecked(&[h], *q) {
                    Presented::Token(t) if !well_formed(&t) => Presented::Malformed("x"),
                    p => p,
                };
                assert_eq!(
                    core::mem::discriminant(&checked),
                    core::mem::discriminant(&deferred),
                    "{h:?} {q:?}"
                );
            }
        }
    }

    #[test]
    fn header_forms() {
        assert_eq!(find_token(&[b"Bearer abc"], None), tok(b"abc"));
        assert_eq!(find_token(&[b"bEaReR \t abc  "], None), tok(b"abc"));
        assert_eq!(find_token(&[b"Bearer ZA-Yb_c9.dE~f+g/h=="], None), tok(T));
        assert_eq!(
            find_token(&[b"Bearer"], None),
            Presented::Malformed("empty bearer")
        );
        assert_eq!(
            find_token(&[b"Bearer   "], None),
            Presented::Malformed("empty bearer")
        );
        assert_eq!(find_token(&[b"Basic dXNlcjpwYXNz"], None), Presented::None);
        assert_eq!(find_token(&[b"Bearerabc"], None), Presented::None);
        assert_eq!(
            find_token(&[b"Bearer a b"], None),
            Presented::Malformed("bad characters")
        );
        assert_eq!(
            find_token(&[b"Bearer \xc3\xa9"], None),
            Presented::Malformed("bad characters")
        );
        assert_eq!(
            find_token(&[b"Bearer ==="], None),
            Presented::Malformed("bad characters")
        );
        let long = [b"Bearer ".as_slice(), &[b'a'; 16 * 1024]].concat();
        assert_eq!(find_token(&[&long], None), Presented::Malformed("too long"));
    }

    #[test]
    fn query_forms() {
        assert_eq!(
            find_token(&[], Some(b"local=true&access_token=abc")),
            tok(b"abc")
        );
        assert_eq!(find_token(&[], Some(b"bearer_token=abc")), tok(b"abc"));
        assert_eq!(
            find_token(&[], Some(b"local=1;access_token=abc")),
            tok(b"abc")
        );
        assert_eq!(find_token(&[], Some(b"access%5Ftoken=a%2Bb")), tok(b"a+b"));
        assert_eq!(
            find_token(&[], Some(b"access_token=a+b")),
            Presented::Malformed("bad characters")
        );
        assert_eq!(
            find_token(&[], Some(b"access_token=")),
            Presented::Malformed("empty token")
        );
        assert_eq!(
            find_token(&[], Some(b"access_token")),
            Presented::Malformed("empty token")
        );
        assert_eq!(find_token(&[], Some(b"Access_Token=abc")), Presented::None);
        assert_eq!(
            find_token(&[], Some(b"x_access_token=abc&y=1")),
            Presented::None
        );
        assert_eq!(find_token(&[], Some(b"")), Presented::None);
    }

    #[test]
    fn several_presentations() {
        assert_eq!(
            find_token(&[b"Bearer abc", b"Bearer abc"], None),
            tok(b"abc")
        );
        assert_eq!(
            find_token(&[b"Bearer abc", b"Bearer xyz"], None),
            Presented::Malformed("two different tokens")
        );
        assert_eq!(
            find_token(&[b"Bearer abc"], Some(b"access_token=abc")),
            tok(b"abc")
        );
        assert_eq!(
            find_token(&[b"Bearer abc"], Some(b"access_token=xyz")),
            Presented::Malformed("two different tokens")
        );
        assert_eq!(
            find_token(&[], Some(b"access_token=abc&bearer_token=xyz")),
            Presented::Malformed("two different tokens")
        );
        // A single bad presentation wins over a conflict.
        assert_eq!(
            find_token(&[b"Bearer abc", b"Bearer xyz"], Some(b"access_token=")),
            Presented::Malformed("empty token")
        );
        assert_eq!(find_token(&[b"Basic x", b"Bearer abc"], None), tok(b"abc"));
        let many: Vec<&[u8]> = vec![b"Bearer abc"; 20];
        assert_eq!(
            find_token(&many, None),
            Presented::Malformed("too many tokens")
        );
    }
}
