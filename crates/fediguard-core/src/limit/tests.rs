//! The algorithm against limit_req's answers, worked out from
//! ngx_http_limit_req_module.c for the same rate and burst.

use super::*;

/// limit_req's lookup for a sequence of request times (ms), one key:
/// returns which passed. A straight transcription of the C code.
fn limit_req(rate: u64, burst: u64, times: &[u64]) -> Vec<bool> {
    let mut node: Option<(i64, u64)> = None; // (excess, last)
    let mut out = Vec::new();
    for &now in times {
        match node {
            None => {
                node = Some((0, now));
                out.push(true);
            }
            Some((ex, last)) => {
                let mut ms = now as i64 - last as i64;
                if ms < -60000 {
                    ms = 1;
                } else if ms < 0 {
                    ms = 0;
                }
                let mut excess = ex - (rate as i64) * ms / 1000 + 1000;
                if excess < 0 {
                    excess = 0;
                }
                if excess as u64 > burst * 1000 {
                    out.push(false);
                } else {
                    node = Some((excess, if ms != 0 { now } else { last }));
                    out.push(true);
                }
            }
        }
    }
    out
}

fn ours(rate: u64, burst: u64, times: &[u64]) -> Vec<bool> {
    let limit = Limit {
        rate,
        burst: burst * 1000,
        delay: burst * 1000,
    };
    let mut bucket: Option<Bucket> = None;
    let mut out = Vec::new();
    for &now in times {
        // A drained bucket is forgotten, as the table does.
        if let Some(b) = bucket {
            if now >= drained_at(&limit, &b) {
                bucket = None;
            }
        }
        match charge(&limit, bucket, now, 1000) {
            Outcome::Pass { bucket: b } => {
                bucket = Some(b);
                out.push(true);
            }
            Outcome::Reject { .. } => out.push(false),
        }
    }
    out
}

#[test]
fn same_answers_as_limit_req() {
    // Deterministic pseudo-random arrival times, several rates and bursts.
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    for &rate in &[1000u64, 10_000, 16, 500, 100_000] {
        for &burst in &[0u64, 1, 5, 20] {
            let mut t = 1_000_000u64;
            let mut times = Vec::new();
            for _ in 0..2000 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                t += seed % 400;
                times.push(t);
            }
            assert_eq!(
                ours(rate, burst, &times),
                limit_req(rate, burst, &times),
                "rate {rate} burst {burst}"
            );
        }
    }
}

#[test]
fn burst_lets_burst_plus_one_through_at_once() {
    let times = [0u64; 10].map(|_| 5000);
    let passed = ours(1000, 4, &times).iter().filter(|&&p| p).count();
    assert_eq!(passed, 5);
    assert_eq!(
        passed,
        limit_req(1000, 4, &times).iter().filter(|&&p| p).count()
    );
}

#[test]
fn cost_multiplies_the_charge() {
    let limit = Limit {
        rate: 1000,
        burst: 10_000,
        delay: 10_000,
    };
    // Cost 5 counts as 5 requests, the first of them within the rate:
    // 4000, then 9000; the third would make 14000 > 10000.
    let Outcome::Pass { bucket } = charge(&limit, None, 0, 5000) else {
        panic!()
    };
    assert_eq!(bucket.excess, 4000);
    let Outcome::Pass { bucket } = charge(&limit, Some(bucket), 0, 5000) else {
        panic!()
    };
    assert_eq!(bucket.excess, 9000);
    assert_eq!(
        charge(&limit, Some(bucket), 0, 5000),
        Outcome::Reject { excess: 14_000 }
    );
    // Cost 0 never charges.
    let Outcome::Pass { bucket: b } = charge(&limit, Some(bucket), 0, 0) else {
        panic!()
    };
    assert_eq!(b.excess, 9000);
    // An after-charge adds to the bucket and never rejects.
    let after = charge_after(&limit, Some(bucket), 1000, 7000);
    assert_eq!(after.excess, 15_000);
}

/// mastodon.conf's app registrations: cost 5 at 1r/m with burst 4 is one
/// registration per 5 minutes, also for a client that waits until its key
/// is forgotten (a drained key is a new key).
#[test]
fn a_heavy_request_is_never_free() {
    let limit = Limit {
        rate: 1000 / 60,
        burst: 4000,
        delay: 4000,
    };
    let minute = 60_000;
    let Outcome::Pass { bucket } = charge(&limit, None, 0, 5000) else {
        panic!()
    };
    assert!(matches!(
        charge(&limit, Some(bucket), 4 * minute, 5000),
        Outcome::Reject { .. }
    ));
    assert!(matches!(
        charge(&limit, Some(bucket), 5 * minute + 15_000, 5000),
        Outcome::Pass { .. }
    ));
    // (1r/m is 16 milli-requests a second, as in limit_req: 62.5 s each.)
    // The key is forgotten when it has drained, at the earliest after the
    // drain of its excess: then a new registration costs the same again.
    let forgotten = drained_at(&limit, &bucket);
    assert!(forgotten > 5 * minute, "{forgotten}");
    // A request costing more than burst + 1 never passes, not even first.
    assert!(matches!(
        charge(&limit, None, 0, 6000),
        Outcome::Reject { excess: 5000 }
    ));
    // Cost 1 is limit_req's first request: free.
    assert_eq!(
        charge(&limit, None, 0, 1000),
        Outcome::Pass {
            bucket: Bucket { excess: 0, last: 0 }
        }
    );
}

#[test]
fn clock_going_backwards() {
    let limit = Limit {
        rate: 1000,
        burst: 0,
        delay: 0,
    };
    let b = Bucket {
        excess: 0,
        last: 100_000,
    };
    // Back a little: no time passed -> excess 1000 > burst 0.
    assert_eq!(
        charge(&limit, Some(b), 99_000, 1000),
        Outcome::Reject { excess: 1000 }
    );
    // Back over a minute: 1 ms passed.
    assert_eq!(
        charge(&limit, Some(b), 10_000, 1000),
        Outcome::Reject { excess: 999 }
    );
    let got = limit_req(1000, 0, &[100_000, 100_000 + 1000, 99_000, 10_000]);
    assert_eq!(got, vec![true, true, false, false]);
    assert_eq!(ours(1000, 0, &[100_000, 101_000, 99_000, 10_000]), got);
}

#[test]
fn delays_and_retry_after() {
    let limit = Limit {
        rate: 2000,
        burst: 10_000,
        delay: 3000,
    };
    assert_eq!(delay_ms(&limit, 3000), 0);
    assert_eq!(delay_ms(&limit, 5000), 1000);
    let nodelay = Limit {
        delay: 10_000,
        ..limit
    };
    assert_eq!(delay_ms(&nodelay, 10_000), 0);
    assert_eq!(retry_after_secs(&limit, 10_001), 1);
    assert_eq!(retry_after_secs(&limit, 16_000), 3);
    let slow = Limit {
        rate: 1000 / 60,
        burst: 0,
        delay: 0,
    };
    // 1r/m is 16 milli-requests per second, as in limit_req: 62.5 s.
    assert_eq!(retry_after_secs(&slow, 1000), 63);
}

#[test]
fn drained_keys_answer_as_new_ones() {
    let limit = Limit {
        rate: 1000,
        burst: 0,
        delay: 0,
    };
    let b = Bucket {
        excess: 500,
        last: 10_000,
    };
    let at = drained_at(&limit, &b);
    assert_eq!(at, 11_500);
    // At that time an existing bucket gives excess 0, as a new key does.
    assert_eq!(
        charge(&limit, Some(b), at, 1000),
        Outcome::Pass {
            bucket: Bucket {
                excess: 0,
                last: at
            }
        }
    );
}

#[test]
fn rates_and_costs() {
    assert_eq!(parse_rate("10r/s"), Ok(10_000));
    assert_eq!(parse_rate("30r/m"), Ok(500));
    assert_eq!(parse_rate("1r/m"), Ok(16));
    for bad in ["0r/s", "10", "r/s", "10r/h", "-1r/s", "1.5r/s"] {
        assert!(parse_rate(bad).is_err(), "{bad}");
    }
    assert_eq!(parse_cost(b"2"), Some(2000));
    assert_eq!(parse_cost(b"0.5"), Some(500));
    assert_eq!(parse_cost(b"0.512"), Some(512));
    assert_eq!(parse_cost(b"1.2345"), Some(1234));
    assert_eq!(parse_cost(b".25"), Some(250));
    assert_eq!(parse_cost(b"0.512, 0.100"), Some(612));
    assert_eq!(parse_cost(b"0"), Some(0));
    for bad in [
        &b""[..],
        b"-",
        b"-1",
        b"abc",
        b"1e3",
        b"1.2.3",
        b"\xff",
        b"99999999999",
    ] {
        assert_eq!(parse_cost(bad), None, "{bad:?}");
    }
}
