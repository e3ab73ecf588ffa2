//! Cluster mode on the Redis that operators run: TLS (`rediss://`, a test
//! CA made with openssl), a Unix socket with a database and an ACL user,
//! and an ACL user with `nopass`.

use fediguard_tests::cluster::{
    admitted, assert_shared, cluster_excess_in, connected, eventually, hit, log_has, sharing_body,
    unavailable,
};
use fediguard_tests::redis_server::certs::Certs;
use fediguard_tests::redis_server::{Forward, Redis};
use fediguard_tests::Nginx;

/// Starts a host with `fediguard_redis <redis>` and waits for its
/// "connected" line.
fn host(redis: &str) -> Nginx {
    let h = Nginx::start(&format!("fediguard_redis {redis};\n{}", sharing_body()));
    assert!(
        eventually(20, || connected(&h) >= 1),
        "host did not connect:\n{}",
        h.error_log()
    );
    h
}

fn secret(redis: &Redis, db: i64) -> Option<String> {
    redis::cmd("GET")
        .arg("fediguard:secret")
        .query(&mut redis.client(db))
        .unwrap()
}

/// Two hosts share a `sync` zone through `rediss://`: the test CA as
/// `ssl_trusted_certificate`, a client certificate (Redis requires one),
/// the certificate checked against an IP address on one host and a name
/// on the other, a password that never reaches the logs.
#[test]
fn tls_shares_a_sync_zone() {
    let certs = Certs::make();
    let mut redis = Redis::start_tls(&certs, &["--requirepass", "tls-s3cret"]);
    redis.auth = Some((None, "tls-s3cret".into()));
    let port = redis.tls_port.unwrap();
    let client = format!(
        "ssl_trusted_certificate={} ssl_certificate={} ssl_certificate_key={}",
        certs.file("ca.pem"),
        certs.file("client.pem"),
        certs.file("client.key")
    );
    let a = host(&format!("rediss://:tls-s3cret@127.0.0.1:{port}/2 {client}"));
    let b = host(&format!("rediss://:tls-s3cret@localhost:{port}/2 {client}"));
    assert!(log_has(&a, &["redis 127.0.0.1:", "connected"]));
    assert!(log_has(&b, &["redis localhost:", "connected"]));
    assert_eq!(secret(&redis, 2).map(|s| s.len()), Some(64));
    assert_shared(|| cluster_excess_in(&redis, 2, "t"), &a, &b, "tls");
    // A reload: the old worker 0 closes its TLS connection as it leaves,
    // the new one connects.
    a.reload();
    assert!(
        eventually(20, || connected(&a) >= 2),
        "the new worker did not connect:\n{}",
        a.error_log()
    );
    assert!(eventually(20, || a.worker_pids().len() == 2));
    for h in [&a, &b] {
        let log = h.error_log();
        assert!(
            !log.contains("open socket") && !log.contains("[alert]"),
            "{log}"
        );
    }
    for h in [&a, &b] {
        let log = h.error_log();
        assert!(
            !log.contains("tls-s3cret") && !log.contains("PRIVATE"),
            "{log}"
        );
        assert_eq!(unavailable(h), 0, "{log}");
    }
}

/// A server whose certificate is not trusted (the system's store, another
/// CA) or names another host: no command reaches Redis, the failure is
/// logged once (with the reason), requests are decided locally.
#[test]
fn tls_with_a_wrong_ca_fails_closed_for_redis_and_open_for_requests() {
    let certs = Certs::make();
    let redis = Redis::start_tls(&certs, &[]);
    let port = redis.tls_port.unwrap();
    let client = format!(
        "ssl_certificate={} ssl_certificate_key={}",
        certs.file("client.pem"),
        certs.file("client.key")
    );
    // Each host reaches Redis through a forwarder that counts its attempts.
    let fwd: Vec<Forward> = (0..3).map(|_| Forward::to(port)).collect();
    let p: Vec<u16> = fwd.iter().map(|f| f.port).collect();
    // (Redis sends its CA along: OpenSSL's reason is then "self-signed
    // certificate in certificate chain".)
    let cases = [
        // The system's trust store (no ssl_trusted_certificate).
        (
            format!("rediss://127.0.0.1:{} {client}", p[0]),
            "certificate not accepted for 127.0.0.1: ",
        ),
        (
            format!(
                "rediss://127.0.0.1:{} {client} ssl_trusted_certificate={}",
                p[1],
                certs.file("other-ca.pem")
            ),
            "certificate not accepted for 127.0.0.1: ",
        ),
        (
            format!(
                "rediss://127.0.0.1:{} {client} ssl_trusted_certificate={} ssl_name=redis.example",
                p[2],
                certs.file("ca.pem")
            ),
            "certificate not accepted for redis.example: hostname mismatch",
        ),
    ];
    let hosts: Vec<Nginx> = cases
        .iter()
        .map(|(url, _)| {
            Nginx::start(&format!(
                "fediguard_redis {url} sync=50ms;\n{}",
                sharing_body()
            ))
        })
        .collect();
    // A few attempts each (the backoff doubles from 50 ms).
    for f in &fwd {
        assert!(
            eventually(20, || f.accepted() >= 3),
            "{} attempts",
            f.accepted()
        );
    }
    for (h, (_, why)) in hosts.iter().zip(&cases) {
        assert!(
            eventually(20, || log_has(h, &["unavailable", why])),
            "want {why:?}:\n{}",
            h.error_log()
        );
        // Open for requests: zone t's local limit (three requests).
        assert_eq!(admitted(h.port, "/t/", "wrong-ca", 5), 3);
        assert_eq!(hit(h.port, "/l/", "x"), 200);
        assert_eq!(unavailable(h), 1, "{}", h.error_log());
        assert_eq!(connected(h), 0, "{}", h.error_log());
    }
    // With ssl_verify=off, the same untrusted server is taken (in a
    // database of its own: 0 stays the untrusted hosts' witness).
    let blind = host(&format!(
        "rediss://127.0.0.1:{port}/5 {client} ssl_verify=off"
    ));
    assert_eq!(unavailable(&blind), 0, "{}", blind.error_log());
    assert_eq!(secret(&redis, 5).map(|s| s.len()), Some(64));
    // Closed for Redis: not a command got through.
    assert_eq!(secret(&redis, 0), None);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query(&mut redis.client(0))
        .unwrap();
    assert!(keys.is_empty(), "{keys:?}");
}

/// `redis+unix://` with an ACL user and database 3; two hosts share.
#[test]
fn unix_socket_with_acl_user_and_database() {
    let mut redis = Redis::start_unix(&[
        "--user",
        "default",
        "off",
        "--user",
        "fg",
        "on",
        ">unix-s3cret",
        "~*",
        "&*",
        "+@all",
    ]);
    redis.auth = Some((Some("fg".into()), "unix-s3cret".into()));
    let sock = redis.socket.clone().unwrap();
    let url = format!("redis+unix://fg:unix-s3cret@{}?db=3", sock.display());
    let a = host(&url);
    let b = host(&url);
    assert!(log_has(
        &a,
        &[&format!("redis unix:{}", sock.display()), "connected"]
    ));
    assert_eq!(secret(&redis, 3).map(|s| s.len()), Some(64));
    assert_eq!(secret(&redis, 0), None, "written to database 3 only");
    assert_shared(|| cluster_excess_in(&redis, 3, "t"), &a, &b, "unix");
    for h in [&a, &b] {
        let log = h.error_log();
        assert!(!log.contains("unix-s3cret"), "{log}");
    }
}

/// `redis://user@host`: an ACL user with `nopass` (the default user off,
/// so a connection without AUTH could do nothing).
#[test]
fn acl_user_with_nopass_authenticates() {
    let mut redis = Redis::start(&[
        "--user", "default", "off", "--user", "np", "on", "nopass", "~*", "&*", "+@all",
    ]);
    redis.auth = Some((Some("np".into()), String::new()));
    let h = host(&format!("redis://np@127.0.0.1:{}", redis.port));
    assert_eq!(secret(&redis, 0).map(|s| s.len()), Some(64));
    assert_eq!(unavailable(&h), 0, "{}", h.error_log());
}
