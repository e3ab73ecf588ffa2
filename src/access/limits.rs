//! Steps: the `fediguard_limit`s of the location, each applied once per
//! request, as early as what they read is known: those that read neither
//! the agent's claim nor the token before the claim is checked, those that
//! read the claim but not the token before the token is, the others last.
//! So a limit bounds what a client can make fediguard do for it (DNS
//! lookups, calls to the backend), and a refused request costs neither.

use core::ptr;

use fediguard_core::conf_value::Mode;
use fediguard_core::limit::LimitStatus;
use fediguard_core::reason::Reason;

use super::decision;
use super::step::{Denial, Outcome, Pass};
use ngx::http::Request;

use super::agent_claim::verifies as verifies_claim;
use super::signature::verifies as verifies_signature;
use super::token::verifies as verifies_token;
use crate::glue::rerun::rerun_after;
use crate::limit::apply::{self, pending_all, Decision, Early, Select};

/// The limits that read neither the claim nor the token, where claims are
/// checked (elsewhere they go with the next group).
pub fn before_claim(p: &mut Pass) -> Outcome {
    if !verifies_claim(p.mcf, p.lcf) {
        return Outcome::Next;
    }
    let ctx = p.ctx;
    let read_later = |_: &Request| {
        let claim = ctx.claim_read.take();
        let token = ctx.token_read.take();
        let signer = ctx.signer_read.take();
        claim || token || signer
    };
    let early = Early {
        claim: true,
        token: true,
        signer: true,
        read_later: &read_later,
    };
    apply_limits(p, Some(early))
}

/// The limits that read no token, where the token is verified (elsewhere
/// they go with the rest).
pub fn before_token(p: &mut Pass) -> Outcome {
    if !verifies_token(p.mcf, p.lcf) {
        return Outcome::Next;
    }
    let ctx = p.ctx;
    let read_later = |_: &Request| {
        let token = ctx.token_read.take();
        let signer = ctx.signer_read.take();
        token || signer
    };
    let early = Early {
        claim: false,
        token: true,
        signer: true,
        read_later: &read_later,
    };
    apply_limits(p, Some(early))
}

/// The limits that do not read the signer, where signatures are checked
/// (elsewhere they go with the rest): an unsigned or forged flood is
/// limited per address before any body is read or key fetched.
pub fn before_signature(p: &mut Pass) -> Outcome {
    if !verifies_signature(p.mcf, p.lcf) {
        return Outcome::Next;
    }
    let ctx = p.ctx;
    let read_later = |_: &Request| ctx.signer_read.take();
    let early = Early {
        claim: false,
        token: false,
        signer: true,
        read_later: &read_later,
    };
    apply_limits(p, Some(early))
}

/// The limits not applied yet.
pub fn the_rest(p: &mut Pass) -> Outcome {
    apply_limits(p, None)
}

fn apply_limits(p: &mut Pass, early: Option<Early>) -> Outcome {
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
    if early.is_some() {
        // Variables read from here on are read early.
        p.ctx.token_read.set(false);
        p.ctx.claim_read.set(false);
        p.ctx.signer_read.set(false);
    }
    let select = Select { pending, early };
    let stats = p.mcf.metrics.stats();
    let (decision, decided) = apply::check(p.r, &p.mcf.limit, limits, &select, stats);
    st.pending = Some(pending & !decided);
    if decided == 0 {
        p.ctx.limits.set(st);
        return Outcome::Next;
    }
    let dry_run = p.lcf.mode() == Mode::DryRun;
    let status = match decision {
        // No key: the status stays as it was (not found if nothing applied).
        Decision::NotApplied => {
            p.ctx.limits.set(st);
            return Outcome::Next;
        }
        Decision::Pass => LimitStatus::Passed,
        Decision::Delay { .. } if dry_run => LimitStatus::DelayedDryRun,
        Decision::Delay { .. } => LimitStatus::Delayed,
        Decision::Reject { .. } if dry_run => LimitStatus::RejectedDryRun,
        Decision::Reject { .. } => LimitStatus::Rejected,
    };
    st.status = Some(worse(st.status, status));
    if let Decision::Reject { zone, excess, .. } = decision {
        // Nothing later charges a rejected request.
        st.pending = Some(0);
        st.rejected = Some((zone as u16, excess));
    }
    p.ctx.limits.set(st);
    if let Decision::Delay { zone, excess, .. } = decision {
        decision::log_delay(p, zone, excess, dry_run);
    }
    match decision {
        Decision::Pass | Decision::NotApplied => Outcome::Next,
        Decision::Delay { .. } if dry_run => Outcome::Next,
        Decision::Delay { ms, .. } if rerun_after(p.r, ms) => Outcome::Wait,
        Decision::Delay { .. } => Outcome::Error,
        Decision::Reject { .. } => Denial::outcome(Reason::RateLimited),
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
