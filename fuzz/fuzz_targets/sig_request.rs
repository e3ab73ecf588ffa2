//! A whole request through `signature::start` (scheme choice, parsing,
//! Mastodon's coverage and window, signature bases, Digest and
//! Content-Digest), the body hasher and `Pending::finish` without a key:
//! never valid without a key.
//!
//! Input: lines. The first is the time (Unix seconds), the second
//! `METHOD path[?query]`, the others header lines `Name: value`; after an
//! empty line, the body.
#![no_main]

use fediguard_core::signature::{start, Header, Outcome, Request, Start};
use fediguard_fuzz::split_once;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (head, body) = split_once(data, b"\n\n");
    let Ok(head) = std::str::from_utf8(head) else { return };
    let mut lines = head.split('\n');
    let now: i64 = lines.next().unwrap_or("").trim().parse().unwrap_or(0);
    let first = lines.next().unwrap_or("");
    let (method, target) = first.split_once(' ').unwrap_or((first, "/"));
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let headers: Vec<Header> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| Header::new(n, v))
        .collect();
    let req = Request { method, scheme: "https", authority: "b.example", path, query, headers: &headers };
    let Start::Pending(mut p) = start(&req, now) else { return };
    assert!(!p.key_id().is_empty());
    if p.needs_body() {
        p.update_body(body.unwrap_or(b""));
    }
    match p.finish(None) {
        Outcome::NeedKey { key_id } => assert_eq!(key_id, p.key_id()),
        Outcome::Invalid { .. } => {}
        Outcome::Valid { .. } => panic!("valid without a key"),
    }
});
