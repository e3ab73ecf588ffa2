//! Starting a new token's verification: within the client's budget and
//! the worker's cap, unless the backend asked for a pause.

use fediguard_core::token::{well_formed, Presented, TokenClass};
use ngx::http::Request;

use super::progress::{Classify, Verify};
use super::read::presented;
use super::state::{TokenPhase, TokenState};
use super::{backend, inflight, verify};
use crate::glue::pool::{at_end, copy as pool_copy};
use crate::glue::process::own_pid;
use crate::glue::time::now_ms;
use crate::limit::budget::Spend;
use crate::metrics::count;

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

/// Starts verifying a new token (`Classify::Verify`).
pub fn verify(r: &mut Request, st: &mut TokenState, v: &Verify) -> Classify {
    verify_now(r, st, v)
}

/// Starts verifying, within the client's budget and the worker's cap; the
/// zone already marks the token as pending.
pub(super) fn verify_now(r: &mut Request, st: &mut TokenState, v: &Verify) -> Classify {
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
    if !inflight::VERIFICATIONS.enter(&mut st.place, v.zone.in_flight, || (v.give_back_at_end)(r)) {
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
            None => return Classify::Error,
        }
    }
    st.phase = if backend::has_info(v.prefix, now) {
        TokenPhase::Info
    } else {
        TokenPhase::Accounts
    };
    match verify::start(r, st, v.slot, v.prefix) {
        Ok(()) => {
            release_at_end(r, st, v);
            count::verification_started(v.stats);
            count::backend_call(v.stats);
            Classify::Again
        }
        Err(()) => {
            inflight::leave(&mut st.place);
            forget(st, TokenClass::Unknown)
        }
    }
}
