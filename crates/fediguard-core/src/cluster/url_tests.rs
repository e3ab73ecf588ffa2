//! The URL forms, the TLS parameters, AUTH and the sentinels' replies.

use redis::Value;

use super::*;

fn tcp(host: &str, port: u16) -> Endpoint {
    Endpoint::Tcp {
        host: host.into(),
        port,
    }
}

#[test]
fn tcp_forms() {
    let c = parse_redis(&["redis://h"]).unwrap();
    assert_eq!((c.endpoint, c.db), (tcp("h", 6379), 0));
    let c = parse_redis(&["redis://[::1]:7000/4"]).unwrap();
    assert_eq!((c.endpoint.clone(), c.db), (tcp("::1", 7000), 4));
    assert_eq!(c.describe(), "[::1]:7000");
    let c = parse_redis(&["REDIS://user@h:1/"]).unwrap();
    assert_eq!((c.username.as_deref(), c.password), (Some("user"), None));
    for bad in [
        "redis://h:0",
        "redis://h:65536",
        "redis://h:1/x",
        "redis://h:1/-1",
        "redis://h:1?db=2",
        "redis://:1",
        "redis://h x:1",
        "redis://[::1",
        "redis://[nope]:1",
        "redis+tcp://h",
        "redis-sentinel://h:1",
        "rediss-sentinel://h:1/m",
    ] {
        assert!(parse_redis(&[bad]).is_err(), "{bad}");
    }
}

#[test]
fn tls_parameters() {
    let c = parse_redis(&["rediss://u:p@redis.internal:6380/1"]).unwrap();
    let t = c.tls.clone().unwrap();
    assert!(t.verify && t.trusted_certificate.is_none() && t.name.is_none());
    assert_eq!(c.tls_name(), Some("redis.internal"));
    let c = parse_redis(&[
        "rediss://10.0.0.5",
        "ssl_trusted_certificate=/etc/redis/ca.pem",
        "ssl_certificate=client.pem",
        "ssl_certificate_key=client.key",
        "ssl_name=redis.internal",
        "ssl_verify=off",
    ])
    .unwrap();
    let t = c.tls.clone().unwrap();
    assert_eq!(t.trusted_certificate.as_deref(), Some("/etc/redis/ca.pem"));
    assert_eq!(t.certificate.as_deref(), Some("client.pem"));
    assert_eq!(t.certificate_key.as_deref(), Some("client.key"));
    assert!(!t.verify);
    assert_eq!(c.tls_name(), Some("redis.internal"));
    for bad in [
        &["redis://h", "ssl_name=x"][..],
        &["rediss://h", "ssl_certificate=c.pem"],
        &["rediss://h", "ssl_certificate_key=c.key"],
        &["rediss://h", "ssl_verify=maybe"],
        &["rediss://h", "ssl_name="],
        &["rediss://h", "ssl_color=red"],
    ] {
        assert!(parse_redis(bad).is_err(), "{bad:?}");
    }
    assert!(is_ip("10.0.0.5") && is_ip("::1") && !is_ip("redis.internal"));
}

#[test]
fn unix_socket_forms() {
    for url in [
        "redis+unix://fg:s%3Acret@/run/redis/redis.sock?db=2",
        "unix://fg:s%3Acret@/run/redis/redis.sock?db=2",
    ] {
        let c = parse_redis(&[url]).unwrap();
        assert_eq!(
            c.endpoint,
            Endpoint::Unix {
                path: "/run/redis/redis.sock".into()
            }
        );
        assert_eq!(c.db, 2);
        assert_eq!(c.username.as_deref(), Some("fg"));
        assert_eq!(c.password.as_deref(), Some("s:cret"));
        assert_eq!(c.describe(), "unix:/run/redis/redis.sock");
    }
    let c = parse_redis(&["redis+unix:///tmp/a%20b.sock"]).unwrap();
    assert_eq!(
        (c.endpoint, c.db),
        (
            Endpoint::Unix {
                path: "/tmp/a b.sock".into()
            },
            0
        )
    );
    for bad in [
        "redis+unix://host/tmp/r.sock",
        "redis+unix://",
        "redis+unix:///",
        "redis+unix:///r.sock?db=x",
        "redis+unix:///r.sock?password=x",
    ] {
        assert!(parse_redis(&[bad]).is_err(), "{bad}");
    }
    let e = parse_redis(&["redis+unix:///r.sock?password=topsecret"]).unwrap_err();
    assert!(!e.contains("topsecret"), "{e}");
}

#[test]
fn sentinel_forms() {
    let c = parse_redis(&[
        "redis-sentinel://:m%40ster@10.0.0.1,10.0.0.2:26380,[::1]:26381/mymaster/3?sentinel_password=s%26p&sentinel_username=sen",
    ])
    .unwrap();
    let Endpoint::Sentinel(s) = &c.endpoint else {
        panic!("{c:?}")
    };
    assert_eq!(
        s.sentinels,
        vec![
            ("10.0.0.1".to_string(), 26379),
            ("10.0.0.2".to_string(), 26380),
            ("::1".to_string(), 26381)
        ]
    );
    assert_eq!(s.master, "mymaster");
    assert_eq!(
        (s.username.as_deref(), s.password.as_deref()),
        (Some("sen"), Some("s&p"))
    );
    assert_eq!(
        (c.username.as_deref(), c.password.as_deref(), c.db),
        (None, Some("m@ster"), 3)
    );
    assert_eq!(c.describe(), "master \"mymaster\"");
    for bad in [
        "redis-sentinel://h1,h2",
        "redis-sentinel://h1,h2/",
        "redis-sentinel://h1,,h2/m",
        "redis-sentinel://h1/m/x",
        "redis-sentinel://h1/m?color=red",
        "redis-sentinel://h1/m", // fine: checked below
    ]
    .iter()
    .take(5)
    {
        assert!(parse_redis(&[bad]).is_err(), "{bad}");
    }
    assert!(parse_redis(&["redis-sentinel://h1/m"]).is_ok());
    assert!(parse_redis(&["redis-sentinel://h1/m", "ssl_verify=off"]).is_err());
    let e = parse_redis(&["redis-sentinel://h1/m?sentinel_password=topsecret&x=1"]).unwrap_err();
    assert!(!e.contains("topsecret"), "{e}");
}

#[test]
fn redaction_hides_every_password() {
    for url in [
        "redis://u:topsecret@h:1",
        "redis://u:top?secret@h:1",
        "redis://u:top/secret@h:1",
        "redis-sentinel://u:topsecret@h/m?sentinel_password=topsecret",
        "redis-sentinel://h/m?sentinel_password=top&secret",
        "redis+unix://u:topsecret@/r.sock?db=1",
    ] {
        let r = redact_url(url);
        assert!(!r.contains("secret"), "{url}: {r}");
        let e = parse_redis(&[url, "color=red"]).map_or_else(|e| e, |_| String::new());
        assert!(!e.contains("secret"), "{url}: {e}");
    }
    assert_eq!(
        redact_url("redis+unix://u:pw@/r.sock?db=1"),
        "redis+unix://u:[redacted]@/r.sock?db=1"
    );
}

#[test]
fn auth_as_redis_expects() {
    let wire =
        |c: Option<redis::Cmd>| c.map(|c| String::from_utf8(c.get_packed_command()).unwrap());
    assert_eq!(wire(auth_command(None, None)), None);
    assert_eq!(
        wire(auth_command(None, Some("pw"))).as_deref(),
        Some("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n")
    );
    assert_eq!(
        wire(auth_command(Some("u"), Some("pw"))).as_deref(),
        Some("*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$2\r\npw\r\n")
    );
    // A nopass ACL user: the user, and an empty password (any would do).
    assert_eq!(
        wire(auth_command(Some("u"), None)).as_deref(),
        Some("*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$0\r\n\r\n")
    );
}

#[test]
fn sentinel_and_hello_replies() {
    let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
    let (ip, port) = read_master_addr(&Value::Array(vec![bulk("10.0.0.7"), bulk("6380")])).unwrap();
    assert_eq!(addr_text(ip, port), "10.0.0.7:6380");
    let (ip, port) = read_master_addr(&Value::Array(vec![bulk("::1"), bulk("6380")])).unwrap();
    assert_eq!(addr_text(ip, port), "[::1]:6380");
    assert!(read_master_addr(&Value::Nil)
        .unwrap_err()
        .contains("does not know"));
    assert!(
        read_master_addr(&Value::Array(vec![bulk("redis.internal"), bulk("6380")]))
            .unwrap_err()
            .contains("host name")
    );
    assert!(read_master_addr(&Value::Array(vec![bulk("10.0.0.7"), bulk("0")])).is_err());
    assert!(read_master_addr(&Value::Int(1)).is_err());
    let hello = Value::Array(vec![
        bulk("server"),
        bulk("redis"),
        bulk("proto"),
        Value::Int(2),
        bulk("role"),
        bulk("replica"),
    ]);
    assert_eq!(read_role(&hello).unwrap(), "replica");
    assert!(read_role(&Value::Array(vec![bulk("server")])).is_err());
    let wire = String::from_utf8(master_addr_command("m").get_packed_command()).unwrap();
    assert_eq!(
        wire,
        "*3\r\n$8\r\nSENTINEL\r\n$23\r\nget-master-addr-by-name\r\n$1\r\nm\r\n"
    );
}

/// Found by the conf_value fuzz target: a doubled slash put the password
/// in the database part, whose error message echoed it.
#[test]
fn a_password_in_the_database_part_is_not_echoed() {
    let url = "redis://fediguard//fediguard:s3cretp@10ok_..n0e0.1-a:6379/2";
    let e = crate::cluster::parse_redis(&[url]).unwrap_err();
    assert!(!e.contains("s3cretp"), "{e}");
    assert!(e.contains("invalid database"), "{e}");
}
