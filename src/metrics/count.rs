//! Counting on the request path: one relaxed atomic increment in the
//! stats zone per event, no lock. Nothing happens without a
//! `fediguard_metrics_zone` (the callers pass None).

use fediguard_core::agent::ClassId;
use fediguard_core::claim::Verified;
use fediguard_core::reason::Reason;
use fediguard_core::stats::{AppRef, StatsZone, DENY, DRY_RUN};
use fediguard_core::token::TokenClass;

use crate::glue::stats_zone::{StatsConf, NO_SLOT};

/// Outcomes of a limit, as counted (the slot's counter index).
pub const LIMIT_PASSED: usize = 0;
pub const LIMIT_DELAYED: usize = 1;
pub const LIMIT_REJECTED: usize = 2;

fn zone(stats: Option<&StatsConf>) -> Option<StatsZone> {
    stats?.zone()
}

pub fn decision(stats: Option<&StatsConf>, reason: Reason, dry_run: bool) {
    if let Some(z) = zone(stats) {
        z.counters()
            .decision(reason, if dry_run { DRY_RUN } else { DENY });
    }
}

pub fn agent(stats: Option<&StatsConf>, class: ClassId) {
    named(stats, |c| c.class_slots.get(class.index()), 0);
}

/// An agent claim verified (or not answered: None), by the agent's class.
pub fn verified(stats: Option<&StatsConf>, class: ClassId, result: Option<Verified>) {
    let counter = match result {
        Some(Verified::Yes) => 0,
        Some(Verified::No) => 1,
        None => 2,
    };
    named(stats, |c| c.verify_slots.get(class.index()), counter);
}

/// A grant not recorded: HTTP Basic and `client_id` named different
/// clients.
pub fn grant_disputed(stats: Option<&StatsConf>) {
    if let Some(z) = zone(stats) {
        StatsZone::bump_counter(&z.counters().grants_disputed);
    }
}

/// A DNS lookup started to verify an agent.
pub fn verify_lookup(stats: Option<&StatsConf>) {
    if let Some(z) = zone(stats) {
        StatsZone::bump_counter(&z.counters().verify_lookups);
    }
}

/// A request that waited for a lookup of its address already under way.
pub fn verify_coalesced(stats: Option<&StatsConf>) {
    if let Some(z) = zone(stats) {
        StatsZone::bump_counter(&z.counters().verify_coalesced);
    }
}

/// A lookup not started: too many in flight in the worker.
pub fn verify_over_budget(stats: Option<&StatsConf>) {
    if let Some(z) = zone(stats) {
        StatsZone::bump_counter(&z.counters().verify_over_budget);
    }
}

pub fn verify_capped(stats: Option<&StatsConf>) {
    if let Some(z) = zone(stats) {
        StatsZone::bump_counter(&z.counters().verify_capped);
    }
}

pub fn limit(stats: Option<&StatsConf>, zone_index: usize, outcome: usize) {
    named(stats, |c| c.limit_slots.get(zone_index), outcome);
}

/// Adds one to `counter` of the named slot (an agent class, a limit zone)
/// that `slot_of` picks, when the zone has one for it.
fn named(
    stats: Option<&StatsConf>,
    slot_of: impl FnOnce(&StatsConf) -> Option<&u16>,
    counter: usize,
) {
    let Some(c) = stats else { return };
    let (Some(z), Some(&slot)) = (c.zone(), slot_of(c)) else {
        return;
    };
    if slot != NO_SLOT {
        if let Some(s) = z.slot(slot as usize) {
            s.add(counter);
        }
    }
}

pub fn token(stats: Option<&StatsConf>, class: TokenClass) {
    if let Some(z) = zone(stats) {
        z.counters().token_class(class);
    }
}

pub fn verification_started(stats: Option<&StatsConf>) {
    if let Some(z) = zone(stats) {
        StatsZone::bump_counter(&z.counters().verifications_started);
    }
}

pub fn verification_coalesced(stats: Option<&StatsConf>) {
    if let Some(z) = zone(stats) {
        StatsZone::bump_counter(&z.counters().verifications_coalesced);
    }
}

pub fn verification_outcome(stats: Option<&StatsConf>, class: TokenClass) {
    if let Some(z) = zone(stats) {
        z.counters().verification_outcome(class);
    }
}

/// A request made with a watched app's token counts for the app, and as
/// denied when it was.
pub fn app_request(stats: Option<&StatsConf>, app: AppRef, denied: bool) {
    if app.is_none() {
        return;
    }
    if let Some(z) = zone(stats) {
        z.count_request(app, denied);
    }
}

/// A verification subrequest sent to the backend.
pub fn backend_call(stats: Option<&StatsConf>) {
    if let Some(z) = zone(stats) {
        StatsZone::bump_counter(&z.counters().backend_calls);
    }
}

/// A new token not verified: the client's budget was spent, or (with
/// `in_flight`) too many verifications were under way.
pub fn verification_refused(stats: Option<&StatsConf>, in_flight: bool) {
    if let Some(z) = zone(stats) {
        let c = z.counters();
        StatsZone::bump_counter(if in_flight {
            &c.verifications_capped
        } else {
            &c.verifications_limited
        });
    }
}

pub fn backend_throttled(stats: Option<&StatsConf>) {
    if let Some(z) = zone(stats) {
        StatsZone::bump_counter(&z.counters().backend_throttled);
    }
}

pub fn backend_paused(stats: Option<&StatsConf>) {
    if let Some(z) = zone(stats) {
        StatsZone::bump_counter(&z.counters().backend_paused);
    }
}
