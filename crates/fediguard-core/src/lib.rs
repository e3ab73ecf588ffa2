//! fediguard's logic that needs no nginx.
//!
//! Everything here is plain Rust: the nginx module (the root crate) keeps only
//! the glue, and this crate is unit-tested and fuzzed with plain `cargo test`.
//!
//! Unsafe code only in the `shm_*` modules, which lay out shared memory
//! given as a raw pointer; everything else is safe Rust. `deny` rather than
//! `forbid`, because an inner `allow` cannot lift a `forbid`; `make check`
//! (tools/check-layout.py) fails on `unsafe` outside `shm*` paths, so an
//! `allow` added anywhere else does not get through either.
#![deny(unsafe_code)]

pub mod agent;
pub mod claim;
pub mod cluster;
pub mod conf_value;
pub mod escape;
pub mod fingerprint;
pub mod limit;
pub mod reason;
pub mod redact;
// The stats zone's layout; `stats` is its public face.
#[allow(unsafe_code)]
mod shm_stats;
#[allow(unsafe_code)]
pub mod shm_table;
pub mod signature;
pub mod stats;
pub mod token;
pub mod verdict_cache;
pub mod watch;
