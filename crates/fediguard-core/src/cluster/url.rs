//! The URL forms of `fediguard_redis`:
//!
//! ```text
//! redis://[[user][:password]@]host[:port][/db]          plain TCP
//! rediss://[[user][:password]@]host[:port][/db]         TLS
//! redis+unix://[[user][:password]@]/path/redis.sock[?db=N]   a Unix socket
//!   (unix://... is the same)
//! redis-sentinel://[[user][:password]@]host[:port][,host[:port]...]/master[/db]
//!   [?sentinel_username=name&sentinel_password=secret]
//! ```
//!
//! User, password, path, master name and query values are percent-decoded.
//! The user and password are the data server's (the master's, for
//! Sentinel); `sentinel_username`/`sentinel_password` are the sentinels'
//! own, when they require one. Error messages never show a password.

use std::net::IpAddr;

use percent_encoding::percent_decode_str;

pub const DEFAULT_PORT: u16 = 6379;
pub const DEFAULT_SENTINEL_PORT: u16 = 26379;
/// More sentinels than this in one URL is a mistake, not a deployment.
pub const MAX_SENTINELS: usize = 16;

/// Where the Redis server is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `redis://` or `rediss://`: a host name or IP address, and a port.
    Tcp { host: String, port: u16 },
    /// `redis+unix://` (or `unix://`): the path of a Unix socket.
    Unix { path: String },
    /// `redis-sentinel://`: the sentinels that know the master's address.
    Sentinel(SentinelConf),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentinelConf {
    /// Host names or IP addresses, and ports, in the order given.
    pub sentinels: Vec<(String, u16)>,
    /// The name the sentinels monitor the master under.
    pub master: String,
    /// The sentinels' own credentials (`sentinel_username`,
    /// `sentinel_password`), not the master's.
    pub username: Option<String>,
    pub password: Option<String>,
}

/// What a URL says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisUrl {
    pub endpoint: Endpoint,
    /// `rediss://`.
    pub tls: bool,
    pub db: i64,
    pub username: Option<String>,
    pub password: Option<String>,
}

const USAGE: &str = "use redis://[user:password@]host:port[/db], rediss://..., \
                     redis+unix://[user:password@]/path[?db=N] or \
                     redis-sentinel://[user:password@]host:port[,host:port...]/master[/db]";

/// Query parameters are not named back: a password with a raw `&` would
/// show its second half as a name.
const UNKNOWN_QUERY: &str =
    "unknown query parameter (db= for a Unix socket; sentinel_username=, sentinel_password= for Sentinel)";

/// Parses a URL of one of the forms above.
pub fn parse_url(url: &str) -> Result<RedisUrl, String> {
    let bad = |why: &str| format!("invalid URL \"{}\": {why}", redact_url(url));
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(bad(USAGE));
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    // The authority ends at the first '/': a password with '/' must be
    // percent-encoded, as in any URL.
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (userinfo, hosts) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (username, password) = match userinfo {
        None => (None, None),
        Some(u) => {
            let (user, pass) = match u.split_once(':') {
                Some((user, pass)) => (user, Some(pass)),
                None => (u, None),
            };
            let user = non_empty(decode(user).map_err(|e| bad(&format!("user: {e}")))?);
            let pass = match pass {
                Some(p) => non_empty(decode(p).map_err(|_| bad("password: not UTF-8"))?),
                None => None,
            };
            (user, pass)
        }
    };
    let scheme = scheme.to_ascii_lowercase();
    let (endpoint, tls, db) = match scheme.as_str() {
        "redis" | "rediss" => {
            no_query(query).map_err(|e| bad(&e))?;
            let (host, port) = host_port(hosts, DEFAULT_PORT).map_err(|e| bad(&e))?;
            let db = match path {
                "" | "/" => 0,
                p => database(&p[1..]).map_err(|e| bad(&e))?,
            };
            (Endpoint::Tcp { host, port }, scheme == "rediss", db)
        }
        "redis+unix" | "unix" => {
            if !hosts.is_empty() {
                return Err(bad("a Unix socket URL has no host: redis+unix:///path"));
            }
            let path = decode(path).map_err(|e| bad(&format!("path: {e}")))?;
            if !path.starts_with('/') || path.len() < 2 {
                return Err(bad("the socket's path must be absolute"));
            }
            let mut db = 0;
            for (k, v) in query_pairs(query).map_err(|e| bad(&e))? {
                match k.as_str() {
                    "db" => db = database(&v).map_err(|e| bad(&e))?,
                    _ => return Err(bad(UNKNOWN_QUERY)),
                }
            }
            (Endpoint::Unix { path }, false, db)
        }
        "redis-sentinel" => {
            let mut sentinels = Vec::new();
            for h in hosts.split(',') {
                sentinels.push(host_port(h, DEFAULT_SENTINEL_PORT).map_err(|e| bad(&e))?);
            }
            if sentinels.len() > MAX_SENTINELS {
                return Err(bad(&format!("more than {MAX_SENTINELS} sentinels")));
            }
            let mut parts = path.trim_start_matches('/').splitn(2, '/');
            let master = decode(parts.next().unwrap_or_default())
                .map_err(|e| bad(&format!("master name: {e}")))?;
            if master.is_empty() || master.bytes().any(|b| b <= b' ' || b == 0x7f) {
                return Err(bad(
                    "the master's name is required: redis-sentinel://host:port/name",
                ));
            }
            let db = match parts.next() {
                None | Some("") => 0,
                Some(d) => database(d).map_err(|e| bad(&e))?,
            };
            let (mut su, mut sp) = (None, None);
            for (k, v) in query_pairs(query).map_err(|e| bad(&e))? {
                match k.as_str() {
                    "sentinel_username" => su = non_empty(v),
                    "sentinel_password" => sp = non_empty(v),
                    _ => return Err(bad(UNKNOWN_QUERY)),
                }
            }
            let s = SentinelConf {
                sentinels,
                master,
                username: su,
                password: sp,
            };
            (Endpoint::Sentinel(s), false, db)
        }
        "rediss-sentinel" => {
            return Err(bad(
                "Sentinel over TLS is not supported: redis-sentinel:// (plain) only",
            ))
        }
        _ => return Err(bad(USAGE)),
    };
    Ok(RedisUrl {
        endpoint,
        tls,
        db,
        username,
        password,
    })
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn decode(s: &str) -> Result<String, String> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| "not UTF-8".to_string())
}

fn no_query(query: Option<&str>) -> Result<(), String> {
    match query {
        None => Ok(()),
        Some(_) => Err("no query parameters here (the database is /db)".into()),
    }
}

/// `k=v&k=v`, values percent-decoded; names are never secret, values may be.
fn query_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, String> {
    let Some(q) = query else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = decode(k)?;
        let v = decode(v).map_err(|e| format!("parameter \"{k}\": {e}"))?;
        out.push((k, v));
    }
    Ok(out)
}

fn database(s: &str) -> Result<i64, String> {
    match s.parse::<u32>() {
        Ok(n) if s.bytes().all(|b| b.is_ascii_digit()) => Ok(i64::from(n)),
        // Not echoed: a mistyped URL can put the password here
        // (`redis://host//user:password@...`), and nginx -t prints it.
        _ => Err("invalid database: a number is expected after the host's \"/\"".into()),
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn host_port(s: &str, default_port: u16) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or("unclosed [ in the host")?;
        if h.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("invalid IPv6 address \"{h}\""));
        }
        match after {
            "" => (h, None),
            p => (h, Some(p.strip_prefix(':').ok_or("invalid host")?)),
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b))
    {
        return Err(format!("invalid host \"{host}\""));
    }
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(format!("invalid port \"{p}\"")),
        },
    };
    Ok((host.to_string(), port))
}

/// `host:port` as written in logs and for nginx's parser (`[v6]:port`).
pub fn host_port_text(host: &str, port: u16) -> String {
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Whether a name is an IP address (checked as one, never sent as SNI).
pub fn is_ip(name: &str) -> bool {
    name.parse::<IpAddr>().is_ok()
}

/// The URL without its passwords, for messages. Whatever was typed: a
/// scheme mistyped (`redis:/u:pw@h`) or a password without its user
/// (`redis://pw@h`) must not print the password either, so everything
/// before the last `@` but the scheme and a user name is hidden; so is
/// every query value but the database's.
pub fn redact_url(url: &str) -> String {
    let (mut out, tail) = match url.rsplit_once('@') {
        None => (String::new(), url),
        Some((before, tail)) => {
            let (scheme, creds) = match before.split_once("://") {
                Some((s, c)) => (&before[..s.len() + 3], c),
                None => ("", before),
            };
            let head = match creds.split_once(':') {
                Some((user, _)) if !scheme.is_empty() => format!("{scheme}{user}:[redacted]@"),
                _ => format!("{scheme}[redacted]@"),
            };
            (head, tail)
        }
    };
    let Some((path, query)) = tail.split_once('?') else {
        out.push_str(tail);
        return out;
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some(("db", _)) => p.to_string(),
            Some((k, _)) => format!("{k}=[redacted]"),
            None => "[redacted]".to_string(),
        })
        .collect();
    out.push_str(path);
    out.push('?');
    out.push_str(&pairs.join("&"));
    out
}
