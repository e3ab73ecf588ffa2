//! Token classes: `fediguard_token_zone`, `fediguard_token_verify`,
//! `fediguard_token_require`, `fediguard_token_fail`; the access-phase
//! step that reads a request's token, finds its verdict in the shared zone
//! and verifies unknown tokens with subrequests to Mastodon. What a token
//! is and how answers are read is `fediguard_core::token`.

pub mod backend;
pub mod begin;
pub mod classify;
pub mod conf;
pub mod directives;
pub mod inflight;
pub mod progress;
pub mod read;
pub mod slowdown;
pub mod state;
pub mod verify;
pub mod zone;
