//! Agent classes: who is knocking, from the User-Agent header.
//! `fediguard_agent`, `fediguard_agent_catalog`, `fediguard_agent_deny`,
//! and the per-request classification (once, on demand) that the access
//! step and `$fediguard_agent_*` read. The matching itself is
//! `fediguard_core::agent`.

pub mod conf;
pub mod directives;
pub mod state;
