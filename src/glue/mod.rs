//! Shared nginx glue: what every capability needs from nginx and nothing
//! specific to one of them (the module's nginx symbol, shared zones, log
//! lines, variable values, per-request context storage, re-running a
//! request's phases after a timer, directive arguments, pool copies, the
//! clock; for work on the event loop of a worker: state that events reach
//! (`home`), timers, outgoing connections with nginx's TLS client layer,
//! addresses resolved at configuration time). It uses nothing of the
//! capabilities or of the entry.

pub mod addr;
pub mod ctx;
pub mod directive;
pub mod home;
pub mod key;
pub mod log;
pub mod module;
pub mod peer;
pub mod peer_addr;
pub mod pool;
pub mod quiet_log;
pub mod rerun;
pub mod resolve_conf;
pub mod time;
pub mod timer;
pub mod tls;
pub mod var_value;
pub mod worker;
pub mod zone;
