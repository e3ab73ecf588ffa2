use core::sync::atomic::Ordering::Relaxed;

use super::*;
use crate::reason::Reason;
use crate::token::TokenClass;
use crate::watch::Registration;

fn zone(mem: &mut [u64]) -> StatsZone {
    // SAFETY: a `u64` buffer is 8-byte aligned and this long; the zone
    // does not outlive the test that owns the buffer.
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

    // SAFETY: the buffer `zone` laid out, still alive.
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
    // SAFETY: an aligned buffer of that length, used by nothing else.
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
