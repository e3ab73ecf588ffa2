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

use core::ffi::c_void;
use core::mem;
use core::ptr;

use fediguard_core::token::{backoff_ms, MAX_INFO_BODY, MAX_VERIFY_BODY};
use nginx_sys::{
    ngx_hash_key, ngx_http_headers_in_t, ngx_http_request_t, ngx_http_subrequest, ngx_int_t,
    ngx_list_init, ngx_list_push, ngx_pool_t, ngx_str_t, ngx_table_elt_t,
    NGX_HTTP_SUBREQUEST_IN_MEMORY, NGX_HTTP_SUBREQUEST_WAITED, NGX_OK,
};
use ngx::http::Request;
use std::time::SystemTime;

use super::state::{TokenPhase, TokenState};
use crate::glue::log::redact_request_lines;
use crate::glue::subrequest;

pub const INFO_PATH: &str = "/oauth/token/info";
pub const ACCOUNTS_PATH: &str = "/api/v1/accounts/verify_credentials";
pub const APPS_PATH: &str = "/api/v1/apps/verify_credentials";
const USER_AGENT: &str = concat!(
    "fediguard/",
    env!("CARGO_PKG_VERSION"),
    " (token verification)"
);

/// Starts the subrequest for `ctx.phase`.
pub fn start(r: &mut Request, ctx: &mut TokenState, prefix: &str) -> Result<(), ()> {
    let (path, limit) = match ctx.phase {
        TokenPhase::Info => (INFO_PATH, MAX_INFO_BODY),
        TokenPhase::Accounts | TokenPhase::AccountName => (ACCOUNTS_PATH, MAX_VERIFY_BODY),
        TokenPhase::Apps | TokenPhase::AppName => (APPS_PATH, MAX_VERIFY_BODY),
        _ => return Err(()),
    };
    // nginx's own lines about the subrequest (an upstream timeout) carry
    // the main request's line: redacted, as fediguard's own lines.
    redact_request_lines(r);
    let raw_r: *mut ngx_http_request_t = (r as *mut Request).cast();
    // SAFETY: r is a live main request; everything allocated comes from its
    // pool and lives as long as the request.
    unsafe {
        let pool = (*raw_r).pool;
        let mut uri = pool_str(pool, &[prefix.as_bytes(), path.as_bytes()]).ok_or(())?;
        let data = (ctx as *mut TokenState).cast();
        let psr = subrequest::post(pool, limit, done, data).ok_or(())?;
        let mut sr: *mut ngx_http_request_t = ptr::null_mut();
        let rc = ngx_http_subrequest(
            raw_r,
            &mut uri,
            ptr::null_mut(),
            &mut sr,
            psr,
            (NGX_HTTP_SUBREQUEST_IN_MEMORY | NGX_HTTP_SUBREQUEST_WAITED) as _,
        );
        if rc != NGX_OK as ngx_int_t || sr.is_null() {
            return Err(());
        }
        (*sr).request_body = ptr::null_mut();
        let client = (*(*raw_r).connection).addr_text;
        set_headers(sr, ctx.raw.as_bytes(), client).ok_or(())?;
    }
    Ok(())
}

/// Post-subrequest handler: records the answer for the main request.
unsafe fn done(
    sr: *mut ngx_http_request_t,
    data: *mut c_void,
    rc: ngx_int_t,
    body: Option<&[u8]>,
) -> ngx_int_t {
    let (Some(sr_ref), Some(ctx)) = (sr.as_ref(), data.cast::<TokenState>().as_mut()) else {
        return rc;
    };
    // NGX_ERROR: the subrequest failed (no memory): no usable answer,
    // whatever status the backend had sent.
    let status = if rc == nginx_sys::NGX_ERROR as ngx_int_t {
        0
    } else if sr_ref.headers_out.status != 0 {
        sr_ref.headers_out.status as u16
    } else if (100..600).contains(&rc) {
        rc as u16
    } else {
        0
    };
    // A body that cannot be read (too long, compressed, cut short) is no
    // answer; a 404, a 429 or a 5xx is read by its status and headers
    // alone.
    let status = match body {
        None if !matches!(status, 404 | 429 | 500..) => 0,
        _ => status,
    };
    let body = match body {
        Some(b) if !b.is_empty() => ngx_str_t {
            len: b.len(),
            data: b.as_ptr().cast_mut(),
        },
        _ => ngx_str_t::default(),
    };
    let retry_ms = if status == 429 || status >= 500 {
        retry_of(sr_ref)
    } else {
        0
    };
    let answer = match ctx.phase {
        TokenPhase::Info => &mut ctx.info,
        TokenPhase::Accounts | TokenPhase::AccountName => &mut ctx.accounts,
        TokenPhase::Apps | TokenPhase::AppName => &mut ctx.apps,
        _ => return rc,
    };
    answer.done = true;
    answer.status = status;
    answer.body = body;
    answer.retry_ms = retry_ms;
    rc
}

/// The pause a throttled or failing backend asked for (msec, 0 if none).
fn retry_of(sr: &ngx_http_request_t) -> u64 {
    let (mut retry_after, mut reset) = (None, None);
    // SAFETY: the subrequest's answer headers, in its pool.
    for (name, value) in unsafe { ngx::http::list_iterator(&sr.headers_out.headers) } {
        if name.as_bytes().eq_ignore_ascii_case(b"retry-after") {
            retry_after = Some(value.as_bytes());
        } else if name.as_bytes().eq_ignore_ascii_case(b"x-ratelimit-reset") {
            reset = Some(value.as_bytes());
        }
    }
    backoff_ms(retry_after, reset, SystemTime::now()).unwrap_or(0)
}

/// Concatenates byte strings into the pool.
unsafe fn pool_str(pool: *mut ngx_pool_t, parts: &[&[u8]]) -> Option<ngx_str_t> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let data = nginx_sys::ngx_pnalloc(pool, len.max(1)).cast::<u8>();
    if data.is_null() {
        return None;
    }
    let mut off = 0;
    for p in parts {
        ptr::copy_nonoverlapping(p.as_ptr(), data.add(off), p.len());
        off += p.len();
    }
    Some(ngx_str_t { len, data })
}

/// Gives the subrequest a header list of its own with the four headers.
unsafe fn set_headers(sr: *mut ngx_http_request_t, token: &[u8], client: ngx_str_t) -> Option<()> {
    let pool = (*sr).pool;
    let mut h: ngx_http_headers_in_t = mem::zeroed();
    // $host in the internal location keeps working.
    h.server = (*sr).headers_in.server;
    h.content_length_n = -1;
    h.keep_alive_n = -1;
    if ngx_list_init(&mut h.headers, pool, 4, mem::size_of::<ngx_table_elt_t>())
        != NGX_OK as ngx_int_t
    {
        return None;
    }
    let auth = pool_str(pool, &[b"Bearer ", token])?;
    h.authorization = push(&mut h, pool, b"Authorization", b"authorization", auth)?;
    let accept = pool_str(pool, &[b"application/json"])?;
    push(&mut h, pool, b"Accept", b"accept", accept)?;
    let ua = pool_str(pool, &[USER_AGENT.as_bytes()])?;
    h.user_agent = push(&mut h, pool, b"User-Agent", b"user-agent", ua)?;
    let xff = pool_str(pool, &[client.as_bytes()])?;
    // In the list only, not as headers_in.x_forwarded_for: a verify
    // location with `proxy_set_header X-Forwarded-For
    // $proxy_add_x_forwarded_for` then sends `$remote_addr` alone, which is
    // the same client address (the subrequest shares its connection).
    push(&mut h, pool, b"X-Forwarded-For", b"x-forwarded-for", xff)?;
    (*sr).headers_in = h;
    Some(())
}

unsafe fn push(
    h: &mut ngx_http_headers_in_t,
    pool: *mut ngx_pool_t,
    key: &[u8],
    lowcase: &[u8],
    value: ngx_str_t,
) -> Option<*mut ngx_table_elt_t> {
    let e = ngx_list_push(&mut h.headers).cast::<ngx_table_elt_t>();
    let elt = e.as_mut()?;
    let key = pool_str(pool, &[key])?;
    let low = pool_str(pool, &[lowcase])?;
    elt.hash = ngx_hash_key(low.data, low.len);
    elt.key = key;
    elt.value = value;
    elt.lowcase_key = low.data;
    // Headers of one name are linked since nginx 1.23.0.
    #[cfg(nginx1_23_0)]
    {
        elt.next = ptr::null_mut();
    }
    Some(e)
}
