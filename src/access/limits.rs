//! Steps: the `fediguard_limit`s of the location, each applied once per
//! request. Those that need no token go before the token step, so that
//! they bound what a client can make fediguard ask the backend; the others
//! (a key or cost that reads a token variable) after it.

use core::ptr;

use fediguard_core::conf_value::Mode;
use fediguard_core::limit::LimitStatus;
use fediguard_core::reason::Reason;

use super::step::{Denial, Outcome, Pass};
use super::token::verifies as verifies_token;
use crate::glue::rerun::rerun_after;
use crate::limit::apply::{self, pending_all, Decision, Select};

/// The limits that need no token, where the token is verified (elsewhere
/// all limits are applied together, after).
pub fn before_token(p: &mut Pass) -> Outcome {
    if !verifies_token(p.mcf, p.lcf) {
        return Outcome::Next;
    }
    apply_limits(p, true)
}

/// The limits not applied yet.
pub fn the_rest(p: &mut Pass) -> Outcome {
    apply_limits(p, false)
}

fn apply_limits(p: &mut Pass, early: bool) -> Outcome {
    let limits = p.lcf.limit.limits();
    if limits.is_empty() {
        return Outcome::Next;
    }
    let mut st = p.ctx.limits.get();
    // The bits name this location's limits; after an internal redirect to
    // another location, what was started is not started again.
    if st.pending.is_some() && !st.of.is_some_and(|of| ptr::eq(of, &p.lcf.limit)) {
        return Outcome::Next;
    }
    st.of = Some(&p.lcf.limit);
    let pending = *st.pending.get_or_insert_with(|| pending_all(limits));
    if pending == 0 {
        p.ctx.limits.set(st);
        return Outcome::Next;
    }
    // Token variables read from here on are read early.
    let token_read = &p.ctx.token_read;
    token_read.set(false);
    let read = |_: &ngx::http::Request| token_read.take();
    let select = Select {
        pending,
        early: if early { Some(&read) } else { None },
    };
    let stats = p.mcf.metrics.stats();
    let (decision, decided) = apply::check(p.r, &p.mcf.limit, limits, &select, stats);
    st.pending = Some(pending & !decided);
    if decided == 0 {
        p.ctx.limits.set(st);
        return Outcome::Next;
    }
    let dry_run = p.lcf.mode() == Mode::DryRun;
    let status = match decision {
        Decision::Pass => LimitStatus::Passed,
        Decision::Delay(_) if dry_run => LimitStatus::DelayedDryRun,
        Decision::Delay(_) => LimitStatus::Delayed,
        Decision::Reject { .. } if dry_run => LimitStatus::RejectedDryRun,
        Decision::Reject { .. } => LimitStatus::Rejected,
    };
    st.status = Some(worse(st.status, status));
    if let Decision::Reject { .. } = decision {
        // Nothing later charges a rejected request.
        st.pending = Some(0);
    }
    p.ctx.limits.set(st);
    match decision {
        Decision::Pass => Outcome::Next,
        Decision::Delay(_) if dry_run => Outcome::Next,
        Decision::Delay(ms) if rerun_after(p.r, ms) => Outcome::Wait,
        Decision::Delay(_) => Outcome::Error,
        Decision::Reject {
            zone,
            limit,
            excess,
        } => Outcome::Deny(Denial {
            reason: Reason::RateLimited,
            retry_after: None,
            limit: Some((zone, limit, excess)),
        }),
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
