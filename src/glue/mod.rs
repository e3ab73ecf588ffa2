//! Shared nginx glue: what every capability needs from nginx and nothing
//! specific to one of them (the module's nginx symbol, shared zones, log
//! lines, variable values, per-request context storage, re-running a
//! request's phases after a timer, directive arguments, pool copies, the
//! clock). It uses nothing of the capabilities or of the entry.

pub mod addr;
pub mod ctx;
pub mod directive;
pub mod key;
pub mod log;
pub mod module;
pub mod pool;
pub mod process;
pub mod rerun;
pub mod subrequest;
pub mod time;
pub mod var_value;
pub mod zone;
