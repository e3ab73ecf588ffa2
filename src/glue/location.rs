//! Which location a merge is for: nginx merges each location's
//! configuration with `cf->ctx` pointing at that location's (and its
//! server's) configurations. For checks that need the configuration's
//! shape (does a location serve this path?), made once the whole `http`
//! block is merged.

use nginx_sys::{ngx_conf_t, ngx_http_conf_ctx_t, ngx_http_core_loc_conf_t, ngx_http_core_module};

/// What kind of location a name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocKind {
    /// The server's own level (no `location`).
    Server,
    Prefix,
    Exact,
    Regex,
    /// `@name`, or one nginx made (`if`, `limit_except`).
    Other,
}

/// The location being merged: its server (an identity, not a pointer to
/// follow) and its name as written.
#[derive(Clone, Debug)]
pub struct LocAt {
    pub server: usize,
    pub name: String,
    pub kind: LocKind,
}

impl LocAt {
    pub fn of(cf: *mut ngx_conf_t) -> Option<LocAt> {
        // SAFETY: during merge_loc_conf, cf->ctx is the http module's
        // context of the server or location being merged: its srv_conf and
        // loc_conf arrays hold every http module's configuration, the core
        // module's at its ctx_index.
        unsafe {
            let ctx = (*cf).ctx.cast::<ngx_http_conf_ctx_t>().as_ref()?;
            let i = ngx_http_core_module.ctx_index;
            let server = (*ctx.srv_conf.add(i)) as usize;
            let clcf = (*ctx.loc_conf.add(i))
                .cast::<ngx_http_core_loc_conf_t>()
                .as_ref()?;
            let name = String::from_utf8_lossy(clcf.name.as_bytes()).into_owned();
            let kind = if name.is_empty() {
                LocKind::Server
            } else if !clcf.regex.is_null() {
                LocKind::Regex
            } else if clcf.named() != 0 || clcf.noname() != 0 {
                LocKind::Other
            } else if clcf.exact_match() != 0 {
                LocKind::Exact
            } else {
                LocKind::Prefix
            };
            Some(LocAt { server, name, kind })
        }
    }
}
