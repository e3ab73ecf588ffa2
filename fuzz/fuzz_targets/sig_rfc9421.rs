//! RFC 9421 `Signature-Input` + `Signature` (`signature::rfc9421::parse`,
//! with and without a tag) and the signature base
//! (`signature::base::rfc9421_base`) on a fixed request.
//!
//! Input: the Signature-Input value, a newline, the Signature value.
#![no_main]

use fediguard_core::signature::base::rfc9421_base;
use fediguard_core::signature::cavage::{MAX_COVERED, MAX_SIGNATURE_LEN};
use fediguard_core::signature::rfc9421::parse;
use fediguard_core::signature::{Header, Request};
use fediguard_fuzz::split_once;
use libfuzzer_sys::fuzz_target;

const HEADERS: [Header<'static>; 3] = [
    Header { name: b"Content-Digest", value: b"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:" },
    Header { name: b"Signature-Agent", value: b"agent1=\"https://a.test\", agent2=(1 2);x" },
    Header { name: b"X-Line", value: b"a\rb" },
];

fuzz_target!(|data: &[u8]| {
    let (input, sig) = split_once(data, b"\n");
    let (Ok(input), Ok(sig)) = (std::str::from_utf8(input), std::str::from_utf8(sig.unwrap_or(b""))) else {
        return;
    };
    let req = Request {
        method: "POST",
        scheme: "https",
        authority: "example.com:443",
        path: "/foo",
        query: None,
        headers: &HEADERS,
    };
    for tag in [None, Some("web-bot-auth")] {
        let Ok(s) = parse(input, sig, tag) else { continue };
        assert!(s.components.len() <= MAX_COVERED);
        assert!(!s.signature.is_empty() && s.signature.len() <= MAX_SIGNATURE_LEN);
        if let Some(t) = tag {
            assert_eq!(s.params.tag.as_deref(), Some(t));
        }
        // The serialized parameters read back to themselves.
        let again = parse(&format!("{}={}", s.label, s.params_line), &format!("{}=:AA==:", s.label), None)
            .expect("params_line parses");
        assert_eq!(again.params_line, s.params_line);
        assert_eq!(again.components, s.components);
        if let Ok(base) = rfc9421_base(&s, &req) {
            assert!(!base.contains(&b'\r'));
            let last = base.rsplit(|&b| b == b'\n').next().unwrap();
            assert!(last.starts_with(b"\"@signature-params\": ("));
            assert_eq!(base.iter().filter(|&&b| b == b'\n').count(), s.components.len());
        }
    }
});
