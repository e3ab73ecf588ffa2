//! Cluster-mode helpers: several nginx hosts on one Redis, waiting for
//! their sync by polling (never a bare sleep), and load that counts failures.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::redis_server::Redis;
use crate::{request, Nginx};

/// Polls `cond` every 20 ms until it holds; false after `secs`.
pub fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// How many times the host logged that Redis answered again.
pub fn connected(ngx: &Nginx) -> usize {
    ngx.error_log()
        .lines()
        .filter(|l| l.contains("fediguard: redis") && l.contains("connected"))
        .count()
}

/// How many times the host logged that Redis went away.
pub fn unavailable(ngx: &Nginx) -> usize {
    ngx.error_log()
        .lines()
        .filter(|l| l.contains("fediguard: redis") && l.contains("unavailable"))
        .count()
}

/// Status of GET `path` with `X-Key: key`.
pub fn hit(port: u16, path: &str, key: &str) -> u16 {
    let raw =
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nX-Key: {key}\r\nConnection: close\r\n\r\n");
    request(port, raw.as_bytes()).map(|r| r.status).unwrap_or(0)
}

/// Three hosts with the same configuration, all connected to Redis.
pub fn cluster(redis_url: &str, body: &str) -> Vec<Nginx> {
    let hosts: Vec<Nginx> = (0..3)
        .map(|_| Nginx::start(&format!("fediguard_redis {redis_url};\n{body}")))
        .collect();
    for h in &hosts {
        assert!(
            eventually(20, || connected(h) >= 1),
            "host did not connect:\n{}",
            h.error_log()
        );
    }
    hosts
}

/// Keeps requesting `/l/` round-robin over the hosts until stopped;
/// counts the requests and those not answered 200 or 429.
pub struct Load {
    stop: Arc<AtomicBool>,
    total: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Load {
    pub fn start(ports: Vec<u16>) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let total = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let (s, t, f) = (stop.clone(), total.clone(), failed.clone());
        let thread = std::thread::spawn(move || {
            let mut i = 0;
            // Bounded: stops by itself after a minute at most.
            let deadline = Instant::now() + Duration::from_secs(60);
            while !s.load(Ordering::SeqCst) && Instant::now() < deadline {
                let status = hit(ports[i % ports.len()], "/l/", "load");
                if status != 200 && status != 429 {
                    f.fetch_add(1, Ordering::SeqCst);
                }
                t.fetch_add(1, Ordering::SeqCst);
                i += 1;
            }
        });
        Load {
            stop,
            total,
            failed,
            thread: Some(thread),
        }
    }

    pub fn total(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }

    /// Stops; returns (requests, failed ones).
    pub fn finish(mut self) -> (usize, usize) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        (self.total(), self.failed.load(Ordering::SeqCst))
    }
}

pub fn admitted(port: u16, path: &str, key: &str, n: usize) -> usize {
    (0..n).filter(|_| hit(port, path, key) == 200).count()
}

/// The excess Redis holds for the only key of zone `zone`.
pub fn cluster_excess(redis: &Redis, zone: &str) -> Option<u64> {
    cluster_excess_in(redis, 0, zone)
}

/// The excess Redis holds in database `db` for the only key of `zone`.
pub fn cluster_excess_in(redis: &Redis, db: i64, zone: &str) -> Option<u64> {
    let mut c = redis.client(db);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("fediguard:l:{zone}:*"))
        .query(&mut c)
        .ok()?;
    let [key] = keys.as_slice() else { return None };
    redis::cmd("HGET").arg(key).arg("e").query(&mut c).ok()
}

/// Waits until every host but the first knows the token of `headers` as
/// `class` (`/peek/` only reads the zone: the verdict arrives by sync or
/// not at all), then checks that `/api/` classifies it so, with the
/// response header `name` at `value`.
pub fn verdict_known_on_the_others(
    hosts: &[Nginx],
    headers: &[(&str, &str)],
    class: &str,
    (name, value): (&str, &str),
) {
    for h in &hosts[1..] {
        assert!(
            eventually(20, || h.get("/peek/", headers).header("X-Token-Class")
                == Some(class)),
            "verdict not shared:\n{}",
            h.error_log()
        );
        let r = h.get("/api/v1/timelines/home", headers);
        assert_eq!(r.header("X-Token-Class"), Some(class));
        assert_eq!(r.header(name), Some(value));
    }
}

/// Whether the error log has a line with all of `parts`.
pub fn log_has(ngx: &Nginx, parts: &[&str]) -> bool {
    ngx.error_log()
        .lines()
        .any(|l| parts.iter().all(|p| l.contains(p)))
}

/// A zone `t` of rate 1r/m and burst 2 (three requests; nothing refills
/// during a test), and `/l/` on a zone `k` of 5r/s, burst 4, for load.
pub fn sharing_body() -> String {
    "fediguard_limit_zone $http_x_key zone=k:1m rate=5r/s sync;
     fediguard_limit_zone $http_x_key zone=t:1m rate=1r/m sync;
     server { listen 127.0.0.1:{PORT};
       location /l/ { fediguard on; fediguard_limit zone=k burst=4 nodelay; try_files /x @ok; }
       location /t/ { fediguard on; fediguard_limit zone=t burst=2 nodelay; try_files /x @ok; }
       location @ok { default_type text/plain; return 200 ok; }
     }"
    .to_string()
}

/// Host `a` spends zone t's three requests for `key`; once Redis holds
/// them (`excess` reads it), host `b` lets through its first request (a
/// key it has never seen starts locally) and, once its round has told it
/// the cluster's state, at most one more: alone it would let three through.
pub fn assert_shared(excess: impl Fn() -> Option<u64>, a: &Nginx, b: &Nginx, key: &str) {
    assert_eq!(admitted(a.port, "/t/", key, 3), 3);
    assert!(
        eventually(20, || excess() >= Some(1900)),
        "Redis did not get host a's charges: {:?}\n{}",
        excess(),
        a.error_log()
    );
    assert_eq!(hit(b.port, "/t/", key), 200);
    assert!(eventually(20, || excess() >= Some(2900)));
    let mut extra = 0;
    assert!(eventually(20, || match hit(b.port, "/t/", key) {
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
