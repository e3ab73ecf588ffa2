//! What the steps of the access phase share: what a step is handed (the
//! request, its context, the configuration) and what it hands back.

use fediguard_core::reason::Reason;
use ngx::http::Request;

use crate::conf::{LocConf, MainConf};
use crate::request::RequestCtx;

/// What a step hands the next.
pub enum Outcome {
    /// Nothing against the request here: the next step.
    Next,
    /// Waiting; what wakes the request is armed. The step runs again.
    Wait,
    /// Denied (in dry_run: logged, and the list goes on).
    Deny(Denial),
    /// nginx answers with this status itself (reading the body failed:
    /// 413 over client_max_body_size, 400, 408).
    Answer(ngx::core::Status),
    /// nginx could not do what the step asked of it (no memory).
    Error,
}

/// Why a request is denied, and what its answer carries. Small: every
/// step returns an `Outcome`. A limit's refusal keeps its details (zone,
/// limit, excess) in the request's limits state, for the log line and the
/// RateLimit headers.
#[derive(Clone, Copy)]
pub struct Denial {
    pub reason: Reason,
    /// `Retry-After` (seconds), for a client that may come back; 0: none.
    pub retry_after: u32,
}

impl Denial {
    /// A denial for `reason` alone.
    pub fn outcome(reason: Reason) -> Outcome {
        Outcome::Deny(Denial {
            reason,
            retry_after: 0,
        })
    }
}

/// One request, as the steps see it.
pub struct Pass<'a> {
    pub r: &'a mut Request,
    pub ctx: &'a RequestCtx,
    pub mcf: &'static MainConf,
    pub lcf: &'static LocConf,
}
