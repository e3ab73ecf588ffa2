//! Cluster mode on nginx's event loop: one worker per host (worker 0) runs
//! the sync rounds with Redis; every worker decides from shared memory and
//! never waits for Redis.
//!
//! A round every `sync` interval (an nginx timer): take the charges and
//! verdicts marked in the `sync` zones, send them in one pipeline over a
//! non-blocking connection (`ngx_event_connect_peer`; TCP, a Unix socket,
//! or TLS through nginx's SSL layer), read the replies as they come (read
//! events), fold the cluster's state into the zones. A round that fails
//! or outlives `timeout` closes the connection; the next attempt waits a
//! backoff that doubles up to 5 s. The change between "connected" and
//! "unavailable" is logged once each way. In Sentinel mode the sentinels
//! say where the master is, before the first round, after any failure, and
//! every second beside the rounds.
//!
//! No `unsafe` here (the crate root forbids it): nginx's C API
//! (connections, timers, TLS, addresses) is reached through `glue`'s safe
//! types.

pub mod conf;
mod conn;
mod link;
mod peer;
mod round;
mod sentinel;
pub mod start;
pub mod sync;
