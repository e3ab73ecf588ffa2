//! Admin visibility: counters shared by all workers, the ring of recently
//! registered apps, and their Prometheus and JSON renderings and the
//! status page (`page`: HTML for browsers).
//!
//! Everything lives in one block of memory given by the caller (an nginx
//! shared zone in the module, a plain buffer in tests). Counters are
//! relaxed atomics, bumped on the request path without a lock; the ring's
//! texts are written and read under the caller's lock (nginx's slab mutex),
//! while its per-app request counts are atomics too.

mod counters;
mod exposition;
mod family;
pub mod page;
mod ring;
mod snapshot;
mod text;
mod time;
mod verify_metrics;
mod zone;

pub use counters::{
    Counters, NameSlot, DENY, DRY_RUN, NAME_CAP, NAME_SLOTS, SLOT_CLASS, SLOT_LIMIT, SLOT_VERIFY,
};
pub use exposition::{json, prometheus, wants_json};
pub use ring::{AppEntry, AppRef, AppView, Seen, TOKENS_KEPT};
pub use snapshot::{CacheStats, LimitStats, Snapshot, VerifyStats};
pub use time::iso8601;
pub use zone::StatsZone;

#[cfg(test)]
mod tests;
