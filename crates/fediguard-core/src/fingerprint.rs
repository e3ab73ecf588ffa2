//! Keyed token fingerprints: what stands for a token in the verdict cache,
//! logs and `$fediguard_token_id`. Raw tokens go nowhere else.
//!
//! SipHash-1-3 with a 128-bit output, keyed by a secret drawn when the token
//! zone is created (kept in the zone, so it survives reloads): without the
//! secret a fingerprint cannot be tested against guessed tokens.

use core::hash::Hasher;

use siphasher::sip128::{Hasher128, SipHasher13};

use crate::verdict_cache::KEY_LEN;

/// The cache key of a token.
pub fn fingerprint(secret: &[u8; 32], token: &[u8]) -> [u8; KEY_LEN] {
    // SipHash's key is 128 bits, its design strength: the first half of
    // the secret. (Hashing the other half before the token cost every
    // fingerprint two more blocks and added nothing SipHash relies on.)
    let mut k = [0u8; 16];
    k.copy_from_slice(&secret[..16]);
    let mut h = SipHasher13::new_with_key(&k);
    h.write(token);
    h.finish128().as_bytes()
}

/// Hex digits of a fingerprint shown to admins (64 bits: enough to tell
/// tokens apart in logs, far too few to be the cache key).
pub const ID_HEX_LEN: usize = 16;

/// The `$fediguard_token_id` of a fingerprint.
pub fn token_id(fp: &[u8; KEY_LEN]) -> [u8; ID_HEX_LEN] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; ID_HEX_LEN];
    for (i, b) in fp.iter().take(ID_HEX_LEN / 2).enumerate() {
        out[2 * i] = HEX[(b >> 4) as usize];
        out[2 * i + 1] = HEX[(b & 0xf) as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_stable_and_distinct() {
        let a = fingerprint(&[1; 32], b"token-a");
        assert_eq!(a, fingerprint(&[1; 32], b"token-a"));
        assert_ne!(a, fingerprint(&[1; 32], b"token-b"));
        assert_ne!(a, fingerprint(&[2; 32], b"token-a"), "the secret matters");
        let id = token_id(&a);
        assert!(id.iter().all(|c| c.is_ascii_hexdigit()));
        assert!(!std::str::from_utf8(&id).unwrap().contains("token"));
    }
}
