//! Token verification that cannot be turned against Mastodon: the calls a
//! new token costs, limits before verification, the verification budget
//! and the cap in flight, and a backend that says "slow down". Real nginx
//! (realip gives each test client an address of its own through
//! `X-Real-IP`), the Mastodon stand-in with Rack::Attack's throttles.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fediguard_tests::mastodon::{Backend, Behaviour, Profile, Throttles};
use fediguard_tests::Nginx;

const USER: &str = "UserTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const APP: &str = "AppTokenBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const APP2: &str = "AppTokenCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
const INFO: &str = "/oauth/token/info";
const ACCOUNTS: &str = "/api/v1/accounts/verify_credentials";
const APPS: &str = "/api/v1/apps/verify_credentials";

/// nginx in front of the backend. `zone`: the token zone's parameters;
/// `shown`: extra `add_header`s (names shown or not); `workers`.
fn nginx(backend: &Backend, zone: &str, shown: &str, workers: u32) -> Nginx {
    let b = backend.port();
    Nginx::start_with(
        workers,
        &format!(
            "fediguard_token_zone zone=tokens:1m {zone};
             fediguard_limit_zone $binary_remote_addr zone=per_ip:1m rate=5r/s;
             map $fediguard_token_class $fg_user {{ user $fediguard_token_id; default \"\"; }}
             fediguard_limit_zone $fg_user zone=per_user:1m rate=1r/m;
             set_real_ip_from 127.0.0.1;
             real_ip_header X-Real-IP;
             server {{ listen 127.0.0.1:{{PORT}};
               fediguard on;
               add_header X-Token-Class $fediguard_token_class always;
               add_header X-Reason $fediguard_reason always;
               {shown}
               location /api/ {{
                 fediguard_token_verify /_fediguard; fediguard_token_require user;
                 fediguard_limit zone=per_ip burst=10 nodelay;
                 try_files /nonexistent @ok; }}
               location /open/ {{
                 fediguard_token_verify /_fediguard; fediguard_token_require user;
                 fediguard_token_fail open; try_files /nonexistent @ok; }}
               location /valid/ {{
                 fediguard_token_verify /_fediguard; fediguard_token_require valid;
                 try_files /nonexistent @ok; }}
               location /per-user/ {{
                 fediguard_token_verify /_fediguard; fediguard_token_require user;
                 fediguard_limit zone=per_user; try_files /nonexistent @ok; }}
               location /_fediguard/ {{
                 internal;
                 proxy_pass http://127.0.0.1:{b}/;
                 proxy_connect_timeout 2s; proxy_read_timeout 3s;
               }}
               location @ok {{ default_type application/json; return 200 '[]'; }}
             }}"
        ),
    )
}

fn call(ngx: &Nginx, path: &str, token: &str, addr: &str) -> fediguard_tests::Response {
    ngx.get(
        path,
        &[
            ("Authorization", &format!("Bearer {token}")),
            ("X-Real-IP", addr),
        ],
    )
}

/// A fresh, well-formed token nobody has.
fn random_token(i: usize) -> String {
    format!("Random{i:06}{}", "x".repeat(32))
}

/// The attack of the issue: one address sprays new random tokens at a
/// location that requires a user, behind a per-address limit. The limit is
/// checked before verification, so the backend gets a bounded number of
/// calls; every request is refused; another address is served.
#[test]
fn a_random_token_flood_costs_the_backend_a_bounded_number_of_calls() {
    let backend = Backend::start(Profile::Mastodon);
    backend.add_user(USER, "alice");
    let ngx = nginx(&backend, "", "", 2);
    let sent = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let port = ngx.port;
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let sent = sent.clone();
            std::thread::spawn(move || {
                let mut statuses = Vec::new();
                for i in 0..100 {
                    let token = random_token(t * 1000 + i);
                    let r = fediguard_tests::get(
                        port,
                        "/api/v1/timelines/public",
                        &[
                            ("Authorization", &format!("Bearer {token}")),
                            ("X-Real-IP", "192.0.2.66"),
                        ],
                    );
                    sent.fetch_add(1, Ordering::Relaxed);
                    statuses.push(r.status);
                }
                statuses
            })
        })
        .collect();
    let statuses: Vec<u16> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(statuses.len(), 400);
    assert!(
        statuses.iter().all(|&s| s == 403 || s == 429),
        "a random token got through: {statuses:?}"
    );
    // burst 10 + 5r/s over the flood's duration, one call per new token
    // (token/info), doubled for the margin the issue allows, plus a few.
    let bound = (2.0 * (10.0 + 5.0 * secs)) as usize + 3;
    let calls = backend.verification_calls();
    assert!(
        calls <= bound,
        "{calls} backend calls in {secs:.1} s (bound {bound})"
    );
    assert!(calls >= 1, "nothing was verified at all");
    assert_eq!(
        backend.hits(ACCOUNTS) + backend.hits(APPS),
        0,
        "token/info only"
    );
    // Another address with a user token is served meanwhile.
    let r = call(&ngx, "/api/v1/timelines/public", USER, "198.51.100.7");
    assert_eq!((r.status, r.header("X-Token-Class")), (200, Some("user")));
}

/// The same flood against a server without /oauth/token/info, which
/// throttles per address (Rack::Attack's unauthenticated_api, on the
/// address fediguard forwards): the backend's 429 is heard, the flooding
/// address's tokens are refused (never let through by `fail open`), and
/// another address's app token is still classified.
#[test]
fn a_flood_against_a_throttling_backend_lets_no_app_token_through() {
    let backend = Backend::start(Profile::Mastodon);
    backend.set_token_info(false);
    backend.set_throttles(Some(Throttles {
        limit: 20,
        period: Duration::from_secs(300),
    }));
    backend.add_app_token(APP, "Scraper", None);
    backend.add_app_token(APP2, "Reader", None);
    let ngx = nginx(&backend, "verify_rate=600r/m verify_burst=100", "", 2);
    let flooder = "192.0.2.99";
    let mut statuses = Vec::new();
    for i in 0..60 {
        statuses.push(call(&ngx, "/open/x", &random_token(i), flooder).status);
    }
    assert!(
        statuses.iter().all(|&s| s == 403 || s == 429),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&429),
        "the backend's throttle was not heard: {statuses:?}"
    );
    // Two calls per token until the backend's 20 per address run out, then
    // one 429; after it, the flooding address asks nothing more. (Each of
    // the 2 workers first learns, from one 404, that the server has no
    // /oauth/token/info.)
    let calls = backend.verification_calls();
    assert!(calls <= 21 + 2, "{calls} calls: the 429 was not heard");

    // An app-only token from the flooding address: refused, not let
    // through by fail open.
    let r = call(&ngx, "/open/x", APP, flooder);
    assert_eq!(r.status, 429);
    assert_eq!(r.header("X-Reason"), Some("mastoapi-verify-limited"));
    assert!(r.header("Retry-After").is_some());
    // The same token from another address: still refused.
    let other = "198.51.100.20";
    let r = call(&ngx, "/open/x", APP, other);
    assert!(r.status == 429 || r.status == 403, "{}", r.status);
    assert_ne!(r.status, 200);
    // A real app token from another address is still classified.
    let r = call(&ngx, "/open/x", APP2, other);
    assert_eq!((r.status, r.header("X-Token-Class")), (403, Some("app")));
    assert_eq!(r.header("X-Reason"), Some("mastoapi-token-app-only"));
    let log = ngx.error_log();
    assert!(
        log.contains("backend throttles token verification (429)"),
        "{log}"
    );
    for line in log.lines() {
        for i in 0..60 {
            assert!(
                !line.contains(&random_token(i)),
                "a token in the log: {line}"
            );
        }
    }
}

/// Verifies USER, APP and a random token, each once, and returns the
/// backend calls each cost. A worker learns once (one 404) that a server
/// has no /oauth/token/info: a first token pays for that before.
fn costs(backend: &Backend, ngx: &Nginx) -> (usize, usize, usize) {
    call(ngx, "/valid/x", &random_token(0), "192.0.2.5");
    let cost = |token: &str, want: &str| {
        let before = backend.verification_calls();
        let r = call(ngx, "/valid/x", token, "192.0.2.5");
        assert_eq!(r.header("X-Token-Class"), Some(want), "{token}");
        backend.verification_calls() - before
    };
    (
        cost(USER, "user"),
        cost(APP, "app"),
        cost(&random_token(1), "invalid"),
    )
}

/// What docs/mastodon.md says a new token costs, with and without
/// /oauth/token/info, with and without names shown.
#[test]
fn a_new_token_costs_the_calls_the_readme_states() {
    let cases = [
        // (token/info, names shown) -> (user, app, invalid)
        (true, false, (1, 1, 1)),
        (true, true, (2, 2, 1)),
        (false, false, (1, 2, 2)),
        (false, true, (1, 2, 2)),
    ];
    for (info, shown, want) in cases {
        let backend = Backend::start(Profile::Mastodon);
        backend.set_token_info(info);
        backend.add_user(USER, "alice");
        backend.add_app_token(APP, "Scraper", Some("https://scraper.example"));
        let names = if shown {
            "add_header X-Account $fediguard_account always;
             add_header X-App $fediguard_app_name always;"
        } else {
            ""
        };
        let ngx = nginx(&backend, "", names, 1);
        assert_eq!(
            costs(&backend, &ngx),
            want,
            "token/info {info}, names {shown}"
        );
        if shown {
            let r = call(&ngx, "/valid/x", USER, "192.0.2.5");
            assert_eq!(r.header("X-Account"), Some("alice"));
            let r = call(&ngx, "/valid/x", APP, "192.0.2.5");
            assert_eq!(r.header("X-App"), Some("Scraper"));
        }
    }
}

/// Over the budget: 429 with Retry-After and its reason, whatever
/// `fediguard_token_fail` says, and one log line; a known token still
/// passes.
#[test]
fn over_the_budget_a_new_token_gets_429() {
    let backend = Backend::start(Profile::Mastodon);
    backend.add_user(USER, "alice");
    let ngx = nginx(&backend, "verify_rate=1r/m verify_burst=2", "", 2);
    let a = "192.0.2.30";
    assert_eq!(call(&ngx, "/open/x", USER, a).status, 200);
    assert_eq!(call(&ngx, "/open/x", &random_token(1), a).status, 403);
    assert_eq!(call(&ngx, "/open/x", &random_token(2), a).status, 403);
    let r = call(&ngx, "/open/x", &random_token(3), a);
    assert_eq!(r.status, 429, "fail open let a client's own flood through");
    assert_eq!(r.header("X-Reason"), Some("mastoapi-verify-limited"));
    assert_eq!(r.header("X-Token-Class"), Some("limited"));
    let retry: u64 = r.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=120).contains(&retry), "{retry}");
    assert_eq!(backend.verification_calls(), 3);
    // A token the cache knows costs no budget.
    assert_eq!(call(&ngx, "/open/x", USER, a).status, 200);
    // Another client has its own budget.
    assert_eq!(
        call(&ngx, "/open/x", &random_token(4), "192.0.2.31").status,
        403
    );
    let lines = ngx.fediguard_lines();
    let limited: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("reason=mastoapi-verify-limited"))
        .collect();
    assert_eq!(limited.len(), 1, "{lines:#?}");
    assert!(limited[0].contains("token_class=limited"), "{}", limited[0]);
    assert!(!limited[0].contains(&random_token(3)), "{}", limited[0]);
}

/// At most `verify_in_flight` verifications per worker at once; the others
/// get 429 at once, and the places come back.
#[test]
fn the_cap_in_flight_holds() {
    let backend = Backend::start(Profile::Mastodon);
    backend.add_user(USER, "alice");
    backend.set_behaviour(Behaviour::Slow(Duration::from_millis(1500)));
    let ngx = nginx(&backend, "verify_in_flight=2", "", 1);
    let port = ngx.port;
    let threads: Vec<_> = (0..6)
        .map(|i| {
            std::thread::spawn(move || {
                let token = random_token(100 + i);
                fediguard_tests::get(
                    port,
                    "/valid/x",
                    &[
                        ("Authorization", &format!("Bearer {token}")),
                        ("X-Real-IP", &format!("192.0.2.{}", 40 + i)),
                    ],
                )
                .status
            })
        })
        .collect();
    // The two verifications under way hold their places until answered.
    assert!(backend.wait_for_hits(INFO, 2, Duration::from_secs(10)));
    let mut statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    statuses.sort();
    assert_eq!(statuses, vec![403, 403, 429, 429, 429, 429]);
    assert_eq!(backend.verification_calls(), 2);
    // Places come back once the verifications are over.
    backend.set_behaviour(Behaviour::Normal);
    let r = call(&ngx, "/valid/x", USER, "192.0.2.50");
    assert_eq!(r.status, 200);
}

/// A backend 429 is cached for the time it gave (X-RateLimit-Reset): the
/// token and the client's new tokens are refused without asking again.
#[test]
fn a_backend_429_is_heard_and_cached() {
    let backend = Backend::start(Profile::Mastodon);
    backend.set_token_info(false);
    backend.set_throttles(Some(Throttles {
        limit: 2,
        period: Duration::from_secs(120),
    }));
    let ngx = nginx(&backend, "", "", 1);
    let a = "192.0.2.77";
    // Two calls for an invalid token (after the 404 that tells the
    // worker there is no /oauth/token/info); the third is throttled.
    assert_eq!(call(&ngx, "/valid/x", &random_token(1), a).status, 403);
    let r = call(&ngx, "/valid/x", &random_token(2), a);
    assert_eq!(r.status, 429);
    assert_eq!(r.header("X-Reason"), Some("mastoapi-verify-limited"));
    let retry: u64 = r.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=120).contains(&retry), "{retry}");
    assert_eq!(backend.hits(ACCOUNTS) + backend.hits(APPS), 3);
    let calls = backend.verification_calls();
    // The same token again, and a new one from the same client: no call.
    assert_eq!(call(&ngx, "/valid/x", &random_token(2), a).status, 429);
    assert_eq!(call(&ngx, "/valid/x", &random_token(3), a).status, 429);
    assert_eq!(backend.verification_calls(), calls);
    let log = ngx.error_log();
    assert_eq!(
        log.matches("backend throttles token verification (429)")
            .count(),
        1,
        "{log}"
    );
}

/// A 503 with Retry-After pauses new verifications (tokens meanwhile
/// `unknown`: 503 under fail closed, through under fail open), logged once.
#[test]
fn a_backend_pause_is_heard() {
    let backend = Backend::start(Profile::Mastodon);
    backend.add_user(USER, "alice");
    backend.set_behaviour(Behaviour::Unavailable(30));
    let ngx = nginx(&backend, "", "", 1);
    let r = call(&ngx, "/valid/x", &random_token(1), "192.0.2.80");
    assert_eq!(r.status, 503);
    assert_eq!(backend.verification_calls(), 1);
    let r = call(&ngx, "/valid/x", USER, "192.0.2.81");
    assert_eq!(
        (r.status, r.header("X-Token-Class")),
        (503, Some("unknown"))
    );
    let r = call(&ngx, "/open/x", &random_token(2), "192.0.2.82");
    assert_eq!(
        r.status, 200,
        "fail open lets an unverifiable token through"
    );
    assert_eq!(backend.verification_calls(), 1, "paused: no call");
    let log = ngx.error_log();
    assert_eq!(log.matches("asked for a pause (503)").count(), 1, "{log}");
}

/// A limit whose key reads a token variable through a `map` waits for the
/// verification: the per-user limit does limit the user.
#[test]
fn a_limit_keyed_through_a_map_waits_for_the_token() {
    let backend = Backend::start(Profile::Mastodon);
    backend.add_user(USER, "alice");
    let ngx = nginx(&backend, "", "", 2);
    assert_eq!(call(&ngx, "/per-user/x", USER, "192.0.2.90").status, 200);
    let r = call(&ngx, "/per-user/x", USER, "192.0.2.91");
    assert_eq!(
        r.status, 429,
        "the per-user limit was keyed before verification"
    );
    assert_eq!(r.header("X-Reason"), Some("rate-limited"));
    // A new token that is invalid is refused by its class, not the limit.
    let r = call(&ngx, "/per-user/x", &random_token(5), "192.0.2.92");
    assert_eq!(r.status, 403);
}

/// An IPv6 client is its /64 for the budget, as Mastodon groups it: the
/// addresses of one /64 share a budget, another /64 has its own.
#[test]
fn an_ipv6_client_is_its_64() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = nginx(&backend, "verify_rate=1r/m verify_burst=1", "", 2);
    assert_eq!(
        call(&ngx, "/valid/x", &random_token(1), "2001:db8:1:2::1").status,
        403
    );
    assert_eq!(
        call(&ngx, "/valid/x", &random_token(2), "2001:db8:1:2::2").status,
        403
    );
    // The third new token from the same /64, from yet another address.
    let r = call(&ngx, "/valid/x", &random_token(3), "2001:db8:1:2:ffff::9");
    assert_eq!(r.status, 429);
    assert_eq!(r.header("X-Reason"), Some("mastoapi-verify-limited"));
    // Another /64 has a budget of its own.
    assert_eq!(
        call(&ngx, "/valid/x", &random_token(4), "2001:db8:1:3::1").status,
        403
    );
    assert_eq!(backend.verification_calls(), 3);
}
