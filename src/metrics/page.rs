//! `fediguard_metrics`: the page that shows the counters,
//! Prometheus text by default, JSON with `?format=json` (with the recent
//! apps), and the status page for browsers with `?format=html` or a
//! browser's `Accept: text/html`. Only GET and HEAD.

use core::sync::atomic::Ordering::Relaxed;
use fediguard_core::reason::Reason;
use fediguard_core::stats::page::{self, Format};
use fediguard_core::stats::{json, prometheus, CacheStats, LimitStats, Snapshot, DENY, DRY_RUN};
use fediguard_core::token::TokenClass;
use nginx_sys::{
    ngx_int_t, NGX_HTTP_GET, NGX_HTTP_HEAD, NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_HTTP_NOT_ALLOWED,
    NGX_OK,
};
use ngx::http::Request;

use crate::glue::respond::{self, send};

use super::count::{LIMIT_DELAYED, LIMIT_PASSED, LIMIT_REJECTED};
use crate::glue::stats_zone::{StatsConf, NO_SLOT};

const TOKEN_CLASSES: [TokenClass; 7] = [
    TokenClass::None,
    TokenClass::Malformed,
    TokenClass::Invalid,
    TokenClass::App,
    TokenClass::User,
    TokenClass::Unknown,
    TokenClass::Limited,
];
const OUTCOMES: [TokenClass; 4] = [
    TokenClass::User,
    TokenClass::App,
    TokenClass::Invalid,
    TokenClass::Unknown,
];

/// What the page shows of the other capabilities, read by the caller.
pub struct Sources<'a> {
    /// Agent class names, by class id.
    pub classes: Vec<String>,
    pub verdict_cache: Option<CacheStats>,
    /// Each limit zone's name and (keys, capacity, evictions).
    pub limit_zones: Vec<(&'a str, (u64, u64, u64))>,
    /// The zone of agent verification answers.
    pub verify_zone: Option<CacheStats>,
}

/// Answers a `fediguard_metrics` request.
pub fn serve(req: &mut Request, stats: Option<&StatsConf>, sources: &Sources) -> ngx_int_t {
    let method = req.as_ref().method;
    if method != NGX_HTTP_GET as usize && method != NGX_HTTP_HEAD as usize {
        return NGX_HTTP_NOT_ALLOWED as ngx_int_t;
    }
    let rc = respond::discard_body(req);
    if rc != NGX_OK as ngx_int_t {
        return rc;
    }
    let snap = snapshot(stats, sources);
    let accept = req
        .headers_in_iterator()
        .find(|(k, _)| k.as_bytes().eq_ignore_ascii_case(b"accept"))
        .map(|(_, v)| v.as_bytes());
    let format = page::negotiate(req.as_ref().args.as_bytes(), accept);
    let (body, ctype) = match format {
        Format::Json => (json(&snap), "application/json"),
        Format::Html => (page::html(&snap, unix_now()), "text/html; charset=utf-8"),
        Format::Prometheus => (
            prometheus(&snap),
            "text/plain; version=0.0.4; charset=utf-8",
        ),
    };
    // The same address answers three formats, by the query or Accept.
    let mut headers = vec![
        ("Vary", "Accept"),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ];
    if format == Format::Html {
        headers.push(("Content-Security-Policy", page::csp()));
        headers.push(("Referrer-Policy", "no-referrer"));
    }
    for (name, value) in headers {
        if req.add_header_out(name, value).is_none() {
            return NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
        }
    }
    send(req, ctype, body.as_bytes())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Every number, read now.
fn snapshot(stats: Option<&StatsConf>, sources: &Sources) -> Snapshot {
    let mut s = Snapshot::default();
    let zone = stats.and_then(|c| c.zone());
    let counters = zone.as_ref().map(|z| z.counters());
    let get = |f: &dyn Fn(&fediguard_core::stats::Counters) -> u64| counters.map_or(0, f);
    s.decisions = Reason::ALL
        .iter()
        .map(|&r| {
            let d = |a: usize| get(&|c| c.decision_count(r, a));
            (r.as_str(), d(DENY), d(DRY_RUN))
        })
        .collect();
    let slot_value = |slots: &[u16], i: usize, counter: usize| -> u64 {
        match (zone.as_ref(), slots.get(i)) {
            (Some(z), Some(&slot)) if slot != NO_SLOT => {
                z.slot(slot as usize).map_or(0, |s| s.get(counter))
            }
            _ => 0,
        }
    };
    let class_slots = stats.map_or(&[][..], |c| &c.class_slots[..]);
    s.agent_classes = sources
        .classes
        .iter()
        .enumerate()
        .map(|(i, name)| (name.clone(), slot_value(class_slots, i, 0)))
        .collect();
    s.token_classes = TOKEN_CLASSES
        .iter()
        .map(|&c| (c.as_str(), get(&|k| k.token_class_count(c))))
        .collect();
    s.verifications_started = get(&|c| c.verifications_started.load(Relaxed));
    s.verifications_coalesced = get(&|c| c.verifications_coalesced.load(Relaxed));
    s.verification_outcomes = OUTCOMES
        .iter()
        .map(|&c| {
            let n = get(&|k| k.verification_outcomes[c as usize].load(Relaxed));
            (c.as_str(), n)
        })
        .collect();
    s.verifications_limited = get(&|c| c.verifications_limited.load(Relaxed));
    s.verifications_capped = get(&|c| c.verifications_capped.load(Relaxed));
    s.backend_calls = get(&|c| c.backend_calls.load(Relaxed));
    s.backend_throttled = get(&|c| c.backend_throttled.load(Relaxed));
    s.backend_paused = get(&|c| c.backend_paused.load(Relaxed));
    s.verdict_cache = sources.verdict_cache.clone();
    let limit_slots = stats.map_or(&[][..], |c| &c.limit_slots[..]);
    s.limit_zones = sources
        .limit_zones
        .iter()
        .enumerate()
        .map(|(i, &(name, (nodes, capacity, evictions)))| LimitStats {
            zone: name.to_string(),
            passed: slot_value(limit_slots, i, LIMIT_PASSED),
            delayed: slot_value(limit_slots, i, LIMIT_DELAYED),
            rejected: slot_value(limit_slots, i, LIMIT_REJECTED),
            nodes,
            capacity,
            evictions,
        })
        .collect();
    let verify_slots = stats.map_or(&[][..], |c| &c.verify_slots[..]);
    s.claims.claims = sources
        .classes
        .iter()
        .enumerate()
        .filter(|&(i, _)| verify_slots.get(i).is_some_and(|&s| s != NO_SLOT))
        .map(|(i, name)| {
            let n = |counter| slot_value(verify_slots, i, counter);
            (name.clone(), [n(0), n(1), n(2)])
        })
        .collect();
    s.claims.lookups = get(&|c| c.verify_lookups.load(Relaxed));
    s.claims.coalesced = get(&|c| c.verify_coalesced.load(Relaxed));
    s.claims.capped = get(&|c| c.verify_capped.load(Relaxed));
    s.claims.over_budget = get(&|c| c.verify_over_budget.load(Relaxed));
    s.claims.zone = sources.verify_zone.clone();
    s.app_registrations = get(&|c| c.app_registrations.load(Relaxed));
    s.client_credentials_grants = get(&|c| c.client_credentials_grants.load(Relaxed));
    s.grants_disputed = get(&|c| c.grants_disputed.load(Relaxed));
    if let Some(stats) = stats {
        if let Some((cap, apps)) = stats.with_lock(|z| (z.capacity() as u64, z.apps())) {
            s.apps_capacity = cap;
            s.apps = apps;
        }
    }
    s
}
