//! Token extraction: `find_token`, `find_token_unchecked` + `well_formed`.
//!
//! Input: lines; a line that starts with `?` is the query string (the last
//! such line), every other line the value of one Authorization header.
#![no_main]

use std::borrow::Cow;
use std::mem::discriminant;

use fediguard_core::token::{
    find_token, find_token_unchecked, well_formed, Presented, MAX_TOKEN_LEN,
};
use fediguard_fuzz::{form_decode, is_b64token, query_params, trim_sp, within};
use libfuzzer_sys::fuzz_target;

/// The token of a `Bearer` header value, if the value uses that scheme.
fn bearer_of(h: &[u8]) -> Option<&[u8]> {
    let v = trim_sp(h);
    if v.len() < 6 || !v[..6].eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    match v.get(6) {
        None => Some(&v[6..]),
        Some(b' ' | b'\t') => Some(trim_sp(&v[6..])),
        Some(_) => None,
    }
}

fn is_token_param(name: &[u8]) -> bool {
    let n = form_decode(name);
    n == b"access_token" || n == b"bearer_token"
}

fuzz_target!(|data: &[u8]| {
    let mut headers: Vec<&[u8]> = Vec::new();
    let mut query: Option<&[u8]> = None;
    for line in data.split(|&b| b == b'\n') {
        match line.strip_prefix(b"?") {
            Some(q) => query = Some(q),
            None => headers.push(line),
        }
    }
    let params = query.map(query_params).unwrap_or_default();

    let checked = find_token(&headers, query);
    match &checked {
        Presented::Token(t) => {
            assert!(!t.is_empty() && t.len() <= MAX_TOKEN_LEN);
            assert!(well_formed(t) && is_b64token(t), "{t:?}");
            // A piece of a header or of the query, or a parameter decoded.
            if let Cow::Borrowed(b) = t {
                assert!(
                    headers.iter().chain(query.iter()).any(|h| within(b, h)),
                    "borrowed token outside the input"
                );
            }
            // Where it was presented: every presentation is that token.
            let in_header = headers.iter().filter_map(|h| bearer_of(h));
            let in_query = params
                .iter()
                .filter(|(n, _)| is_token_param(n))
                .map(|(_, v)| form_decode(v));
            let mut n = 0;
            for p in in_header.map(<[u8]>::to_vec).chain(in_query) {
                assert_eq!(&p[..], &t[..], "another token presented");
                n += 1;
            }
            assert!((1..=8).contains(&n), "{n} presentations");
        }
        Presented::Malformed(why) => assert!(!why.is_empty()),
        Presented::None => {
            // Nothing presented: no Bearer header, no token parameter.
            assert!(headers.iter().all(|h| bearer_of(h).is_none()));
            assert!(params.iter().all(|(n, _)| !is_token_param(n)));
        }
    }

    // The hot path (alphabet checked later, only for unknown tokens)
    // reaches the same answer.
    let deferred = match find_token_unchecked(&headers, query) {
        Presented::Token(t) if !well_formed(&t) => Presented::Malformed("bad characters"),
        p => p,
    };
    assert_eq!(discriminant(&checked), discriminant(&deferred));
    if let (Presented::Token(a), Presented::Token(b)) = (&checked, &deferred) {
        assert_eq!(a, b);
    }

    // The order of the headers does not change the class or the token.
    let reversed: Vec<&[u8]> = headers.iter().rev().copied().collect();
    let r = find_token(&reversed, query);
    assert_eq!(discriminant(&checked), discriminant(&r));
    if let (Presented::Token(a), Presented::Token(b)) = (&checked, &r) {
        assert_eq!(a, b);
    }
});
