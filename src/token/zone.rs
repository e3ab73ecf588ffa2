//! The token verdict zone (`fediguard_token_zone`).

use crate::glue::directive::Directive;
use fediguard_core::stats::CacheStats;
use fediguard_core::verdict_cache::{Cached, Table};

use crate::glue::log::ConfPlace;
use crate::glue::zone::SharedZone;
use crate::limit::budget::Budget;

/// Verdict lifetimes per class, in milliseconds.
#[derive(Clone, Copy, Debug)]
pub struct Lifetimes {
    pub user: u64,
    pub app: u64,
    pub invalid: u64,
    pub unknown: u64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            user: 600_000,
            app: 600_000,
            invalid: 60_000,
            unknown: 5_000,
        }
    }
}

#[derive(Debug)]
pub struct TokenZone {
    pub lifetimes: Lifetimes,
    /// `sync`: verdicts are shared with the other hosts through Redis.
    pub sync: bool,
    /// Where the zone was marked `sync`.
    pub place: ConfPlace,
    /// New verifications per client, and in flight per worker.
    pub budget: Budget,
    /// Most verifications under way at once in one worker.
    pub in_flight: u32,
    zone: SharedZone<Cached>,
}

impl TokenZone {
    pub fn add(
        d: &Directive,
        name: &str,
        size: usize,
        lifetimes: Lifetimes,
        sync: bool,
        budget: Budget,
        in_flight: u32,
    ) -> Result<TokenZone, String> {
        Ok(TokenZone {
            lifetimes,
            sync,
            place: d.place.clone(),
            budget,
            in_flight,
            zone: SharedZone::add(d, name, size)?,
        })
    }

    pub fn with_table<R>(&self, f: impl FnOnce(&mut Table) -> R) -> Option<R> {
        self.zone.with_table(f)
    }

    /// The verdict table's zone, to keep past a borrow of the
    /// configuration (a request's end).
    pub fn table_zone(&self) -> SharedZone<Cached> {
        self.zone
    }
}

/// The verdict cache's counters, for the metrics.
impl TokenZone {
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.zone.cache_stats()
    }
}
