//! `fediguard_redis`: where cluster mode keeps its shared state.

use core::ffi::{c_char, c_void};

use fediguard_core::cluster::{parse_redis, RedisConf};
use nginx_sys::{ngx_addr_t, ngx_command_t, ngx_conf_t, ngx_parse_url, ngx_str_t, ngx_url_t};

use super::directives::with_main;
use crate::log::ConfPlace;

/// The Redis server, resolved when the configuration is read (as nginx
/// resolves `proxy_pass` hosts): sync rounds never wait for DNS.
#[derive(Debug)]
pub struct RedisTarget {
    pub conf: RedisConf,
    /// In the configuration's pool: lives as long as the cycle.
    pub addr: *mut ngx_addr_t,
    /// `host:port`, for log lines (never the password).
    pub name: String,
    pub place: ConfPlace,
}

pub unsafe extern "C" fn set_redis(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    let place = ConfPlace::of(cf);
    with_main(cf, conf, |mcf, a| {
        let d = "\"fediguard_redis\"";
        if mcf.redis.is_some() {
            return Err(format!("{d} directive is duplicate"));
        }
        let conf = parse_redis(a).map_err(|e| format!("{d}: {e}"))?;
        let host = if conf.host.contains(':') {
            format!("[{}]", conf.host)
        } else {
            conf.host.clone()
        };
        let name = format!("{host}:{}", conf.port);
        // SAFETY: cf is the configuration being parsed.
        let addr = unsafe { resolve(cf, &name) }.map_err(|e| format!("{d}: {e}"))?;
        mcf.redis = Some(RedisTarget {
            conf,
            addr,
            name,
            place,
        });
        Ok(())
    })
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
