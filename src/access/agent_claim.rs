//! Step: whether the agent's claim is borne out (ranges, reverse DNS, a
//! fediverse instance's host), and `fediguard_agent_deny_unverified`.

use fediguard_core::claim::Verified;
use fediguard_core::reason::Reason;

use super::step::{Denial, Outcome, Pass};
use crate::claim::confirm::{self, ClaimCheck, Confirm};
use crate::conf::{LocConf, MainConf};

/// Claims are verified where unverified claimants are denied, or
/// everywhere when the configuration shows `$fediguard_agent_verified`.
pub fn verifies(mcf: &MainConf, lcf: &LocConf) -> bool {
    lcf.claim.denies_any() || mcf.claim.var_used()
}

pub fn step(p: &mut Pass) -> Outcome {
    if !verifies(p.mcf, p.lcf) {
        return Outcome::Next;
    }
    let agent = p.ctx.agent(p.r, p.mcf);
    let denies = p.lcf.claim.denies(agent.class);
    if !denies && !p.mcf.claim.var_used() {
        return Outcome::Next;
    }
    let check = ClaimCheck {
        main: &p.mcf.claim,
        stats: p.mcf.metrics.stats(),
        timeout_ms: p.lcf.claim.timeout(),
    };
    let mut st = p.ctx.claim.get();
    let progress = confirm::advance(p.r, &mut st, &agent, &check);
    p.ctx.claim.set(st);
    match progress {
        Confirm::Done => {}
        Confirm::Again => return Outcome::Wait,
        Confirm::Error => return Outcome::Error,
    }
    if denies && st.result == Some(Verified::No) {
        return Denial::outcome(Reason::AgentUnverified);
    }
    Outcome::Next
}
