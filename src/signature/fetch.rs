//! Key fetches: an in-memory, waited subrequest to the admin's internal
//! location (`fediguard_signature_keys`), whose `proxy_pass` reads the URL
//! from `$fediguard_signature_key_url`; at most 64 KB of its answer is
//! kept. The subrequest carries only `Accept` and a fediguard User-Agent:
//! nothing of the client's (no body, no cookie) reaches the key's server.

use core::cell::RefCell;

use ngx::http::Request;

use super::state::SignatureState;
use crate::glue::subrequest::{self, Answer, Call};

/// Largest key document read (as Mastodon's).
pub const MAX_DOCUMENT: usize = 64 * 1024;

const USER_AGENT: &str = concat!("fediguard/", env!("CARGO_PKG_VERSION"), " (key fetch)");

/// Starts the fetch; its answer is written into `slot` when it arrives.
pub fn start(r: &mut Request, location: &str, slot: &RefCell<SignatureState>) -> Result<(), ()> {
    let headers: [(&[u8], &[u8], &[u8]); 2] = [
        (
            b"Accept",
            b"accept",
            b"application/activity+json, application/ld+json",
        ),
        (b"User-Agent", b"user-agent", USER_AGENT.as_bytes()),
    ];
    let call = Call {
        uri: &[location.as_bytes()],
        headers: &headers,
        limit: MAX_DOCUMENT,
    };
    subrequest::start(r, &call, slot, done)
}

fn done(slot: &RefCell<SignatureState>, a: Answer) {
    let Ok(mut st) = slot.try_borrow_mut() else {
        return;
    };
    st.answer.done = true;
    st.answer.status = a.status;
    st.answer.body = a.body.map(<[u8]>::to_vec);
}
