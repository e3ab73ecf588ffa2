//! Key material: ActivityPub key documents (`key_from_document`), JWK
//! sets (`find_in_jwks`) and single JWKs (`from_jwk`), PEM
//! (`PublicKey::from_pem`), SPKI and PKCS#1 DER, and URL origins.
//!
//! Input: the document, also read as PEM, DER and a URL.
#![no_main]

use fediguard_core::signature::key::{MAX_RSA_BITS, MIN_RSA_BITS};
use fediguard_core::signature::origin::origin;
use fediguard_core::signature::{find_in_jwks, from_jwk, key_from_document, PublicKey};
use libfuzzer_sys::fuzz_target;

fn check(k: &PublicKey) {
    assert_eq!(k.thumbprint().len(), 43);
    if let PublicKey::Rsa { n, e } = k {
        assert_ne!(n[0], 0);
        let bits = n.len() * 8 - n[0].leading_zeros() as usize;
        assert!((MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits));
        assert!(!e.is_empty() && e[e.len() - 1] & 1 == 1);
    }
}

fuzz_target!(|data: &[u8]| {
    let key_id = "https://a.example/users/x#main-key";
    if let Ok(k) = key_from_document(data, key_id) {
        assert_eq!(k.key_id, key_id);
        assert_eq!(k.owner_host, "a.example");
        check(&k.key);
    }
    if let Ok(k) = find_in_jwks(data, "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U") {
        assert_eq!(k.thumbprint(), "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U");
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(k) = from_jwk(&v) {
            check(&k);
        }
    }
    for k in [PublicKey::from_spki_der(data), PublicKey::from_pkcs1_der(data)].iter().flatten() {
        check(k);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(k) = PublicKey::from_pem(text) {
            check(&k);
        }
        if let Some(o) = origin(text) {
            assert!(o.scheme == "https" || o.scheme == "http");
            assert!(!o.host.is_empty() && !o.host.bytes().any(|b| b.is_ascii_uppercase()));
        }
    }
});
