//! The access-phase handler: applies the location's decisions, agent first,
//! then token.

use core::fmt::Write;

use fediguard_core::conf_value::{FailPolicy, Mode, Require};
use fediguard_core::escape::quote_into;
use fediguard_core::limit::LimitStatus;
use fediguard_core::reason::Reason;
use fediguard_core::token::TokenClass;
use nginx_sys::{
    ngx_http_request_t, ngx_int_t, NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_HTTP_SERVICE_UNAVAILABLE,
};
use ngx::core::Status;
use ngx::http::{HttpModuleLocationConf, HttpModuleMainConf, Request};

use crate::conf::LocConf;
use crate::limit_check::{self, Decision};
use crate::request_ctx::{self, RequestCtx};
use crate::token_check::{self, Progress};
use crate::token_zone;
use crate::Module;

/// Longest piece of an agent or app name quoted in a log line.
const MAX_LOGGED: usize = 256;

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
    let checks_agent = !lcf.agent_deny_ids.is_empty();
    if mode == Mode::Off
        || (!checks_agent && lcf.token_verify().is_none() && lcf.limits().is_empty())
    {
        return Status::NGX_DECLINED;
    }
    let Some(ctx) = request_ctx::get(r) else {
        return Status(NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t);
    };

    if checks_agent {
        ctx.ensure_agent(r);
    }
    if checks_agent && lcf.denies(ctx.agent_class) {
        let logged = ctx.logged_agent;
        ctx.logged_agent = true;
        if let Some(status) = deny(r, lcf, ctx, Reason::AgentDenied, logged, "") {
            return status;
        }
    }

    if let Some(status) = token_step(r, lcf, ctx) {
        return status;
    }
    if let Some(status) = limit_step(r, lcf, ctx) {
        return status;
    }
    Status::NGX_DECLINED
}

/// Token classification and `fediguard_token_require`; Some(status) ends
/// the access handler.
fn token_step(r: &mut Request, lcf: &LocConf, ctx: &mut RequestCtx) -> Option<Status> {
    let (Some(prefix), Some(zone)) = (lcf.token_verify(), token_zone::zone_of(r)) else {
        return None;
    };
    match token_check::advance(r, ctx, zone, prefix) {
        Progress::Classified => {}
        Progress::Again => return Some(Status::NGX_AGAIN),
        Progress::Error => return Some(Status(NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t)),
    }
    let class = ctx.token.class.unwrap_or(TokenClass::Unknown);
    if !ctx.token.counted {
        ctx.token.counted = true;
        crate::count::token(r, class);
    }
    let reason = token_reason(class, lcf.token_require(), lcf.token_fail())?;
    let logged = ctx.logged_token;
    ctx.logged_token = true;
    deny(r, lcf, ctx, reason, logged, "")
}

/// `fediguard_limit`s, once per request.
fn limit_step(r: &mut Request, lcf: &LocConf, ctx: &mut RequestCtx) -> Option<Status> {
    if ctx.limit_status.is_some() || lcf.limits().is_empty() {
        return None;
    }
    let mcf = Module::main_conf(r)?;
    let dry_run = lcf.mode() == Mode::DryRun;
    match limit_check::check(r, mcf, lcf.limits()) {
        Decision::Pass => {
            ctx.limit_status = Some(LimitStatus::Passed);
            None
        }
        Decision::Delay(ms) if dry_run => {
            ctx.limit_status = Some(LimitStatus::DelayedDryRun);
            let _ = ms;
            None
        }
        Decision::Delay(ms) => {
            ctx.limit_status = Some(LimitStatus::Delayed);
            if crate::delay::rerun_after(r, ms) {
                Some(Status::NGX_AGAIN)
            } else {
                Some(Status(NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t))
            }
        }
        Decision::Reject {
            zone,
            limit,
            excess,
        } => {
            ctx.limit_status = Some(if dry_run {
                LimitStatus::RejectedDryRun
            } else {
                LimitStatus::Rejected
            });
            let zone = mcf.limit_zones.get(zone)?;
            let detail = format!(" zone={}", zone.name);
            let status = deny(r, lcf, ctx, Reason::RateLimited, false, &detail)?;
            limit_check::add_reject_headers(r, zone, &limit, excess);
            Some(status)
        }
    }
}

/// Why a token of this class is refused here, if it is.
fn token_reason(class: TokenClass, require: Require, fail: FailPolicy) -> Option<Reason> {
    if require == Require::Off {
        return None;
    }
    match class {
        TokenClass::User => None,
        TokenClass::App if require == Require::Valid => None,
        TokenClass::App => Some(Reason::TokenAppOnly),
        TokenClass::None => Some(Reason::NoAuth),
        TokenClass::Malformed => Some(Reason::TokenMalformed),
        TokenClass::Invalid => Some(Reason::TokenInvalid),
        TokenClass::Unknown if fail == FailPolicy::Open => None,
        TokenClass::Unknown => Some(Reason::VerifyUnavailable),
    }
}

/// Records a denial, logs it once, and returns the status to answer with
/// (None in dry_run).
fn deny(
    r: &Request,
    lcf: &LocConf,
    ctx: &mut RequestCtx,
    reason: Reason,
    logged: bool,
    detail: &str,
) -> Option<Status> {
    ctx.reason = Some(reason);
    let dry_run = lcf.mode() == Mode::DryRun;
    if !logged {
        log_denial(r, lcf, ctx, reason, dry_run, detail);
        crate::count::decision(r, reason, dry_run);
    }
    if dry_run {
        return None;
    }
    ctx.denied = true;
    let status = match reason {
        Reason::VerifyUnavailable => NGX_HTTP_SERVICE_UNAVAILABLE as ngx_int_t,
        Reason::RateLimited => lcf.limit_status() as ngx_int_t,
        _ => lcf.deny_status() as ngx_int_t,
    };
    Some(Status(status))
}

/// One line per denial: `fediguard: deny reason=... ...`; nginx appends the
/// client, server, request and host.
fn log_denial(
    r: &Request,
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
    if reason == Reason::AgentDenied || reason == Reason::RateLimited {
        ctx.ensure_agent(r);
        let class = Module::main_conf(r)
            .map(|m| m.classes.name(ctx.agent_class))
            .unwrap_or("other");
        let _ = write!(msg, " class={class}");
        if ctx.agent_host.len > 0 {
            msg.push_str(" instance=");
            quote_into(&mut msg, ctx.agent_host.as_bytes(), MAX_LOGGED);
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
    crate::log::write_for_request(r, lcf.log_level() as usize, &msg);
}
