use redis::Value;

use super::*;
use crate::limit::Bucket;

#[test]
fn redis_directive_values() {
    let c = parse_redis(&["redis://127.0.0.1:6379"]).unwrap();
    assert_eq!(
        c.endpoint,
        Endpoint::Tcp {
            host: "127.0.0.1".into(),
            port: 6379
        }
    );
    assert_eq!((c.db, c.tls.is_some()), (0, false));
    assert_eq!((c.sync_ms, c.timeout_ms), (100, 1000));
    assert_eq!(c.prefix, "fediguard:");
    let c = parse_redis(&[
        "redis://fg:s%40cret@redis.internal:6380/3",
        "prefix=mastodon:",
        "sync=250ms",
        "timeout=2s",
    ])
    .unwrap();
    assert_eq!(c.username.as_deref(), Some("fg"));
    assert_eq!(c.password.as_deref(), Some("s@cret"));
    assert_eq!(
        (c.endpoint, c.db, c.sync_ms, c.timeout_ms),
        (
            Endpoint::Tcp {
                host: "redis.internal".into(),
                port: 6380
            },
            3,
            250,
            2000
        )
    );
    assert_eq!(c.prefix, "mastodon:");
    let c = parse_redis(&["redis://:pw@h:1"]).unwrap();
    assert_eq!((c.username, c.password.as_deref()), (None, Some("pw")));
    for bad in [
        &["redis://h:1", "ssl_verify=off"][..],
        &["http://h:1"],
        &["redis://h:1", "sync=0"],
        &["redis://h:1", "sync=fast"],
        &["redis://h:1", "timeout=2h"],
        &["redis://h:1", "prefix="],
        &["redis://h:1", "prefix=a b"],
        &["redis://h:1", "color=red"],
        &[],
    ] {
        assert!(parse_redis(bad).is_err(), "{bad:?}");
    }
    let e = parse_redis(&["rediss://u:topsecret@h:1/x"]).unwrap_err();
    assert!(!e.contains("topsecret"), "{e}");
    assert_eq!(
        redact_url("redis://u:pw@h:1/2"),
        "redis://u:[redacted]@h:1/2"
    );
    // Typos must not print the password either.
    for typo in [
        "redis:/u:topsecret@h:1",
        "redis//u:topsecret@h:1",
        "redis://topsecret@h:1",
        "u:topsecret@h:1",
    ] {
        let e = parse_redis(&[typo]).map_or_else(|e| e, |_| redact_url(typo));
        assert!(!e.contains("topsecret"), "{typo}: {e}");
    }
    assert_eq!(redact_url("redis://topsecret@h"), "redis://[redacted]@h");
}

#[test]
fn replies_arrive_in_pieces() {
    let wire = b"+OK\r\n*2\r\n:5\r\n$3\r\nabc\r\n-ERR no\r\n";
    for cut in 0..wire.len() {
        assert_eq!(parse_replies(&wire[..cut], 3), Replies::Incomplete, "{cut}");
    }
    let Replies::Done(v) = parse_replies(wire, 3) else {
        panic!()
    };
    assert_eq!(v[0], Value::Okay);
    assert_eq!(
        v[1],
        Value::Array(vec![Value::Int(5), Value::BulkString(b"abc".to_vec())])
    );
    assert!(matches!(v[2], Value::ServerError(_)));
    assert!(matches!(parse_replies(b"?what\r\n", 1), Replies::Bad(_)));
}

#[test]
fn hex_round_trip() {
    let b = [0u8, 1, 0xab, 0xff];
    assert_eq!(hex(&b), "0001abff");
    assert_eq!(unhex::<4>(b"0001ABff"), Some(b));
    assert_eq!(unhex::<4>(b"0001ab"), None);
    assert_eq!(unhex::<2>(b"zz00"), None);
}

#[test]
fn fold_takes_the_larger_view_and_keeps_new_charges() {
    let rate = 1000; // 1 r/s
    let local = ClusterBucket {
        bucket: Bucket {
            excess: 3000,
            last: 1000,
        },
        pending: 2000,
    };
    // The cluster saw more (other hosts' charges): take it, plus what this
    // host charged since the round took its charges.
    let f = fold(rate, Some(local), 5000, 2000);
    assert_eq!(
        f.bucket,
        Bucket {
            excess: 7000,
            last: 2000
        }
    );
    assert_eq!(f.pending, 2000);
    // A Redis that lost its data does not reopen the key.
    let f = fold(rate, Some(local), 0, 2000);
    assert_eq!(f.bucket.excess, 2000, "own bucket, drained by 1s");
    // A key this host forgot.
    assert_eq!(
        fold(rate, None, 4000, 10).bucket,
        Bucket {
            excess: 4000,
            last: 10
        }
    );
}

#[test]
fn cluster_buckets_outlive_unsent_charges() {
    let b = Bucket {
        excess: 0,
        last: 100,
    };
    assert_eq!(until_for(1_000_000, &b, 100, 500), 600);
    assert_eq!(until_for(1000, &b, 100, 500), 1100);
}

#[test]
fn limit_round_is_one_eval() {
    let c = limit_script_args("p:", "ip", 1000, &[([1; 16], 2000), ([2; 16], 1000)]);
    let wire = String::from_utf8(c.get_packed_command()).unwrap();
    assert!(wire.starts_with("*8\r\n$4\r\nEVAL\r\n"), "{wire}");
    assert!(wire.contains("p:l:ip:01010101010101010101010101010101"));
    assert!(wire.contains("$4\r\n2000\r\n"));
}

#[test]
fn pulled_verdicts_are_read_and_expired_ones_dropped() {
    let fp = [0xab; 16];
    let entry = |id: &str, until: &str| {
        Value::Array(vec![
            Value::BulkString(id.into()),
            Value::Array(
                [
                    ("k", hex(&fp).as_str()),
                    ("c", "4"),
                    ("n", "acct"),
                    ("w", ""),
                    ("u", until),
                ]
                .iter()
                .flat_map(|(k, v)| {
                    [
                        Value::BulkString(k.as_bytes().into()),
                        Value::BulkString(v.as_bytes().into()),
                    ]
                })
                .collect(),
            ),
        ])
    };
    let reply = Value::Array(vec![
        Value::BulkString(b"1000".to_vec()),
        Value::Array(vec![entry("1-0", "1500"), entry("2-0", "900")]),
    ]);
    let p = read_pulled(&reply).unwrap();
    assert_eq!(p.last_id.as_deref(), Some("2-0"));
    assert_eq!(p.verdicts.len(), 1);
    assert_eq!(p.verdicts[0].fp, fp);
    assert_eq!((p.verdicts[0].class, p.verdicts[0].ttl_ms), (4, 500));
    assert_eq!(p.verdicts[0].name, b"acct");
    assert_eq!(read_pulled(&Value::Nil), None);
    let c = verdict_script_args("p:", "0-0", 100, 600_000, &[(fp, 4, b"acct", b"", 600_000)]);
    let wire = String::from_utf8(c.get_packed_command()).unwrap();
    assert!(wire.contains("p:verdicts") && wire.contains(&hex(&fp)));
}

#[test]
fn a_sync_zone_key_costs_68_bytes() {
    assert_eq!(crate::shm_table::bytes_per_entry::<ClusterBucket>(), 68);
}

#[test]
fn backoff_doubles_from_the_interval_and_never_panics() {
    assert_eq!(next_backoff(0, 100), 100);
    assert_eq!(next_backoff(100, 100), 200);
    assert_eq!(next_backoff(4_000, 100), MAX_BACKOFF_MS);
    // An interval longer than the 5 s ceiling (allowed up to an hour): the
    // wait is the interval, not a panic of `clamp` in the sync worker.
    assert_eq!(next_backoff(0, 10_000), 10_000);
    assert_eq!(next_backoff(10_000, 10_000), 10_000);
    assert_eq!(next_backoff(u64::MAX, 3_600_000), 3_600_000);
}
