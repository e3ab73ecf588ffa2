//! Cluster mode's configuration: what `nginx -t` refuses, and settings at
//! their edges.

use fediguard_tests::cluster::{eventually, unavailable};
use fediguard_tests::{nginx_test, Nginx};

#[test]
fn bad_configuration_fails_nginx_t() {
    let server = "server { listen 127.0.0.1:{PORT}; location / { fediguard on; } }";
    let cases = [
        (
            "fediguard_limit_zone $remote_addr zone=k:1m rate=1r/s sync;",
            "needs fediguard_redis",
            "fediguard_limit_zone",
        ),
        (
            "fediguard_token_zone zone=t:1m sync;",
            "needs fediguard_redis",
            "fediguard_token_zone",
        ),
        (
            "fediguard_redis rediss://127.0.0.1:6379\n  ssl_trusted_certificate={DIR}/missing-ca.pem;",
            "cannot load ssl_trusted_certificate",
            "missing-ca.pem",
        ),
        (
            "fediguard_redis rediss://127.0.0.1:6379\n  ssl_certificate={DIR}/c.pem ssl_certificate_key={DIR}/c.key;",
            "cannot load ssl_certificate",
            "c.key",
        ),
        (
            "fediguard_redis redis://127.0.0.1:6379 ssl_name=redis.internal;",
            "needs a rediss:// URL",
            "fediguard_redis",
        ),
        (
            "fediguard_redis redis+unix://127.0.0.1/run/redis.sock;",
            "has no host",
            "fediguard_redis",
        ),
        (
            "fediguard_redis redis-sentinel://127.0.0.1:26379,127.0.0.1:26380;",
            "master's name is required",
            "fediguard_redis",
        ),
        (
            "fediguard_redis redis-sentinel://:topsecret@127.0.0.1/m?sentinel_password=topsecret&x=1;",
            "unknown query parameter",
            "fediguard_redis",
        ),
        (
            "fediguard_redis redis://127.0.0.1:6379 sync=0;",
            "invalid time",
            "fediguard_redis",
        ),
        (
            "fediguard_redis redis://127.0.0.1:6379 timeout=soon;",
            "invalid time",
            "fediguard_redis",
        ),
        (
            "fediguard_redis redis://127.0.0.1:6379 color=red;",
            "invalid parameter",
            "fediguard_redis",
        ),
        (
            "fediguard_redis redis://127.0.0.1:6379;\nfediguard_redis redis://127.0.0.1:6380;",
            "duplicate",
            "6380",
        ),
        (
            "fediguard_redis redis:/fg:topsecret@127.0.0.1:6379;",
            "invalid URL",
            "fediguard_redis",
        ),
        (
            "fediguard_limit_zone $remote_addr zone=k:1m rate=1r/s synced;",
            "invalid parameter",
            "synced",
        ),
    ];
    for (body, message, at) in cases {
        let t = nginx_test(&format!("{body}\n{server}"));
        assert!(!t.ok, "nginx -t passed:\n{body}");
        assert!(
            t.output.contains(message),
            "want {message:?}:\n{}",
            t.output
        );
        assert!(!t.output.contains("topsecret"), "{}", t.output);
        let place = t.place_of(at);
        assert!(t.output.contains(&place), "want {place:?}:\n{}", t.output);
    }
    for url in [
        "rediss://u:pw@127.0.0.1:6380/1 ssl_verify=off",
        "rediss://localhost:6380 ssl_name=redis.internal",
        "redis+unix://fg@/run/redis.sock?db=3",
        "unix:///run/redis.sock",
        "redis-sentinel://:pw@127.0.0.1:26379,127.0.0.1:26380/mymaster/2?sentinel_password=s",
    ] {
        let t = nginx_test(&format!(
            "fediguard_redis {url};
             fediguard_limit_zone $remote_addr zone=k:1m rate=1r/s sync;\n{server}"
        ));
        assert!(t.ok, "{url}: {}", t.output);
    }
    let t = nginx_test(&format!(
        "fediguard_redis redis://u:pw@127.0.0.1:6379/2 prefix=m: sync=250ms timeout=2s;
         fediguard_limit_zone $remote_addr zone=k:1m rate=1r/s sync;
         fediguard_token_zone zone=t:1m sync;\n{server}"
    ));
    assert!(t.ok, "{}", t.output);
}

/// A `sync` interval longer than the 5 s backoff ceiling, Redis away: the
/// sync worker waits and goes on (it once crashed on the first failure, in
/// a loop).
#[test]
fn long_sync_interval_with_redis_down_keeps_the_worker() {
    // Port 9 (discard) on loopback: nothing listens, connections are refused.
    let ngx = Nginx::start(
        "fediguard_redis redis://127.0.0.1:9 sync=10s;
         fediguard_limit_zone $remote_addr zone=k:1m rate=1r/s sync;
         server { listen 127.0.0.1:{PORT};
           location / { fediguard on; fediguard_limit zone=k burst=5; return 200 ok; }
         }",
    );
    assert!(
        eventually(20, || unavailable(&ngx) >= 1),
        "{}",
        ngx.error_log()
    );
    // A reload makes the new worker 0 fail once more; by the time it has
    // logged, a worker that died on the first failure has been reaped.
    ngx.reload();
    assert!(
        eventually(20, || unavailable(&ngx) >= 2),
        "{}",
        ngx.error_log()
    );
    assert_eq!(ngx.get("/", &[]).status, 200);
    let log = ngx.error_log();
    assert!(!log.contains("exited on signal"), "{log}");
}
