//! Signed deliveries (issue 28): `fediguard_signature_zone`,
//! `fediguard_signature_keys`, `fediguard_signature`; the access-phase
//! flow that verifies a request's HTTP signature (draft-cavage or RFC
//! 9421) with the core's verifier: the body read and hashed in the access
//! phase, the signer's key taken from a shared zone or fetched through a
//! subrequest to the admin's internal location. What a valid signature is
//! is `fediguard_core::signature`.

pub mod check;
pub mod conf;
pub mod directives;
pub mod fetch;
pub mod inflight;
pub mod state;
pub mod zone;
