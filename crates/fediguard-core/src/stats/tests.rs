use super::*;

fn sample() -> Snapshot {
    Snapshot {
        decisions: vec![("agent-denied", 3, 1), ("rate-limited", 0, 0)],
        agent_classes: vec![("ai".into(), 4), ("we\"ird\\".into(), 1)],
        token_classes: vec![("app", 2), ("user", 5)],
        verifications_started: 7,
        verifications_coalesced: 2,
        verification_outcomes: vec![("app", 1)],
        verifications_limited: 11,
        verifications_capped: 12,
        backend_calls: 13,
        backend_throttled: 14,
        backend_paused: 15,
        verdict_cache: Some(CacheStats {
            hits: 10,
            misses: 7,
            evictions: 0,
            entries: 6,
            capacity: 5911,
        }),
        limit_zones: vec![LimitStats {
            zone: "per_ip".into(),
            passed: 9,
            delayed: 1,
            rejected: 2,
            nodes: 3,
            capacity: 16256,
            evictions: 0,
        }],
        claims: ClaimStats {
            claims: vec![("search".into(), [5, 2, 1])],
            lookups: 8,
            coalesced: 49,
            capped: 3,
            over_budget: 7,
            zone: Some(CacheStats {
                entries: 4,
                capacity: 9000,
                ..CacheStats::default()
            }),
        },
        app_registrations: 1,
        client_credentials_grants: 1,
        grants_disputed: 0,
        apps_capacity: 1364,
        apps: vec![AppView {
            registered_at: 1_763_900_000,
            name: "CDSC Reader".into(),
            client_id: "id-a".into(),
            tokens_granted: 1,
            requests: 4,
            denied: 3,
            ..AppView::default()
        }],
    }
}

#[test]
fn prometheus_text() {
    let text = prometheus(&sample());
    for want in [
        "# TYPE fediguard_decisions_total counter",
        "fediguard_decisions_total{reason=\"agent-denied\",action=\"deny\"} 3",
        "fediguard_decisions_total{reason=\"agent-denied\",action=\"dry_run\"} 1",
        "fediguard_agent_requests_total{class=\"we\\\"ird\\\\\"} 1",
        "fediguard_token_requests_total{class=\"user\"} 5",
        "fediguard_verifications_started_total 7",
        "fediguard_verifications_total{outcome=\"app\"} 1",
        "fediguard_verifications_refused_total{why=\"budget\"} 11",
        "fediguard_verifications_refused_total{why=\"in_flight\"} 12",
        "fediguard_backend_calls_total 13",
        "fediguard_backend_slowdowns_total{kind=\"throttled\"} 14",
        "fediguard_backend_slowdowns_total{kind=\"paused\"} 15",
        "fediguard_verdict_cache_capacity 5911",
        "fediguard_limit_requests_total{zone=\"per_ip\",outcome=\"rejected\"} 2",
        "fediguard_limit_nodes{zone=\"per_ip\"} 3",
        "fediguard_app_registrations_total 1",
        "fediguard_client_credentials_grants_total 1",
        "fediguard_client_credentials_grants_disputed_total 0",
        "fediguard_apps_recent 1",
        "fediguard_agent_verifications_total{class=\"search\",result=\"yes\"} 5",
        "fediguard_agent_verifications_total{class=\"search\",result=\"none\"} 1",
        "fediguard_verify_lookups_total 8",
        "fediguard_verify_coalesced_total 49",
        "fediguard_verify_capped_total 3",
        "fediguard_verify_over_budget_total 7",
        "fediguard_verify_cache_capacity 9000",
    ] {
        assert!(text.lines().any(|l| l == want), "{want} not in\n{text}");
    }
    // Each family is declared once, before its samples; every sample line
    // is `name{labels} value` with an integer value.
    let mut declared = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().unwrap();
            assert!(!declared.contains(&name), "{name} declared twice");
            declared.push(name);
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        value.parse::<u64>().unwrap();
        let name = series.split('{').next().unwrap();
        assert_eq!(declared.last(), Some(&name), "{line}");
    }
    assert!(text.ends_with('\n'));
}

#[test]
fn json_listing() {
    let v: serde_json::Value = serde_json::from_str(&json(&sample())).unwrap();
    assert_eq!(v["decisions"]["agent-denied"]["deny"], 3);
    assert_eq!(v["limit_zones"]["per_ip"]["rejected"], 2);
    assert_eq!(v["verdict_cache"]["entries"], 6);
    assert_eq!(v["agent_verification"]["claims"]["search"]["no"], 2);
    assert_eq!(v["agent_verification"]["lookups"], 8);
    let app = &v["apps"][0];
    assert_eq!(app["name"], "CDSC Reader");
    assert_eq!(app["time"], "2025-11-23T12:13:20Z");
    assert_eq!(app["unix_time"], 1_763_900_000u64);
    assert_eq!(app["last_grant"], serde_json::Value::Null);
    assert_eq!(
        (
            app["tokens_granted"].as_u64(),
            app["requests"].as_u64(),
            app["denied"].as_u64()
        ),
        (Some(1), Some(4), Some(3))
    );
}

#[test]
fn iso_dates() {
    assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
    assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(iso8601(1_798_761_599), "2026-12-31T23:59:59Z");
}
