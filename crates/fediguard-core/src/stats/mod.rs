//! Admin visibility: counters shared by all workers, the ring of recently
//! registered apps, and their Prometheus and JSON renderings and the
//! status page (`page`: HTML for browsers).
//!
//! Everything lives in one block of memory given by the caller (an nginx
//! shared zone in the module, a plain buffer in tests), laid out by
//! `shm_stats` (the only part that touches the raw memory; its types are
//! re-exported here). Counters are relaxed atomics, bumped on the request
//! path without a lock; the ring's texts are written and read under the
//! caller's lock (nginx's slab mutex), while its per-app request counts are
//! atomics too.

mod claim_metrics;
mod exposition;
mod family;
pub mod page;
mod snapshot;
mod time;

pub use crate::shm_stats::{
    AppEntry, AppRef, AppView, Counters, NameSlot, OwnedStatsZone, Seen, StatsZone, DENY, DRY_RUN,
    NAME_CAP, NAME_SLOTS, SLOT_CLASS, SLOT_LIMIT, SLOT_VERIFY, TOKENS_KEPT,
};
pub use exposition::{json, prometheus, wants_json};
pub use snapshot::{CacheStats, ClaimStats, LimitStats, Snapshot};
pub use time::iso8601;

#[cfg(test)]
mod tests;
