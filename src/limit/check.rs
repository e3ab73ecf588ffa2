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
use nginx_sys::ngx_http_request_t;
use ngx::http::Request;

use super::conf::{Cost, LimitMain, LimitRef, MAX_LIMITS};
use super::zone::LimitZone;
use crate::glue::time::now_ms;
use crate::glue::var_value;
use crate::metrics::count;
use crate::metrics::zone::StatsConf;

pub enum Decision {
    Pass,
    Delay(u64),
    Reject {
        /// Index into `LimitMain::zones`.
        zone: usize,
        limit: Limit,
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
        // SAFETY: the complex value was compiled into the cycle's pool.
        Cost::Computed(cv) => unsafe { cv.as_ref() }
            .and_then(|cv| r.get_complex_value(cv))
            .and_then(|v| parse_cost(v.as_bytes()))
            .unwrap_or(default),
    }
}

pub(super) type Items<'a> = ([Option<Item<'a>>; MAX_LIMITS], usize);

/// The limits that apply: those whose key is not empty.
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

/// The zone's key for this request.
fn key_of<'a>(r: &'a Request, zone: &LimitZone) -> Option<&'a [u8]> {
    if let Some(index) = zone.key_var {
        let raw: *mut ngx_http_request_t = (r as *const Request).cast_mut().cast();
        // SAFETY: index came from ngx_http_get_variable_index for this
        // cycle; the value lives in the request's pool.
        let v = unsafe { nginx_sys::ngx_http_get_flushed_variable(raw, index).as_ref()? };
        return Some(var_value::read(v).unwrap_or(&[]));
    }
    // SAFETY: the key was compiled into the cycle's pool.
    let cv = unsafe { zone.key.as_ref()? };
    r.get_complex_value(cv).map(|k| k.as_bytes())
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
    let key = key_of(r, zone)?;
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

pub fn check(
    r: &Request,
    mcf: &LimitMain,
    limits: &[LimitRef],
    stats: Option<&StatsConf>,
) -> Decision {
    // The usual case, one limit: checked and charged in one step.
    if let [l] = limits {
        let Some(it) = item(r, mcf, l, 1000) else {
            return Decision::Pass;
        };
        let d = match one(&it, now_ms(), true) {
            Some(Outcome::Reject { excess }) => Decision::Reject {
                zone: it.index,
                limit: it.limit,
                excess,
            },
            Some(Outcome::Pass { bucket }) => match delay_ms(&it.limit, bucket.excess) {
                0 => Decision::Pass,
                ms => Decision::Delay(ms),
            },
            None => Decision::Pass,
        };
        let outcome = match d {
            Decision::Pass => count::LIMIT_PASSED,
            Decision::Delay(_) => count::LIMIT_DELAYED,
            Decision::Reject { .. } => count::LIMIT_REJECTED,
        };
        count::limit(stats, it.index, outcome);
        return d;
    }
    let (slots, n) = items(r, mcf, limits, 1000);
    let items = &slots[..n];
    let Some(last) = n.checked_sub(1) else {
        return Decision::Pass;
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
                    limit: it.limit,
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
    let mut delay = 0;
    for (it, &e) in items.iter().zip(&excess) {
        let Some(it) = it else { continue };
        let d = delay_ms(&it.limit, e);
        let outcome = if d > 0 {
            count::LIMIT_DELAYED
        } else {
            count::LIMIT_PASSED
        };
        count::limit(stats, it.index, outcome);
        delay = delay.max(d);
    }
    if delay > 0 {
        Decision::Delay(delay)
    } else {
        Decision::Pass
    }
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
