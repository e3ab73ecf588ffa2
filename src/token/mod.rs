//! Token classes: `fediguard_token_zone`, `fediguard_token_verify`,
//! `fediguard_token_require`, `fediguard_token_fail`; the access-phase
//! step that reads a request's token, finds its verdict in the shared zone
//! and verifies unknown tokens with subrequests to Mastodon. What a token
//! is and how answers are read is `fediguard_core::token`.

#[forbid(unsafe_code)]
pub mod backend;
#[forbid(unsafe_code)]
pub mod begin;
#[forbid(unsafe_code)]
pub mod classify;
#[forbid(unsafe_code)]
pub mod conf;
#[forbid(unsafe_code)]
pub mod directives;
#[forbid(unsafe_code)]
pub mod inflight;
#[forbid(unsafe_code)]
pub mod progress;
#[forbid(unsafe_code)]
pub mod read;
#[forbid(unsafe_code)]
pub mod slowdown;
#[forbid(unsafe_code)]
pub mod state;
pub mod verify;
#[forbid(unsafe_code)]
pub mod zone;
