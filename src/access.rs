//! The access-phase handler: applies the location's decisions, agent first,
//! then token, then limits. Each step is handed its own capability's
//! configuration and state.

use fediguard_core::conf_value::{FailPolicy, Mode, Require};
use fediguard_core::limit::LimitStatus;
use fediguard_core::reason::Reason;
use fediguard_core::token::TokenClass;
use nginx_sys::{ngx_http_request_t, ngx_int_t, NGX_HTTP_INTERNAL_SERVER_ERROR};
use ngx::core::Status;
use ngx::http::Request;

use crate::conf::{self, LocConf, MainConf};
use crate::deny::deny;
use crate::glue::rerun::rerun_after;
use crate::limit::check::{self as limit_check, Decision};
use crate::metrics::count;
use crate::request::{self, RequestCtx};
use crate::token::check::{self as token_check, Progress};

pub unsafe extern "C" fn handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls phase handlers with a live request.
    let r = unsafe { Request::from_ngx_http_request(r) };
    decide(r).0
}

fn internal_error() -> Status {
    Status(NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t)
}

fn decide(r: &mut Request) -> Status {
    // Subrequests (auth_request, SSI, fediguard's own verifications) belong
    // to a main request that has been decided already.
    if !r.is_main() {
        return Status::NGX_DECLINED;
    }
    let (Some(mcf), Some(lcf)) = (conf::main_conf(r), conf::loc_conf(r)) else {
        return Status::NGX_DECLINED;
    };
    let checks_agent = lcf.agent.checks();
    if lcf.mode() == Mode::Off
        || (!checks_agent && lcf.token.verify().is_none() && lcf.limit.limits().is_empty())
    {
        return Status::NGX_DECLINED;
    }
    let Some(ctx) = request::get(r) else {
        return internal_error();
    };

    if checks_agent {
        ctx.agent.ensure(r, &mcf.agent, mcf.metrics.stats());
        if lcf.agent.denies(ctx.agent.class) {
            let logged = ctx.decision.logged_agent;
            ctx.decision.logged_agent = true;
            if let Some(status) = deny(r, mcf, lcf, ctx, Reason::AgentDenied, logged, "") {
                return status;
            }
        }
    }
    if let Some(status) = token_step(r, mcf, lcf, ctx) {
        return status;
    }
    if let Some(status) = limit_step(r, mcf, lcf, ctx) {
        return status;
    }
    Status::NGX_DECLINED
}

/// Token classification and `fediguard_token_require`; Some(status) ends
/// the access handler.
fn token_step(
    r: &mut Request,
    mcf: &MainConf,
    lcf: &LocConf,
    ctx: &mut RequestCtx,
) -> Option<Status> {
    let (Some(prefix), Some(zone)) = (lcf.token.verify(), mcf.token.zone.as_ref()) else {
        return None;
    };
    let stats = mcf.metrics.stats();
    match token_check::advance(r, &mut ctx.token, zone, prefix, stats) {
        Progress::Classified => {}
        Progress::Again => return Some(Status::NGX_AGAIN),
        Progress::Error => return Some(internal_error()),
    }
    let class = ctx.token.class.unwrap_or(TokenClass::Unknown);
    if !ctx.token.counted {
        ctx.token.counted = true;
        count::token(stats, class);
    }
    let reason = token_reason(class, lcf.token.require(), lcf.token.fail())?;
    let logged = ctx.decision.logged_token;
    ctx.decision.logged_token = true;
    deny(r, mcf, lcf, ctx, reason, logged, "")
}

/// `fediguard_limit`s, once per request.
fn limit_step(
    r: &mut Request,
    mcf: &MainConf,
    lcf: &LocConf,
    ctx: &mut RequestCtx,
) -> Option<Status> {
    if ctx.limit_status.is_some() || lcf.limit.limits().is_empty() {
        return None;
    }
    let dry_run = lcf.mode() == Mode::DryRun;
    let stats = mcf.metrics.stats();
    match limit_check::check(r, &mcf.limit, lcf.limit.limits(), stats) {
        Decision::Pass => {
            ctx.limit_status = Some(LimitStatus::Passed);
            None
        }
        Decision::Delay(_) if dry_run => {
            ctx.limit_status = Some(LimitStatus::DelayedDryRun);
            None
        }
        Decision::Delay(ms) => {
            ctx.limit_status = Some(LimitStatus::Delayed);
            if rerun_after(r, ms) {
                Some(Status::NGX_AGAIN)
            } else {
                Some(internal_error())
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
            let zone = mcf.limit.zones.get(zone)?;
            let detail = format!(" zone={}", zone.name);
            let status = deny(r, mcf, lcf, ctx, Reason::RateLimited, false, &detail)?;
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
