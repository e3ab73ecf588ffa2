//! Redis replies as the sync round reads them: `parse_replies` on the bytes
//! received so far, `read_pulled` on the verdict script's reply, `unhex`,
//! and the merge rule `fold` fed the numbers a reply carries.
//!
//! Input: one byte (how many replies are expected, 1 to 4), then the bytes
//! received.
#![no_main]

use fediguard_core::cluster::{
    fold, hex, parse_replies, read_pulled, unhex, ClusterBucket, Replies,
};
use fediguard_core::limit::Bucket;
use fediguard_fuzz::u64_at;
use libfuzzer_sys::fuzz_target;
use redis::Value;

/// The ids of the entries of the verdict script's reply.
fn ids(v: &Value) -> Vec<&[u8]> {
    let Value::Array(top) = v else {
        return Vec::new();
    };
    let [_, Value::Array(entries)] = top.as_slice() else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|e| match e {
            Value::Array(pair) => match pair.first() {
                Some(Value::BulkString(b)) => Some(&b[..]),
                Some(Value::SimpleString(s)) => Some(s.as_bytes()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn entries(v: &Value) -> usize {
    match v {
        Value::Array(top) => match top.as_slice() {
            [_, Value::Array(e)] => e.len(),
            _ => 0,
        },
        _ => 0,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, buf)) = data.split_first() else {
        return;
    };
    let n = 1 + (first % 4) as usize;

    let got = parse_replies(buf, n);
    if let Replies::Done(values) = &got {
        assert_eq!(values.len(), n);
        // The bytes that come after do not change what was read.
        let mut more = buf.to_vec();
        more.extend_from_slice(b"+OK\r\n:1\r\n$3\r\nabc\r\n");
        assert_eq!(parse_replies(&more, n), got);
        // What arrived so far of a complete answer is never called broken
        // (the round would drop a good connection).
        for cut in [
            0,
            1,
            buf.len() / 3,
            buf.len() / 2,
            buf.len().saturating_sub(1),
        ] {
            let part = &buf[..cut.min(buf.len())];
            assert!(
                !matches!(parse_replies(part, n), Replies::Bad(_)),
                "prefix {cut} of a good answer is bad: {:?}",
                String::from_utf8_lossy(part)
            );
        }
        for v in values {
            if let Some(p) = read_pulled(v) {
                assert!(p.verdicts.len() <= entries(v));
                for pv in &p.verdicts {
                    assert!(pv.ttl_ms > 0);
                }
                // The cursor moves to an entry read (a stream id Redis
                // made is ASCII; one that is not UTF-8 leaves it).
                if let Some(id) = &p.last_id {
                    assert!(ids(v).contains(&id.as_bytes()));
                }
            }
        }
    }
    // One more reply than there is never completes.
    if let Replies::Done(_) = parse_replies(buf, n + 1) {
        assert!(matches!(got, Replies::Done(_)));
    }

    // Fingerprints in hex: 32 digits of either case, and back.
    if let Some(fp) = unhex::<16>(buf.get(..32).unwrap_or_default()) {
        assert_eq!(hex(&fp).as_bytes(), buf[..32].to_ascii_lowercase());
    }

    // The merge rule never lowers the host's bucket and keeps its pending.
    let rate = u64_at(buf, 0) % 1_000_000_000_000;
    let local = ClusterBucket {
        bucket: Bucket {
            excess: u64_at(buf, 8) >> 8,
            last: u64_at(buf, 16) >> 24,
        },
        pending: u64_at(buf, 24) >> 8,
    };
    let cluster = u64_at(buf, 32) >> 8;
    let now = local.bucket.last + (u64_at(buf, 40) & 0xffff);
    let merged = fold(rate, Some(local), cluster, now);
    assert_eq!(merged.pending, local.pending);
    assert!(merged.bucket.excess >= cluster.saturating_add(local.pending));
    assert_eq!(merged.bucket.last, now);
    let fresh = fold(rate, None, cluster, now);
    assert_eq!(fresh.bucket.excess, cluster);
});
