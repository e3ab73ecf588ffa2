//! The ring of recent apps through the real nginx (2 workers): its size
//! follows the zone's, the oldest apps go first, and apps registered and
//! used at the same time from many clients are each counted exactly.

use std::thread;

use fediguard_tests::mastodon::{Backend, Profile};
use fediguard_tests::watch::*;

#[test]
fn a_small_zone_keeps_the_newest_apps() {
    let backend = Backend::start(Profile::Mastodon);
    // Many apps from one address: Mastodon's own throttle
    // (oauth_application_registrations, 5 per 10 minutes) is not the test.
    backend.set_throttles(None);
    let ngx = watching_nginx_sized(&backend, "", "64k");
    let capacity = metrics_json(&ngx)["apps_capacity"].as_u64().unwrap();
    assert!((20..=64).contains(&capacity), "{capacity}");
    assert!(ngx.error_log().contains(&format!(
        "fediguard: zone \"fediguard_stats\" keeps {capacity} apps of 712 bytes"
    )));
    let total = capacity + 5;
    for i in 0..total {
        register(ngx.port, &format!("app{i}"));
    }
    let v = metrics_json(&ngx);
    assert_eq!(v["app_registrations"].as_u64(), Some(total));
    let names: Vec<String> = v["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    let want: Vec<String> = (5..total).rev().map(|i| format!("app{i}")).collect();
    assert_eq!(names, want);
}

#[test]
fn concurrent_apps_are_each_counted_exactly() {
    let backend = Backend::start(Profile::Mastodon);
    // Many apps from one address: Mastodon's own throttle
    // (oauth_application_registrations, 5 per 10 minutes) is not the test.
    backend.set_throttles(None);
    let ngx = watching_nginx(&backend);
    let port = ngx.port;
    let clients: Vec<_> = (0..12)
        .map(|i| {
            thread::spawn(move || {
                let (id, secret) = register(port, &format!("c{i}"));
                let token = grant(port, &id, &secret);
                let bearer = format!("Bearer {token}");
                for _ in 0..=i % 3 {
                    let r = fediguard_tests::get(
                        port,
                        "/api/v1/accounts/1",
                        &[("Authorization", &bearer)],
                    );
                    assert_eq!(r.status, 200);
                }
                let r = fediguard_tests::get(
                    port,
                    "/api/v1/timelines/public",
                    &[("Authorization", &bearer)],
                );
                assert_eq!(r.status, 403);
                id
            })
        })
        .collect();
    let ids: Vec<String> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    assert_eq!(
        backend.verification_calls(),
        0,
        "a watched token was verified"
    );
    let v = metrics_json(&ngx);
    assert_eq!(v["app_registrations"], 12);
    assert_eq!(v["client_credentials_grants"], 12);
    let apps = v["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 12);
    for (i, id) in ids.iter().enumerate() {
        let a = apps
            .iter()
            .find(|a| a["client_id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} not listed"));
        assert_eq!(a["name"], format!("c{i}"));
        let uses = (i % 3 + 1) as u64;
        assert_eq!(a["tokens_granted"], 1);
        assert_eq!(a["requests"].as_u64(), Some(uses + 1), "{a:#}");
        assert_eq!(a["denied"], 1);
    }
}
