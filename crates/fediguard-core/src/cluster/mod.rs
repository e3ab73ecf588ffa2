//! Cluster mode: several nginx hosts share rate-limit buckets and token
//! verdicts through Redis, without ever waiting for it on a request.
//!
//! Each host decides from its own shared memory. One worker per host runs a
//! sync round every `sync` interval: it takes what the host charged (and
//! the verdicts it decided) since the last round, sends them to Redis in one
//! pipeline (one Lua script per zone), and folds the cluster's state that
//! comes back into its shared memory. This module holds what needs no
//! nginx: the `fediguard_redis` parameters, the scripts and their
//! arguments, reading the replies, and the merge rule.

mod conf;
mod greeting;
mod limits;
mod resp;
mod url;
mod verdicts;

pub use conf::{
    next_backoff, parse_redis, redact_url, Endpoint, RedisConf, SentinelConf, TlsConf,
    MAX_BACKOFF_MS,
};
pub use greeting::{
    addr_text, auth_command, hello_command, master_addr_command, read_master_addr, read_role,
};
pub use limits::{fold, limit_script_args, until_for, ClusterBucket, LIMIT_SCRIPT};
pub use resp::{hex, parse_replies, unhex, Replies};
pub use url::{host_port_text, is_ip};
pub use verdicts::{
    read_pulled, verdict_script_args, Published, Pulled, PulledVerdict, VERDICT_SCRIPT,
};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod url_tests;
