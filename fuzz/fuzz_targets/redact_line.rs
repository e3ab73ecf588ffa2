//! The request line written to fediguard's log lines
//! (`redact::redact_request_line`).
//!
//! Input: the request line.
#![no_main]

use std::borrow::Cow;

use fediguard_core::redact::{base_name, redact_request_line, REDACTED};
use libfuzzer_sys::fuzz_target;

const SECRET: [&[u8]; 6] = [
    b"access_token",
    b"bearer_token",
    b"client_secret",
    b"refresh_token",
    b"password",
    b"code",
];

fn name_of(param: &[u8]) -> &[u8] {
    param.split(|&b| b == b'=').next().unwrap_or(param)
}

/// A secret parameter: a known name in any case and with any brackets
/// Rack reads as the same parameter, or any name with a `%` in it (a
/// possible disguise).
fn secret(param: &[u8]) -> bool {
    let n = name_of(param);
    let lower = n.to_ascii_lowercase();
    let bracket = |b: &u8| *b == b'[' || *b == b']';
    let base: Vec<u8> = lower
        .iter()
        .copied()
        .skip_while(bracket)
        .take_while(|b| !bracket(b))
        .collect();
    assert_eq!(base_name(&lower), base.as_slice());
    let base = base.as_slice();
    n.contains(&b'%') || SECRET.contains(&base)
}

/// Parameters with the separator that ends each (None for the last).
fn params(q: &[u8]) -> Vec<(&[u8], Option<u8>)> {
    let mut out = Vec::new();
    let mut rest = q;
    loop {
        match rest.iter().position(|&b| b == b'&' || b == b';') {
            Some(i) => {
                out.push((&rest[..i], Some(rest[i])));
                rest = &rest[i + 1..];
            }
            None => {
                out.push((rest, None));
                return out;
            }
        }
    }
}

fuzz_target!(|line: &[u8]| {
    let out = redact_request_line(line);
    let Some(q) = line.iter().position(|&b| b == b'?') else {
        assert!(matches!(out, Cow::Borrowed(_)) && *out == *line);
        return;
    };
    // The query ends at the space before the protocol.
    let end = line[q..]
        .iter()
        .position(|&b| b == b' ')
        .map_or(line.len(), |p| q + p);
    let (head, query, tail) = (&line[..=q], &line[q + 1..end], &line[end..]);
    let any_secret = params(query).iter().any(|(p, _)| secret(p));
    assert_eq!(matches!(out, Cow::Borrowed(_)), !any_secret);

    // Method, path and protocol stay as they were ...
    assert!(out.starts_with(head) && out.ends_with(tail));
    let out_query = &out[head.len()..out.len() - tail.len()];
    // ... and so does every parameter but the secret ones, whose values
    // are gone.
    let before = params(query);
    let after = params(out_query);
    assert_eq!(before.len(), after.len());
    for ((p, sep), (r, rsep)) in before.iter().zip(&after) {
        assert_eq!(sep, rsep);
        if secret(p) {
            assert_eq!(*r, [name_of(p), b"=", REDACTED].concat().as_slice());
        } else {
            assert_eq!(p, r);
        }
    }

    // Redacting again changes nothing.
    assert_eq!(*redact_request_line(&out), *out);
});
