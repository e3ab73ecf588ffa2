//! Subrequests whose answer fediguard reads itself, at most a set number of
//! bytes, whatever the backend sends.
//!
//! nginx's own way, `NGX_HTTP_SUBREQUEST_IN_MEMORY`, copies the answer
//! into one buffer of `subrequest_output_buffer_size` in its postpone
//! filter; a longer answer makes that filter fail, which marks the
//! *client's* connection as broken and closes it with no reply. Here the
//! subrequest keeps the in-memory flag (its answer never goes to the
//! client) but its body stops in a body filter of ours, above nginx's:
//! it copies at most `limit` bytes into the request's pool, discards the
//! rest and never fails. An answer that is longer, compressed, kept in a
//! file or cut short is handed over as unusable (`body` None). Once an
//! answer is known to be too long, the backend connection is closed when
//! nginx reads it through its buffers (the usual proxy setup) rather
//! than read to its end.

mod call;

pub use call::{start, Answer, Call};

use core::ffi::c_void;
use core::ptr;

use nginx_sys::{
    ngx_chain_t, ngx_http_output_body_filter_pt, ngx_http_post_subrequest_t, ngx_http_request_t,
    ngx_int_t, ngx_pool_t, NGX_ERROR, NGX_OK,
};

/// What the caller's handler is given once the subrequest is over: the
/// subrequest, the caller's data, nginx's code, and the answer's body when
/// it is usable (complete, not longer than the limit, not compressed, in
/// memory).
pub type Done =
    unsafe fn(*mut ngx_http_request_t, *mut c_void, ngx_int_t, Option<&[u8]>) -> ngx_int_t;

/// The bytes kept of one answer, in the request's pool.
#[derive(Clone, Copy)]
struct Capture {
    data: *mut u8,
    len: usize,
    cap: usize,
    limit: usize,
    /// Longer than `limit`, in a file, or a copy could not be made.
    unusable: bool,
    /// The last buffer was seen.
    complete: bool,
}

/// nginx holds a pointer to `psr`, the first field: the filter and the
/// handler find the rest from it.
#[repr(C)]
struct Post {
    psr: ngx_http_post_subrequest_t,
    capture: Capture,
    done: Done,
    data: *mut c_void,
    /// nginx may finalize a subrequest twice (after its own error page):
    /// the caller hears of the first only.
    called: bool,
}

static mut NEXT_BODY: ngx_http_output_body_filter_pt = None;

/// Puts the body filter on top of nginx's chain (postconfiguration:
/// nginx reads its configuration in one thread, before any request).
pub fn install_filter() {
    // SAFETY: single-threaded configuration; nginx's chain head is a
    // plain global it lets every filter module rewrite.
    unsafe {
        NEXT_BODY = nginx_sys::ngx_http_top_body_filter;
        nginx_sys::ngx_http_top_body_filter = Some(body_filter);
    }
}

/// A post-subrequest for `ngx_http_subrequest` (with
/// `NGX_HTTP_SUBREQUEST_IN_MEMORY`): the answer's body is kept up to
/// `limit` bytes and `done` is called with it. None when the pool is out
/// of memory.
///
/// # Safety
/// `pool` is the main request's pool; `data` lives as long as it.
pub unsafe fn post(
    pool: *mut ngx_pool_t,
    limit: usize,
    done: Done,
    data: *mut c_void,
) -> Option<*mut ngx_http_post_subrequest_t> {
    // SAFETY: a live pool; the memory is zeroed, then every field written.
    unsafe {
        let p = nginx_sys::ngx_pcalloc(pool, core::mem::size_of::<Post>()).cast::<Post>();
        let post = p.as_mut()?;
        ptr::write(
            post,
            Post {
                psr: ngx_http_post_subrequest_t {
                    handler: Some(finished),
                    data: p.cast(),
                },
                capture: Capture {
                    data: ptr::null_mut(),
                    len: 0,
                    cap: 0,
                    limit,
                    unusable: false,
                    complete: false,
                },
                done,
                data,
                called: false,
            },
        );
        Some(ptr::addr_of_mut!((*p).psr))
    }
}

/// The `Post` of a subrequest made by `post`, if `r` is one.
///
/// # Safety
/// `r` is a live request.
unsafe fn ours(r: *mut ngx_http_request_t) -> Option<*mut Post> {
    // SAFETY: a live request; post_subrequest is NULL or a pointer nginx
    // was given, and only `post` sets `finished` as the handler, on the
    // first field of a `Post`.
    unsafe {
        let r = r.as_ref()?;
        if ptr::eq(r, r.main) {
            return None;
        }
        let psr = r.post_subrequest.as_ref()?;
        let handler = psr.handler? as *const () as usize;
        (handler == finished as *const () as usize).then_some(r.post_subrequest.cast::<Post>())
    }
}

unsafe extern "C" fn body_filter(r: *mut ngx_http_request_t, chain: *mut ngx_chain_t) -> ngx_int_t {
    // SAFETY: nginx calls body filters with a live request and its chain;
    // a `Post` found by `ours` is in the main request's pool.
    unsafe {
        if let Some(post) = ours(r).and_then(|p| p.as_mut()) {
            if !post.called {
                take(r, &mut post.capture, chain);
            } else {
                consume(chain);
            }
            // Nothing goes further down: nginx's in-memory buffer never
            // sees the answer, so it cannot overflow.
            return NGX_OK as ngx_int_t;
        }
        match NEXT_BODY {
            Some(next) => next(r, chain),
            None => NGX_ERROR as ngx_int_t,
        }
    }
}

/// Marks every buffer of the chain as sent, so that nginx's upstream
/// reuses them.
///
/// # Safety
/// `chain` is a valid chain.
unsafe fn consume(chain: *mut ngx_chain_t) {
    let mut cl = chain;
    // SAFETY: a valid chain of valid buffers.
    unsafe {
        while let Some(link) = cl.as_ref() {
            if let Some(b) = link.buf.as_mut() {
                b.pos = b.last;
                b.file_pos = b.file_last;
            }
            cl = link.next;
        }
    }
}

/// Copies what fits of the chain, and consumes all of it.
///
/// # Safety
/// `r` is the subrequest the chain belongs to.
unsafe fn take(r: *mut ngx_http_request_t, c: &mut Capture, chain: *mut ngx_chain_t) {
    // SAFETY: a live subrequest, its pool and a valid chain.
    unsafe {
        let sr = &*r;
        if sr.headers_out.content_length_n > c.limit as i64 {
            c.unusable = true;
        }
        let mut cl = chain;
        while let Some(link) = cl.as_ref() {
            if let Some(b) = link.buf.as_ref() {
                let in_memory = b.temporary() != 0 || b.memory() != 0 || b.mmap() != 0;
                if !in_memory && b.in_file() != 0 {
                    // Reading it would block: the answer is not read.
                    c.unusable = true;
                } else if in_memory && !b.pos.is_null() && b.last > b.pos && !c.unusable {
                    let n = b.last.offset_from(b.pos) as usize;
                    let bytes = core::slice::from_raw_parts(b.pos, n);
                    if !append(sr.pool, c, bytes) {
                        c.unusable = true;
                    }
                }
                if b.last_buf() != 0 || b.last_in_chain() != 0 {
                    c.complete = true;
                }
            }
            cl = link.next;
        }
        consume(chain);
        if c.unusable {
            c.len = 0;
            stop_reading(sr);
        }
    }
}

fn append(pool: *mut ngx_pool_t, c: &mut Capture, bytes: &[u8]) -> bool {
    let Some(need) = c.len.checked_add(bytes.len()).filter(|&n| n <= c.limit) else {
        return false;
    };
    if need > c.cap {
        // need <= limit: the new buffer holds it, and never more than limit
        // (clamp would panic on a limit under 1024).
        let cap = c.cap.saturating_mul(2).max(1024).min(c.limit).max(need);
        // SAFETY: a live pool.
        let data = unsafe { nginx_sys::ngx_pnalloc(pool, cap) }.cast::<u8>();
        if data.is_null() {
            return false;
        }
        if c.len > 0 {
            // SAFETY: both hold at least c.len bytes.
            unsafe { ptr::copy_nonoverlapping(c.data, data, c.len) };
        }
        c.data = data;
        c.cap = cap;
    }
    // SAFETY: data has room for `need` bytes.
    unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), c.data.add(c.len), bytes.len()) };
    c.len = need;
    true
}

/// An answer known to be unusable is not read to its end: when nginx
/// reads it through its buffers (proxy_buffering, the default), the read
/// stops as after a broken upstream, and nginx closes the connection to
/// the backend. Otherwise the rest is read and discarded.
///
/// # Safety
/// `sr` is a live subrequest.
unsafe fn stop_reading(sr: &ngx_http_request_t) {
    // SAFETY: upstream and its pipe are NULL or nginx's, in the pool.
    unsafe {
        let Some(u) = sr.upstream.as_ref() else {
            return;
        };
        if u.buffering() == 0 {
            return;
        }
        if let Some(p) = u.pipe.as_mut() {
            p.set_upstream_error(1);
        }
    }
}

/// The post-subrequest handler of every subrequest made by `post`.
unsafe extern "C" fn finished(
    sr: *mut ngx_http_request_t,
    data: *mut c_void,
    rc: ngx_int_t,
) -> ngx_int_t {
    // SAFETY: `data` is the `Post` that `post` made, in the main request's
    // pool; sr is the live subrequest.
    unsafe {
        let Some(post) = data.cast::<Post>().as_mut() else {
            return rc;
        };
        if post.called {
            return rc;
        }
        post.called = true;
        let body = usable(sr, &post.capture);
        (post.done)(sr, post.data, rc, body)
    }
}

/// The kept body, when it is all of the answer as the backend meant it.
///
/// # Safety
/// `sr` is a live subrequest; the capture's bytes are in its pool.
unsafe fn usable(sr: *mut ngx_http_request_t, c: &Capture) -> Option<&[u8]> {
    // SAFETY: as above; content_encoding is NULL or a header of the answer.
    unsafe {
        if c.unusable || !c.complete {
            return None;
        }
        let h = &(*sr).headers_out;
        if let Some(ce) = h.content_encoding.as_ref() {
            if ce.hash != 0 && !ce.value.as_bytes().eq_ignore_ascii_case(b"identity") {
                return None;
            }
        }
        if h.content_length_n >= 0 && h.content_length_n as u64 != c.len as u64 {
            return None;
        }
        if c.len == 0 || c.data.is_null() {
            return Some(&[]);
        }
        Some(core::slice::from_raw_parts(c.data, c.len))
    }
}
