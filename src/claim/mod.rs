//! Verified agents: `fediguard_verify_zone`, `fediguard_verify_timeout`,
//! `fediguard_agent_ranges`, `fediguard_agent_verify`,
//! `fediguard_agent_deny_unverified`; the access-phase step that checks a
//! request's agent claim (published ranges, forward-confirmed reverse DNS,
//! a fediverse instance's host) with nginx's own resolver, answers kept
//! per client address in a shared zone. What a method is and how answers
//! are read is `fediguard_core::claim`.

pub mod conf;
pub mod confirm;
pub mod directives;
pub mod lookup;
pub mod state;
pub mod zone;
