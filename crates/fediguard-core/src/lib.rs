//! fediguard's logic that needs no nginx.
//!
//! Everything here is plain Rust: the nginx module (the root crate) keeps only
//! the glue, and this crate is unit-tested and fuzzed with plain `cargo test`.

pub mod agent;
pub mod cluster;
pub mod conf_value;
pub mod escape;
pub mod fingerprint;
pub mod limit;
pub mod reason;
pub mod redact;
pub mod shm_table;
pub mod signature;
pub mod stats;
pub mod token;
pub mod verdict_cache;
pub mod verify;
pub mod watch;
