//! What the metrics show, read at one time: the data both renderings
//! (`exposition.rs`, `claim_metrics.rs`) take.

use crate::shm_stats::AppView;

/// The counts of a shared table: the verdict cache, the verification zone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub entries: u64,
    pub capacity: u64,
}

/// The counts of one limit zone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LimitStats {
    pub zone: String,
    pub passed: u64,
    pub delayed: u64,
    pub rejected: u64,
    pub nodes: u64,
    pub capacity: u64,
    pub evictions: u64,
}

/// Everything the metrics show, read at one time.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// (reason, denied, would have been denied in dry_run)
    pub decisions: Vec<(&'static str, u64, u64)>,
    pub agent_classes: Vec<(String, u64)>,
    pub token_classes: Vec<(&'static str, u64)>,
    pub verifications_started: u64,
    pub verifications_coalesced: u64,
    pub verification_outcomes: Vec<(&'static str, u64)>,
    /// New tokens not verified: budget spent, too many in flight.
    pub verifications_limited: u64,
    pub verifications_capped: u64,
    /// Subrequests sent to the backend to verify tokens.
    pub backend_calls: u64,
    /// The backend's 429s, and its pauses (5xx with Retry-After).
    pub backend_throttled: u64,
    pub backend_paused: u64,
    pub verdict_cache: Option<CacheStats>,
    pub limit_zones: Vec<LimitStats>,
    /// Agent verification (rendered by `claim_metrics.rs`).
    pub claims: ClaimStats,
    pub app_registrations: u64,
    pub client_credentials_grants: u64,
    /// Grants not recorded: HTTP Basic and `client_id` disagreed.
    pub grants_disputed: u64,
    /// Records in the ring and how many it holds.
    pub apps_capacity: u64,
    /// Newest first.
    pub apps: Vec<AppView>,
}

/// The metrics of agent verification.
#[derive(Clone, Debug, Default)]
pub struct ClaimStats {
    /// Per class with a verification method: (class, yes, no, no answer).
    pub claims: Vec<(String, [u64; 3])>,
    pub lookups: u64,
    pub coalesced: u64,
    pub capped: u64,
    /// Lookups not started: the client's budget was spent.
    pub over_budget: u64,
    /// The zone of answers, when there is one.
    pub zone: Option<CacheStats>,
}
