//! Cluster mode on nginx's event loop: one worker per host (worker 0) runs
//! the sync rounds with Redis; every worker decides from shared memory and
//! never waits for Redis.
//!
//! A round every `sync` interval (an nginx timer): take the charges and
//! verdicts marked in the `sync` zones, send them in one pipeline over a
//! non-blocking connection (`ngx_event_connect_peer`), read the replies as
//! they come (read events), fold the cluster's state into the zones. A
//! round that fails or outlives `timeout` closes the connection; the next
//! attempt waits a backoff that doubles up to 5 s. The change between
//! "connected" and "unavailable" is logged once each way.

pub mod conf;
mod conn;
mod round;
pub mod start;
pub mod sync;
