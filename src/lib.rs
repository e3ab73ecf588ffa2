//! fediguard: an nginx module that guards fediverse servers, and the websites
//! they hammer, from abusive automated traffic.
//!
//! This crate is the nginx layer; the logic lives in `fediguard-core`.
//! Layout (docs/layout.md says more):
//! - the entry: this file (the module's nginx symbol), `module` (life cycle,
//!   phase handlers), `conf` (the configuration, composed), `directives`,
//!   `access` (the access phase's steps), `log_phase`, `variables`, `request` (per-request
//!   context), `filters` and `metrics_handler` (what the app-watch filters
//!   and the metrics page are handed);
//! - one folder per capability, named as in the core: `agent`, `token`,
//!   `limit`, `watch`, `metrics`, `cluster`, `claim`;
//! - `glue`: shared nginx glue.
//!
//! Dependencies run one way: entry -> capabilities -> glue and
//! fediguard-core. A capability may use a lower capability's public face
//! (everyone counts in `metrics`; `watch` stores verdicts in the token
//! zone; `cluster` syncs the limit and token zones), never the entry.

#[forbid(unsafe_code)]
mod access;
#[forbid(unsafe_code)]
mod agent;
#[forbid(unsafe_code)]
mod claim;
#[forbid(unsafe_code)]
mod cluster;
#[forbid(unsafe_code)]
mod conf;
#[forbid(unsafe_code)]
mod directives;
#[forbid(unsafe_code)]
mod filters;
mod glue;
#[forbid(unsafe_code)]
mod limit;
#[forbid(unsafe_code)]
mod lint;
#[forbid(unsafe_code)]
mod log_phase;
#[forbid(unsafe_code)]
mod metrics;
#[forbid(unsafe_code)]
mod metrics_handler;
#[forbid(unsafe_code)]
mod module;
#[forbid(unsafe_code)]
mod request;
#[forbid(unsafe_code)]
mod signature;
#[forbid(unsafe_code)]
mod token;
#[forbid(unsafe_code)]
mod variables;
#[forbid(unsafe_code)]
mod watch;

use core::ptr::{addr_of, addr_of_mut};

use nginx_sys::{ngx_module_t, NGX_HTTP_MODULE};

ngx::ngx_modules!(ngx_http_fediguard_module);

static CTX: nginx_sys::ngx_http_module_t = glue::lifecycle::http_module::<module::Fediguard>();

#[used]
#[allow(non_upper_case_globals)]
#[no_mangle]
pub static mut ngx_http_fediguard_module: ngx_module_t = ngx_module_t {
    ctx: addr_of!(CTX) as _,
    commands: addr_of_mut!(directives::COMMANDS) as *mut _,
    type_: NGX_HTTP_MODULE as _,
    init_process: Some(glue::lifecycle::init_process::<module::Fediguard>),
    ..ngx_module_t::default()
};
