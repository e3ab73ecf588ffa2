//! A limit zone (`fediguard_limit_zone`): its rate, its key, and its
//! buckets in shared memory, this host's own or its view of the cluster's.

use fediguard_core::cluster::{until_for, ClusterBucket};
use fediguard_core::fingerprint::fingerprint;
use fediguard_core::limit::Bucket;

use crate::glue::key::Key;
use crate::glue::log::ConfPlace;
use crate::glue::zone::SharedZone;

/// `fediguard_limit_zone key zone=name:size rate=...`.
#[derive(Debug)]
pub struct LimitZone {
    pub name: String,
    /// Milli-requests per second.
    pub rate: u64,
    pub key: Key,
    /// The key names a token variable: the zone's limits wait for the
    /// token's verification.
    pub key_uses_token: bool,
    /// Likewise `$fediguard_agent_verified`: checked after the claim is.
    pub key_uses_claim: bool,
    /// Likewise `$fediguard_signer` and `$fediguard_signature*`: checked
    /// after the signature is.
    pub key_uses_signer: bool,
    pub zone: LimitTable,
    /// For a `sync` zone: how long a bucket is kept at least (msec), set
    /// from `fediguard_redis`'s interval.
    pub keep_ms: u64,
    /// Where the zone was defined (for a `sync` zone without Redis).
    pub place: ConfPlace,
}

/// A zone's buckets: this host's alone, or its view of the cluster's.
#[derive(Debug)]
pub enum LimitTable {
    Local(SharedZone<Bucket>),
    Cluster(SharedZone<ClusterBucket>),
}

impl LimitZone {
    /// Runs `f` on `key`'s bucket under the zone's lock; when `f` stores a
    /// bucket, `cost` is what the request was charged (for a `sync` zone,
    /// it is sent to the cluster in the next round).
    pub fn update<R>(
        &self,
        key: &[u8],
        now: u64,
        cost: u64,
        f: impl FnOnce(Option<Bucket>) -> (Option<(Bucket, u64)>, R),
    ) -> Option<R> {
        match &self.zone {
            LimitTable::Local(z) => z.with_table(|t| {
                let fp = fingerprint(&t.secret(), key);
                t.update(&fp, now, f)
            }),
            LimitTable::Cluster(z) => z.with_table(|t| {
                let fp = fingerprint(&t.secret(), key);
                t.update_marked(&fp, now, true, |current| {
                    let (new, out) = f(current.map(|c| c.bucket));
                    let stored = new.map(|(bucket, _)| {
                        let pending = current.map_or(0, |c| c.pending).saturating_add(cost);
                        let until = until_for(self.rate, &bucket, now, self.keep_ms);
                        (ClusterBucket { bucket, pending }, until)
                    });
                    (stored, out)
                })
            }),
        }
    }
}

impl LimitZone {
    /// Live keys, capacity and evictions, for the metrics.
    pub fn occupancy(&self) -> Option<(u64, u64, u64)> {
        match &self.zone {
            LimitTable::Local(z) => {
                z.with_table(|t| (t.len() as u64, t.capacity() as u64, t.stats().evictions))
            }
            LimitTable::Cluster(z) => {
                z.with_table(|t| (t.len() as u64, t.capacity() as u64, t.stats().evictions))
            }
        }
    }
}

impl LimitZone {
    /// Shared with the other hosts through Redis.
    pub fn is_sync(&self) -> bool {
        matches!(self.zone, LimitTable::Cluster(_))
    }
}
