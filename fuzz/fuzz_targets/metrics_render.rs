//! What backend answers and grant requests put on the metrics page: apps
//! recorded in a stats zone (`StatsZone::register`, `grant`,
//! `count_request`), then rendered (`stats::json`, `stats::prometheus`),
//! and the page's `?format=json` (`wants_json`).
//!
//! Input: pieces separated by lines `--`: each is a registration answer
//! (or, if it is none, a grant request body whose client_id is granted a
//! token), the first also a zone name and the metrics query string.
#![no_main]

use fediguard_core::stats::{
    json, prometheus, wants_json, CacheStats, LimitStats, Seen, Snapshot, StatsZone,
};
use fediguard_core::watch::{registration, token_request};
use fediguard_fuzz::{is_clean_cut, split_all};
use libfuzzer_sys::fuzz_target;

/// One sample line of the text exposition: `name{k="v",...} value`, label
/// values escaped (`\\`, `\"`, `\n`). Returns the label values, unescaped.
fn sample(line: &str) -> Vec<String> {
    let (head, value) = line.rsplit_once(' ').expect("no value");
    assert!(
        !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()),
        "{line:?}"
    );
    let Some(open) = head.find('{') else {
        assert!(head.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        return Vec::new();
    };
    let name = &head[..open];
    assert!(!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    let mut rest = head[open + 1..]
        .strip_suffix('}')
        .expect("labels not closed");
    let mut values = Vec::new();
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"").expect("label without value");
        assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        let mut v = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().expect("label value not closed") {
                (_, '\\') => match chars.next().expect("dangling escape").1 {
                    '\\' => v.push('\\'),
                    '"' => v.push('"'),
                    'n' => v.push('\n'),
                    c => panic!("bad escape \\{c}"),
                },
                (i, '"') => break i,
                (_, c) => {
                    assert_ne!(c, '\n');
                    v.push(c);
                }
            }
        };
        values.push(v);
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    values
}

fuzz_target!(|data: &[u8]| {
    let pieces = split_all(data, b"\n--\n");
    let mut mem = vec![0u64; 64 * 1024 / 8];
    // SAFETY: 8-byte aligned memory of that size, used by nothing else.
    let zone = unsafe { StatsZone::init(mem.as_mut_ptr().cast(), mem.len() * 8) }.expect("zone");
    let mut registered = Vec::new();
    for (i, p) in pieces.iter().take(64).enumerate() {
        let agent = String::from_utf8_lossy(p);
        let seen = Seen {
            now: 1_796_194_800 + i as u64,
            client: "192.0.2.7",
            agent: &agent,
        };
        if let Some(reg) = registration(p) {
            let app = zone.register(&reg, &seen);
            zone.count_request(app, i % 2 == 0);
            registered.push(reg);
        } else if let Some(id) = token_request(None, Some(p), b"", None).client_id {
            let (app, _, _) = zone.grant(&id, &[(i as u8) | 1; 16], &seen);
            zone.count_request(app, false);
        }
    }
    let apps = zone.apps();
    assert!(apps.len() as u32 <= zone.capacity());
    // The newest registration is listed, its texts cut and clean.
    if let Some(last) = registered.last() {
        if let Some(a) = apps.iter().find(|a| a.registered_at != 0) {
            assert!(
                is_clean_cut(&a.name, &last.name, 64),
                "{:?} {:?}",
                a.name,
                last.name
            );
            assert!(is_clean_cut(&a.client_id, &last.client_id, 64));
        }
    }

    let first = String::from_utf8_lossy(pieces[0]).into_owned();
    let snap = Snapshot {
        decisions: vec![("agent-denied", 1, 2)],
        agent_classes: vec![("ai".into(), 3), (first.clone(), 4)],
        token_classes: vec![("app", 5)],
        verdict_cache: Some(CacheStats {
            hits: 1,
            misses: 2,
            evictions: 0,
            entries: 3,
            capacity: 4,
        }),
        limit_zones: vec![LimitStats {
            zone: first.clone(),
            passed: 6,
            ..Default::default()
        }],
        apps_capacity: zone.capacity() as u64,
        apps: apps.clone(),
        ..Default::default()
    };

    // JSON that reads back, with the apps as recorded.
    let text = json(&snap);
    let v: serde_json::Value = serde_json::from_str(&text).expect("metrics JSON parses");
    let listed = v["apps"].as_array().expect("apps");
    assert_eq!(listed.len(), apps.len());
    for (l, a) in listed.iter().zip(&apps) {
        assert_eq!(l["name"].as_str(), Some(a.name.as_str()));
        assert_eq!(l["agent"].as_str(), Some(a.agent.as_str()));
        assert_eq!(l["client_id"].as_str(), Some(a.client_id.as_str()));
    }
    assert_eq!(v["limit_zones"][first.as_str()]["passed"], 6);

    // Text exposition: every line a comment or a well-formed sample, and
    // the zone's name reads back from its label.
    let text = prometheus(&snap);
    let mut zone_seen = false;
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let labels = sample(line);
        if line.starts_with("fediguard_limit_requests_total{") && labels.first() == Some(&first) {
            zone_seen = true;
        }
    }
    assert!(zone_seen, "zone {first:?} not in\n{text}");

    let _ = wants_json(pieces[0]);
});
