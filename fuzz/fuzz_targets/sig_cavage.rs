//! draft-cavage `Signature` headers (`signature::cavage::parse`) and
//! their signature base (`signature::base::cavage_base`) on a fixed
//! request.
//!
//! Input: the header value (UTF-8).
#![no_main]

use std::collections::HashSet;

use fediguard_core::signature::base::cavage_base;
use fediguard_core::signature::cavage::{parse, MAX_COVERED, MAX_SIGNATURE_LEN};
use fediguard_core::signature::{Header, Request};
use libfuzzer_sys::fuzz_target;

const HEADERS: [Header<'static>; 4] = [
    Header { name: b"Host", value: b"b.example" },
    Header { name: b"Date", value: b"Tue, 20 Apr 2021 02:07:55 GMT" },
    Header { name: b"Digest", value: b"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=" },
    Header { name: b"X-Line", value: b"a\nb" },
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(sig) = parse(text) else { return };
    assert!(!sig.key_id.is_empty());
    assert!(!sig.signature.is_empty() && sig.signature.len() <= MAX_SIGNATURE_LEN + 3);
    assert!(sig.headers.len() <= MAX_COVERED);
    let mut seen = HashSet::new();
    for h in &sig.headers {
        assert!(!h.is_empty() && !h.bytes().any(|b| b.is_ascii_uppercase() || b.is_ascii_whitespace()));
        assert!(seen.insert(h));
    }
    let req = Request {
        method: "POST",
        scheme: "https",
        authority: "b.example",
        path: "/inbox",
        query: Some("a=1"),
        headers: &HEADERS,
    };
    for with_query in [true, false] {
        if let Ok(base) = cavage_base(&sig, &req, with_query) {
            // One line per covered name, no forged lines.
            assert!(!base.contains(&b'\r'));
            assert_eq!(base.iter().filter(|&&b| b == b'\n').count() + 1, sig.headers.len().max(1));
        }
    }
});
