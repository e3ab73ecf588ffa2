//! Shared nginx glue: what every capability needs from nginx and nothing
//! specific to one of them (the module's nginx symbol and life cycle,
//! directives, variables, shared zones, log lines, variable values,
//! per-request context storage, re-running a request's phases after a
//! timer, answering from a content handler, pool copies, the clock). It
//! uses nothing of the capabilities or of the entry. `unsafe` lives here
//! (and in the core crate's `shm*` layer), nowhere else. For work on the
//! event loop of a worker: state that events reach (`home`), timers,
//! outgoing connections with nginx's TLS client layer, addresses resolved
//! at configuration time.

pub mod addr;
pub mod answer_copy;
pub mod body;
pub mod ctx;
pub mod directive;
pub mod home;
pub mod key;
pub mod lifecycle;
pub mod location;
pub mod log;
pub mod module;
pub mod peer;
pub mod peer_addr;
pub mod pool;
pub mod process;
pub mod quiet_log;
pub mod request_data;
pub mod rerun;
pub mod resolve_conf;
pub mod resolver;
pub mod respond;
pub mod stats_zone;
pub mod subrequest;
pub mod time;
pub mod timer;
pub mod tls;
pub mod var_value;
pub mod variable;
pub mod worker;
pub mod zone;
