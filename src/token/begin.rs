//! Starting a new token's verification: within the client's budget and
//! the worker's cap, unless the backend asked for a pause; or giving it up
//! when a limit refused the request first.

use fediguard_core::token::{well_formed, Presented, TokenClass};
use ngx::http::Request;

use super::budget::Spend;
use super::progress::{Progress, Verify};
use super::read::presented;
use super::state::{TokenPhase, TokenState};
use super::zone::TokenZone;
use super::{backend, inflight, verify};
use crate::glue::pool::{at_end, copy as pool_copy};
use crate::glue::process::own_pid;
use crate::glue::time::now_ms;
use crate::metrics::count;

/// A new token whose request was refused before its verification: other
/// requests with it need not wait for a verdict that will not come.
pub fn abandon(st: &mut TokenState, zone: &TokenZone) {
    if st.phase == TokenPhase::Ready {
        let fp = st.fingerprint();
        zone.with_table(|t| t.forget(&fp));
        st.phase = TokenPhase::Done;
    }
}

/// A request that ends before its verification does (the client went
/// away, nginx ended it) releases the token's pending mark, so that the
/// next request with the token verifies it at once rather than waiting
/// the mark out. A verdict stored meanwhile is left alone.
fn release_at_end(r: &Request, st: &mut TokenState, v: &Verify) {
    if st.release_set {
        return;
    }
    let zone = v.zone.table_zone();
    st.release_set = at_end(r, (zone, st.fingerprint()), |&mut (zone, fp)| {
        let me = own_pid();
        zone.with_table(|t| {
            let ours = t
                .pending_value(&fp, now_ms())
                .is_some_and(|c| c.verifier_pid() == me);
            if ours {
                t.forget(&fp);
            }
        });
    });
}

/// Starts verifying a new token (`Progress::Verify`).
pub fn verify(r: &mut Request, st: &mut TokenState, v: &Verify) -> Progress {
    verify_now(r, st, v)
}

/// Starts verifying, within the client's budget and the worker's cap; the
/// zone already marks the token as pending.
pub(super) fn verify_now(r: &mut Request, st: &mut TokenState, v: &Verify) -> Progress {
    let fp = st.fingerprint();
    let forget = |st: &mut TokenState, class| {
        v.zone.with_table(|t| t.forget(&fp));
        st.classified(class)
    };
    let now = now_ms();
    // The backend asked for a pause: no call, the token is unknown
    // (`fediguard_token_fail` decides).
    if backend::paused_until(v.prefix, now).is_some() {
        return forget(st, TokenClass::Unknown);
    }
    let budget = &v.zone.budget;
    if let Spend::Spent(secs) = budget.spend(r) {
        count::verification_refused(v.stats, false);
        st.retry_secs = secs.max(1);
        return forget(st, TokenClass::Limited);
    }
    if !inflight::enter(r, &mut st.place, budget.in_flight) {
        count::verification_refused(v.stats, true);
        st.retry_secs = 1;
        return forget(st, TokenClass::Limited);
    }
    if st.raw.len == 0 {
        // Waited for another request, which lost its verdict; this request
        // kept no copy of the token: read it again.
        let t = match presented(r) {
            Presented::Token(t) if well_formed(&t) => t,
            _ => {
                inflight::leave(&mut st.place);
                return forget(st, TokenClass::Unknown);
            }
        };
        match pool_copy(r, &t) {
            Some(raw) => st.raw = raw,
            None => return Progress::Error,
        }
    }
    st.phase = if backend::has_info(v.prefix, now) {
        TokenPhase::Info
    } else {
        TokenPhase::Accounts
    };
    match verify::start(r, st, v.prefix) {
        Ok(()) => {
            release_at_end(r, st, v);
            count::verification_started(v.stats);
            count::backend_call(v.stats);
            Progress::Again
        }
        Err(()) => {
            inflight::leave(&mut st.place);
            forget(st, TokenClass::Unknown)
        }
    }
}
