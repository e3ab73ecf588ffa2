//! Verification subrequests to the Mastodon backend, the way
//! `ngx_http_auth_request_module` does it: an in-memory, waited subrequest
//! to an internal location; the main request returns NGX_AGAIN and nginx
//! runs its access phase again when the subrequest is done.
//!
//! The subrequest carries only `Authorization: Bearer <token>`, `Accept`,
//! a fediguard User-Agent and `X-Forwarded-For` with the client's address
//! (as nginx sees it, after realip), so that the backend's own per-address
//! throttles fall on the client, not on nginx. Its header list is built
//! anew: no cookie, no forwarded-for chain the client wrote, nothing else of
//! the client's reaches the backend, and it has no body.

use core::cell::RefCell;
use core::ffi::c_void;
use core::mem;
use core::ptr;

use fediguard_core::token::backoff_ms;
use nginx_sys::{
    ngx_hash_key, ngx_http_headers_in_t, ngx_http_post_subrequest_t, ngx_http_request_t,
    ngx_http_subrequest, ngx_int_t, ngx_list_init, ngx_list_push, ngx_pool_t, ngx_str_t,
    ngx_table_elt_t, NGX_HTTP_SUBREQUEST_IN_MEMORY, NGX_HTTP_SUBREQUEST_WAITED, NGX_OK,
};
use ngx::http::Request;
use std::time::SystemTime;

use super::state::{TokenPhase, TokenState};

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
    let path = match ctx.phase {
        TokenPhase::Info => INFO_PATH,
        TokenPhase::Accounts | TokenPhase::AccountName => ACCOUNTS_PATH,
        TokenPhase::Apps | TokenPhase::AppName => APPS_PATH,
        _ => return Err(()),
    };
    let raw_r: *mut ngx_http_request_t = (r as *mut Request).cast();
    // SAFETY: r is a live main request; everything allocated comes from its
    // pool and lives as long as the request.
    unsafe {
        let pool = (*raw_r).pool;
        let mut uri = pool_str(pool, &[prefix.as_bytes(), path.as_bytes()]).ok_or(())?;
        let psr = r
            .pool()
            .calloc_type::<ngx_http_post_subrequest_t>()
            .as_mut()
            .ok_or(())?;
        psr.handler = Some(done);
        psr.data = (slot as *const RefCell<TokenState>).cast_mut().cast();
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
unsafe extern "C" fn done(
    sr: *mut ngx_http_request_t,
    data: *mut c_void,
    rc: ngx_int_t,
) -> ngx_int_t {
    // SAFETY: nginx calls the post-subrequest handler with the finished subrequest and the data set in start.
    unsafe {
        // SAFETY: data is the request context's token slot (`start`), in the
        // main request's pool, which outlives its subrequests.
        let (Some(sr_ref), Some(slot)) = (sr.as_ref(), data.cast::<RefCell<TokenState>>().as_ref())
        else {
            return rc;
        };
        // Nothing holds the state between two runs of the access phase.
        let Ok(mut ctx) = slot.try_borrow_mut() else {
            return rc;
        };
        // NGX_ERROR: the subrequest failed (too big an answer, no memory): no
        // usable answer, whatever status the backend had sent.
        let status = if rc == nginx_sys::NGX_ERROR as ngx_int_t {
            0
        } else if sr_ref.headers_out.status != 0 {
            sr_ref.headers_out.status as u16
        } else if (100..600).contains(&rc) {
            rc as u16
        } else {
            0
        };
        let body = match sr_ref.out.as_ref().and_then(|c| c.buf.as_ref()) {
            Some(b) if !b.pos.is_null() && b.last >= b.pos => ngx_str_t {
                len: b.last.offset_from(b.pos) as usize,
                data: b.pos,
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
    // SAFETY: the caller's promise: pool is the request's.
    unsafe {
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
}

/// Gives the subrequest a header list of its own with the four headers.
unsafe fn set_headers(sr: *mut ngx_http_request_t, token: &[u8], client: ngx_str_t) -> Option<()> {
    // SAFETY: the caller's promise: sr is the new subrequest, its pool the main request's.
    unsafe {
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
}

unsafe fn push(
    h: &mut ngx_http_headers_in_t,
    pool: *mut ngx_pool_t,
    key: &[u8],
    lowcase: &[u8],
    value: ngx_str_t,
) -> Option<*mut ngx_table_elt_t> {
    // SAFETY: the caller's promise: a header list of the subrequest, in its pool.
    unsafe {
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
}
