//! Storage of the module's per-request context: in the request's pool,
//! found through the module's context slot, and found again after nginx
//! cleared the slot (an internal redirect) through the pool's cleanup list,
//! the way the realip module keeps its context. The module keeps one type
//! of context (the entry's `RequestCtx`).

use core::ffi::c_void;
use core::mem;
use core::ptr;

use nginx_sys::{ngx_http_request_t, ngx_pool_cleanup_add};
use ngx::http::Request;

use super::module::ctx_index;

/// Tells our context apart when it is looked up in the pool's cleanup list.
const MAGIC: u64 = 0x6665_6469_6775_6172; // "fediguar"

#[repr(C)]
struct Stored<T> {
    magic: u64,
    value: T,
}

/// Marks our context in the request pool's cleanup list; it frees nothing
/// (the pool owns the memory). Its body is unique so that the linker cannot
/// fold it with another empty function.
unsafe extern "C" fn marker<T>(data: *mut c_void) {
    if let Some(s) = data.cast::<Stored<T>>().as_mut() {
        s.magic = 0;
    }
}

/// The request's context, created on first use.
///
/// nginx clears module contexts on an internal redirect (`error_page`,
/// `try_files`, `rewrite ... last`); the context is then found again, so
/// that `$fediguard_reason` still names the decision when the deny page is
/// logged.
pub fn get<T: Default>(r: &Request) -> Option<&'static mut T> {
    if let Some(ctx) = find::<T>(r) {
        return Some(ctx);
    }
    let raw: *mut ngx_http_request_t = (r as *const Request).cast_mut().cast();
    // SAFETY: as in find; the new context is allocated from r->pool.
    unsafe {
        let slot = (*raw).ctx.add(ctx_index());
        let cln = ngx_pool_cleanup_add((*raw).pool, mem::size_of::<Stored<T>>());
        if cln.is_null() {
            return None;
        }
        let stored = (*cln).data.cast::<Stored<T>>();
        ptr::write(
            stored,
            Stored {
                magic: MAGIC,
                value: T::default(),
            },
        );
        (*cln).handler = Some(marker::<T>);
        *slot = stored.cast();
        Some(&mut (*stored).value)
    }
}

/// The request's context if it has one (never creates it).
pub fn find<T>(r: &Request) -> Option<&'static mut T> {
    let raw: *mut ngx_http_request_t = (r as *const Request).cast_mut().cast();
    // SAFETY: r is a live request; ctx has a slot for every module, and our
    // slot holds either NULL or a Stored<T> allocated by `get` from
    // r->pool, which outlives every use of the reference during the request.
    unsafe {
        let slot = (*raw).ctx.add(ctx_index());
        if let Some(s) = (*slot).cast::<Stored<T>>().as_mut() {
            return Some(&mut s.value);
        }
        let mut c = (*(*raw).pool).cleanup;
        while let Some(cln) = c.as_ref() {
            if cln.handler.map(|h| h as *const () as usize)
                == Some(marker::<T> as *const () as usize)
            {
                let s = cln.data.cast::<Stored<T>>();
                if (*s).magic == MAGIC {
                    *slot = s.cast();
                    return Some(&mut (*s).value);
                }
            }
            c = cln.next;
        }
        None
    }
}
