//! The decision on a denied request, made in one place: the status to
//! answer with and its headers, one error_log line, one count, and what
//! `$fediguard_reason` says.
//!
//! Log levels follow limit_req's: a refusal is written at
//! `fediguard_log_level` (`error` by default, as `limit_req_log_level`, so
//! that Debian's stock `error_log /var/log/nginx/error.log;` shows it); a
//! delay one level lower (`warn`), as limit_req's "delaying request". A
//! dry run's "would deny" is written at the refusal's level, as limit_req's
//! "limiting requests, dry run": a dry run is read to decide whether to
//! enforce, and one level lower would hide it from the stock error_log.

use core::fmt::Write;

use fediguard_core::conf_value::Mode;
use fediguard_core::escape::quote_into;
use fediguard_core::limit::Limit;
use fediguard_core::reason::Reason;
use fediguard_core::token::TokenClass;
use nginx_sys::{ngx_int_t, NGX_HTTP_SERVICE_UNAVAILABLE, NGX_HTTP_UNAUTHORIZED};
use ngx::core::Status;
use ngx::http::Request;

use super::step::{Denial, Pass};
use crate::glue::log::write_for_request;
use crate::limit::apply::add_reject_headers;
use crate::limit::zone::LimitZone;
use crate::metrics::count;
use crate::request::RequestCtx;
use crate::signature::state::Verdict;

/// 429, as Mastodon answers its own throttles.
const NGX_HTTP_TOO_MANY_REQUESTS: u32 = 429;

/// Longest piece of an agent or app name quoted in a log line.
const MAX_LOGGED: usize = 256;

/// Records a denial, logs and counts it once per kind, and returns the
/// status to answer with (None in dry_run: the steps go on).
pub fn deny(p: &mut Pass, d: &Denial) -> Option<Status> {
    let ctx = p.ctx;
    let mut decision = ctx.decision.get();
    decision.reason = Some(d.reason);
    let dry_run = p.lcf.mode() == Mode::DryRun;
    let kind = kind(d.reason);
    if decision.logged & kind == 0 {
        decision.logged |= kind;
        ctx.decision.set(decision);
        log_denial(p, d, dry_run);
        count::decision(p.mcf.metrics.stats(), d.reason, dry_run);
    }
    if dry_run {
        ctx.decision.set(decision);
        return None;
    }
    decision.denied = true;
    ctx.decision.set(decision);
    let status = match d.reason {
        Reason::VerifyUnavailable | Reason::SignatureUnavailable => NGX_HTTP_SERVICE_UNAVAILABLE,
        // As Mastodon answers a delivery it cannot verify.
        Reason::SignatureMissing | Reason::SignatureInvalid => NGX_HTTP_UNAUTHORIZED,
        Reason::RateLimited => u32::from(p.lcf.limit.status()),
        Reason::VerifyLimited => NGX_HTTP_TOO_MANY_REQUESTS,
        _ => u32::from(p.lcf.deny_status()),
    };
    if d.retry_after > 0 {
        p.r.add_header_out("Retry-After", &d.retry_after.to_string());
    }
    if let Some((zone, limit, excess)) = rejected(p, d) {
        add_reject_headers(p.r, zone, &limit, excess);
    }
    Some(Status(status as ngx_int_t))
}

/// The limit that refused the request, for a `rate-limited` denial.
fn rejected(p: &Pass, d: &Denial) -> Option<(&'static LimitZone, Limit, u64)> {
    if d.reason != Reason::RateLimited {
        return None;
    }
    let (zone, excess) = p.ctx.limits.get().rejected?;
    let mcf: &'static crate::conf::MainConf = p.mcf;
    let index = usize::from(zone);
    let l = p.lcf.limit.limits().iter().find(|l| l.zone == index)?;
    let zone = mcf.limit.zones.get(index)?;
    Some((zone, l.limit(zone), excess))
}

/// Denials of one kind are logged once per request, however often the
/// access phase runs for it (internal redirects).
fn kind(reason: Reason) -> u8 {
    match reason {
        Reason::AgentDenied | Reason::AgentUnverified => 1,
        Reason::RateLimited => 4,
        Reason::SignatureMissing | Reason::SignatureInvalid | Reason::SignatureUnavailable => 8,
        _ => 2,
    }
}

/// One line per denial: `fediguard: deny reason=... ...`; nginx appends the
/// client, server, request and host.
fn log_denial(p: &Pass, d: &Denial, dry_run: bool) {
    let (r, ctx) = (&*p.r, p.ctx);
    let mut msg = String::with_capacity(192);
    msg.push_str(if dry_run {
        "fediguard: would deny"
    } else {
        "fediguard: deny"
    });
    let _ = write!(msg, " reason={}", d.reason.as_str());
    if let Some((zone, _, _)) = rejected(p, d) {
        let _ = write!(msg, " zone={}", zone.name);
    }
    if matches!(
        d.reason,
        Reason::AgentDenied | Reason::RateLimited | Reason::AgentUnverified
    ) {
        agent_part(&mut msg, r, ctx, p);
    } else if matches!(
        d.reason,
        Reason::SignatureMissing | Reason::SignatureInvalid | Reason::SignatureUnavailable
    ) {
        signature_part(&mut msg, ctx);
    } else {
        token_part(&mut msg, ctx);
    }
    msg.push_str(" agent=\"");
    if let Some(agent) = r.user_agent() {
        quote_into(&mut msg, agent.as_bytes(), MAX_LOGGED);
    }
    msg.push('"');
    write_for_request(r, p.lcf.log_level() as usize, &msg);
}

/// A delayed request's line, as limit_req's (`delaying request, excess:
/// 0.500, by zone "name"`), one level below refusals.
pub fn log_delay(p: &Pass, zone: usize, excess: u64, dry_run: bool) {
    let Some(zone) = p.mcf.limit.zones.get(zone) else {
        return;
    };
    let msg = format!(
        "fediguard: delaying request{}, excess: {}.{:03}, by zone \"{}\"",
        if dry_run { ", dry run" } else { "" },
        excess / 1000,
        excess % 1000,
        zone.name
    );
    write_for_request(p.r, p.lcf.log_level().lower() as usize, &msg);
}

fn agent_part(msg: &mut String, r: &Request, ctx: &RequestCtx, p: &Pass) {
    let agent = ctx.agent(r, p.mcf);
    let _ = write!(msg, " agent_class={}", p.mcf.agent.class_name(agent.class));
    if agent.host.len > 0 {
        msg.push_str(" instance=");
        quote_into(msg, agent.host.as_bytes(), MAX_LOGGED);
    }
    let claim = ctx.claim.get();
    if let Some(v) = claim.result {
        let _ = write!(msg, " verified={} via={}", v.as_str(), claim.via.as_str());
    }
}

/// `why=... scheme=... keyid="..."`: never the signature itself.
fn signature_part(msg: &mut String, ctx: &RequestCtx) {
    let Some(Ok(s)) = ctx.signature.get().map(|c| c.try_borrow()) else {
        return;
    };
    if let Some(Verdict::Invalid(why)) = s.verdict {
        let _ = write!(msg, " why={}", why.as_str());
    }
    if let Some(scheme) = s.scheme {
        let _ = write!(msg, " scheme={}", scheme.as_str());
    }
    if !s.key_id.is_empty() {
        msg.push_str(" keyid=\"");
        quote_into(msg, s.key_id.as_bytes(), MAX_LOGGED);
        msg.push('"');
    }
}

fn token_part(msg: &mut String, ctx: &RequestCtx) {
    let Ok(mut t) = ctx.token.try_borrow_mut() else {
        return;
    };
    t.ensure_id();
    if !t.id().is_empty() {
        msg.push_str(" token_id=");
        quote_into(msg, t.id(), MAX_LOGGED);
    }
    let class = t.class.unwrap_or(TokenClass::Unknown);
    let _ = write!(msg, " token_class={}", class.as_str());
    let label = match class {
        TokenClass::App => Some(("app", true)),
        TokenClass::User => Some(("account", false)),
        _ => None,
    };
    if let Some((label, with_website)) = label {
        let _ = write!(msg, " {label}=\"");
        quote_into(msg, t.name.as_bytes(), MAX_LOGGED);
        msg.push('"');
        if with_website && t.website.len > 0 {
            msg.push_str(" website=\"");
            quote_into(msg, t.website.as_bytes(), MAX_LOGGED);
            msg.push('"');
        }
    }
}
