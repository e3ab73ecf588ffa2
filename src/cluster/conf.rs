//! `fediguard_redis`: where cluster mode keeps its shared state.

use fediguard_core::cluster::{host_port_text, parse_redis, Endpoint, RedisConf};
use nginx_sys::{ngx_addr_t, ngx_conf_t, ngx_parse_url, ngx_str_t, ngx_url_t};

use super::tls::Tls;
use crate::glue::directive::Directive;

/// `http`-level.
#[derive(Debug, Default)]
pub struct ClusterMain {
    /// `fediguard_redis`.
    pub redis: Option<RedisTarget>,
}

/// The Redis server, resolved when the configuration is read (as nginx
/// resolves `proxy_pass` hosts): sync rounds never wait for DNS.
#[derive(Debug)]
pub struct RedisTarget {
    pub conf: RedisConf,
    /// The server (`redis://`, `rediss://`, a Unix socket), or the
    /// sentinels in the order given (`redis-sentinel://`). In the
    /// configuration's pool: they live as long as the cycle.
    pub addrs: Vec<*mut ngx_addr_t>,
    /// `rediss://`: the TLS context, certificates loaded.
    pub tls: Option<Tls>,
    /// The server for log lines (never the password).
    pub name: String,
}

impl RedisTarget {
    pub fn is_sentinel(&self) -> bool {
        matches!(self.conf.endpoint, Endpoint::Sentinel(_))
    }
}

/// `fediguard_redis url [prefix=] [sync=] [timeout=] [ssl_*=];` (http)
pub fn set_redis(dir: &Directive, main: &mut ClusterMain) -> Result<(), String> {
    let d = "\"fediguard_redis\"";
    if main.redis.is_some() {
        return Err(format!("{d} directive is duplicate"));
    }
    let conf = parse_redis(&dir.args).map_err(|e| format!("{d}: {e}"))?;
    let names: Vec<String> = match &conf.endpoint {
        Endpoint::Tcp { host, port } => vec![host_port_text(host, *port)],
        Endpoint::Unix { path } => vec![format!("unix:{path}")],
        Endpoint::Sentinel(s) => s
            .sentinels
            .iter()
            .map(|(h, p)| host_port_text(h, *p))
            .collect(),
    };
    let mut addrs = Vec::with_capacity(names.len());
    for name in &names {
        // SAFETY: dir.cf is the configuration being parsed.
        addrs.push(unsafe { resolve(dir.conf_ptr(), name) }.map_err(|e| format!("{d}: {e}"))?);
    }
    let tls = match (&conf.tls, conf.tls_name()) {
        (Some(t), Some(name)) => {
            // SAFETY: as above.
            Some(
                unsafe { super::tls::configure(dir.conf_ptr(), t, name) }
                    .map_err(|e| format!("{d}: {e}"))?,
            )
        }
        _ => None,
    };
    let name = conf.describe();
    main.redis = Some(RedisTarget {
        conf,
        addrs,
        tls,
        name,
    });
    Ok(())
}

/// `host:port` or `unix:/path` to its first address, with nginx's own
/// parser and resolver.
unsafe fn resolve(cf: *mut ngx_conf_t, name: &str) -> Result<*mut ngx_addr_t, String> {
    let pool = (*cf).pool;
    let Some(text) = ngx_str_t::from_bytes(pool, name.as_bytes()) else {
        return Err("out of memory".into());
    };
    let mut u: ngx_url_t = core::mem::zeroed();
    u.url = text;
    u.default_port = 6379;
    if ngx_parse_url(pool, &mut u) != nginx_sys::NGX_OK as nginx_sys::ngx_int_t {
        let why = if u.err.is_null() {
            "invalid address".to_string()
        } else {
            core::ffi::CStr::from_ptr(u.err)
                .to_string_lossy()
                .into_owned()
        };
        return Err(format!("{why} in \"{name}\""));
    }
    if u.naddrs == 0 || u.addrs.is_null() {
        return Err(format!("host not found in \"{name}\""));
    }
    Ok(u.addrs)
}
