//! Rate limits across hosts.
//!
//! Redis keeps one leaky bucket per key and zone (its excess and when it was
//! last charged, in Redis's clock), the same bucket limit_req keeps. A host
//! pushes the sum of the costs it charged a key since its last round; the
//! script charges them to the cluster's bucket at once and returns the
//! bucket. The host then takes, for that key, the larger of its own bucket
//! and the cluster's plus what it charged since the round began: a host
//! never lowers a bucket because of Redis (a Redis that lost its data
//! cannot reopen a key), and it sees everyone's charges within a round.

use redis::Cmd;

use super::resp::hex;
use crate::limit::{charge_after, drained_at, Bucket, Limit};
use crate::shm_table::KEY_LEN;

/// A bucket of a `sync` zone: the host's view of the cluster's bucket, and
/// what this host charged that the cluster has not been sent yet.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClusterBucket {
    pub bucket: Bucket,
    /// Milli-requests charged since the last round took them.
    pub pending: u64,
}

/// Charges `cost` (a list of them, summed) to each key's bucket and returns
/// each bucket's excess. KEYS: the buckets; ARGV[1]: the rate
/// (milli-requests per second); ARGV[1 + i]: what key i was charged. A key
/// Redis does not know starts as limit_req's new key: its first request is
/// free. Keys expire once drained.
pub const LIMIT_SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local cost = tonumber(ARGV[i + 1]) or 0
  local s = redis.call('HMGET', key, 'e', 'l')
  local e, l = tonumber(s[1]), tonumber(s[2])
  if e == nil or l == nil then
    e = math.max(0, cost - 1000)
  else
    local ms = math.max(0, now - l)
    e = math.max(0, e + cost - math.floor(rate * ms / 1000))
  end
  redis.call('HSET', key, 'e', string.format('%d', e), 'l', string.format('%d', now))
  -- Drained by then; capped (an absurd cost must not make PEXPIRE fail).
  local ttl = math.min(math.floor((e + 1000) * 1000 / rate) + 1000, 2147483647)
  redis.call('PEXPIRE', key, string.format('%d', ttl))
  out[i] = e
end
return out
"#;

/// The EVAL of one round for one zone: `charges` are (key fingerprint,
/// milli-requests charged since the last round).
pub fn limit_script_args(
    prefix: &str,
    zone: &str,
    rate: u64,
    charges: &[([u8; KEY_LEN], u64)],
) -> Cmd {
    let mut c = redis::cmd("EVAL");
    c.arg(LIMIT_SCRIPT).arg(charges.len());
    for (fp, _) in charges {
        c.arg(format!("{prefix}l:{zone}:{}", hex(fp)));
    }
    c.arg(rate);
    for (_, cost) in charges {
        c.arg(*cost);
    }
    c
}

/// Until when a `sync` zone keeps a bucket: as a local zone does (until it
/// has drained), but at least `keep` msec, so that charges not yet sent
/// are not forgotten with it.
pub fn until_for(rate: u64, b: &Bucket, now: u64, keep: u64) -> u64 {
    let limit = Limit {
        rate,
        burst: 0,
        delay: 0,
    };
    drained_at(&limit, b).max(now.saturating_add(keep))
}

/// The merge rule: the host's bucket for a key after a round that returned
/// the cluster's `excess` for it. `local` is the host's bucket now (None if
/// it has forgotten the key); its `pending` (charged since the round took
/// the charges) is kept for the next round.
pub fn fold(
    rate: u64,
    local: Option<ClusterBucket>,
    cluster_excess: u64,
    now: u64,
) -> ClusterBucket {
    let limit = Limit {
        rate,
        burst: 0,
        delay: 0,
    };
    let (own, pending) = match local {
        Some(c) => (
            charge_after(&limit, Some(c.bucket), now, 0).excess,
            c.pending,
        ),
        None => (0, 0),
    };
    ClusterBucket {
        bucket: Bucket {
            excess: own.max(cluster_excess.saturating_add(pending)),
            last: now,
        },
        pending,
    }
}
