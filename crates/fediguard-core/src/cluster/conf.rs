//! `fediguard_redis URL [prefix=text] [sync=time] [timeout=time]
//! [ssl_trusted_certificate=file] [ssl_certificate=file]
//! [ssl_certificate_key=file] [ssl_name=name] [ssl_verify=on|off]`.

use crate::conf_value::parse_msec;

use super::url::{host_port_text, parse_url};
pub use super::url::{redact_url, Endpoint, SentinelConf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisConf {
    pub endpoint: Endpoint,
    /// `rediss://`: TLS, with these options.
    pub tls: Option<TlsConf>,
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

/// TLS options (`ssl_*=` parameters), named after nginx's `proxy_ssl_*`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsConf {
    /// CA certificates to trust instead of the system's store.
    pub trusted_certificate: Option<String>,
    /// A client certificate and its key.
    pub certificate: Option<String>,
    pub certificate_key: Option<String>,
    /// The name sent as SNI and checked in the server's certificate,
    /// instead of the URL's host.
    pub name: Option<String>,
    /// Whether the server's certificate is checked (default on).
    pub verify: bool,
}

impl RedisConf {
    /// The server as written in log lines (never with a password):
    /// `host:port`, `unix:/path`, or `master "name"` for Sentinel.
    pub fn describe(&self) -> String {
        match &self.endpoint {
            Endpoint::Tcp { host, port } => host_port_text(host, *port),
            Endpoint::Unix { path } => format!("unix:{path}"),
            Endpoint::Sentinel(s) => format!("master \"{}\"", s.master),
        }
    }

    /// The name TLS checks the server's certificate against, and sends
    /// as SNI when it is not an IP address.
    pub fn tls_name(&self) -> Option<&str> {
        let tls = self.tls.as_ref()?;
        match (&tls.name, &self.endpoint) {
            (Some(n), _) => Some(n),
            (None, Endpoint::Tcp { host, .. }) => Some(host),
            _ => None,
        }
    }
}

pub const DEFAULT_PREFIX: &str = "fediguard:";
pub const DEFAULT_SYNC_MS: u64 = 100;
pub const DEFAULT_TIMEOUT_MS: u64 = 1000;

/// Parses the directive's arguments (after its name).
pub fn parse_redis(args: &[&str]) -> Result<RedisConf, String> {
    let Some((url, params)) = args.split_first() else {
        return Err("a redis:// URL is required".into());
    };
    let u = parse_url(url)?;
    let mut conf = RedisConf {
        endpoint: u.endpoint,
        tls: u.tls.then(|| TlsConf {
            verify: true,
            ..TlsConf::default()
        }),
        db: u.db,
        username: u.username,
        password: u.password,
        prefix: DEFAULT_PREFIX.to_string(),
        sync_ms: DEFAULT_SYNC_MS,
        timeout_ms: DEFAULT_TIMEOUT_MS,
    };
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
        } else if p.starts_with("ssl_") {
            tls_param(&mut conf, p)?;
        } else {
            return Err(format!("invalid parameter \"{p}\""));
        }
    }
    if let Some(t) = &conf.tls {
        match (&t.certificate, &t.certificate_key) {
            (Some(_), None) => return Err("ssl_certificate needs ssl_certificate_key".into()),
            (None, Some(_)) => return Err("ssl_certificate_key needs ssl_certificate".into()),
            _ => {}
        }
    }
    Ok(conf)
}

fn tls_param(conf: &mut RedisConf, p: &str) -> Result<(), String> {
    let (name, value) = p.split_once('=').unwrap_or((p, ""));
    let Some(tls) = conf.tls.as_mut() else {
        return Err(format!("\"{name}\" needs a rediss:// URL (TLS)"));
    };
    if value.is_empty() || value.bytes().any(|b| b < b' ' || b == 0x7f) {
        return Err(format!("invalid value of \"{name}\""));
    }
    let v = Some(value.to_string());
    match name {
        "ssl_trusted_certificate" => tls.trusted_certificate = v,
        "ssl_certificate" => tls.certificate = v,
        "ssl_certificate_key" => tls.certificate_key = v,
        "ssl_name" => tls.name = v,
        "ssl_verify" => {
            tls.verify = match value {
                "on" => true,
                "off" => false,
                _ => {
                    return Err(format!(
                        "invalid value \"{value}\" of \"ssl_verify\": on or off"
                    ))
                }
            }
        }
        _ => return Err(format!("invalid parameter \"{p}\"")),
    }
    Ok(())
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
