//! What the app-watch filters need of a request, from the configuration
//! and the request context the entry owns (`glue::answer_copy::Hooks`).

use core::cell::RefCell;

use ngx::http::Request;

use crate::conf;
use crate::glue::answer_copy::{install, Hooks, Watch};
use crate::request;
use crate::watch::record::{self, Sinks};

fn watched(r: &Request) -> bool {
    conf::loc_conf(r).is_some_and(|l| l.watch.watches())
}

fn answer(r: &Request, body: &[u8]) {
    let Some(mcf) = conf::main_conf(r) else {
        return;
    };
    let sinks = Sinks {
        token_zone: mcf.token.zone.as_ref(),
        stats: mcf.metrics.stats(),
    };
    record::answer(r, body, &sinks);
}

fn state(r: &Request, create: bool) -> Option<&RefCell<Watch>> {
    let ctx = if create {
        request::get(r)
    } else {
        request::find(r)
    };
    ctx.map(|c| &c.watch)
}

/// Puts the filters into nginx's output chains (postconfiguration).
pub fn install_app_watch() {
    install(Hooks {
        watched,
        answer,
        state,
    });
}
