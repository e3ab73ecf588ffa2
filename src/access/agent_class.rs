//! Step: the agent's class, and `fediguard_agent_deny`.

use fediguard_core::reason::Reason;

use super::step::{Denial, Outcome, Pass};

pub fn step(p: &mut Pass) -> Outcome {
    if !p.lcf.agent.checks() {
        return Outcome::Next;
    }
    let agent = p.ctx.agent(p.r, p.mcf);
    if p.lcf.agent.denies(agent.class) {
        return Denial::outcome(Reason::AgentDenied);
    }
    Outcome::Next
}
