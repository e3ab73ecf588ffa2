//! Step: the request's HTTP signature (signed deliveries), and
//! `fediguard_signature require`: unsigned or invalid → 401, the signer's
//! key unavailable for now → 503 with Retry-After (never 401, which makes
//! Mastodon senders give the delivery up).

use fediguard_core::reason::Reason;

use super::step::{Denial, Outcome, Pass};
use crate::conf::{LocConf, MainConf};
use crate::request;
use crate::signature::check::{advance, Check, Progress};
use crate::signature::conf::SignatureMode;
use crate::signature::state::Verdict;

/// Whether signatures are checked here.
pub fn verifies(mcf: &MainConf, lcf: &LocConf) -> bool {
    lcf.signature.mode() != SignatureMode::Off && mcf.signature.zone.is_some()
}

pub fn step(p: &mut Pass) -> Outcome {
    let Some(zone) = p.mcf.signature.zone.as_ref() else {
        return Outcome::Next;
    };
    let mode = p.lcf.signature.mode();
    if mode == SignatureMode::Off {
        return Outcome::Next;
    }
    let Some(slot) = p.ctx.signature.get_or_init(p.r) else {
        return Outcome::Error;
    };
    let c = Check {
        zone,
        keys: p.lcf.signature.keys(),
        slot,
        give_back_at_end: request::give_back_fetch_at_end,
    };
    match advance(p.r, &c) {
        Progress::Done => {}
        Progress::Wait => return Outcome::Wait,
        Progress::Answer(status) => return Outcome::Answer(status),
        Progress::Error => return Outcome::Error,
    }
    if mode != SignatureMode::Require {
        return Outcome::Next;
    }
    let Some(Ok(st)) = p.ctx.signature.get().map(|s| s.try_borrow()) else {
        return Outcome::Error;
    };
    let (reason, retry_after) = match st.verdict {
        Some(Verdict::Valid) => return Outcome::Next,
        Some(Verdict::Invalid(_)) => (Reason::SignatureInvalid, 0),
        Some(Verdict::Unknown) => (
            Reason::SignatureUnavailable,
            st.retry_secs.clamp(1, u64::from(u32::MAX)) as u32,
        ),
        Some(Verdict::None) | None => (Reason::SignatureMissing, 0),
    };
    Outcome::Deny(Denial {
        reason,
        retry_after,
    })
}
