//! Whole flows as the nginx layer runs them (start, body, key document,
//! finish): draft-cavage requests signed here with a fixture RSA key and
//! RFC 9421 ones with the Ed25519 test key; and that one changed byte
//! of a covered part never verifies.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::super::base::rfc9421_base;
use super::super::test_keys::*;
use super::super::*;
use super::vectors::headers;

// ---- draft-cavage, signed here with the fixture RSA key ------------------

const KEY_ID: &str = "https://a.example/users/alice#main-key";
const ACTOR: &str = "https://a.example/users/alice";
const NOW: i64 = 1_618_884_475;
const DATE: &str = "Tue, 20 Apr 2021 02:07:55 GMT";
const NOTE: &[u8] = br#"{"type":"Create","actor":"https://a.example/users/alice"}"#;

fn actor_doc(pem: &str) -> Vec<u8> {
    json!({"id": ACTOR, "type": "Person", "publicKey": {"id": KEY_ID, "owner": ACTOR, "publicKeyPem": pem}})
        .to_string()
        .into_bytes()
}

fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)))
}

/// Feeds `body` in two chunks and answers with the key (fetching it as
/// the nginx layer would).
fn run(req: &Request, body: &[u8], doc: &[u8], now: i64) -> Outcome {
    let mut p = match start(req, now) {
        Start::Pending(p) => p,
        Start::Invalid(why) => return Outcome::Invalid { why },
        Start::Unsigned => panic!("unsigned"),
    };
    if p.needs_body() {
        let (a, b) = body.split_at(body.len() / 2);
        p.update_body(a);
        p.update_body(b);
    }
    match p.finish(None) {
        Outcome::NeedKey { key_id } => match key_from_document(doc, &key_id) {
            Ok(key) => p.finish(Some(&key)),
            Err(why) => Outcome::Invalid { why },
        },
        other => other,
    }
}

/// A Mastodon delivery: POST to the inbox, `(request-target) host date
/// digest`, signed over `signed_target` (`None`: the real one).
fn delivery(body: &[u8], signed_target: Option<&str>) -> Vec<(String, String)> {
    let digest = digest_header(body);
    let target = signed_target.unwrap_or("post /users/bob/inbox");
    let base =
        format!("(request-target): {target}\nhost: b.example\ndate: {DATE}\ndigest: {digest}");
    let sig = STANDARD.encode(rsa_sign(base.as_bytes()));
    vec![
        ("Host".into(), "b.example".into()),
        ("Date".into(), DATE.into()),
        ("Digest".into(), digest),
        ("Content-Type".into(), "application/activity+json".into()),
        (
            "Signature".into(),
            format!(
                r#"keyId="{KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="{sig}""#
            ),
        ),
    ]
}

fn inbox<'a>(h: &'a [Header<'a>]) -> Request<'a> {
    Request {
        method: "POST",
        scheme: "https",
        authority: "b.example",
        path: "/users/bob/inbox",
        query: None,
        headers: h,
    }
}

fn owned(pairs: &[(String, String)]) -> Vec<Header<'_>> {
    pairs.iter().map(|(n, v)| Header::new(n, v)).collect()
}

#[test]
fn cavage_delivery_verifies() {
    let pairs = delivery(NOTE, None);
    let h = owned(&pairs);
    let want = Outcome::Valid {
        key_id: KEY_ID.into(),
        owner_host: "a.example".into(),
        scheme: Scheme::Cavage,
    };
    assert_eq!(
        run(&inbox(&h), NOTE, &actor_doc(FIXTURE_RSA_PUB), NOW),
        want
    );
}

#[test]
fn cavage_delivery_refusals() {
    let pairs = delivery(NOTE, None);
    let h = owned(&pairs);
    let doc = actor_doc(FIXTURE_RSA_PUB);
    let why = |o: Outcome| match o {
        Outcome::Invalid { why } => why,
        o => panic!("{o:?}"),
    };
    assert_eq!(why(run(&inbox(&h), b"{}", &doc, NOW)), Why::DigestMismatch);
    assert_eq!(why(run(&inbox(&h), NOTE, &doc, NOW + 3901)), Why::Expired);
    assert_eq!(why(run(&inbox(&h), NOTE, &doc, NOW - 3602)), Why::Future);
    assert_eq!(
        why(run(
            &inbox(&h),
            NOTE,
            &actor_doc(TEST_KEY_RSA_PUB_SPKI),
            NOW
        )),
        Why::BadSignature
    );
    assert_eq!(
        why(run(&inbox(&h), NOTE, &actor_doc(TEST_KEY_ED25519_PUB), NOW)),
        Why::KeyMismatch
    );
    let elsewhere = Request {
        path: "/users/carol/inbox",
        ..inbox(&h)
    };
    assert_eq!(why(run(&elsewhere, NOTE, &doc, NOW)), Why::BadSignature);
    // A key document for another key id.
    let mut p = match start(&inbox(&h), NOW) {
        Start::Pending(p) => p,
        _ => panic!(),
    };
    p.update_body(NOTE);
    let mut key = key_from_document(&doc, KEY_ID).unwrap();
    key.key_id = "https://a.example/users/mallory#main-key".into();
    assert_eq!(
        p.finish(Some(&key)),
        Outcome::Invalid {
            why: Why::KeyMismatch
        }
    );
    // GET without host covered; no signature at all.
    let no_host = [
        ("Date", DATE),
        (
            "Signature",
            r#"keyId="k",algorithm="rsa-sha256",headers="(request-target) date",signature="AAEC""#,
        ),
    ];
    let h = headers(&no_host);
    let get = Request {
        method: "GET",
        ..inbox(&h)
    };
    assert!(matches!(start(&get, NOW), Start::Invalid(Why::NotCovered)));
    assert!(matches!(start(&inbox(&[]), NOW), Start::Unsigned));
}

/// Older Mastodon signed `(request-target)` without the query.
#[test]
fn cavage_request_target_with_or_without_query() {
    let doc = actor_doc(FIXTURE_RSA_PUB);
    for signed in ["post /users/bob/inbox?a=1", "post /users/bob/inbox"] {
        let pairs = delivery(NOTE, Some(signed));
        let h = owned(&pairs);
        let req = Request {
            query: Some("a=1"),
            ..inbox(&h)
        };
        assert!(
            matches!(run(&req, NOTE, &doc, NOW), Outcome::Valid { .. }),
            "{signed}"
        );
        let other = Request {
            query: Some("a=2"),
            ..req
        };
        let got = run(&other, NOTE, &doc, NOW);
        let want_ok = !signed.contains('?');
        assert_eq!(
            matches!(got, Outcome::Valid { .. }),
            want_ok,
            "{signed}: {got:?}"
        );
    }
}

/// hs2019 with `(created)` and an Ed25519 key: the key decides.
#[test]
fn cavage_hs2019_ed25519() {
    let digest = digest_header(NOTE);
    let base = format!("(request-target): post /users/bob/inbox\n(created): {NOW}\nhost: b.example\ndigest: {digest}");
    let sig = STANDARD.encode(ed25519_signer().sign(base.as_bytes()));
    let header = format!(
        r#"keyId="{KEY_ID}",algorithm="hs2019",created={NOW},headers="(request-target) (created) host digest",signature="{sig}""#
    );
    let pairs = [
        ("Host", "b.example"),
        ("Digest", digest.as_str()),
        ("Signature", header.as_str()),
    ];
    let h = headers(&pairs);
    let out = run(&inbox(&h), NOTE, &actor_doc(TEST_KEY_ED25519_PUB), NOW);
    assert!(
        matches!(
            out,
            Outcome::Valid {
                scheme: Scheme::Cavage,
                ..
            }
        ),
        "{out:?}"
    );
    // The same with algorithm="rsa-sha256": (created) is not allowed there.
    let rsa = header.replace("hs2019", "rsa-sha256");
    let pairs = [
        ("Host", "b.example"),
        ("Digest", digest.as_str()),
        ("Signature", rsa.as_str()),
    ];
    let h = headers(&pairs);
    assert!(matches!(
        start(&inbox(&h), NOW),
        Start::Invalid(Why::Malformed)
    ));
}

// ---- RFC 9421 deliveries, signed here ------------------------------------

fn delivery_9421(body: &[u8], alg_param: &str) -> Vec<(String, String)> {
    let cd = format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)));
    let input = format!(
        r#"sig1=("@method" "@target-uri" "content-digest");created={NOW};keyid="{KEY_ID}"{alg_param}"#
    );
    let pairs = [("Content-Digest".to_string(), cd.clone())];
    let h = owned(&pairs);
    let parsed = rfc9421::parse(&input, "sig1=:AAEC:", None).unwrap();
    let base = rfc9421_base(&parsed, &inbox(&h)).unwrap();
    let sig = STANDARD.encode(ed25519_signer().sign(&base));
    vec![
        ("Content-Digest".into(), cd),
        ("Signature-Input".into(), input),
        ("Signature".into(), format!("sig1=:{sig}:")),
    ]
}

#[test]
fn rfc9421_delivery_verifies_and_refuses() {
    let doc = actor_doc(TEST_KEY_ED25519_PUB);
    for alg in ["", r#";alg="ed25519""#] {
        let pairs = delivery_9421(NOTE, alg);
        let h = owned(&pairs);
        let want = Outcome::Valid {
            key_id: KEY_ID.into(),
            owner_host: "a.example".into(),
            scheme: Scheme::Rfc9421,
        };
        assert_eq!(run(&inbox(&h), NOTE, &doc, NOW), want);
        assert_eq!(
            run(&inbox(&h), b"{}", &doc, NOW),
            Outcome::Invalid {
                why: Why::DigestMismatch
            }
        );
        let rsa_doc = actor_doc(FIXTURE_RSA_PUB);
        let want = if alg.is_empty() {
            Why::BadSignature
        } else {
            Why::KeyMismatch
        };
        assert_eq!(
            run(&inbox(&h), NOTE, &rsa_doc, NOW),
            Outcome::Invalid { why: want }
        );
    }
}

// ---- one changed byte never verifies -------------------------------------

/// Which bytes of a header value are inside double quotes.
fn quoted_bytes(v: &str) -> Vec<bool> {
    let mut inside = false;
    v.bytes()
        .map(|b| {
            if b == b'"' {
                inside = !inside;
                false
            } else {
                inside
            }
        })
        .collect()
}

/// Flips each byte of every covered part in turn (body, header values,
/// path, method, signature): none of the changed requests is valid.
#[test]
fn any_changed_byte_fails() {
    let doc = actor_doc(FIXTURE_RSA_PUB);
    let doc_ed = actor_doc(TEST_KEY_ED25519_PUB);
    for (pairs, doc) in [
        (delivery(NOTE, None), &doc),
        (delivery_9421(NOTE, ""), &doc_ed),
    ] {
        let h = owned(&pairs);
        assert!(matches!(
            run(&inbox(&h), NOTE, doc, NOW),
            Outcome::Valid { .. }
        ));
        let mut body = NOTE.to_vec();
        for i in 0..body.len() {
            body[i] ^= 0x01;
            assert!(
                !matches!(run(&inbox(&h), &body, doc, NOW), Outcome::Valid { .. }),
                "body {i}"
            );
            body[i] ^= 0x01;
        }
        for j in 0..pairs.len() {
            if pairs[j].0 == "Content-Type" {
                continue; // not covered
            }
            // draft-cavage's parameter names are not signed (an unknown
            // one is ignored): change only the quoted values there.
            let quoted = quoted_bytes(&pairs[j].1);
            for i in 0..pairs[j].1.len() {
                if pairs[j].0 == "Signature" && !quoted[i] && !pairs[j].1.starts_with("sig1=") {
                    continue;
                }
                let mut changed = pairs.clone();
                let mut v = changed[j].1.clone().into_bytes();
                v[i] = if v[i] == b'0' { b'1' } else { b'0' };
                let Ok(v) = String::from_utf8(v) else {
                    continue;
                };
                changed[j].1 = v;
                let h = owned(&changed);
                let out = run(&inbox(&h), NOTE, doc, NOW);
                assert!(
                    !matches!(out, Outcome::Valid { .. }),
                    "{} byte {i}: {}",
                    changed[j].0,
                    changed[j].1
                );
            }
        }
        for path in ["/users/bob/inboy", "/users/bob/inbox/", "/Users/bob/inbox"] {
            let req = Request { path, ..inbox(&h) };
            assert!(
                !matches!(run(&req, NOTE, doc, NOW), Outcome::Valid { .. }),
                "{path}"
            );
        }
        let put = Request {
            method: "PUT",
            ..inbox(&h)
        };
        assert!(!matches!(run(&put, NOTE, doc, NOW), Outcome::Valid { .. }));
    }
}
