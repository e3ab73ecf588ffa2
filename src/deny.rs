//! A denial: the status to answer with, one log line, one count.

use core::fmt::Write;

use fediguard_core::conf_value::Mode;
use fediguard_core::escape::quote_into;
use fediguard_core::reason::Reason;
use fediguard_core::token::TokenClass;
use nginx_sys::{ngx_int_t, NGX_HTTP_SERVICE_UNAVAILABLE};

/// 429, as Mastodon answers its own throttles.
const NGX_HTTP_TOO_MANY_REQUESTS: u32 = 429;
use ngx::core::Status;
use ngx::http::Request;

use crate::conf::{LocConf, MainConf};
use crate::glue::log::write_for_request;
use crate::metrics::count;
use crate::request::RequestCtx;

/// Longest piece of an agent or app name quoted in a log line.
const MAX_LOGGED: usize = 256;

/// Records a denial, logs it once, and returns the status to answer with
/// (None in dry_run).
pub fn deny(
    r: &Request,
    mcf: &MainConf,
    lcf: &LocConf,
    ctx: &mut RequestCtx,
    reason: Reason,
    logged: bool,
    detail: &str,
) -> Option<Status> {
    ctx.decision.reason = Some(reason);
    let dry_run = lcf.mode() == Mode::DryRun;
    if !logged {
        log_denial(r, mcf, lcf, ctx, reason, dry_run, detail);
        count::decision(mcf.metrics.stats(), reason, dry_run);
    }
    if dry_run {
        return None;
    }
    ctx.decision.denied = true;
    let status = match reason {
        Reason::VerifyUnavailable => NGX_HTTP_SERVICE_UNAVAILABLE as ngx_int_t,
        Reason::RateLimited => lcf.limit.status() as ngx_int_t,
        Reason::VerifyLimited => NGX_HTTP_TOO_MANY_REQUESTS as ngx_int_t,
        _ => lcf.deny_status() as ngx_int_t,
    };
    Some(Status(status))
}

/// One line per denial: `fediguard: deny reason=... ...`; nginx appends the
/// client, server, request and host.
fn log_denial(
    r: &Request,
    mcf: &MainConf,
    lcf: &LocConf,
    ctx: &mut RequestCtx,
    reason: Reason,
    dry_run: bool,
    detail: &str,
) {
    let mut msg = String::with_capacity(192);
    msg.push_str(if dry_run {
        "fediguard: would deny"
    } else {
        "fediguard: deny"
    });
    let _ = write!(msg, " reason={}", reason.as_str());
    msg.push_str(detail);
    if matches!(
        reason,
        Reason::AgentDenied | Reason::RateLimited | Reason::AgentUnverified
    ) {
        ctx.agent.ensure(r, &mcf.agent, mcf.metrics.stats());
        let _ = write!(msg, " class={}", mcf.agent.class_name(ctx.agent.class));
        if ctx.agent.host.len > 0 {
            msg.push_str(" instance=");
            quote_into(&mut msg, ctx.agent.host.as_bytes(), MAX_LOGGED);
        }
        if let Some(v) = ctx.verify.result {
            let _ = write!(
                msg,
                " verified={} via={}",
                v.as_str(),
                ctx.verify.via.as_str()
            );
        }
    } else {
        ctx.token.ensure_id();
        let t = &ctx.token;
        if !t.id().is_empty() {
            msg.push_str(" token=");
            quote_into(&mut msg, t.id(), MAX_LOGGED);
        }
        let class = t.class.unwrap_or(TokenClass::Unknown);
        let _ = write!(msg, " class={}", class.as_str());
        let label = match class {
            TokenClass::App => Some(("app", true)),
            TokenClass::User => Some(("account", false)),
            _ => None,
        };
        if let Some((label, with_website)) = label {
            let _ = write!(msg, " {label}=\"");
            quote_into(&mut msg, t.name.as_bytes(), MAX_LOGGED);
            msg.push('"');
            if with_website && t.website.len > 0 {
                msg.push_str(" website=\"");
                quote_into(&mut msg, t.website.as_bytes(), MAX_LOGGED);
                msg.push('"');
            }
        }
    }
    msg.push_str(" agent=\"");
    if let Some(agent) = r.user_agent() {
        quote_into(&mut msg, agent.as_bytes(), MAX_LOGGED);
    }
    msg.push('"');
    write_for_request(r, lcf.log_level() as usize, &msg);
}
