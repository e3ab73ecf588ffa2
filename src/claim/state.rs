//! What a request knows of its agent's verification, kept in the request
//! context.

use fediguard_core::claim::Verified;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClaimPhase {
    #[default]
    Start,
    /// A lookup of the client's address is under way (this request's or
    /// another's): the zone is looked at again after a short timer.
    Waiting,
    Done,
}

/// How the claim was checked, for the log line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Via {
    #[default]
    Nothing,
    Ranges,
    Rdns,
    Host,
    /// No lookup: the client's lookup budget was spent.
    Budget,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Nothing => "",
            Via::Ranges => "ranges",
            Via::Rdns => "rdns",
            Via::Host => "host",
            Via::Budget => "budget",
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct ClaimState {
    pub phase: ClaimPhase,
    /// `$fediguard_agent_verified`: None is empty (no method, or no answer
    /// in time).
    pub result: Option<Verified>,
    pub via: Via,
    /// When this request stops waiting for an answer (msec).
    pub deadline: u64,
    /// The next wait (msec): short at first, longer while the lookup lasts.
    pub poll_ms: u64,
    /// The request waited for a lookup another request started.
    pub coalesced: bool,
    /// The claim was counted in the metrics.
    pub counted: bool,
    /// A variable looked at the zone before (or without) the access phase.
    pub peeked: bool,
}
