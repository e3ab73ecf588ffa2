//! The metrics of agent verification, in both renderings: claims by class
//! and result, DNS lookups, and the answers' zone.

use serde_json::{json, Value};

use super::family::Family;
use super::snapshot::ClaimStats;

const RESULTS: [&str; 3] = ["yes", "no", "none"];

pub(super) fn prometheus(o: &mut String, v: &ClaimStats) {
    let mut f = Family::new(
        o,
        "fediguard_agent_verifications_total",
        "counter",
        "Agent claims verified in the access phase, by agent class and result (none: no answer in time).",
    );
    for (class, counts) in &v.claims {
        for (result, n) in RESULTS.iter().zip(counts) {
            f.sample(&[("class", class), ("result", result)], *n);
        }
    }
    let rows: [(&'static str, &str, u64); 4] = [
        (
            "fediguard_verify_lookups_total",
            "DNS lookups started to verify agents (a PTR lookup and its forward confirmation, or an instance host).",
            v.lookups,
        ),
        (
            "fediguard_verify_coalesced_total",
            "Requests that waited for a lookup of their address already under way.",
            v.coalesced,
        ),
        (
            "fediguard_verify_capped_total",
            "Lookups not started: too many were in flight in the worker (the claim stays unverified).",
            v.capped,
        ),
        (
            "fediguard_verify_over_budget_total",
            "Lookups not started: the client's lookup budget was spent (the claim is \"no\").",
            v.over_budget,
        ),
    ];
    for (name, help, n) in rows {
        Family::new(o, name, "counter", help).sample(&[], n);
    }
    if let Some(z) = &v.zone {
        Family::new(
            o,
            "fediguard_verify_cache_entries",
            "gauge",
            "Addresses (and instance hosts) with an answer or a lookup in the verification zone.",
        )
        .sample(&[], z.entries);
        Family::new(
            o,
            "fediguard_verify_cache_capacity",
            "gauge",
            "Entries the verification zone holds.",
        )
        .sample(&[], z.capacity);
        Family::new(
            o,
            "fediguard_verify_cache_evictions_total",
            "counter",
            "Answers evicted to make room (the zone was full).",
        )
        .sample(&[], z.evictions);
    }
}

pub(super) fn json(v: &ClaimStats) -> Value {
    let claims: serde_json::Map<String, Value> = v
        .claims
        .iter()
        .map(|(class, c)| {
            (
                class.clone(),
                json!({"yes": c[0], "no": c[1], "none": c[2]}),
            )
        })
        .collect();
    json!({
        "claims": claims,
        "lookups": v.lookups,
        "coalesced": v.coalesced,
        "capped": v.capped,
        "over_budget": v.over_budget,
        "zone": v.zone.as_ref().map(|z| json!({
            "entries": z.entries, "capacity": z.capacity, "evictions": z.evictions,
        })),
    })
}
