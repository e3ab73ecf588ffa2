//! Rate limits: `fediguard_limit_zone`, `fediguard_limit`,
//! `fediguard_limit_after`, `fediguard_limit_status`; checking and charging
//! in the access phase (with limit_req's delays), charging after the fact in
//! the log phase. The leaky bucket itself is `fediguard_core::limit`.

pub mod after;
pub mod apply;
pub mod budget;
pub mod conf;
pub mod directives;
pub mod in_flight;
pub mod zone;
