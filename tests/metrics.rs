//! `fediguard_metrics` through the real nginx (2 workers): the Prometheus
//! text parses, counters only grow, across reload too, and the JSON has
//! the same numbers; configuration errors.

use std::collections::BTreeMap;

use fediguard_tests::mastodon::{Backend, Profile};
use fediguard_tests::nginx_test;
use fediguard_tests::request;
use fediguard_tests::watch::*;
use fediguard_tests::Nginx;

#[test]
fn prometheus_output_parses_and_only_grows_across_requests_and_reload() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = watching_nginx(&backend);
    let traffic = |ngx: &Nginx| {
        assert_eq!(ngx.get_as("/ai/x", "GPTBot/1.1").status, 403);
        assert_eq!(ngx.get_as("/ai/x", "Mozilla/5.0").status, 200);
        let r = ngx.get(
            "/api/v1/timelines/public",
            &[("Authorization", "Bearer nope")],
        );
        assert_eq!(r.status, 403);
        let r = post(
            ngx.port,
            "/api/v1/apps",
            FORM,
            "client_name=Grower&redirect_uris=urn:ietf:wg:oauth:2.0:oob",
            &[],
        );
        assert_eq!(r.status, 200);
    };
    let before = metrics(&ngx);
    for series in [
        "fediguard_decisions_total{reason=\"agent-denied\",action=\"deny\"}",
        "fediguard_agent_requests_total{class=\"ai\"}",
        "fediguard_token_requests_total{class=\"invalid\"}",
        "fediguard_verdict_cache_hits_total",
        "fediguard_limit_requests_total{zone=\"per_ip\",outcome=\"passed\"}",
        "fediguard_limit_nodes{zone=\"per_ip\"}",
        "fediguard_app_registrations_total",
        "fediguard_client_credentials_grants_total",
    ] {
        assert!(before.contains_key(series), "{series} missing: {before:#?}");
    }
    traffic(&ngx);
    let after = metrics(&ngx);
    assert_monotonic(&before, &after);
    let get = |m: &BTreeMap<String, f64>, s: &str| m.get(s).copied().unwrap_or(-1.0);
    assert_eq!(
        get(
            &after,
            "fediguard_decisions_total{reason=\"agent-denied\",action=\"deny\"}"
        ),
        1.0
    );
    assert_eq!(
        get(&after, "fediguard_agent_requests_total{class=\"ai\"}"),
        1.0
    );
    assert_eq!(
        get(&after, "fediguard_agent_requests_total{class=\"other\"}"),
        1.0
    );
    assert_eq!(
        get(&after, "fediguard_token_requests_total{class=\"invalid\"}"),
        1.0
    );
    assert_eq!(get(&after, "fediguard_verifications_started_total"), 1.0);
    assert_eq!(
        get(&after, "fediguard_verifications_total{outcome=\"invalid\"}"),
        1.0
    );
    assert_eq!(get(&after, "fediguard_verdict_cache_entries"), 1.0);
    assert_eq!(get(&after, "fediguard_app_registrations_total"), 1.0);
    assert_eq!(get(&after, "fediguard_apps_recent"), 1.0);

    ngx.reload();
    let reloaded = metrics(&ngx);
    assert_monotonic(&after, &reloaded);
    assert_eq!(get(&reloaded, "fediguard_app_registrations_total"), 1.0);
    assert_eq!(
        get(&reloaded, "fediguard_agent_requests_total{class=\"ai\"}"),
        1.0
    );
    traffic(&ngx);
    let last = metrics(&ngx);
    assert_monotonic(&reloaded, &last);
    assert_eq!(
        get(
            &last,
            "fediguard_decisions_total{reason=\"agent-denied\",action=\"deny\"}"
        ),
        2.0
    );
    assert_eq!(get(&last, "fediguard_app_registrations_total"), 2.0);
    // The ring kept the first app across the reload.
    let v = metrics_json(&ngx);
    let names: Vec<&str> = v["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Grower", "Grower"]);
    // JSON has the same numbers as the text.
    assert_eq!(v["decisions"]["agent-denied"]["deny"], 2);
    assert_eq!(
        v["limit_zones"]["per_ip"]["passed"],
        get(
            &last,
            "fediguard_limit_requests_total{zone=\"per_ip\",outcome=\"passed\"}"
        ) as u64
    );
}

fn assert_monotonic(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) {
    for (series, v) in before {
        let name = series.split('{').next().unwrap();
        if !name.ends_with("_total") {
            continue;
        }
        let now = after
            .get(series)
            .unwrap_or_else(|| panic!("{series} vanished"));
        assert!(now >= v, "{series} went from {v} to {now}");
    }
}

#[test]
fn metrics_answer_only_get_and_head() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = watching_nginx(&backend);
    let r = post(ngx.port, "/metrics", FORM, "a=b", &[]);
    assert_eq!(r.status, 405);
    let raw = "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let r = request(ngx.port, raw.as_bytes()).unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
}

#[test]
fn configuration_errors() {
    let t = nginx_test("server { listen 127.0.0.1:1; location = /m { fediguard_metrics; } }");
    assert!(!t.ok);
    let place = t.place_of("fediguard_metrics;").replacen("in ", "", 1);
    assert!(
        t.output.contains(&format!(
            "fediguard_metrics in {place} needs a fediguard_metrics_zone"
        )),
        "{}",
        t.output
    );
    let t = nginx_test("fediguard_metrics_zone zone=s:16k; server { listen 127.0.0.1:1; }");
    assert!(!t.ok);
    assert!(
        t.output.contains("too small (at least 64k)"),
        "{}",
        t.output
    );
    assert!(
        t.output.contains(&t.place_of("fediguard_metrics_zone")),
        "{}",
        t.output
    );
    let t = nginx_test("server { listen 127.0.0.1:1; fediguard_app_watch on; }");
    assert!(!t.ok);
    assert!(
        t.output
            .contains("\"fediguard_app_watch\" directive is not allowed here"),
        "{}",
        t.output
    );
    let t = nginx_test("server { listen 127.0.0.1:1; location / { fediguard_app_watch maybe; } }");
    assert!(!t.ok, "{}", t.output);
    let t = nginx_test(
        "fediguard_metrics_zone zone=s:1m; fediguard_metrics_zone zone=t:1m; server { listen 127.0.0.1:1; }",
    );
    assert!(t.output.contains("duplicate"), "{}", t.output);
}

#[test]
fn a_name_too_long_to_count_is_said_at_start() {
    let long = "z".repeat(70);
    let t = nginx_test(&format!(
        "fediguard_metrics_zone zone=s:1m;
         fediguard_limit_zone $remote_addr zone={long}:1m rate=1r/s;
         server {{ listen 127.0.0.1:1; location / {{ fediguard on; fediguard_limit zone={long}; }} }}"
    ));
    assert!(t.ok, "{}", t.output);
    assert!(
        t.output.contains(&format!(
            "zone \"s\" does not count \"{long}\" (names of at most 64 bytes"
        )),
        "{}",
        t.output
    );
}
