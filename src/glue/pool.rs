//! Copies into a request's pool.

use nginx_sys::ngx_str_t;
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
