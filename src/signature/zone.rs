//! The key zone (`fediguard_signature_zone`): per keyId (its keyed
//! fingerprint), the key and its owner's host, or a fetch under way
//! (pending: the other workers' requests wait for it), or a failed fetch
//! kept briefly. Beside it, the signatures seen (replays) and the
//! per-client budget of key fetches. Survives reload.

use fediguard_core::fingerprint::fingerprint;
use fediguard_core::shm_table::{Table, KEY_LEN};
use fediguard_core::signature::StoredKey;

use crate::glue::directive::Directive;
use crate::glue::zone::{SharedZone, MIN_ZONE};
use crate::limit::budget::Budget;

#[derive(Debug)]
pub struct KeyZone {
    /// How long a fetched key is kept (msec).
    pub valid_ms: u64,
    /// Key fetches per client.
    pub budget: Budget,
    /// Most fetches under way at once in one worker.
    pub in_flight: u32,
    keys: SharedZone<StoredKey>,
    seen: SharedZone<u8>,
}

impl KeyZone {
    pub fn add(
        d: &Directive,
        name: &str,
        size: usize,
        valid_ms: u64,
        budget: Budget,
        in_flight: u32,
    ) -> Result<KeyZone, String> {
        Ok(KeyZone {
            valid_ms,
            budget,
            in_flight,
            keys: SharedZone::add(d, name, size)?,
            // Signatures seen: an eighth of the keys' size.
            seen: SharedZone::add(d, &format!("{name}_seen"), (size / 8).max(MIN_ZONE))?,
        })
    }

    /// Runs `f` on the key table with `key_id`'s fingerprint.
    pub fn with_key<R>(
        &self,
        key_id: &str,
        f: impl FnOnce(&mut Table<StoredKey>, &[u8; KEY_LEN]) -> R,
    ) -> Option<R> {
        self.keys.with_table(|t| {
            let fp = fingerprint(&t.secret(), key_id.as_bytes());
            f(t, &fp)
        })
    }

    /// Records a signature value as seen until `until` (msec); true if it
    /// was seen before (a replay).
    pub fn seen_before(&self, signature: &[u8], now: u64, until: u64) -> bool {
        self.seen
            .with_table(|t| {
                let fp = fingerprint(&t.secret(), signature);
                t.update(&fp, now, |cur| match cur {
                    Some(_) => (None, true),
                    None => (Some((1u8, until)), false),
                })
            })
            .unwrap_or(false)
    }
}
