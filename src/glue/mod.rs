//! Shared nginx glue: what every capability needs from nginx and nothing
//! specific to one of them (the module's nginx symbol and life cycle,
//! directives, variables, shared zones, log lines, variable values,
//! per-request context storage, re-running a request's phases after a
//! timer, answering from a content handler, pool copies, the clock). It
//! uses nothing of the capabilities or of the entry. `unsafe` lives here
//! (and in the core crate's `shm*` layer), nowhere else.

pub mod addr;
pub mod answer_copy;
pub mod ctx;
pub mod directive;
pub mod key;
pub mod lifecycle;
pub mod log;
pub mod module;
pub mod pool;
pub mod request_data;
pub mod rerun;
pub mod respond;
pub mod stats_zone;
pub mod time;
pub mod var_value;
pub mod variable;
pub mod zone;
