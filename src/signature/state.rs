//! What is known of a request's signature, in the request context.

use fediguard_core::signature::{Pending, Scheme, StoredKey, Why};

use super::inflight::Place;

/// `$fediguard_signature`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid(Why),
    /// Not signed.
    None,
    /// The key could not be fetched for now.
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid(_) => "invalid",
            Verdict::None => "none",
            Verdict::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    /// Headers not read yet.
    #[default]
    Start,
    /// Reading the body.
    Body,
    /// Looking for the key.
    Key,
    /// The key fetch is under way (this request's subrequest).
    Fetching,
    Done,
}

/// A key fetch's answer, written by the subrequest's handler.
#[derive(Debug, Default)]
pub struct Answer {
    pub done: bool,
    pub status: u16,
    pub body: Option<Vec<u8>>,
}

#[derive(Default)]
pub struct SignatureState {
    pub phase: Phase,
    pub pending: Option<Box<Pending>>,
    pub verdict: Option<Verdict>,
    pub scheme: Option<Scheme>,
    pub key_id: String,
    /// The verified owner's host (empty unless valid, and for a replay).
    pub signer: String,
    /// A valid signature seen before within its window.
    pub replay: bool,
    /// The signature header's value, for the replay table.
    pub signature: Vec<u8>,
    /// The URL the key is fetched from (`$fediguard_signature_key_url`).
    pub url: String,
    pub answer: Answer,
    /// When waiting for another request's fetch began (msec).
    pub waiting_since: u64,
    /// The fetch is a refetch (rotation): the record it replaces.
    pub previous: Option<StoredKey>,
    /// Seconds for Retry-After when unknown.
    pub retry_secs: u64,
    pub place: Place,
    pub give_back_set: bool,
}
