//! `fediguard_redis`: where cluster mode keeps its shared state.

use fediguard_core::cluster::{parse_redis, RedisConf};
use nginx_sys::{ngx_addr_t, ngx_conf_t, ngx_parse_url, ngx_str_t, ngx_url_t};

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
    /// In the configuration's pool: lives as long as the cycle.
    pub addr: *mut ngx_addr_t,
    /// `host:port`, for log lines (never the password).
    pub name: String,
}

/// `fediguard_redis url [prefix=] [sync=] [timeout=];` (http)
pub fn set_redis(dir: &Directive, main: &mut ClusterMain) -> Result<(), String> {
    let d = "\"fediguard_redis\"";
    if main.redis.is_some() {
        return Err(format!("{d} directive is duplicate"));
    }
    let conf = parse_redis(&dir.args).map_err(|e| format!("{d}: {e}"))?;
    let host = if conf.host.contains(':') {
        format!("[{}]", conf.host)
    } else {
        conf.host.clone()
    };
    let name = format!("{host}:{}", conf.port);
    // SAFETY: dir.cf is the configuration being parsed.
    let addr = unsafe { resolve(dir.cf, &name) }.map_err(|e| format!("{d}: {e}"))?;
    main.redis = Some(RedisTarget { conf, addr, name });
    Ok(())
}

/// `host:port` to its first address, with nginx's own parser and resolver.
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
