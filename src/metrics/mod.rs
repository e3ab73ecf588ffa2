//! Admin visibility: the stats zone (`fediguard_metrics_zone`: counters
//! shared by all workers, the ring of recent apps), counting on the request
//! path, and the `fediguard_metrics` page (Prometheus text or JSON).
//! Every capability counts here; this folder uses none of them: what the
//! page shows of the others is handed to it (`page::Sources`).

pub mod conf;
pub mod count;
pub mod directives;
pub mod page;
