//! Costs (`limit::parse_cost`: `cost=$var`, `$upstream_response_time`
//! lists), rates (`parse_rate`) and the bucket arithmetic they feed
//! (`charge`, `charge_after`, `delay_ms`, `drained_at`, `retry_after_secs`).
//!
//! Input: 40 bytes of numbers (rate, burst, delay, a bucket's excess and
//! last charge, little-endian), then the cost text (also read as a rate).
#![no_main]

use fediguard_core::limit::{
    charge, charge_after, delay_ms, drained_at, parse_cost, parse_rate, retry_after_secs, Bucket,
    Limit, Outcome,
};
use fediguard_fuzz::u64_at;
use libfuzzer_sys::fuzz_target;

/// The most one part of a cost can be: 9 integer digits and 3 decimals.
const MAX_PART: u64 = 999_999_999_999;

/// A cost by hand, in u128: each comma-separated part is `digits[.digits]`
/// (at most 9 integer digits), in milli-requests, decimals past 3 dropped.
fn oracle(v: &[u8]) -> Option<u128> {
    let text = std::str::from_utf8(v).ok()?;
    let mut total = 0u128;
    for part in text.split(',') {
        let part = part.trim();
        let (int, frac) = part.split_once('.').unwrap_or((part, ""));
        if (int.is_empty() && frac.is_empty()) || int.len() > 9 {
            return None;
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let i: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let f: String = frac.chars().chain("000".chars()).take(3).collect();
        total += i * 1000 + f.parse::<u128>().ok()?;
    }
    Some(total)
}

fuzz_target!(|data: &[u8]| {
    let text = data.get(40..).unwrap_or_default();

    let cost = parse_cost(text);
    let parts = text.iter().filter(|&&b| b == b',').count() as u64 + 1;
    if let Some(c) = cost {
        assert!(
            c <= parts.saturating_mul(MAX_PART),
            "{c} from {parts} parts"
        );
    }
    match oracle(text) {
        Some(o) if o <= u64::MAX as u128 => assert_eq!(cost, Some(o as u64)),
        Some(_) => assert_eq!(cost, None),
        None => assert_eq!(cost, None),
    }

    let rate_text = std::str::from_utf8(text).unwrap_or("");
    if let Ok(r) = parse_rate(rate_text) {
        assert!((16..=999_999_999_000).contains(&r), "{r}");
    }

    // The bucket: a limit as the directives make it.
    let rate = u64_at(data, 0) % 1_000_000_000_000;
    let burst = (u64_at(data, 8) % 1_000_000_000) * 1000;
    let delay = (u64_at(data, 16) % 1_000_000_001) * 1000;
    let limit = Limit {
        rate,
        burst,
        delay: delay.min(burst),
    };
    let old = Bucket {
        excess: u64_at(data, 24) % (burst + 1_000_000),
        last: u64_at(data, 32) >> 20,
    };
    // Time goes on, or the clock goes back a little or a lot.
    let step = u64_at(data, 32) & 0xfffff;
    let now = if step & 1 == 0 {
        old.last + step
    } else {
        old.last.saturating_sub(step * 64)
    };
    let cost = cost.unwrap_or(1000);

    for bucket in [None, Some(old)] {
        match charge(&limit, bucket, now, cost) {
            Outcome::Pass { bucket: b } => {
                assert!(b.excess <= limit.burst);
                assert!(b.last == now || Some(b.last) == bucket.map(|o| o.last));
                // A cheaper request passes too.
                assert!(matches!(
                    charge(&limit, bucket, now, cost / 2),
                    Outcome::Pass { .. }
                ));
                let d = delay_ms(&limit, b.excess);
                if b.excess <= limit.delay {
                    assert_eq!(d, 0);
                }
                if limit.rate > 0 {
                    assert!(drained_at(&limit, &b) >= b.last);
                }
            }
            Outcome::Reject { excess } => {
                assert!(excess > limit.burst);
                assert!(retry_after_secs(&limit, excess) >= 1);
            }
        }
        // A request costing more than burst + 1 never passes.
        if cost > limit.burst.saturating_add(1000) {
            assert!(matches!(
                charge(&limit, bucket, now, cost),
                Outcome::Reject { .. }
            ));
        }
        // A new key's first request of one (or less) passes, free.
        if bucket.is_none() && cost <= 1000 {
            assert_eq!(
                charge(&limit, None, now, cost),
                Outcome::Pass {
                    bucket: Bucket {
                        excess: 0,
                        last: now
                    }
                }
            );
        }
        // After the fact: never rejected, never less than the cost.
        let after = charge_after(&limit, bucket, now, cost);
        assert!(after.excess >= cost);
    }
});
