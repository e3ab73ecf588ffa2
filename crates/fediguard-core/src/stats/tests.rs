use core::sync::atomic::Ordering::Relaxed;

use super::*;
use crate::reason::Reason;
use crate::token::TokenClass;
use crate::watch::Registration;

fn zone(mem: &mut [u64]) -> StatsZone {
    unsafe { StatsZone::init(mem.as_mut_ptr().cast(), mem.len() * 8) }.unwrap()
}

fn reg(name: &str, id: &str) -> Registration {
    Registration {
        name: name.into(),
        website: "https://x.example".into(),
        scopes: "read".into(),
        redirect_uri: "urn:ietf:wg:oauth:2.0:oob".into(),
        client_id: id.into(),
    }
}

const SEEN: Seen = Seen {
    now: 1_763_900_000,
    client: "192.0.2.7",
    agent: "Python/3.6 aiohttp/3.6.2",
};

#[test]
fn sizes() {
    assert_eq!(StatsZone::BYTES_PER_APP, 712);
    assert_eq!(StatsZone::FIXED_BYTES, 24_984);
    assert_eq!(StatsZone::capacity_for(1 << 20), 1437);
    assert_eq!(StatsZone::capacity_for(64 * 1024), 56);
}

#[test]
fn counters_and_names_survive_reattach() {
    let mut mem = vec![0u64; 16 * 1024];
    let z = zone(&mut mem);
    z.counters().decision(Reason::TokenAppOnly, DENY);
    z.counters().token_class(TokenClass::App);
    let ai = z.map_name(SLOT_CLASS, "ai").unwrap();
    let per_ip = z.map_name(SLOT_LIMIT, "per_ip").unwrap();
    assert_ne!(ai, per_ip);
    // A class and a zone may share a name: different kinds.
    assert_ne!(z.map_name(SLOT_LIMIT, "ai").unwrap(), ai);
    z.slot(ai as usize).unwrap().add(0);
    z.slot(per_ip as usize).unwrap().add(2);

    let z = unsafe { StatsZone::attach(mem.as_mut_ptr().cast(), mem.len() * 8) }.unwrap();
    assert_eq!(z.map_name(SLOT_CLASS, "ai"), Some(ai));
    assert_eq!(z.slot(ai as usize).unwrap().get(0), 1);
    assert_eq!(z.slot(per_ip as usize).unwrap().get(2), 1);
    let c = z.counters();
    assert_eq!(
        c.decisions[Reason::TokenAppOnly as usize][DENY].load(Relaxed),
        1
    );
    assert_eq!(c.token_classes[TokenClass::App as usize].load(Relaxed), 1);
    // Too long a name, or no slot left: not counted.
    assert_eq!(z.map_name(SLOT_CLASS, &"x".repeat(65)), None);
    for i in 0..NAME_SLOTS {
        z.map_name(SLOT_CLASS, &format!("c{i}"));
    }
    assert_eq!(z.map_name(SLOT_CLASS, "one-too-many"), None);
    // Garbage is not attached.
    let mut junk = vec![7u64; 8 * 1024];
    assert!(unsafe { StatsZone::attach(junk.as_mut_ptr().cast(), junk.len() * 8) }.is_none());
}

#[test]
fn registrations_grants_and_requests() {
    let mut mem = vec![0u64; 16 * 1024];
    let z = zone(&mut mem);
    let a = z.register(&reg("CDSC Reader", "id-a"), &SEEN);
    z.register(&reg("Other", "id-b"), &SEEN);
    let (g, name, website) = z.grant(
        "id-a",
        &[5; 16],
        &Seen {
            now: SEEN.now + 60,
            ..SEEN
        },
    );
    assert_eq!(g, a);
    assert_eq!(
        (name.as_str(), website.as_str()),
        ("CDSC Reader", "https://x.example")
    );
    z.grant("id-a", &[5; 16], &SEEN); // reused token: counted, kept once
    assert_eq!(z.find_token(&[5; 16]), a);
    assert!(z.find_token(&[6; 16]).is_none());
    z.count_request(a, false);
    z.count_request(a, true);
    z.count_request(AppRef::default(), true);

    // An app registered before fediguard watched: a record of its own.
    let (u, name, _) = z.grant("id-unknown", &[9; 16], &SEEN);
    assert!(!u.is_none());
    assert_eq!(name, "");

    let apps = z.apps();
    assert_eq!(apps.len(), 3);
    assert_eq!(apps[0].client_id, "id-unknown");
    assert_eq!(apps[0].registered_at, 0);
    let cdsc = apps.iter().find(|v| v.client_id == "id-a").unwrap();
    assert_eq!(cdsc.name, "CDSC Reader");
    assert_eq!(cdsc.client, "192.0.2.7");
    assert_eq!(cdsc.agent, "Python/3.6 aiohttp/3.6.2");
    assert_eq!((cdsc.tokens_granted, cdsc.requests, cdsc.denied), (2, 2, 1));
    assert_eq!(cdsc.last_grant_at, SEEN.now);
}

#[test]
fn the_ring_overwrites_the_oldest_and_forgets_its_references() {
    let bytes = StatsZone::FIXED_BYTES + 3 * StatsZone::BYTES_PER_APP;
    let mut mem = vec![0u64; bytes / 8 + 1];
    let z = zone(&mut mem);
    assert_eq!(z.capacity(), 3);
    let first = z.register(&reg("first", "1"), &SEEN);
    z.grant("1", &[1; 16], &SEEN);
    for i in 2..=4 {
        z.register(&reg(&format!("app{i}"), &i.to_string()), &SEEN);
    }
    let names: Vec<String> = z.apps().into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["app4", "app3", "app2"]);
    assert!(z.find_token(&[1; 16]).is_none());
    z.count_request(first, true); // the slot is app4's now: not credited
    assert!(z.apps().iter().all(|a| a.requests == 0));
}

#[test]
fn texts_are_bounded_and_clean() {
    let mut mem = vec![0u64; 16 * 1024];
    let z = zone(&mut mem);
    let long = "é".repeat(100);
    z.register(&reg(&format!("a\nb{long}"), "x"), &SEEN);
    let a = &z.apps()[0];
    assert!(a.name.starts_with("ab"));
    assert!(a.name.len() <= 64);
}

#[test]
fn deceptive_characters_are_shown_escaped() {
    let mut mem = vec![0u64; 16 * 1024];
    let z = zone(&mut mem);
    let r = Registration {
        website: "https://x\u{200B}.example".into(),
        ..reg("Reader\u{202E}gpj.exe", "id1")
    };
    z.register(&r, &SEEN);
    let a = &z.apps()[0];
    assert_eq!(a.name, "Reader\\u{202E}gpj.exe");
    assert_eq!(a.website, "https://x\\u{200B}.example");
    // An escape is never cut in half at the end of a field.
    let long = format!("{}\u{202E}", "a".repeat(60));
    z.register(&reg(&long, "id2"), &SEEN);
    assert_eq!(z.apps()[0].name, "a".repeat(60));
}

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
        verify: VerifyStats {
            claims: vec![("search".into(), [5, 2, 1])],
            lookups: 8,
            coalesced: 49,
            capped: 3,
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
