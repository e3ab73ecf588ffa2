//! Applying `fediguard_limit`s (access phase) and `fediguard_limit_after`s
//! (log phase).
//!
//! Several limits on a location are all checked and the strictest wins; a
//! rejection charges none of them (limit_req's semantics). The last limit
//! is checked and charged in one step under its zone's lock, so a single
//! limit is exact across workers.

use fediguard_core::limit::{
    charge, delay_ms, drained_at, parse_cost, retry_after_secs, Limit, Outcome,
};
use ngx::http::Request;

use super::conf::{Cost, LimitMain, LimitRef, MAX_LIMITS};
use super::zone::LimitZone;
use crate::glue::stats_zone::StatsConf;
use crate::glue::time::now_ms;
use crate::metrics::count;

pub enum Decision {
    /// No limit applies: every key is empty (`$fediguard_limit_status` is
    /// then not found, as `$limit_req_status`).
    NotApplied,
    Pass,
    /// Delayed by `ms`; `zone` (index into `LimitMain::zones`) is the limit
    /// that asks the longest delay, `excess` its excess in milli-requests,
    /// for limit_req's "delaying request" line.
    Delay {
        ms: u64,
        zone: usize,
        excess: u64,
    },
    Reject {
        /// Index into `LimitMain::zones`.
        zone: usize,
        excess: u64,
    },
}

pub(super) struct Item<'a> {
    index: usize,
    pub zone: &'a LimitZone,
    pub limit: Limit,
    pub key: &'a [u8],
    pub cost: u64,
}

fn cost_of(r: &Request, cost: Cost, default: u64) -> u64 {
    match cost {
        Cost::Fixed(c) => c,
        Cost::Computed(cv) => cv.of(r).and_then(parse_cost).unwrap_or(default),
    }
}

pub(super) type Items<'a> = ([Option<Item<'a>>; MAX_LIMITS], usize);

/// The limits that apply: those whose key is not empty (for the log
/// phase's `fediguard_limit_after`).
pub(super) fn items<'a>(
    r: &'a Request,
    mcf: &'a LimitMain,
    limits: &[LimitRef],
    default_cost: u64,
) -> Items<'a> {
    let mut out: Items<'a> = ([const { None }; MAX_LIMITS], 0);
    for l in limits.iter().take(MAX_LIMITS) {
        if let Some(it) = item(r, mcf, l, default_cost) {
            out.0[out.1] = Some(it);
            out.1 += 1;
        }
    }
    out
}

/// Which of a location's limits one check applies.
#[derive(Clone, Copy)]
pub struct Select<'a> {
    /// Bit i set: `limits[i]` is still to be applied.
    pub pending: u16,
    /// Before a later step decides something a limit may read, the limits
    /// that read it wait for later.
    pub early: Option<Early<'a>>,
}

/// What is not decided yet when an early check runs.
#[derive(Clone, Copy)]
pub struct Early<'a> {
    /// The agent's claim (`$fediguard_agent_verified`).
    pub claim: bool,
    /// The token (`$fediguard_token_*`, `$fediguard_app_name`, ...).
    pub token: bool,
    /// The signer (`$fediguard_signer`, `$fediguard_signature*`).
    pub signer: bool,
    /// Whether such a variable was read since it was last asked: a key
    /// that reads one through a `map` waits too (the caller clears it
    /// before the check).
    pub read_later: &'a dyn Fn(&Request) -> bool,
}

/// Whether a limit waits for what `early` says is not decided yet, by
/// what its configuration names.
fn waits(early: &Early, l: &LimitRef, zone: Option<&LimitZone>) -> bool {
    let token = l.cost_uses_token || zone.is_some_and(|z| z.key_uses_token);
    let claim = l.cost_uses_claim || zone.is_some_and(|z| z.key_uses_claim);
    let signer = l.cost_uses_signer || zone.is_some_and(|z| z.key_uses_signer);
    (early.token && token) || (early.claim && claim) || (early.signer && signer)
}

/// Every limit of a location, as pending bits.
pub fn pending_all(limits: &[LimitRef]) -> u16 {
    match limits.len().min(MAX_LIMITS) {
        16.. => u16::MAX,
        n => (1u16 << n) - 1,
    }
}

/// The items of the selected limits, and the bits of the limits decided
/// here (all selected but those left for later).
fn selected<'a>(
    r: &'a Request,
    mcf: &'a LimitMain,
    limits: &[LimitRef],
    select: &Select,
) -> (Items<'a>, u16) {
    let mut out: Items<'a> = ([const { None }; MAX_LIMITS], 0);
    let mut decided = 0u16;
    for (i, l) in limits.iter().enumerate().take(MAX_LIMITS) {
        let bit = 1u16 << i;
        if select.pending & bit == 0 {
            continue;
        }
        let it = match select.early {
            None => item(r, mcf, l, 1000),
            Some(early) => {
                let zone = mcf.zones.get(l.zone);
                if waits(&early, l, zone) {
                    continue;
                }
                let it = item(r, mcf, l, 1000);
                if (early.read_later)(r) {
                    // Its key came through a variable decided later:
                    // computed again then.
                    if let Some(z) = zone {
                        z.key.forget(r);
                    }
                    continue;
                }
                it
            }
        };
        decided |= bit;
        if let Some(it) = it {
            out.0[out.1] = Some(it);
            out.1 += 1;
        }
    }
    (out, decided)
}

/// Looks at (and with `account`, charges) one limit.
fn one(it: &Item, now: u64, account: bool) -> Option<Outcome> {
    it.zone.update(it.key, now, it.cost, |current| {
        let out = charge(&it.limit, current, now, it.cost);
        let store = match (account, out) {
            (true, Outcome::Pass { bucket }) => Some((bucket, drained_at(&it.limit, &bucket))),
            _ => None,
        };
        (store, out)
    })
}

/// One limit's item, when its key is not empty.
fn item<'a>(
    r: &'a Request,
    mcf: &'a LimitMain,
    l: &LimitRef,
    default_cost: u64,
) -> Option<Item<'a>> {
    let zone = mcf.zones.get(l.zone)?;
    let key = zone.key.of(r)?;
    if key.is_empty() {
        return None;
    }
    Some(Item {
        index: l.zone,
        zone,
        limit: l.limit(zone),
        key,
        cost: cost_of(r, l.cost, default_cost),
    })
}

/// Applies the selected limits: the strictest wins, a rejection charges
/// none of them. Returns the decision and the bits of the limits decided
/// (the others wait for a later check).
pub fn check(
    r: &Request,
    mcf: &LimitMain,
    limits: &[LimitRef],
    select: &Select,
    stats: Option<&StatsConf>,
) -> (Decision, u16) {
    // The usual case, one limit applied at once: no list to build.
    if let [l] = limits {
        if select.pending & 1 == 0 {
            return (Decision::Pass, 0);
        }
        let zone = mcf.zones.get(l.zone);
        if select.early.is_some_and(|e| waits(&e, l, zone)) {
            return (Decision::Pass, 0);
        }
        let it = item(r, mcf, l, 1000);
        if let Some(e) = select.early {
            if (e.read_later)(r) {
                if let Some(z) = zone {
                    z.key.forget(r);
                }
                return (Decision::Pass, 0);
            }
        }
        return (apply(core::slice::from_ref(&it), stats), 1);
    }
    let (slots, decided) = selected(r, mcf, limits, select);
    let items = &slots.0[..slots.1];
    (apply(items, stats), decided)
}

fn apply(items: &[Option<Item>], stats: Option<&StatsConf>) -> Decision {
    // One limit: checked and charged in one step.
    if let [it] = items {
        let Some(it) = it else {
            return Decision::NotApplied;
        };
        let d = match one(it, now_ms(), true) {
            Some(Outcome::Reject { excess }) => Decision::Reject {
                zone: it.index,
                excess,
            },
            Some(Outcome::Pass { bucket }) => match delay_ms(&it.limit, bucket.excess) {
                0 => Decision::Pass,
                ms => Decision::Delay {
                    ms,
                    zone: it.index,
                    excess: bucket.excess,
                },
            },
            None => Decision::Pass,
        };
        let outcome = match d {
            Decision::Pass | Decision::NotApplied => count::LIMIT_PASSED,
            Decision::Delay { .. } => count::LIMIT_DELAYED,
            Decision::Reject { .. } => count::LIMIT_REJECTED,
        };
        count::limit(stats, it.index, outcome);
        return d;
    }
    let n = items.len();
    let Some(last) = n.checked_sub(1) else {
        return Decision::NotApplied;
    };
    let now = now_ms();
    // Every limit but the last is looked at first, charging nothing; the
    // last is checked and charged at once; then the others are charged.
    let mut excess = [0u64; MAX_LIMITS];
    for (i, it) in items.iter().enumerate() {
        let Some(it) = it else { continue };
        match one(it, now, i == last) {
            Some(Outcome::Reject { excess }) => {
                count::limit(stats, it.index, count::LIMIT_REJECTED);
                return Decision::Reject {
                    zone: it.index,
                    excess,
                };
            }
            Some(Outcome::Pass { bucket }) => excess[i] = bucket.excess,
            None => {}
        }
    }
    for (i, it) in items[..last].iter().enumerate() {
        let Some(it) = it else { continue };
        if let Some(Outcome::Pass { bucket }) = one(it, now, true) {
            excess[i] = bucket.excess;
        }
    }
    let mut longest = Decision::Pass;
    for (it, &e) in items.iter().zip(&excess) {
        let Some(it) = it else { continue };
        let d = delay_ms(&it.limit, e);
        let outcome = if d > 0 {
            count::LIMIT_DELAYED
        } else {
            count::LIMIT_PASSED
        };
        count::limit(stats, it.index, outcome);
        let longer = match longest {
            Decision::Delay { ms, .. } => d > ms,
            _ => d > 0,
        };
        if longer {
            longest = Decision::Delay {
                ms: d,
                zone: it.index,
                excess: e,
            };
        }
    }
    longest
}

/// The headers of a rejection: Retry-After and the IETF draft's
/// RateLimit-Policy / RateLimit.
pub fn add_reject_headers(r: &mut Request, zone: &LimitZone, limit: &Limit, excess: u64) {
    let retry = retry_after_secs(limit, excess);
    let quota = limit.burst / 1000 + 1;
    let window = ((limit.burst + 1000) as u128 * 1000)
        .div_ceil(limit.rate.max(1) as u128)
        .div_ceil(1000)
        .max(1);
    r.add_header_out("Retry-After", &retry.to_string());
    r.add_header_out(
        "RateLimit-Policy",
        &format!("\"{}\";q={quota};w={window}", zone.name),
    );
    r.add_header_out("RateLimit", &format!("\"{}\";r=0;t={retry}", zone.name));
}
