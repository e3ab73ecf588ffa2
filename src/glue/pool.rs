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

/// `bytes` copied into the request's pool and changed there by `f` (before
/// anyone else sees them); None when the pool is out of memory.
pub fn copy_with(r: &Request, bytes: &[u8], f: impl FnOnce(&mut [u8])) -> Option<ngx_str_t> {
    let s = copy(r, bytes)?;
    if s.len > 0 {
        // SAFETY: the copy was just made, len bytes, and is not shared yet.
        f(unsafe { core::slice::from_raw_parts_mut(s.data, s.len) });
    }
    Some(s)
}

/// A pool of its own (not a request's or the cycle's), destroyed when
/// dropped: whatever was allocated from it must be gone by then.
pub struct OwnedPool {
    pool: core::ptr::NonNull<nginx_sys::ngx_pool_t>,
}

impl OwnedPool {
    /// A new pool of `size` bytes per block, whose allocation failures go
    /// to `log`; None when out of memory.
    ///
    /// # Safety
    /// `log` is null or valid, and outlives the pool.
    pub(super) unsafe fn new(size: usize, log: *mut nginx_sys::ngx_log_t) -> Option<OwnedPool> {
        // SAFETY: ngx_create_pool only allocates; log outlives the pool
        // (the caller's word).
        let pool = unsafe { nginx_sys::ngx_create_pool(size, log) };
        core::ptr::NonNull::new(pool).map(|pool| OwnedPool { pool })
    }

    pub(super) fn as_ptr(&self) -> *mut nginx_sys::ngx_pool_t {
        self.pool.as_ptr()
    }
}

impl Drop for OwnedPool {
    fn drop(&mut self) {
        // SAFETY: our pool, destroyed once; nothing that points into it
        // outlives its owner (the owner's word).
        unsafe { nginx_sys::ngx_destroy_pool(self.pool.as_ptr()) };
    }
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
