//! The zone of DNS answers (`fediguard_verify_zone`): per client address,
//! its PTR name and whether it resolves back; per address and instance
//! host, whether the host resolves to the address. LRU, kept across
//! reloads (`glue::zone`).

use crate::glue::directive::Directive;
use fediguard_core::claim::Answer;
use fediguard_core::shm_table::Table;
use fediguard_core::stats::CacheStats;

use crate::glue::zone::SharedZone;
use crate::limit::budget::Budget;

/// How long an answer is trusted unless `valid=` says otherwise.
pub const DEFAULT_VALID_MS: u64 = 3_600_000;
/// How long "no answer" (timeout, server failure) is kept, at most: the
/// next request after it asks again.
pub const FAILED_MS: u64 = 10_000;
/// Lookups in flight per worker unless `lookups=` says otherwise.
pub const DEFAULT_LOOKUPS: u32 = 64;

#[derive(Debug)]
pub struct ClaimZone {
    /// `valid=`: how long an answer is trusted (msec).
    pub valid_ms: u64,
    /// `lookups=`: most lookups in flight per worker.
    pub lookups: u32,
    /// New lookups per client (`lookup_rate=`, `lookup_burst=`,
    /// `lookup_key=`).
    pub budget: Budget,
    zone: SharedZone<Answer>,
}

impl ClaimZone {
    pub fn add(
        d: &Directive,
        name: &str,
        size: usize,
        valid_ms: u64,
        lookups: u32,
        budget: Budget,
    ) -> Result<ClaimZone, String> {
        Ok(ClaimZone {
            valid_ms,
            lookups,
            budget,
            zone: SharedZone::add(d, name, size)?,
        })
    }

    pub fn with_table<R>(&self, f: impl FnOnce(&mut Table<Answer>) -> R) -> Option<R> {
        self.zone.with_table(f)
    }

    /// How long a finished answer is kept.
    pub fn ttl(&self, failed: bool) -> u64 {
        if failed {
            FAILED_MS.min(self.valid_ms)
        } else {
            self.valid_ms
        }
    }

    /// The zone's occupancy, for the metrics.
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.zone.cache_stats()
    }
}
