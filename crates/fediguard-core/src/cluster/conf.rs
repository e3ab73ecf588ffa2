//! `fediguard_redis redis://[user:password@]host:port[/db] [prefix=text]
//! [sync=time] [timeout=time]`.

use redis::{ConnectionAddr, IntoConnectionInfo};

use crate::conf_value::parse_msec;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisConf {
    pub host: String,
    pub port: u16,
    pub db: i64,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Put before every key fediguard writes.
    pub prefix: String,
    /// Interval of the sync rounds (msec).
    pub sync_ms: u64,
    /// How long a connection attempt or a round may take (msec).
    pub timeout_ms: u64,
}

pub const DEFAULT_PREFIX: &str = "fediguard:";
pub const DEFAULT_SYNC_MS: u64 = 100;
pub const DEFAULT_TIMEOUT_MS: u64 = 1000;

/// Parses the directive's arguments (after its name).
pub fn parse_redis(args: &[&str]) -> Result<RedisConf, String> {
    let Some((url, params)) = args.split_first() else {
        return Err("a redis:// URL is required".into());
    };
    if !url.starts_with("redis://") {
        return Err(format!(
            "invalid URL \"{}\": use redis://[user:password@]host:port[/db] (TLS is not supported)",
            redact_url(url)
        ));
    }
    let info = url
        .into_connection_info()
        .map_err(|e| format!("invalid URL \"{}\": {e}", redact_url(url)))?;
    let ConnectionAddr::Tcp(host, port) = info.addr().clone() else {
        return Err(format!("invalid URL \"{}\"", redact_url(url)));
    };
    if host.is_empty() {
        return Err(format!("invalid URL \"{}\": no host", redact_url(url)));
    }
    let settings = info.redis_settings();
    let mut conf = RedisConf {
        host,
        port,
        db: settings.db(),
        username: settings.username().map(str::to_string),
        password: settings.password().map(str::to_string),
        prefix: DEFAULT_PREFIX.to_string(),
        sync_ms: DEFAULT_SYNC_MS,
        timeout_ms: DEFAULT_TIMEOUT_MS,
    };
    if conf.db < 0 {
        return Err(format!("invalid database {}", conf.db));
    }
    for p in params {
        if let Some(v) = p.strip_prefix("prefix=") {
            if v.is_empty() || v.len() > 64 || v.bytes().any(|b| b <= b' ' || b == 0x7f) {
                return Err(format!(
                    "invalid prefix \"{v}\": 1 to 64 printable characters without spaces"
                ));
            }
            conf.prefix = v.to_string();
        } else if let Some(v) = p.strip_prefix("sync=") {
            conf.sync_ms = positive_msec(v, 3_600_000)?;
        } else if let Some(v) = p.strip_prefix("timeout=") {
            conf.timeout_ms = positive_msec(v, 3_600_000)?;
        } else {
            return Err(format!("invalid parameter \"{p}\""));
        }
    }
    Ok(conf)
}

/// Longest wait between two connection attempts, unless the `sync`
/// interval itself is longer.
pub const MAX_BACKOFF_MS: u64 = 5_000;

/// The wait before the next connection attempt after one more failure:
/// double the last, from the `sync` interval up to 5 s (or up to the
/// interval, when it is longer: `sync` may be set up to an hour).
pub fn next_backoff(last_ms: u64, sync_ms: u64) -> u64 {
    let ceiling = MAX_BACKOFF_MS.max(sync_ms);
    last_ms
        .saturating_mul(2)
        .clamp(sync_ms.min(ceiling), ceiling)
}

fn positive_msec(v: &str, max: u64) -> Result<u64, String> {
    let ms = parse_msec(v)?;
    if ms == 0 || ms > max {
        return Err(format!("invalid time \"{v}\": from 1ms to 1h"));
    }
    Ok(ms)
}

/// The URL without its password, for messages. Whatever was typed: a
/// scheme mistyped (`redis:/u:pw@h`) or a password without its user
/// (`redis://pw@h`) must not print the password either, so everything
/// before the last `@` but the scheme and a user name is hidden.
pub fn redact_url(url: &str) -> String {
    let Some((before, host)) = url.rsplit_once('@') else {
        return url.to_string();
    };
    let (scheme, creds) = match before.split_once("://") {
        Some((s, c)) => (&before[..s.len() + 3], c),
        None => ("", before),
    };
    match creds.split_once(':') {
        Some((user, _)) if !scheme.is_empty() => format!("{scheme}{user}:[redacted]@{host}"),
        _ => format!("{scheme}[redacted]@{host}"),
    }
}
