//! Verified agents: whether a request's User-Agent claim is borne out by
//! where it comes from. A claim is verified by the method its agent rule
//! has (`plan`): the operator's published address ranges (`ranges`),
//! forward-confirmed reverse DNS into the operator's domains (`domains`,
//! the built-in `operators` table), or, for a fediverse server, its
//! instance host resolving to the client's address. DNS answers are kept
//! per client address in a shared zone (`answer`); the nginx layer does
//! the lookups, with nginx's own resolver.

pub mod answer;
pub mod domains;
pub mod operators;
pub mod plan;
pub mod ranges;

pub use answer::{Answer, Found, Outcome};
pub use plan::{Dns, Method, Plan, Setting};
pub use ranges::{parse_ranges, Cidr, RangeTable};

/// `$fediguard_agent_verified` when a method answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verified {
    Yes,
    No,
}

impl Verified {
    pub fn as_str(self) -> &'static str {
        match self {
            Verified::Yes => "yes",
            Verified::No => "no",
        }
    }
}
