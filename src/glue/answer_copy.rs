//! Output filters that copy an answer's body for the module to read
//! (`fediguard_app_watch`: Mastodon's answers to app registrations and
//! client_credentials grants).
//!
//! The answer is never altered or held back: every buffer is passed on as
//! it came, after a copy of its bytes (at most `MAX_ANSWER`) was taken.
//! Once the last buffer has gone out, the copy is read (`record`); an
//! answer that is too long, in a file, compressed, truncated or not the
//! JSON expected is simply not recorded.

use core::cell::RefCell;
use core::ptr;

use fediguard_core::watch::MAX_ANSWER;
use nginx_sys::{
    ngx_chain_t, ngx_http_output_body_filter_pt, ngx_http_output_header_filter_pt,
    ngx_http_request_t, ngx_int_t, NGX_ERROR, NGX_HTTP_POST,
};
use ngx::http::Request;

static mut NEXT_HEADER: ngx_http_output_header_filter_pt = None;
static mut NEXT_BODY: ngx_http_output_body_filter_pt = None;
static mut HOOKS: Option<Hooks> = None;

/// What the filters need of a request, found by the module's entry (which
/// knows the configuration and the request context).
#[derive(Clone, Copy)]
pub struct Hooks {
    /// Whether the request's location watches answers.
    pub watched: fn(&Request) -> bool,
    /// Reads a whole answer's copy; the copy is wiped after.
    pub answer: fn(&Request, &[u8]),
    /// The request's watch state, created on demand when `create`.
    pub state: for<'r> fn(&'r Request, bool) -> Option<&'r RefCell<Watch>>,
}

/// The copy of a watched answer, in the request's pool.
#[derive(Clone, Copy, Debug)]
pub struct Watch {
    pub active: bool,
    data: *mut u8,
    len: usize,
    cap: usize,
}

impl Default for Watch {
    fn default() -> Self {
        Watch {
            active: false,
            data: ptr::null_mut(),
            len: 0,
            cap: 0,
        }
    }
}

/// Puts the filters on top of nginx's chains (postconfiguration, only
/// when some location has `fediguard_app_watch on`).
pub fn install(hooks: Hooks) {
    // SAFETY: nginx reads its configuration in one thread, and the filter
    // chain's top is set by each filter module in turn, as here.
    unsafe {
        HOOKS = Some(hooks);
        NEXT_HEADER = nginx_sys::ngx_http_top_header_filter;
        nginx_sys::ngx_http_top_header_filter = Some(header_filter);
        NEXT_BODY = nginx_sys::ngx_http_top_body_filter;
        nginx_sys::ngx_http_top_body_filter = Some(body_filter);
    }
}

fn hooks() -> Option<Hooks> {
    // SAFETY: written once per configuration before any request.
    unsafe { *core::ptr::addr_of!(HOOKS) }
}

unsafe extern "C" fn header_filter(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls output filters with a live request; the next filter was saved at install.
    unsafe {
        let req = Request::from_ngx_http_request(r);
        if let Some(h) = hooks().filter(|_| req.is_main()) {
            if (h.watched)(req) {
                start(req, h);
            }
        }
        match NEXT_HEADER {
            Some(next) => next(r),
            None => NGX_ERROR as ngx_int_t,
        }
    }
}

/// Decides from the status and headers whether to copy the answer.
fn start(r: &Request, hooks: Hooks) {
    let raw = r.as_ref();
    let h = &raw.headers_out;
    if raw.method != NGX_HTTP_POST as usize
        || !matches!(h.status, 200 | 201)
        || raw.header_only() != 0
        || h.content_length_n > MAX_ANSWER as i64
    {
        return;
    }
    // SAFETY: content_encoding is NULL or a header of the answer.
    if let Some(ce) = unsafe { h.content_encoding.as_ref() } {
        if ce.hash != 0 && !ce.value.as_bytes().eq_ignore_ascii_case(b"identity") {
            return;
        }
    }
    let Some(mut watch) = (hooks.state)(r, true).and_then(|w| w.try_borrow_mut().ok()) else {
        return;
    };
    let cap = if h.content_length_n >= 0 {
        h.content_length_n as usize
    } else {
        4096
    };
    let data = r.pool().alloc_unaligned(cap.max(1)).cast::<u8>();
    if data.is_null() {
        return;
    }
    *watch = Watch {
        active: true,
        data,
        len: 0,
        cap: cap.max(1),
    };
}

unsafe extern "C" fn body_filter(r: *mut ngx_http_request_t, chain: *mut ngx_chain_t) -> ngx_int_t {
    // SAFETY: nginx calls output filters with a live request and its chain (or NULL); the copy lives in the request's pool.
    unsafe {
        let req = Request::from_ngx_http_request(r);
        let mut watching = None;
        if let Some(h) = hooks().filter(|_| !chain.is_null() && req.is_main()) {
            if (h.watched)(req) {
                let w = (h.state)(req, false).and_then(|w| w.try_borrow_mut().ok());
                if let Some(mut w) = w.filter(|w| w.active) {
                    if copy(req, &mut w, chain) {
                        watching = Some((*w, h));
                        w.active = false;
                    }
                }
            }
        }
        let rc = match NEXT_BODY {
            Some(next) => next(r, chain),
            None => NGX_ERROR as ngx_int_t,
        };
        if let Some((w, h)) = watching {
            if w.len > 0 && !w.data.is_null() {
                let body = core::slice::from_raw_parts_mut(w.data, w.len);
                (h.answer)(req, body);
                // The copy may hold a token: wipe it.
                body.fill(0);
            }
        }
        rc
    }
}

/// Copies the chain's bytes; true once the last buffer was seen. A
/// buffer in a file, or too much, stops the watch.
unsafe fn copy(r: &Request, w: &mut Watch, chain: *mut ngx_chain_t) -> bool {
    // SAFETY: the chain's links and buffers are nginx's, alive during the call; in-memory buffers hold last - pos bytes.
    unsafe {
        let mut cl = chain;
        while let Some(link) = cl.as_ref() {
            let Some(b) = link.buf.as_ref() else {
                cl = link.next;
                continue;
            };
            let in_memory = b.temporary() != 0 || b.memory() != 0 || b.mmap() != 0;
            if !in_memory && b.in_file() != 0 {
                w.active = false;
                return false;
            }
            if in_memory && !b.pos.is_null() && b.last > b.pos {
                let bytes = core::slice::from_raw_parts(b.pos, b.last.offset_from(b.pos) as usize);
                if !append(r, w, bytes) {
                    w.active = false;
                    return false;
                }
            }
            if b.last_buf() != 0 {
                return true;
            }
            cl = link.next;
        }
        false
    }
}

fn append(r: &Request, w: &mut Watch, bytes: &[u8]) -> bool {
    let need = w.len + bytes.len();
    if need > MAX_ANSWER {
        return false;
    }
    if need > w.cap {
        let cap = (w.cap * 2).clamp(need, MAX_ANSWER);
        let data = r.pool().alloc_unaligned(cap).cast::<u8>();
        if data.is_null() {
            return false;
        }
        // SAFETY: both buffers hold at least w.len bytes; the old copy is
        // wiped (it may hold a token).
        unsafe {
            ptr::copy_nonoverlapping(w.data, data, w.len);
            ptr::write_bytes(w.data, 0, w.len);
        }
        w.data = data;
        w.cap = cap;
    }
    // SAFETY: data has room for need bytes.
    unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), w.data.add(w.len), bytes.len()) };
    w.len = need;
    true
}
