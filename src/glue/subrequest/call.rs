//! A subrequest to make: an in-memory, waited subrequest with no body and
//! only the headers given, whose answer (read by the body filter of
//! `mod.rs`, at most `Call::limit` bytes) is handed to a safe handler with
//! the caller's slot.

use core::cell::RefCell;
use core::ffi::c_void;
use core::mem;
use core::ptr;

use nginx_sys::{
    ngx_hash_key, ngx_http_headers_in_t, ngx_http_request_t, ngx_http_subrequest, ngx_int_t,
    ngx_list_init, ngx_list_push, ngx_pool_t, ngx_str_t, ngx_table_elt_t, NGX_ERROR,
    NGX_HTTP_SUBREQUEST_IN_MEMORY, NGX_HTTP_SUBREQUEST_WAITED, NGX_OK,
};
use ngx::http::Request;

use super::post;

/// What a subrequest made by `start` brought back.
pub struct Answer<'a> {
    /// The backend's status; 0 when nginx could not finish the subrequest
    /// (no memory, an internal error).
    pub status: u16,
    /// The body, when usable (see `Done`).
    pub body: Option<&'a [u8]>,
    sr: &'a ngx_http_request_t,
}

impl Answer<'_> {
    /// The first value of the answer's header `name` (any case).
    pub fn header(&self, name: &[u8]) -> Option<&[u8]> {
        // SAFETY: the subrequest's answer headers, in its pool, alive
        // during the handler.
        let headers = unsafe { ngx::http::list_iterator(&self.sr.headers_out.headers) };
        headers
            .into_iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_bytes())
    }
}

/// A subrequest to make: its URI (in parts), its only headers, and how
/// much of its answer's body to keep.
pub struct Call<'a> {
    pub uri: &'a [&'a [u8]],
    /// (name, lower-cased name, value): nothing else of the client's
    /// reaches the backend.
    pub headers: &'a [(&'a [u8], &'a [u8], &'a [u8])],
    pub limit: usize,
}

/// The caller's side of a subrequest: where its answer goes.
struct Sink<T: 'static> {
    slot: *const RefCell<T>,
    done: fn(&RefCell<T>, Answer),
}

/// Starts an in-memory, waited subrequest with no body: nginx runs the
/// main request's phases again once it is over, after `done` was called
/// with `slot` and the answer. `slot` is in the main request's context (its
/// pool), which outlives the subrequest; nothing may hold a borrow of it
/// between two runs of the phases.
pub fn start<T: 'static>(
    r: &mut Request,
    call: &Call,
    slot: &RefCell<T>,
    done: fn(&RefCell<T>, Answer),
) -> Result<(), ()> {
    let raw_r: *mut ngx_http_request_t = (r as *mut Request).cast();
    // SAFETY: r is a live main request; everything allocated comes from its
    // pool and lives as long as the request; `slot` lives in that pool too.
    unsafe {
        let pool = (*raw_r).pool;
        let mut uri = pool_concat(pool, call.uri).ok_or(())?;
        let sink = nginx_sys::ngx_palloc(pool, mem::size_of::<Sink<T>>()).cast::<Sink<T>>();
        if sink.is_null() {
            return Err(());
        }
        ptr::write(
            sink,
            Sink {
                slot: slot as *const RefCell<T>,
                done,
            },
        );
        let psr = post(pool, call.limit, sink_done::<T>, sink.cast()).ok_or(())?;
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
        set_headers(sr, call.headers).ok_or(())?;
    }
    Ok(())
}

/// The `Done` of `start`: hands the caller its answer.
///
/// # Safety
/// As `Done`; `data` is the `Sink<T>` `start` made.
unsafe fn sink_done<T: 'static>(
    sr: *mut ngx_http_request_t,
    data: *mut c_void,
    rc: ngx_int_t,
    body: Option<&[u8]>,
) -> ngx_int_t {
    // SAFETY: the sink and the slot are in the main request's pool; the
    // subrequest is live during its post handler.
    let (Some(sr_ref), Some(sink)) = (unsafe { sr.as_ref() }, unsafe {
        data.cast::<Sink<T>>().as_ref()
    }) else {
        return rc;
    };
    // SAFETY: as above.
    let Some(slot) = (unsafe { sink.slot.as_ref() }) else {
        return rc;
    };
    // NGX_ERROR: nginx could not finish the subrequest: no status,
    // whatever the backend had sent.
    let status = if rc == NGX_ERROR as ngx_int_t {
        0
    } else if sr_ref.headers_out.status != 0 {
        sr_ref.headers_out.status as u16
    } else if (100..600).contains(&rc) {
        rc as u16
    } else {
        0
    };
    (sink.done)(
        slot,
        Answer {
            status,
            body,
            sr: sr_ref,
        },
    );
    rc
}

/// Byte strings concatenated into the pool.
///
/// # Safety
/// `pool` is a live pool.
unsafe fn pool_concat(pool: *mut ngx_pool_t, parts: &[&[u8]]) -> Option<ngx_str_t> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    // SAFETY: the caller's promise; len bytes are written below.
    unsafe {
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

/// Gives the subrequest a header list of its own with `headers` alone.
///
/// # Safety
/// `sr` is a new subrequest.
unsafe fn set_headers(
    sr: *mut ngx_http_request_t,
    headers: &[(&[u8], &[u8], &[u8])],
) -> Option<()> {
    // SAFETY: the caller's promise; the list and its strings are in the
    // subrequest's pool.
    unsafe {
        let pool = (*sr).pool;
        let mut h: ngx_http_headers_in_t = mem::zeroed();
        // $host in the internal location keeps working.
        h.server = (*sr).headers_in.server;
        h.content_length_n = -1;
        h.keep_alive_n = -1;
        let n = headers.len().max(1);
        if ngx_list_init(&mut h.headers, pool, n, mem::size_of::<ngx_table_elt_t>())
            != NGX_OK as ngx_int_t
        {
            return None;
        }
        for &(key, lowcase, value) in headers {
            let e = ngx_list_push(&mut h.headers).cast::<ngx_table_elt_t>();
            let elt = e.as_mut()?;
            let low = pool_concat(pool, &[lowcase])?;
            elt.hash = ngx_hash_key(low.data, low.len);
            elt.key = pool_concat(pool, &[key])?;
            elt.value = pool_concat(pool, &[value])?;
            elt.lowcase_key = low.data;
            // Headers of one name are linked since nginx 1.23.0.
            #[cfg(nginx1_23_0)]
            {
                elt.next = ptr::null_mut();
            }
            // The fields nginx's modules read a header through.
            match lowcase {
                b"authorization" => h.authorization = e,
                b"user-agent" => h.user_agent = e,
                _ => {}
            }
        }
        (*sr).headers_in = h;
    }
    Some(())
}
