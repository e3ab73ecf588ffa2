//! Verification subrequests to the Mastodon backend, the way
//! `ngx_http_auth_request_module` does it: an in-memory, waited subrequest
//! to an internal location; the main request returns NGX_AGAIN and nginx
//! runs its access phase again when the subrequest is done. The answer's
//! body is read by `glue::subrequest`, at most what the classification
//! needs: an answer too long, compressed or cut short is no answer (the
//! token is `unknown`), and never closes the client's connection.
//!
//! The subrequest carries only `Authorization: Bearer <token>`, `Accept`,
//! a fediguard User-Agent and `X-Forwarded-For` with the client's address
//! (as nginx sees it, after realip), so that the backend's own per-address
//! throttles fall on the client, not on nginx. Its header list is built
//! anew: no cookie, no forwarded-for chain the client wrote, nothing else of
//! the client's reaches the backend, and it has no body.

use core::cell::RefCell;
use std::time::SystemTime;

use fediguard_core::token::{backoff_ms, MAX_INFO_BODY, MAX_VERIFY_BODY};
use nginx_sys::ngx_str_t;
use ngx::http::Request;

use super::state::{TokenPhase, TokenState};
use crate::glue::log::redact_request_lines;
use crate::glue::request_data::client_text;
use crate::glue::subrequest::{self, Answer, Call};

pub const INFO_PATH: &str = "/oauth/token/info";
pub const ACCOUNTS_PATH: &str = "/api/v1/accounts/verify_credentials";
pub const APPS_PATH: &str = "/api/v1/apps/verify_credentials";
const USER_AGENT: &str = concat!(
    "fediguard/",
    env!("CARGO_PKG_VERSION"),
    " (token verification)"
);

/// Starts the subrequest for `ctx.phase`; its answer is written into
/// `slot` (the request context's token state) when it arrives.
pub fn start(
    r: &mut Request,
    ctx: &mut TokenState,
    slot: &RefCell<TokenState>,
    prefix: &str,
) -> Result<(), ()> {
    let (path, limit) = match ctx.phase {
        TokenPhase::Info => (INFO_PATH, MAX_INFO_BODY),
        TokenPhase::Accounts | TokenPhase::AccountName => (ACCOUNTS_PATH, MAX_VERIFY_BODY),
        TokenPhase::Apps | TokenPhase::AppName => (APPS_PATH, MAX_VERIFY_BODY),
        _ => return Err(()),
    };
    // nginx's own lines about the subrequest (an upstream timeout) carry
    // the main request's line: redacted, as fediguard's own lines.
    redact_request_lines(r);
    let client = client_text(r).to_vec();
    let auth = [b"Bearer ".as_slice(), ctx.raw.as_bytes()].concat();
    let headers: [(&[u8], &[u8], &[u8]); 4] = [
        (b"Authorization", b"authorization", &auth),
        (b"Accept", b"accept", b"application/json"),
        (b"User-Agent", b"user-agent", USER_AGENT.as_bytes()),
        // In the list only, not as headers_in.x_forwarded_for: a verify
        // location with `proxy_set_header X-Forwarded-For
        // $proxy_add_x_forwarded_for` then sends `$remote_addr` alone,
        // which is the same client address (the subrequest shares its
        // connection).
        (b"X-Forwarded-For", b"x-forwarded-for", &client),
    ];
    let call = Call {
        uri: &[prefix.as_bytes(), path.as_bytes()],
        headers: &headers,
        limit,
    };
    let started = subrequest::start(r, &call, slot, done);
    // The copy of the token is wiped (the subrequest has its own).
    let mut auth = auth;
    auth.fill(0);
    core::hint::black_box(&auth);
    started
}

/// Records the answer for the main request.
fn done(slot: &RefCell<TokenState>, a: Answer) {
    // Nothing holds the state between two runs of the access phase.
    let Ok(mut ctx) = slot.try_borrow_mut() else {
        return;
    };
    // A body that cannot be read (too long, compressed, cut short) is no
    // answer; a 404, a 429 or a 5xx is read by its status and headers
    // alone.
    let status = match a.body {
        None if !matches!(a.status, 404 | 429 | 500..) => 0,
        _ => a.status,
    };
    let body = match a.body {
        Some(b) if !b.is_empty() => ngx_str_t {
            len: b.len(),
            data: b.as_ptr().cast_mut(),
        },
        _ => ngx_str_t::default(),
    };
    let retry_ms = if status == 429 || status >= 500 {
        retry_of(&a)
    } else {
        0
    };
    let answer = match ctx.phase {
        TokenPhase::Info => &mut ctx.info,
        TokenPhase::Accounts | TokenPhase::AccountName => &mut ctx.accounts,
        TokenPhase::Apps | TokenPhase::AppName => &mut ctx.apps,
        _ => return,
    };
    answer.done = true;
    answer.status = status;
    answer.body = body;
    answer.retry_ms = retry_ms;
}

/// The pause a throttled or failing backend asked for (msec, 0 if none).
fn retry_of(a: &Answer) -> u64 {
    let retry_after = a.header(b"retry-after");
    let reset = a.header(b"x-ratelimit-reset");
    backoff_ms(retry_after, reset, SystemTime::now()).unwrap_or(0)
}
