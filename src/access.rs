//! The access-phase handler: applies the location's decisions, agent first
//! (its class, then whether its claim is verified), then token, then
//! limits. Each step is handed its own capability's
//! configuration and state.

use fediguard_core::conf_value::{FailPolicy, Mode, Require};
use fediguard_core::limit::LimitStatus;
use fediguard_core::reason::Reason;
use fediguard_core::token::TokenClass;
use fediguard_core::verify::Verified;
use nginx_sys::{ngx_http_request_t, ngx_int_t, NGX_HTTP_INTERNAL_SERVER_ERROR};
use ngx::core::Status;
use ngx::http::Request;

use crate::conf::{self, LocConf, MainConf};
use crate::deny::deny;
use crate::glue::rerun::rerun_after;
use crate::limit::check::{self as limit_check, pending_all, Decision, Select};
use crate::metrics::count;
use crate::request::{self, RequestCtx};
use crate::token::begin::{abandon, verify as start_verify};
use crate::token::check::{self as token_check};
use crate::token::progress::{Progress, Verify};
use crate::verify::check as verify_check;

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
    let verifies = lcf.token.verify().is_some() && mcf.token.zone.is_some();
    // Claims are verified where unverified claimants are denied, or
    // everywhere when the configuration shows $fediguard_agent_verified.
    let verifies_agent = lcf.verify.denies_any() || mcf.verify.var_used();
    if lcf.mode() == Mode::Off
        || (!checks_agent && !verifies && !verifies_agent && lcf.limit.limits().is_empty())
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
    if verifies_agent {
        if let Some(status) = verify_step(r, mcf, lcf, ctx) {
            return status;
        }
    }
    if verifies {
        if let Some(status) = token_step(r, mcf, lcf, ctx) {
            return status;
        }
    }
    if let Some(status) = limit_step(r, mcf, lcf, ctx, false) {
        return status;
    }
    Status::NGX_DECLINED
}

/// Verification of the agent's claim and `fediguard_agent_deny_unverified`;
/// Some(status) ends the access handler.
fn verify_step(
    r: &mut Request,
    mcf: &'static MainConf,
    lcf: &LocConf,
    ctx: &mut RequestCtx,
) -> Option<Status> {
    let stats = mcf.metrics.stats();
    ctx.agent.ensure(r, &mcf.agent, stats);
    let denies = lcf.verify.denies(ctx.agent.class);
    if !denies && !mcf.verify.var_used() {
        return None;
    }
    let v = verify_check::Verify {
        main: &mcf.verify,
        stats,
        timeout_ms: lcf.verify.timeout(),
    };
    match verify_check::advance(r, &mut ctx.verify, &ctx.agent, &v) {
        verify_check::Progress::Done => {}
        verify_check::Progress::Again => return Some(Status::NGX_AGAIN),
        verify_check::Progress::Error => return Some(internal_error()),
    }
    if !denies || ctx.verify.result != Some(Verified::No) {
        return None;
    }
    let logged = ctx.decision.logged_agent;
    ctx.decision.logged_agent = true;
    deny(r, mcf, lcf, ctx, Reason::AgentUnverified, logged, "")
}

/// Whether a token variable was read since the last call (the limits
/// checked before verification ask it about their keys).
fn token_read(r: &Request) -> bool {
    request::find(r).is_some_and(|c| core::mem::take(&mut c.token.read_early))
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
    let require = lcf.token.require();
    let v = Verify {
        zone,
        prefix,
        stats,
        need_account: mcf.token.name_vars.account_used(),
        // A location that refuses app tokens names the app in its log line.
        need_app: mcf.token.name_vars.app_used() || require == Require::User,
    };
    let mut progress = token_check::advance(r, &mut ctx.token, &v);
    if let Progress::Verify = progress {
        // A new token: the limits that need no token go first, so that they
        // bound what a client can make fediguard ask the backend.
        if let Some(status) = limit_step(r, mcf, lcf, ctx, true) {
            if status != Status::NGX_AGAIN {
                abandon(&mut ctx.token, zone);
            }
            return Some(status);
        }
        progress = start_verify(r, &mut ctx.token, &v);
    }
    match progress {
        Progress::Classified => {}
        Progress::Verify | Progress::Again => return Some(Status::NGX_AGAIN),
        Progress::Error => return Some(internal_error()),
    }
    let class = ctx.token.class.unwrap_or(TokenClass::Unknown);
    if !ctx.token.counted {
        ctx.token.counted = true;
        count::token(stats, class);
    }
    let reason = token_reason(class, require, lcf.token.fail())?;
    let logged = ctx.decision.logged_token;
    ctx.decision.logged_token = true;
    let status = deny(r, mcf, lcf, ctx, reason, logged, "")?;
    if reason == Reason::VerifyLimited {
        r.add_header_out("Retry-After", &ctx.token.retry_secs.max(1).to_string());
    }
    Some(status)
}

/// `fediguard_limit`s, each once per request: with `early`, those that
/// need no token (before verification); then the others.
fn limit_step(
    r: &mut Request,
    mcf: &MainConf,
    lcf: &LocConf,
    ctx: &mut RequestCtx,
    early: bool,
) -> Option<Status> {
    let limits = lcf.limit.limits();
    if limits.is_empty() {
        return None;
    }
    // The bits name this location's limits; after an internal redirect to
    // another location, what was started is not started again.
    let list = limits.as_ptr() as usize;
    if ctx.limits_pending.is_some() && ctx.limits_of != list {
        return None;
    }
    ctx.limits_of = list;
    let pending = *ctx
        .limits_pending
        .get_or_insert_with(|| pending_all(limits));
    if pending == 0 {
        return None;
    }
    let dry_run = lcf.mode() == Mode::DryRun;
    let stats = mcf.metrics.stats();
    // Token variables read from here on are read early.
    ctx.token.read_early = false;
    let select = Select {
        pending,
        early: if early { Some(&token_read) } else { None },
    };
    let (decision, decided) = limit_check::check(r, &mcf.limit, limits, &select, stats);
    ctx.limits_pending = Some(pending & !decided);
    if decided == 0 {
        return None;
    }
    let status = match decision {
        Decision::Pass => LimitStatus::Passed,
        Decision::Delay(_) if dry_run => LimitStatus::DelayedDryRun,
        Decision::Delay(_) => LimitStatus::Delayed,
        Decision::Reject { .. } if dry_run => LimitStatus::RejectedDryRun,
        Decision::Reject { .. } => LimitStatus::Rejected,
    };
    ctx.limit_status = Some(worse(ctx.limit_status, status));
    match decision {
        Decision::Pass => None,
        Decision::Delay(_) if dry_run => None,
        Decision::Delay(ms) => {
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
            // Nothing later charges a rejected request.
            ctx.limits_pending = Some(0);
            let zone = mcf.limit.zones.get(zone)?;
            let detail = format!(" zone={}", zone.name);
            let status = deny(r, mcf, lcf, ctx, Reason::RateLimited, false, &detail)?;
            limit_check::add_reject_headers(r, zone, &limit, excess);
            Some(status)
        }
    }
}

/// The request's limit status after two checks: the stricter outcome.
fn worse(before: Option<LimitStatus>, now: LimitStatus) -> LimitStatus {
    let rank = |s: LimitStatus| match s {
        LimitStatus::Passed => 0,
        LimitStatus::DelayedDryRun => 1,
        LimitStatus::Delayed => 2,
        LimitStatus::RejectedDryRun => 3,
        LimitStatus::Rejected => 4,
    };
    match before {
        Some(b) if rank(b) > rank(now) => b,
        _ => now,
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
        // A client's own flood is never an `unknown` that fail-open lets
        // through.
        TokenClass::Limited => Some(Reason::VerifyLimited),
    }
}
