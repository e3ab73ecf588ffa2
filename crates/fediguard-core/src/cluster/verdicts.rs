//! Token verdicts across hosts.
//!
//! A host publishes each verdict it decided (keyed by the token's keyed
//! fingerprint, never the token) to a Redis stream, and each round reads
//! what was added since it last looked: a token verified on one host is
//! known on all within a round or two, and Mastodon sees one verification
//! per token. The fingerprint secret is the cluster's (kept in Redis, see
//! the module's `secret` key), so all hosts fingerprint a token alike.

use redis::{Cmd, Value};

use super::resp::{hex, unhex};
use crate::shm_table::KEY_LEN;

/// KEYS[1]: the stream. ARGV[1]: the last id read; ARGV[2]: at most how many
/// to read; ARGV[3]: the stream's length cap; ARGV[4]: its lifetime (msec);
/// then five per verdict published: fingerprint (hex), class, name, website,
/// lifetime (msec). Returns Redis's time (msec) and the entries read.
pub const VERDICT_SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 5, #ARGV - 4, 5 do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*',
    'k', ARGV[i], 'c', ARGV[i + 1], 'n', ARGV[i + 2], 'w', ARGV[i + 3],
    'u', string.format('%d', now + tonumber(ARGV[i + 4])))
end
if #ARGV > 4 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
local got = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])
return {string.format('%d', now), got}
"#;

/// A verdict to publish: fingerprint, class, app or account name, website,
/// how long it stays true (msec).
pub type Published<'a> = ([u8; KEY_LEN], u8, &'a [u8], &'a [u8], u64);

pub fn verdict_script_args(
    prefix: &str,
    last_id: &str,
    count: usize,
    stream_ttl_ms: u64,
    publish: &[Published],
) -> Cmd {
    let mut c = redis::cmd("EVAL");
    c.arg(VERDICT_SCRIPT)
        .arg(1)
        .arg(format!("{prefix}verdicts"))
        .arg(last_id)
        .arg(count)
        .arg(100_000)
        .arg(stream_ttl_ms.max(1));
    for (fp, class, name, website, ttl) in publish {
        c.arg(hex(fp))
            .arg(*class)
            .arg(*name)
            .arg(*website)
            .arg(*ttl);
    }
    c
}

/// A verdict read from the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulledVerdict {
    pub fp: [u8; KEY_LEN],
    pub class: u8,
    pub name: Vec<u8>,
    pub website: Vec<u8>,
    /// Msec it stays true from now (Redis's clock).
    pub ttl_ms: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pulled {
    /// The id of the last entry read, to read on from next round.
    pub last_id: Option<String>,
    /// The verdicts still true (expired ones are left out).
    pub verdicts: Vec<PulledVerdict>,
}

fn bytes(v: &Value) -> Option<&[u8]> {
    match v {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.as_bytes()),
        _ => None,
    }
}

fn number(v: &Value) -> Option<u64> {
    match v {
        Value::Int(i) => u64::try_from(*i).ok(),
        other => std::str::from_utf8(bytes(other)?).ok()?.parse().ok(),
    }
}

/// Reads the script's reply; None if it is not what the script returns.
pub fn read_pulled(reply: &Value) -> Option<Pulled> {
    let Value::Array(top) = reply else {
        return None;
    };
    let [now, Value::Array(entries)] = top.as_slice() else {
        return None;
    };
    let now = number(now)?;
    let mut out = Pulled::default();
    for e in entries {
        let Value::Array(pair) = e else { continue };
        let [id, Value::Array(fields)] = pair.as_slice() else {
            continue;
        };
        out.last_id = std::str::from_utf8(bytes(id)?).ok().map(str::to_string);
        if let Some(v) = read_entry(fields, now) {
            out.verdicts.push(v);
        }
    }
    Some(out)
}

fn read_entry(fields: &[Value], now: u64) -> Option<PulledVerdict> {
    let mut v = PulledVerdict {
        fp: [0; KEY_LEN],
        class: 0,
        name: Vec::new(),
        website: Vec::new(),
        ttl_ms: 0,
    };
    let mut have_fp = false;
    let mut until = 0;
    for kv in fields.chunks_exact(2) {
        let value = &kv[1];
        match bytes(&kv[0])? {
            b"k" => {
                v.fp = unhex::<KEY_LEN>(bytes(value)?)?;
                have_fp = true;
            }
            b"c" => v.class = u8::try_from(number(value)?).ok()?,
            b"n" => v.name = bytes(value)?.to_vec(),
            b"w" => v.website = bytes(value)?.to_vec(),
            b"u" => until = number(value)?,
            _ => {}
        }
    }
    v.ttl_ms = until.checked_sub(now).filter(|&t| t > 0)?;
    have_fp.then_some(v)
}
