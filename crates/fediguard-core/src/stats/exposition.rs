//! The metrics as Prometheus text exposition (format 0.0.4) and as JSON.
//! Both render the same `Snapshot`; neither ever holds a token (records
//! keep fingerprints, and those are not rendered either).

use serde_json::{json, Map, Value};

use super::claim_metrics;
use super::family::Family;
use super::snapshot::{CacheStats, LimitStats, Snapshot};
use super::time::iso8601;
use crate::shm_stats::AppView;

/// Prometheus text exposition.
pub fn prometheus(s: &Snapshot) -> String {
    let mut out = String::with_capacity(4096);
    let o = &mut out;
    let mut f = Family::new(
        o,
        "fediguard_decisions_total",
        "counter",
        "Requests denied (action=deny) or that would have been (action=dry_run), by reason.",
    );
    for (reason, deny, dry) in &s.decisions {
        f.sample(&[("reason", reason), ("action", "deny")], *deny);
        f.sample(&[("reason", reason), ("action", "dry_run")], *dry);
    }
    let mut f = Family::new(
        o,
        "fediguard_agent_requests_total",
        "counter",
        "Requests whose User-Agent was classified, by agent class.",
    );
    for (class, n) in &s.agent_classes {
        f.sample(&[("class", class)], *n);
    }
    let mut f = Family::new(
        o,
        "fediguard_token_requests_total",
        "counter",
        "Requests whose token was classified, by token class.",
    );
    for (class, n) in &s.token_classes {
        f.sample(&[("class", class)], *n);
    }
    let mut f = Family::new(
        o,
        "fediguard_verifications_started_total",
        "counter",
        "Token verifications started (a new token sent to the backend).",
    );
    f.sample(&[], s.verifications_started);
    let mut f = Family::new(
        o,
        "fediguard_verifications_coalesced_total",
        "counter",
        "Requests that waited for a verification of the same token under way.",
    );
    f.sample(&[], s.verifications_coalesced);
    let mut f = Family::new(
        o,
        "fediguard_verifications_total",
        "counter",
        "Finished token verifications, by the class found.",
    );
    for (class, n) in &s.verification_outcomes {
        f.sample(&[("outcome", class)], *n);
    }
    let mut f = Family::new(
        o,
        "fediguard_verifications_refused_total",
        "counter",
        "New tokens not verified: the client's budget was spent, or too many verifications were in flight.",
    );
    f.sample(&[("why", "budget")], s.verifications_limited);
    f.sample(&[("why", "in_flight")], s.verifications_capped);
    let mut f = Family::new(
        o,
        "fediguard_backend_calls_total",
        "counter",
        "Verification subrequests sent to the backend.",
    );
    f.sample(&[], s.backend_calls);
    let mut f = Family::new(
        o,
        "fediguard_backend_slowdowns_total",
        "counter",
        "The backend asked verification to slow down: 429 (throttled), or 5xx with Retry-After (paused).",
    );
    f.sample(&[("kind", "throttled")], s.backend_throttled);
    f.sample(&[("kind", "paused")], s.backend_paused);
    if let Some(c) = &s.verdict_cache {
        cache(o, c);
    }
    limits(o, &s.limit_zones);
    claim_metrics::prometheus(o, &s.claims);
    let mut f = Family::new(
        o,
        "fediguard_app_registrations_total",
        "counter",
        "Successful app registrations (POST /api/v1/apps) seen by fediguard_app_watch.",
    );
    f.sample(&[], s.app_registrations);
    let mut f = Family::new(
        o,
        "fediguard_client_credentials_grants_total",
        "counter",
        "Tokens granted with grant_type=client_credentials seen by fediguard_app_watch.",
    );
    f.sample(&[], s.client_credentials_grants);
    let mut f = Family::new(
        o,
        "fediguard_client_credentials_grants_disputed_total",
        "counter",
        "Grants not recorded because HTTP Basic and the client_id parameter named different clients.",
    );
    f.sample(&[], s.grants_disputed);
    let mut f = Family::new(
        o,
        "fediguard_apps_recent",
        "gauge",
        "Apps in the ring of recent registrations and grants.",
    );
    f.sample(&[], s.apps.len() as u64);
    let mut f = Family::new(
        o,
        "fediguard_apps_capacity",
        "gauge",
        "Apps the ring holds before the oldest is overwritten.",
    );
    f.sample(&[], s.apps_capacity);
    out
}

fn cache(o: &mut String, c: &CacheStats) {
    let rows: [(&'static str, &str, &str, u64); 5] = [
        (
            "fediguard_verdict_cache_hits_total",
            "counter",
            "Token verdict lookups answered from the cache.",
            c.hits,
        ),
        (
            "fediguard_verdict_cache_misses_total",
            "counter",
            "Token verdict lookups that found nothing (or an expired verdict).",
            c.misses,
        ),
        (
            "fediguard_verdict_cache_evictions_total",
            "counter",
            "Verdicts evicted to make room (the zone was full).",
            c.evictions,
        ),
        (
            "fediguard_verdict_cache_entries",
            "gauge",
            "Tokens in the verdict cache.",
            c.entries,
        ),
        (
            "fediguard_verdict_cache_capacity",
            "gauge",
            "Tokens the verdict cache holds.",
            c.capacity,
        ),
    ];
    for (name, kind, help, v) in rows {
        Family::new(o, name, kind, help).sample(&[], v);
    }
}

fn limits(o: &mut String, zones: &[LimitStats]) {
    let mut f = Family::new(
        o,
        "fediguard_limit_requests_total",
        "counter",
        "Requests checked by a fediguard_limit, by zone and outcome (dry_run included).",
    );
    for z in zones {
        for (outcome, v) in [
            ("passed", z.passed),
            ("delayed", z.delayed),
            ("rejected", z.rejected),
        ] {
            f.sample(&[("zone", &z.zone), ("outcome", outcome)], v);
        }
    }
    type Field = fn(&LimitStats) -> u64;
    let rows: [(&'static str, &str, &str, Field); 3] = [
        (
            "fediguard_limit_nodes",
            "gauge",
            "Keys with a live bucket in the zone.",
            |z| z.nodes,
        ),
        (
            "fediguard_limit_capacity",
            "gauge",
            "Keys the zone holds.",
            |z| z.capacity,
        ),
        (
            "fediguard_limit_evictions_total",
            "counter",
            "Live buckets evicted to make room (the zone was full).",
            |z| z.evictions,
        ),
    ];
    for (name, kind, help, field) in rows {
        let mut f = Family::new(o, name, kind, help);
        for z in zones {
            f.sample(&[("zone", &z.zone)], field(z));
        }
    }
}

fn app_json(a: &AppView) -> Value {
    let time = |t: u64| {
        if t == 0 {
            Value::Null
        } else {
            Value::String(iso8601(t))
        }
    };
    // When the app was first seen: its registration, or its first grant
    // when it registered before fediguard watched.
    let first = if a.registered_at != 0 {
        a.registered_at
    } else {
        a.last_grant_at
    };
    json!({
        "time": time(first),
        "unix_time": first,
        "registered": a.registered_at != 0,
        "name": a.name,
        "website": a.website,
        "scopes": a.scopes,
        "redirect_uri": a.redirect_uri,
        "client_id": a.client_id,
        "client": a.client,
        "agent": a.agent,
        "tokens_granted": a.tokens_granted,
        "last_grant": time(a.last_grant_at),
        "requests": a.requests,
        "denied": a.denied,
    })
}

fn pairs<'a>(it: impl Iterator<Item = (&'a str, u64)>) -> Value {
    Value::Object(it.map(|(k, v)| (k.to_string(), json!(v))).collect())
}

/// The same numbers as JSON, with the recent apps.
pub fn json(s: &Snapshot) -> String {
    let decisions: Map<String, Value> = s
        .decisions
        .iter()
        .map(|(r, d, dr)| (r.to_string(), json!({"deny": d, "dry_run": dr})))
        .collect();
    let zones: Map<String, Value> = s
        .limit_zones
        .iter()
        .map(|z| {
            (
                z.zone.clone(),
                json!({"passed": z.passed, "delayed": z.delayed, "rejected": z.rejected,
                       "nodes": z.nodes, "capacity": z.capacity, "evictions": z.evictions}),
            )
        })
        .collect();
    let v = json!({
        "decisions": decisions,
        "agent_classes": pairs(s.agent_classes.iter().map(|(k, v)| (k.as_str(), *v))),
        "token_classes": pairs(s.token_classes.iter().map(|(k, v)| (*k, *v))),
        "verifications": {
            "started": s.verifications_started,
            "coalesced": s.verifications_coalesced,
            "outcomes": pairs(s.verification_outcomes.iter().map(|(k, v)| (*k, *v))),
            "refused_budget": s.verifications_limited,
            "refused_in_flight": s.verifications_capped,
            "backend_calls": s.backend_calls,
            "backend_throttled": s.backend_throttled,
            "backend_paused": s.backend_paused,
        },
        "verdict_cache": s.verdict_cache.as_ref().map(|c| json!({
            "hits": c.hits, "misses": c.misses, "evictions": c.evictions,
            "entries": c.entries, "capacity": c.capacity,
        })),
        "limit_zones": zones,
        "agent_verification": claim_metrics::json(&s.claims),
        "app_registrations": s.app_registrations,
        "client_credentials_grants": s.client_credentials_grants,
        "client_credentials_grants_disputed": s.grants_disputed,
        "apps_capacity": s.apps_capacity,
        "apps": s.apps.iter().map(app_json).collect::<Vec<_>>(),
    });
    let mut text = v.to_string();
    text.push('\n');
    text
}

/// `?format=json` asks for JSON; anything else gets the text exposition.
pub fn wants_json(query: &[u8]) -> bool {
    form_urlencoded::parse(query).any(|(k, v)| k == "format" && v == "json")
}
