//! What the app-watch filters need of a request, from the configuration
//! and the request context the entry owns (`watch::filter::Hooks`).

use ngx::http::Request;

use crate::conf;
use crate::request;
use crate::watch::filter::{install, Hooks, Watch};
use crate::watch::record::Sinks;

fn watched(r: &Request) -> Option<Sinks<'static>> {
    if !conf::loc_conf(r)?.watch.watches() {
        return None;
    }
    let mcf = conf::main_conf(r)?;
    Some(Sinks {
        token_zone: mcf.token.zone.as_ref(),
        stats: mcf.metrics.stats(),
    })
}

fn state(r: &Request, create: bool) -> Option<&'static mut Watch> {
    let ctx = if create {
        request::get(r)
    } else {
        request::find(r)
    };
    ctx.map(|c| &mut c.watch)
}

/// Puts the filters into nginx's output chains.
///
/// # Safety
/// Called once per configuration (postconfiguration), single-threaded.
pub unsafe fn install_app_watch() {
    install(Hooks { watched, state });
}
