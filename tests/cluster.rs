//! Cluster mode: three nginx hosts (2 workers each) share limits and token
//! verdicts through a real redis-server started by the test.

use std::time::{Duration, Instant};

use fediguard_tests::cluster::{
    admitted, cluster, cluster_excess, connected, eventually, hit, unavailable,
    verdict_known_on_the_others, Load,
};
use fediguard_tests::mastodon::{Backend, Profile};
use fediguard_tests::redis_server::Redis;
use fediguard_tests::Nginx;

const OK: &str = "location @ok { default_type text/plain; return 200 ok; }";

fn limit_body(rate: &str, burst: u32) -> String {
    format!(
        "fediguard_limit_zone $http_x_key zone=k:1m rate={rate} sync;
         server {{ listen 127.0.0.1:{{PORT}};
           location /l/ {{ fediguard on; fediguard_limit zone=k burst={burst} nodelay; try_files /x @ok; }}
           {OK}
         }}"
    )
}

#[test]
fn smoke_connects_and_shares_secret() {
    let redis = Redis::start(&[]);
    let hosts = cluster(
        &format!("redis://127.0.0.1:{}", redis.port),
        &limit_body("10r/s", 5),
    );
    let mut c = redis.client(0);
    let secret: Option<String> = redis::cmd("GET")
        .arg("fediguard:secret")
        .query(&mut c)
        .unwrap();
    assert_eq!(secret.map(|s| s.len()), Some(64));
    assert_eq!(hit(hosts[0].port, "/l/", "a"), 200);
    assert!(eventually(10, || {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("fediguard:l:k:*")
            .query(&mut c)
            .unwrap();
        keys.len() == 1
    }));
}

/// The documented bound: in a window of W seconds, a key with rate r and
/// burst B gets at most (B + 1) + r*W requests through one host, and
/// through H hosts syncing every S seconds at most that plus what the
/// other H - 1 hosts can admit in two sync intervals, (B + 1) + 2*r*S each.
fn bound(rate: f64, burst: f64, hosts: f64, sync: f64, window: f64) -> f64 {
    (burst + 1.0) + rate * window + (hosts - 1.0) * (burst + 1.0 + 2.0 * rate * sync)
}

#[test]
fn round_robin_key_stays_within_the_bound() {
    let redis = Redis::start(&[]);
    let hosts = cluster(
        &format!("redis://127.0.0.1:{} sync=100ms", redis.port),
        &limit_body("5r/s", 4),
    );
    let start = Instant::now();
    let (mut admitted, mut sent) = (0, 0);
    while start.elapsed() < Duration::from_secs(4) {
        let h = &hosts[sent % 3];
        match hit(h.port, "/l/", "scraper") {
            200 => admitted += 1,
            429 => {}
            other => panic!("status {other}"),
        }
        sent += 1;
    }
    let w = start.elapsed().as_secs_f64();
    let single = 5.0 + 5.0 * w;
    let limit = bound(5.0, 4.0, 3.0, 0.1, w);
    eprintln!(
        "cluster bound: {sent} sent in {w:.2}s, {admitted} admitted; one host's limit {single:.1}, \
         bound {limit:.1}, 3 unsynced hosts {:.1}",
        3.0 * single
    );
    assert!(sent > 300, "too few requests to tell: {sent}");
    assert!(
        admitted as f64 <= limit,
        "{admitted} admitted, bound {limit:.1}"
    );
    assert!(
        (admitted as f64) < 1.6 * single,
        "{admitted} admitted: hosts did not share (one host's limit {single:.1})"
    );
}

/// Zone k (5r/s) for load, zones s and t (1r/m, burst 2: three requests,
/// nothing refills during a test) for counting.
fn failure_body() -> String {
    format!(
        "fediguard_limit_zone $http_x_key zone=k:1m rate=5r/s sync;
         fediguard_limit_zone $http_x_key zone=s:1m rate=1r/m sync;
         fediguard_limit_zone $http_x_key zone=t:1m rate=1r/m sync;
         server {{ listen 127.0.0.1:{{PORT}};
           location /l/ {{ fediguard on; fediguard_limit zone=k burst=4 nodelay; try_files /x @ok; }}
           location /s/ {{ fediguard on; fediguard_limit zone=s burst=2 nodelay; try_files /x @ok; }}
           location /t/ {{ fediguard on; fediguard_limit zone=t burst=2 nodelay; try_files /x @ok; }}
           {OK}
         }}"
    )
}

/// Host `a` spends zone t's three requests for a key; once Redis holds
/// them (less the little 1r/m drains meanwhile), host `b` lets through its first request (a key it has never seen
/// starts locally) and, once its round has told it the cluster's state, at
/// most one more: alone it would let three through.
fn assert_shares(redis: &Redis, a: &Nginx, b: &Nginx) {
    assert_eq!(admitted(a.port, "/t/", "shared", 3), 3);
    assert!(eventually(20, || cluster_excess(redis, "t") >= Some(1900)));
    assert_eq!(hit(b.port, "/t/", "shared"), 200);
    assert!(eventually(20, || cluster_excess(redis, "t") >= Some(2900)));
    let mut extra = 0;
    assert!(eventually(20, || match hit(b.port, "/t/", "shared") {
        200 => {
            extra += 1;
            false
        }
        _ => true,
    }));
    assert!(
        extra <= 1,
        "host b admitted {extra} more after the cluster's state"
    );
}

#[test]
fn redis_killed_and_restarted_mid_load() {
    let mut redis = Redis::start(&[]);
    let url = format!("redis://127.0.0.1:{} sync=100ms timeout=500ms", redis.port);
    let hosts = cluster(&url, &failure_body());
    let load = Load::start(hosts.iter().map(|h| h.port).collect());
    assert!(eventually(20, || load.total() > 200));

    redis.kill();
    for h in &hosts {
        assert!(
            eventually(20, || unavailable(h) >= 1),
            "no unavailable line:\n{}",
            h.error_log()
        );
    }
    // Meanwhile every host still limits, exactly, on its own.
    let before = load.total();
    for h in &hosts {
        assert_eq!(admitted(h.port, "/s/", "outage", 10), 3);
    }
    assert!(eventually(20, || load.total() > before + 200));

    redis.restart();
    for h in &hosts {
        assert!(
            eventually(30, || connected(h) >= 2),
            "did not reconnect:\n{}",
            h.error_log()
        );
        // The outage was logged once, not per request or attempt.
        assert_eq!(unavailable(h), 1, "{}", h.error_log());
    }

    assert_shares(&redis, &hosts[0], &hosts[1]);

    let (total, failed) = load.finish();
    eprintln!("redis restart: {total} requests under load, {failed} failed");
    assert_eq!(failed, 0, "requests failed while Redis was away");
}

#[test]
fn slow_redis_holds_up_no_request() {
    let redis = Redis::start(&["--enable-debug-command", "local"]);
    let url = format!("redis://127.0.0.1:{} sync=100ms timeout=300ms", redis.port);
    let hosts = cluster(&url, &failure_body());
    let mut c = redis.client(0);
    let sleeper = std::thread::spawn(move || {
        redis::cmd("DEBUG")
            .arg("SLEEP")
            .arg(5)
            .query::<()>(&mut c)
            .unwrap()
    });
    // Asleep once the hosts' rounds time out.
    for h in &hosts {
        assert!(
            eventually(20, || unavailable(h) >= 1),
            "no unavailable line:\n{}",
            h.error_log()
        );
    }
    assert!(hosts
        .iter()
        .all(|h| h.error_log().contains("unavailable (timed out)")));
    // While Redis sleeps: requests are answered, limits hold locally.
    let mut answered = 0;
    for i in 0..300 {
        let s = hit(hosts[i % 3].port, "/l/", "during");
        assert!(s == 200 || s == 429, "status {s}");
        answered += 1;
    }
    for h in &hosts {
        assert_eq!(admitted(h.port, "/s/", "asleep", 10), 3);
    }
    assert!(
        !sleeper.is_finished(),
        "Redis woke before the requests were answered: the test cannot tell"
    );
    eprintln!("slow redis: {answered} requests answered while it slept");
    sleeper.join().unwrap();
    for h in &hosts {
        assert!(
            eventually(30, || connected(h) >= 2),
            "did not reconnect:\n{}",
            h.error_log()
        );
    }
}

#[test]
fn password_and_database() {
    let mut redis = Redis::start(&[
        "--user", "default", "off", "--user", "fg", "on", ">s3cret", "~*", "&*", "+@all",
    ]);
    redis.auth = Some((Some("fg".into()), "s3cret".into()));
    let url = format!("redis://fg:s3cret@127.0.0.1:{}/5", redis.port);
    let hosts = cluster(&url, &limit_body("10r/s", 5));
    let secret = |db: i64| -> Option<String> {
        redis::cmd("GET")
            .arg("fediguard:secret")
            .query(&mut redis.client(db))
            .unwrap()
    };
    assert_eq!(secret(5).map(|s| s.len()), Some(64));
    assert_eq!(secret(0), None, "written to database 5 only");
    assert_eq!(hit(hosts[0].port, "/l/", "a"), 200);

    // A wrong password: logged once, requests served from local state.
    let bad = Nginx::start(&format!(
        "fediguard_redis redis://fg:wrong@127.0.0.1:{}/5;\n{}",
        redis.port,
        limit_body("1r/m", 1)
    ));
    assert!(eventually(20, || unavailable(&bad) >= 1));
    assert!(
        bad.error_log().contains("AUTH: WRONGPASS"),
        "{}",
        bad.error_log()
    );
    assert_eq!(admitted(bad.port, "/l/", "b", 5), 2);
    assert_eq!(unavailable(&bad), 1);
    for h in hosts.iter().chain([&bad]) {
        let log = h.error_log();
        assert!(!log.contains("s3cret") && !log.contains("wrong@"), "{log}");
    }
}

const USER: &str = "UserTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

#[test]
fn token_verified_on_one_host_is_known_on_all() {
    let redis = Redis::start(&[]);
    let backend = Backend::start(Profile::Mastodon);
    backend.add_user(USER, "alice");
    let b = backend.port();
    let hosts = cluster(
        &format!("redis://127.0.0.1:{}", redis.port),
        &format!(
            "fediguard_token_zone zone=tokens:1m sync;
             server {{ listen 127.0.0.1:{{PORT}};
               fediguard on;
               add_header X-Token-Class $fediguard_token_class always;
               add_header X-Account $fediguard_account always;
               location /api/ {{ fediguard_token_verify /_fediguard; try_files /x @ok; }}
               location /peek/ {{ try_files /x @ok; }}
               location /_fediguard/ {{ internal; proxy_pass http://127.0.0.1:{b}/; }}
               {OK}
             }}"
        ),
    );
    let auth = format!("Bearer {USER}");
    let headers = [("Authorization", auth.as_str())];
    let r = hosts[0].get("/api/v1/timelines/home", &headers);
    assert_eq!(r.header("X-Token-Class"), Some("user"));
    let calls = backend.verification_calls();
    assert!(calls >= 1);
    verdict_known_on_the_others(&hosts, &headers, "user", ("X-Account", "alice"));
    assert_eq!(
        backend.verification_calls(),
        calls,
        "verified again on another host"
    );
    // Redis holds fingerprints, never the token.
    let mut c = redis.client(0);
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut c).unwrap();
    let dump: Vec<redis::Value> = redis::cmd("XRANGE")
        .arg("fediguard:verdicts")
        .arg("-")
        .arg("+")
        .query(&mut c)
        .unwrap();
    let text = format!("{keys:?}{dump:?}");
    assert!(!text.contains(USER) && text.contains("alice"), "{text}");
}

#[test]
fn reload_keeps_sharing() {
    let redis = Redis::start(&[]);
    let hosts = cluster(
        &format!("redis://127.0.0.1:{}", redis.port),
        &failure_body(),
    );
    hosts[0].reload();
    assert!(
        eventually(20, || connected(&hosts[0]) >= 2),
        "the new worker did not connect:\n{}",
        hosts[0].error_log()
    );
    // The old workers leave without waiting for the sync loop.
    assert!(eventually(20, || hosts[0].worker_pids().len() == 2));
    assert_shares(&redis, &hosts[0], &hosts[1]);
    let log = hosts[0].error_log();
    assert!(
        !log.contains("open socket") && !log.contains("[alert]"),
        "{log}"
    );
}

#[test]
fn after_charges_are_shared_too() {
    let redis = Redis::start(&[]);
    let hosts = cluster(
        &format!("redis://127.0.0.1:{}", redis.port),
        &format!(
            "fediguard_limit_zone $http_x_key zone=t:1m rate=1r/m sync;
             server {{ listen 127.0.0.1:{{PORT}};
               fediguard on;
               # The location that finishes the request (@ok) charges after.
               fediguard_limit_after zone=t cost=2;
               location /t/ {{ fediguard_limit zone=t burst=5 nodelay; try_files /x @ok; }}
               {OK}
             }}"
        ),
    );
    // One request charged 1, then 2 more once answered: Redis gets 3 (a new
    // key's first request is free: excess 2000). Without the after-charge
    // it would hold 0.
    assert_eq!(hit(hosts[0].port, "/t/", "after"), 200);
    assert!(
        eventually(20, || cluster_excess(&redis, "t") >= Some(1900)),
        "excess {:?}",
        cluster_excess(&redis, "t")
    );
}
