//! Addresses resolved while the configuration is read (as nginx resolves
//! `proxy_pass` hosts): what runs later never waits for DNS.

use nginx_sys::{ngx_int_t, ngx_parse_url, ngx_str_t, ngx_url_t, NGX_OK};

use super::directive::Directive;
use super::peer_addr::PeerAddr;

impl Directive<'_> {
    /// `host:port` (`default_port` if none) or `unix:/path` to its first
    /// address, with nginx's own parser and resolver.
    pub fn resolve_peer(&self, name: &str, default_port: u16) -> Result<PeerAddr, String> {
        let cf = self.conf_ptr();
        // SAFETY: cf is the configuration being parsed (a Directive exists
        // only inside a directive handler); ngx_parse_url reads the URL and
        // allocates what it finds from cf's pool, which outlives this call.
        unsafe {
            let pool = (*cf).pool;
            let Some(text) = ngx_str_t::from_bytes(pool, name.as_bytes()) else {
                return Err("out of memory".into());
            };
            let mut u: ngx_url_t = core::mem::zeroed();
            u.url = text;
            u.default_port = default_port;
            if ngx_parse_url(pool, &mut u) != NGX_OK as ngx_int_t {
                let why = if u.err.is_null() {
                    "invalid address".to_string()
                } else {
                    core::ffi::CStr::from_ptr(u.err)
                        .to_string_lossy()
                        .into_owned()
                };
                return Err(format!("{why} in \"{name}\""));
            }
            match u.addrs.as_ref() {
                Some(first) if u.naddrs > 0 => Ok(PeerAddr::copy_of(first)),
                _ => Err(format!("host not found in \"{name}\"")),
            }
        }
    }
}
