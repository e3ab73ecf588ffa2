//! JSON Web Keys (RFC 7517): `OKP`/`Ed25519` (`x`) and `RSA` (`n`, `e`),
//! and their RFC 7638 SHA-256 thumbprints, which Web Bot Auth uses as
//! `keyid`. A key directory (`{"keys": [...]}`) is searched by thumbprint.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::key::PublicKey;
use super::Why;

/// Largest key document read (a JWKS or an actor).
pub const MAX_DOCUMENT_LEN: usize = 64 * 1024;
/// Most keys looked at in one directory.
const MAX_KEYS: usize = 64;

fn b64url(v: &Value, field: &str) -> Result<Vec<u8>, Why> {
    let s = v.get(field).and_then(Value::as_str).ok_or(Why::Malformed)?;
    // 8192 bits is 1,366 characters.
    if s.len() > 2048 {
        return Err(Why::Malformed);
    }
    URL_SAFE_NO_PAD.decode(s).map_err(|_| Why::Malformed)
}

/// A public key from a JWK object. Private members are ignored; EC and
/// symmetric (`oct`) keys are not supported.
pub fn from_jwk(v: &Value) -> Result<PublicKey, Why> {
    match v.get("kty").and_then(Value::as_str) {
        Some("OKP") => match v.get("crv").and_then(Value::as_str) {
            Some("Ed25519") => Ok(PublicKey::Ed25519(
                b64url(v, "x")?.try_into().map_err(|_| Why::Malformed)?,
            )),
            Some(_) => Err(Why::UnsupportedAlgorithm),
            None => Err(Why::Malformed),
        },
        Some("RSA") => PublicKey::rsa(&b64url(v, "n")?, &b64url(v, "e")?),
        Some("EC") | Some("oct") => Err(Why::UnsupportedAlgorithm),
        _ => Err(Why::Malformed),
    }
}

impl PublicKey {
    /// RFC 7638: SHA-256 over the required members in lexicographic order,
    /// no spaces; base64url without padding.
    pub fn thumbprint(&self) -> String {
        let canonical = match self {
            PublicKey::Ed25519(x) => {
                format!(
                    r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                    URL_SAFE_NO_PAD.encode(x)
                )
            }
            PublicKey::Rsa { n, e } => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                URL_SAFE_NO_PAD.encode(e),
                URL_SAFE_NO_PAD.encode(n)
            ),
        };
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }
}

/// The key of a JWK set (`{"keys": [...]}`, as a Web Bot Auth key
/// directory serves) whose thumbprint is `keyid`. Keys that cannot be
/// read are skipped; none matching is a key mismatch.
pub fn find_in_jwks(doc: &[u8], keyid: &str) -> Result<PublicKey, Why> {
    if doc.len() > MAX_DOCUMENT_LEN {
        return Err(Why::Malformed);
    }
    let v: Value = serde_json::from_slice(doc).map_err(|_| Why::Malformed)?;
    let keys = v
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(Why::Malformed)?;
    keys.iter()
        .take(MAX_KEYS)
        .filter_map(|k| from_jwk(k).ok())
        .find(|k| k.thumbprint() == keyid)
        .ok_or(Why::KeyMismatch)
}

#[cfg(test)]
mod tests {
    use super::super::test_keys::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn ed25519_thumbprint_is_web_bot_auths_keyid() {
        let k = from_jwk(&json!({"kty": "OKP", "crv": "Ed25519", "x": TEST_KEY_ED25519_X, "d": TEST_KEY_ED25519_D})).unwrap();
        assert_eq!(k.thumbprint(), TEST_KEY_ED25519_THUMBPRINT);
        assert_eq!(Ok(k), PublicKey::from_pem(TEST_KEY_ED25519_PUB));
    }

    /// RFC 7638 3.1's example key and thumbprint.
    #[test]
    fn rfc7638_rsa_example() {
        let k = from_jwk(&json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        }))
        .unwrap();
        assert_eq!(
            k.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn directory_lookup() {
        let doc = json!({"keys": [
            {"kty": "EC", "crv": "P-256", "x": "a", "y": "b"},
            {"kty": "OKP", "crv": "Ed25519", "x": TEST_KEY_ED25519_X},
        ]})
        .to_string();
        assert!(find_in_jwks(doc.as_bytes(), TEST_KEY_ED25519_THUMBPRINT).is_ok());
        assert_eq!(find_in_jwks(doc.as_bytes(), "other"), Err(Why::KeyMismatch));
        assert_eq!(find_in_jwks(b"{\"keys\": 1}", "k"), Err(Why::Malformed));
        assert_eq!(find_in_jwks(b"[", "k"), Err(Why::Malformed));
    }

    #[test]
    fn refuses() {
        for (jwk, why) in [
            (
                json!({"kty": "oct", "k": "AAAA"}),
                Why::UnsupportedAlgorithm,
            ),
            (
                json!({"kty": "EC", "crv": "P-256"}),
                Why::UnsupportedAlgorithm,
            ),
            (
                json!({"kty": "OKP", "crv": "X25519", "x": TEST_KEY_ED25519_X}),
                Why::UnsupportedAlgorithm,
            ),
            (
                json!({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}),
                Why::Malformed,
            ),
            (
                json!({"kty": "OKP", "crv": "Ed25519", "x": 1}),
                Why::Malformed,
            ),
            (
                json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
                Why::UnsupportedAlgorithm,
            ),
            (json!({"x": TEST_KEY_ED25519_X}), Why::Malformed),
        ] {
            assert_eq!(from_jwk(&jwk), Err(why), "{jwk}");
        }
    }
}
