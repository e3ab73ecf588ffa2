//! A key as the shared key zone holds it: a fixed-size record (shared
//! memory holds no pointers), for one keyId (the zone's key is the keyId's
//! fingerprint). It holds what verifying needs, the owner's host, when it
//! was fetched, and a failed fetch kept briefly (`Missing`).

use super::actor::ActorKey;
use super::key::{PublicKey, MAX_RSA_BITS};

/// Longest modulus kept (8192 bits).
const MAX_N: usize = MAX_RSA_BITS / 8;
/// Longest host kept (DNS names are at most 253 bytes).
const MAX_HOST: usize = 255;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum StoredKind {
    /// The key could not be fetched (404, 410, an error, a refused
    /// document): not fetched again before the entry expires.
    Missing = 0,
    Rsa = 1,
    Ed25519 = 2,
}

#[derive(Clone, Copy)]
pub struct StoredKey {
    pub kind: StoredKind,
    /// When it was fetched (msec); a failed signature with a key this
    /// old may fetch it again (rotation), once a minute.
    pub fetched_ms: u64,
    /// The last refetch for rotation (msec), 0 if none.
    pub refetched_ms: u64,
    n_len: u16,
    e_len: u8,
    host_len: u8,
    /// RSA modulus, or the Ed25519 key in the first 32 bytes.
    n: [u8; MAX_N],
    e: [u8; 8],
    host: [u8; MAX_HOST],
}

impl core::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kind", &self.kind)
            .field("fetched_ms", &self.fetched_ms)
            .finish()
    }
}

impl StoredKey {
    /// A failed fetch, at `now`.
    pub fn missing(now: u64) -> StoredKey {
        StoredKey {
            kind: StoredKind::Missing,
            fetched_ms: now,
            refetched_ms: 0,
            n_len: 0,
            e_len: 0,
            host_len: 0,
            n: [0; MAX_N],
            e: [0; 8],
            host: [0; MAX_HOST],
        }
    }

    /// The record of a fetched key; None if it does not fit (it always
    /// does for keys `PublicKey` accepts and DNS names).
    pub fn new(key: &ActorKey, now: u64) -> Option<StoredKey> {
        let mut s = StoredKey::missing(now);
        let host = key.owner_host.as_bytes();
        if host.len() > MAX_HOST {
            return None;
        }
        s.host[..host.len()].copy_from_slice(host);
        s.host_len = host.len() as u8;
        match &key.key {
            PublicKey::Rsa { n, e } => {
                if n.len() > MAX_N || e.len() > s.e.len() {
                    return None;
                }
                s.kind = StoredKind::Rsa;
                s.n[..n.len()].copy_from_slice(n);
                s.n_len = n.len() as u16;
                s.e[..e.len()].copy_from_slice(e);
                s.e_len = e.len() as u8;
            }
            PublicKey::Ed25519(k) => {
                s.kind = StoredKind::Ed25519;
                s.n[..32].copy_from_slice(k);
                s.n_len = 32;
            }
        }
        Some(s)
    }

    pub fn is_missing(&self) -> bool {
        self.kind == StoredKind::Missing
    }

    /// The owner's host.
    pub fn host(&self) -> &[u8] {
        &self.host[..usize::from(self.host_len).min(MAX_HOST)]
    }

    /// The key for `key_id` (the keyId this record was stored under);
    /// None for `Missing` or a record that does not read back.
    pub fn key(&self, key_id: &str) -> Option<ActorKey> {
        let n = &self.n[..usize::from(self.n_len).min(MAX_N)];
        let key = match self.kind {
            StoredKind::Missing => return None,
            StoredKind::Rsa => {
                let e = &self.e[..usize::from(self.e_len).min(8)];
                PublicKey::rsa(n, e).ok()?
            }
            StoredKind::Ed25519 => PublicKey::Ed25519(n.try_into().ok()?),
        };
        Some(ActorKey {
            key_id: key_id.to_string(),
            owner: String::new(),
            owner_host: String::from_utf8(self.host().to_vec()).ok()?,
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut n = vec![0xc5u8; 256];
        n[255] = 0x01;
        for key in [
            PublicKey::rsa(&n, &[1, 0, 1]).unwrap(),
            PublicKey::Ed25519([7; 32]),
        ] {
            let a = ActorKey {
                key_id: "https://a.example/u#k".into(),
                owner: "https://a.example/u".into(),
                owner_host: "a.example".into(),
                key: key.clone(),
            };
            let s = StoredKey::new(&a, 5).unwrap();
            assert!(!s.is_missing());
            let back = s.key(&a.key_id).unwrap();
            assert_eq!(back.key, key);
            assert_eq!(back.owner_host, "a.example");
            assert_eq!(back.key_id, a.key_id);
        }
        let m = StoredKey::missing(9);
        assert!(m.is_missing() && m.key("x").is_none());
    }
}
