//! Cluster mode through Redis Sentinel: a master, a replica and three
//! sentinels (real `redis-sentinel` processes), three nginx hosts; a
//! failover forced under load is followed without a reload.

use std::time::{Duration, Instant};

use fediguard_tests::cluster::{
    admitted, cluster, eventually, hit, log_has, sharing_body, unavailable, Load,
};
use fediguard_tests::redis_server::sentinel::{FakeSentinel, SentinelSet};
use fediguard_tests::redis_server::Redis;
use fediguard_tests::Nginx;

/// docs/cluster.md's bound (see tests/cluster.rs): in a window of W seconds, a
/// key with rate r and burst B through H hosts syncing every S seconds.
fn bound(rate: f64, burst: f64, hosts: f64, sync: f64, window: f64) -> f64 {
    (burst + 1.0) + rate * window + (hosts - 1.0) * (burst + 1.0 + 2.0 * rate * sync)
}

/// Waits until every host has had a round on the master at `port`;
/// returns when each did, counted from `t0`.
fn followed(hosts: &[Nginx], port: u16, t0: Instant) -> Vec<Duration> {
    let mut at: Vec<Option<Duration>> = vec![None; hosts.len()];
    let on_new = format!("at 127.0.0.1:{port} connected");
    let all = eventually(30, || {
        for (h, f) in hosts.iter().zip(at.iter_mut()) {
            if f.is_none() && log_has(h, &[&on_new]) {
                *f = Some(t0.elapsed());
            }
        }
        at.iter().all(Option::is_some)
    });
    assert!(
        all,
        "not every host followed the failover:\n{}",
        hosts
            .iter()
            .map(|h| h.error_log())
            .collect::<Vec<_>>()
            .join("\n---\n")
    );
    at.into_iter().flatten().collect()
}

#[test]
fn sentinel_failover_is_followed_under_load() {
    // Passwords on the master and the replica, and on the sentinels.
    let set = SentinelSet::start("fgmaster", 5000, Some(("m-s3cret", "s-s3cret")));
    let (old, new) = (set.master.port, set.replica.port);
    let hosts = cluster(
        &format!("{} sync=100ms timeout=500ms", set.url()),
        &sharing_body(),
    );
    for h in &hosts {
        let line = format!("redis master \"fgmaster\" at 127.0.0.1:{old} connected");
        assert!(log_has(h, &[&line]), "{}", h.error_log());
    }
    // A host with a wrong sentinel password: nothing to ask, logged once
    // (checked at the end, after many attempts), requests decided locally.
    let wrong = Nginx::start(&format!(
        "fediguard_redis {} sync=100ms;\n{}",
        set.url().replace("=s-s3cret", "=not-it"),
        sharing_body()
    ));
    assert!(eventually(20, || unavailable(&wrong) >= 1));
    assert!(
        log_has(&wrong, &["no sentinel answered", "WRONGPASS"]),
        "{}",
        wrong.error_log()
    );
    assert_eq!(admitted(wrong.port, "/t/", "alone", 5), 3);

    let load = Load::start(hosts.iter().map(|h| h.port).collect());
    assert!(eventually(20, || load.total() > 100));

    let t0 = Instant::now();
    set.failover();
    let mut switched = None;
    assert!(eventually(20, || {
        switched = Some(t0.elapsed());
        set.master_port(0) == Some(new)
    }));
    let followed = followed(&hosts, new, t0);
    let slowest = followed.iter().max().copied().unwrap_or_default();
    eprintln!(
        "sentinel failover: the sentinel named the new master after {switched:?}; hosts had \
         their first round there after {followed:?} (slowest {slowest:?})"
    );
    for l in hosts[0].error_log().lines() {
        if l.contains("fediguard: redis") {
            eprintln!("host 0: {l}");
        }
    }
    for h in &hosts {
        assert!(
            log_has(h, &["moved to", &format!("127.0.0.1:{new}"), "following"]),
            "{}",
            h.error_log()
        );
    }

    // The cluster's limit, right after: a fresh key round-robin over the
    // hosts as fast as it goes, within the bound (and shared: well under
    // what three hosts admit alone).
    let start = Instant::now();
    let (mut admitted, mut sent) = (0, 0);
    while start.elapsed() < Duration::from_secs(2) {
        match hit(hosts[sent % 3].port, "/l/", "after-failover") {
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
        "after the failover: {sent} sent in {w:.2}s, {admitted} admitted; one host's limit \
         {single:.1}, bound {limit:.1}"
    );
    assert!(sent > 100, "too few requests to tell: {sent}");
    assert!(
        admitted as f64 <= limit,
        "{admitted} admitted, bound {limit:.1}"
    );
    assert!(
        (admitted as f64) < 1.6 * single,
        "{admitted} admitted: hosts did not share after the failover"
    );
    // The rounds ran there: scripts replicate as their effects, so EVAL
    // calls on the former replica are the hosts' own.
    let evals = || -> u64 {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(&mut set.replica.client(0))
            .unwrap();
        info.lines()
            .find_map(|l| l.strip_prefix("cmdstat_eval:calls="))
            .and_then(|v| v.split(',').next()?.parse().ok())
            .unwrap_or(0)
    };
    assert!(evals() > 0, "no script ran on the new master");

    let (total, failed) = load.finish();
    eprintln!("sentinel failover: {total} requests under load, {failed} failed");
    assert_eq!(failed, 0, "requests failed during the failover");
    assert_eq!(unavailable(&wrong), 1, "{}", wrong.error_log());
    for h in hosts.iter().chain([&wrong]) {
        let log = h.error_log();
        assert!(
            !log.contains("m-s3cret") && !log.contains("s-s3cret"),
            "{log}"
        );
        // Followed by asking, not by failing (a round cut by the old
        // master's demotion may still count once).
        assert!(unavailable(h) <= 1, "{}", h.error_log());
    }
}

/// The master dies (SIGKILL): the rounds fail (logged once), the sentinels
/// agree that it is down and promote the replica, and every host follows
/// without a reload while requests go on.
#[test]
fn master_crash_is_followed() {
    let mut set = SentinelSet::start("fgcrash", 1000, None);
    set.wait_acquainted();
    let new = set.replica.port;
    let hosts = cluster(
        &format!("{} sync=100ms timeout=500ms", set.url()),
        &sharing_body(),
    );
    let load = Load::start(hosts.iter().map(|h| h.port).collect());
    assert!(eventually(20, || load.total() > 100));
    let t0 = Instant::now();
    set.master.kill();
    let followed = followed(&hosts, new, t0);
    eprintln!("master crash: hosts had their first round on the new master after {followed:?}");
    let (total, failed) = load.finish();
    eprintln!("master crash: {total} requests under load, {failed} failed");
    assert_eq!(failed, 0, "requests failed while the master was away");
    for h in &hosts {
        // The outage was logged once, not per attempt or per sentinel.
        assert_eq!(unavailable(h), 1, "{}", h.error_log());
    }
}

/// What the sentinels may say for a while around a failover: a server
/// that is a replica (refused by its HELLO role, before anything is
/// written), and a master demoted under the host's feet (its `-READONLY`
/// ends the round and the sentinels are asked again).
#[test]
fn replica_named_or_master_demoted_is_left() {
    let a = Redis::start(&[]);
    let b = Redis::start(&["--replicaof", "127.0.0.1", &a.port.to_string()]);
    assert!(eventually(20, || b
        .info("master_link_status")
        .is_some_and(|v| v == "up")));
    let fake = FakeSentinel::start(b.port);
    let h = Nginx::start(&format!(
        "fediguard_redis redis-sentinel://127.0.0.1:{}/fake sync=50ms;\n{}",
        fake.port,
        sharing_body()
    ));
    assert!(
        eventually(20, || log_has(&h, &["unavailable", "not the master"])),
        "{}",
        h.error_log()
    );
    // Nothing was even tried on the replica but the greeting.
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut b.client(0))
        .unwrap();
    assert!(stats.contains("cmdstat_hello"), "{stats}");
    assert!(
        !stats.contains("cmdstat_set") && !stats.contains("cmdstat_eval"),
        "{stats}"
    );
    fake.name(a.port);
    let on_a = format!("at 127.0.0.1:{} connected", a.port);
    assert!(
        eventually(20, || log_has(&h, &[&on_a])),
        "{}",
        h.error_log()
    );

    // b becomes the master, a its replica; the stand-in still names a.
    redis::cmd("REPLICAOF")
        .arg("NO")
        .arg("ONE")
        .query::<()>(&mut b.client(0))
        .unwrap();
    redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(b.port)
        .query::<()>(&mut a.client(0))
        .unwrap();
    assert!(
        eventually(20, || log_has(&h, &["unavailable", "READONLY"])),
        "{}",
        h.error_log()
    );
    fake.name(b.port);
    let on_b = format!("at 127.0.0.1:{} connected", b.port);
    assert!(
        eventually(20, || log_has(&h, &[&on_b])),
        "{}",
        h.error_log()
    );
    assert_eq!(hit(h.port, "/l/", "x"), 200);
}
