//! The key a fetched ActivityPub document vouches for: the document is
//! the key object itself (`id` = keyId, `owner`, `publicKeyPem`) or an
//! actor whose `publicKey` (one object or, since Mastodon 4.6, a list)
//! holds an object with that `id`. keyId, owner and actor share an origin.

use serde_json::Value;

use super::jwk::MAX_DOCUMENT_LEN;
use super::key::PublicKey;
use super::origin::origin;
use super::Why;

/// Most keys looked at in one actor's `publicKey` list.
const MAX_KEYS: usize = 16;

/// A key and who holds it, as the verifier needs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActorKey {
    pub key_id: String,
    /// The actor the key belongs to (its `owner`).
    pub owner: String,
    /// The owner's host: the fediverse server that signed.
    pub owner_host: String,
    pub key: PublicKey,
}

fn text<'a>(v: &'a Value, field: &str) -> Option<&'a str> {
    v.get(field).and_then(Value::as_str)
}

/// `owner` (Mastodon) or `controller` (newer key objects).
fn owner_of(key: &Value) -> Option<&str> {
    text(key, "owner").or_else(|| text(key, "controller"))
}

/// The key document fetched for `key_id` (at most 64 KB of JSON), checked
/// to vouch for it.
pub fn key_from_document(doc: &[u8], key_id: &str) -> Result<ActorKey, Why> {
    if doc.len() > MAX_DOCUMENT_LEN {
        return Err(Why::Malformed);
    }
    let key_origin = origin(key_id).ok_or(Why::Malformed)?;
    let v: Value = serde_json::from_slice(doc).map_err(|_| Why::Malformed)?;
    if !v.is_object() {
        return Err(Why::Malformed);
    }
    let (key, owner) = if text(&v, "id") == Some(key_id) && v.get("publicKeyPem").is_some() {
        // The key object itself.
        (&v, owner_of(&v).ok_or(Why::KeyMismatch)?)
    } else {
        // An actor: the key among its publicKey, owned by the actor.
        let actor = text(&v, "id").ok_or(Why::Malformed)?;
        let keys: Vec<&Value> = match v.get("publicKey") {
            Some(Value::Array(list)) => list.iter().take(MAX_KEYS).collect(),
            Some(k @ Value::Object(_)) => vec![k],
            _ => return Err(Why::KeyMismatch),
        };
        let key = keys
            .into_iter()
            .find(|k| text(k, "id") == Some(key_id))
            .ok_or(Why::KeyMismatch)?;
        let owner = owner_of(key).ok_or(Why::KeyMismatch)?;
        if owner != actor {
            return Err(Why::KeyMismatch);
        }
        (key, owner)
    };
    let owner_origin = origin(owner).ok_or(Why::KeyMismatch)?;
    if owner_origin != key_origin {
        return Err(Why::KeyMismatch);
    }
    let pem = text(key, "publicKeyPem").ok_or(Why::Malformed)?;
    Ok(ActorKey {
        key_id: key_id.to_string(),
        owner: owner.to_string(),
        owner_host: owner_origin.host,
        key: PublicKey::from_pem(pem)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_keys::*;
    use super::*;
    use serde_json::json;

    const KEY_ID: &str = "https://a.example/users/x#main-key";
    const ACTOR: &str = "https://a.example/users/x";

    fn doc(v: Value) -> Vec<u8> {
        v.to_string().into_bytes()
    }

    #[test]
    fn mastodon_actor() {
        let d = doc(json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": ACTOR, "type": "Person",
            "publicKey": {"id": KEY_ID, "owner": ACTOR, "publicKeyPem": TEST_KEY_RSA_PUB_SPKI}
        }));
        let k = key_from_document(&d, KEY_ID).unwrap();
        assert_eq!(
            (k.owner.as_str(), k.owner_host.as_str()),
            (ACTOR, "a.example")
        );
        assert!(matches!(k.key, PublicKey::Rsa { .. }));
    }

    #[test]
    fn several_keys_and_key_objects() {
        let d = doc(json!({"id": ACTOR, "publicKey": [
            {"id": "https://a.example/users/x#old", "owner": ACTOR, "publicKeyPem": TEST_KEY_RSA_PSS_PUB},
            {"id": KEY_ID, "owner": ACTOR, "publicKeyPem": TEST_KEY_ED25519_PUB},
        ]}));
        assert!(matches!(
            key_from_document(&d, KEY_ID).unwrap().key,
            PublicKey::Ed25519(_)
        ));
        let d = doc(
            json!({"id": "https://a.example/keys/1", "owner": ACTOR, "publicKeyPem": TEST_KEY_RSA_PUB_SPKI}),
        );
        assert_eq!(
            key_from_document(&d, "https://a.example/keys/1")
                .unwrap()
                .owner,
            ACTOR
        );
    }

    #[test]
    fn refuses() {
        let pem = TEST_KEY_RSA_PUB_SPKI;
        for (v, key_id, why) in [
            // Another key id, or the actor's own id.
            (
                json!({"id": ACTOR, "publicKey": {"id": KEY_ID, "owner": ACTOR, "publicKeyPem": pem}}),
                "https://a.example/users/x#other",
                Why::KeyMismatch,
            ),
            (
                json!({"id": ACTOR, "publicKey": {"id": KEY_ID, "owner": ACTOR, "publicKeyPem": pem}}),
                ACTOR,
                Why::KeyMismatch,
            ),
            // A key owned by someone else than the actor.
            (
                json!({"id": ACTOR, "publicKey": {"id": KEY_ID, "owner": "https://a.example/users/y", "publicKeyPem": pem}}),
                KEY_ID,
                Why::KeyMismatch,
            ),
            // An owner on another origin (key object and actor alike).
            (
                json!({"id": KEY_ID, "owner": "https://evil.example/users/x", "publicKeyPem": pem}),
                KEY_ID,
                Why::KeyMismatch,
            ),
            (
                json!({"id": "https://evil.example/users/x", "publicKey": {"id": KEY_ID, "owner": "https://evil.example/users/x", "publicKeyPem": pem}}),
                KEY_ID,
                Why::KeyMismatch,
            ),
            (
                json!({"id": KEY_ID, "publicKeyPem": pem}),
                KEY_ID,
                Why::KeyMismatch,
            ),
            (json!({"id": ACTOR}), KEY_ID, Why::KeyMismatch),
            (
                json!({"id": ACTOR, "publicKey": {"id": KEY_ID, "owner": ACTOR, "publicKeyPem": "x"}}),
                KEY_ID,
                Why::Malformed,
            ),
            (
                json!({"id": ACTOR, "publicKey": {"id": KEY_ID, "owner": ACTOR, "publicKeyPem": TEST_KEY_ECC_P256_PUB}}),
                KEY_ID,
                Why::UnsupportedAlgorithm,
            ),
            (
                json!({"id": ACTOR, "publicKey": {"id": KEY_ID, "owner": ACTOR, "publicKeyPem": pem}}),
                "not a url",
                Why::Malformed,
            ),
            (json!([1]), KEY_ID, Why::Malformed),
        ] {
            assert_eq!(
                key_from_document(&doc(v.clone()), key_id),
                Err(why),
                "{v} {key_id}"
            );
        }
        assert_eq!(key_from_document(b"{", KEY_ID), Err(Why::Malformed));
        assert_eq!(
            key_from_document(&vec![b' '; MAX_DOCUMENT_LEN + 1], KEY_ID),
            Err(Why::Malformed)
        );
    }
}
