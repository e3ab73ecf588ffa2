//! Cluster mode with a `sync` interval longer than the 5 s backoff ceiling
//! and Redis away: the sync worker waits and goes on (it once crashed on
//! the first failure, in a loop).

use fediguard_tests::cluster::{eventually, unavailable};
use fediguard_tests::Nginx;

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
