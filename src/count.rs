//! Counting on the request path: one relaxed atomic increment in the
//! stats zone per event, no lock. Nothing happens without a
//! `fediguard_metrics_zone`.

use fediguard_core::agent::ClassId;
use fediguard_core::reason::Reason;
use fediguard_core::stats::{StatsZone, DENY, DRY_RUN};
use fediguard_core::token::TokenClass;
use nginx_sys::{ngx_http_request_t, ngx_int_t, NGX_OK};
use ngx::http::{HttpModuleLocationConf, HttpModuleMainConf, Request};

use crate::stats_zone::{StatsConf, NO_SLOT};
use crate::Module;

/// Outcomes of a limit, as counted (the slot's counter index).
pub const LIMIT_PASSED: usize = 0;
pub const LIMIT_DELAYED: usize = 1;
pub const LIMIT_REJECTED: usize = 2;

pub fn conf(r: &Request) -> Option<&'static StatsConf> {
    Module::main_conf(r)?.stats.as_deref()
}

fn zone(r: &Request) -> Option<StatsZone> {
    conf(r)?.zone()
}

pub fn decision(r: &Request, reason: Reason, dry_run: bool) {
    if let Some(z) = zone(r) {
        z.counters()
            .decision(reason, if dry_run { DRY_RUN } else { DENY });
    }
}

pub fn agent(r: &Request, class: ClassId) {
    named(r, |c| c.class_slots.get(class.index()), 0);
}

pub fn limit(r: &Request, zone_index: usize, outcome: usize) {
    named(r, |c| c.limit_slots.get(zone_index), outcome);
}

/// Adds one to `counter` of the named slot (an agent class, a limit zone)
/// that `slot_of` picks, when the zone has one for it.
fn named(r: &Request, slot_of: impl FnOnce(&StatsConf) -> Option<&u16>, counter: usize) {
    let Some(c) = conf(r) else { return };
    let (Some(z), Some(&slot)) = (c.zone(), slot_of(c)) else {
        return;
    };
    if slot != NO_SLOT {
        if let Some(s) = z.slot(slot as usize) {
            s.add(counter);
        }
    }
}

pub fn token(r: &Request, class: TokenClass) {
    if let Some(z) = zone(r) {
        z.counters().token_class(class);
    }
}

pub fn verification_started(r: &Request) {
    if let Some(z) = zone(r) {
        StatsZone::bump_counter(&z.counters().verifications_started);
    }
}

pub fn verification_coalesced(r: &Request) {
    if let Some(z) = zone(r) {
        StatsZone::bump_counter(&z.counters().verifications_coalesced);
    }
}

pub fn verification_outcome(r: &Request, class: TokenClass) {
    if let Some(z) = zone(r) {
        z.counters().verification_outcome(class);
    }
}

/// Log phase: a request made with a watched app's token counts for the
/// app, and as denied when it was.
pub unsafe extern "C" fn log_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    let req = Request::from_ngx_http_request(r);
    if !req.is_main() {
        return NGX_OK as ngx_int_t;
    }
    // Where fediguard is off in the final location, nothing is charged or
    // counted (the location that checked the token may be another one,
    // after try_files or error_page, but it is on there too).
    let Some(lcf) = Module::location_conf(req) else {
        return NGX_OK as ngx_int_t;
    };
    if lcf.mode() != fediguard_core::conf_value::Mode::Off {
        crate::limit_check::after(req, lcf);
        app_request(req);
    }
    NGX_OK as ngx_int_t
}

fn app_request(r: &Request) {
    let Some(ctx) = crate::request_ctx::find(r) else {
        return;
    };
    if ctx.token.app.is_none() {
        return;
    }
    if let Some(z) = zone(r) {
        z.count_request(ctx.token.app, ctx.denied);
    }
}
