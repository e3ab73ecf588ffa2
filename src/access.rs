//! The access-phase handler: applies the location's decisions.

use core::fmt::Write;

use fediguard_core::conf_value::Mode;
use fediguard_core::escape::quote_into;
use fediguard_core::reason::Reason;
use nginx_sys::{ngx_http_request_t, ngx_int_t, NGX_HTTP_INTERNAL_SERVER_ERROR};
use ngx::core::Status;
use ngx::http::{HttpModuleLocationConf, HttpModuleMainConf, Request};

use crate::conf::LocConf;
use crate::request_ctx::{self, RequestCtx};
use crate::Module;

/// Longest piece of an agent quoted in a log line.
const MAX_LOGGED_AGENT: usize = 256;

pub unsafe extern "C" fn handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls phase handlers with a live request.
    let r = unsafe { Request::from_ngx_http_request(r) };
    decide(r).0
}

fn decide(r: &mut Request) -> Status {
    // Subrequests (auth_request, SSI, fediguard's own verifications) belong
    // to a main request that has been decided already.
    if !r.is_main() {
        return Status::NGX_DECLINED;
    }
    let Some(lcf) = Module::location_conf(r) else {
        return Status::NGX_DECLINED;
    };
    let mode = lcf.mode();
    if mode == Mode::Off || lcf.agent_deny_ids.is_empty() {
        return Status::NGX_DECLINED;
    }
    let Some(ctx) = request_ctx::get(r) else {
        return Status(NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t);
    };
    if !lcf.denies(ctx.agent_class) {
        return Status::NGX_DECLINED;
    }
    // After an internal redirect (index, try_files) the access phase runs
    // again; a dry-run decision already logged is not logged twice.
    let logged = ctx.reason == Some(Reason::AgentDenied);
    ctx.reason = Some(Reason::AgentDenied);
    if !logged {
        log_denial(r, lcf, ctx, mode == Mode::DryRun);
    }
    if mode == Mode::DryRun {
        return Status::NGX_DECLINED;
    }
    Status(lcf.deny_status() as ngx_int_t)
}

/// One line per denial: `fediguard: deny reason=... class=... agent="..."`;
/// nginx appends the client, server, request and host.
fn log_denial(r: &Request, lcf: &LocConf, ctx: &RequestCtx, dry_run: bool) {
    let class = Module::main_conf(r)
        .map(|m| m.classes.name(ctx.agent_class))
        .unwrap_or("other");
    let reason = ctx.reason.map(Reason::as_str).unwrap_or("");
    let mut msg = String::with_capacity(160);
    msg.push_str(if dry_run {
        "fediguard: would deny"
    } else {
        "fediguard: deny"
    });
    let _ = write!(msg, " reason={reason} class={class}");
    if ctx.agent_host.len > 0 {
        msg.push_str(" instance=");
        quote_into(&mut msg, ctx.agent_host.as_bytes(), MAX_LOGGED_AGENT);
    }
    msg.push_str(" agent=\"");
    if let Some(agent) = r.user_agent() {
        quote_into(&mut msg, agent.as_bytes(), MAX_LOGGED_AGENT);
    }
    msg.push('"');
    crate::log::write(r.log(), lcf.log_level() as usize, &msg);
}
