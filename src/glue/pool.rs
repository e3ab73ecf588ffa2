//! Copies into a request's pool, and work done when the request ends.

use core::ffi::c_void;

use nginx_sys::{ngx_http_request_t, ngx_pool_cleanup_add, ngx_str_t};
use ngx::http::Request;

/// `bytes` copied into the request's pool (empty: no allocation); None
/// when the pool is out of memory.
pub fn copy(r: &Request, bytes: &[u8]) -> Option<ngx_str_t> {
    if bytes.is_empty() {
        return Some(ngx_str_t::default());
    }
    let p = r.pool().alloc_unaligned(bytes.len()).cast::<u8>();
    if p.is_null() {
        return None;
    }
    // SAFETY: p has room for bytes.len() bytes.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
    Some(ngx_str_t {
        len: bytes.len(),
        data: p,
    })
}

#[repr(C)]
struct AtEnd<T> {
    f: fn(&mut T),
    value: T,
}

unsafe extern "C" fn run_at_end<T>(data: *mut c_void) {
    // SAFETY: `at_end` wrote an AtEnd<T> there, in the pool being
    // destroyed (cleanups run before its memory is freed).
    if let Some(a) = unsafe { data.cast::<AtEnd<T>>().as_mut() } {
        (a.f)(&mut a.value);
    }
}

/// Calls `f(value)` when the request's pool is destroyed: the request is
/// over, whether it was answered, the client went away or nginx ended it.
/// False when the pool is out of memory.
pub fn at_end<T: Copy>(r: &Request, value: T, f: fn(&mut T)) -> bool {
    let raw: *mut ngx_http_request_t = (r as *const Request).cast_mut().cast();
    // SAFETY: a live request's pool; the cleanup's data has room for an
    // AtEnd<T> (nginx aligns it), written before the handler is set.
    unsafe {
        let cln = ngx_pool_cleanup_add((*raw).pool, core::mem::size_of::<AtEnd<T>>());
        let Some(c) = cln.as_mut() else {
            return false;
        };
        core::ptr::write(c.data.cast::<AtEnd<T>>(), AtEnd { f, value });
        c.handler = Some(run_at_end::<T>);
    }
    true
}
