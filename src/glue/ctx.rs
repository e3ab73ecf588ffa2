//! Storage of the module's per-request context: in the request's pool,
//! found through the module's context slot, and found again after nginx
//! cleared the slot (an internal redirect) through the pool's cleanup list,
//! the way the realip module keeps its context. The module keeps one type
//! of context (the entry's `RequestCtx`).
//!
//! The context is handed out only as a shared reference whose lifetime is
//! the borrow of the request it belongs to: what changes in it changes
//! through `Cell`/`RefCell` inside, so that a variable handler nginx calls
//! while the access handler works (a limit's key) sees the same context
//! without a second `&mut` to it.

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
    // SAFETY: data is the Stored<T> this cleanup was added with.
    if let Some(s) = unsafe { data.cast::<Stored<T>>().as_mut() } {
        s.magic = 0;
    }
}

/// The request's context, created on first use.
///
/// nginx clears module contexts on an internal redirect (`error_page`,
/// `try_files`, `rewrite ... last`); the context is then found again, so
/// that `$fediguard_reason` still names the decision when the deny page is
/// logged.
pub fn get<T: Default>(r: &Request) -> Option<&T> {
    let raw: *mut ngx_http_request_t = (r as *const Request).cast_mut().cast();
    // SAFETY: r is live for the returned borrow; see `get_raw`.
    unsafe { get_raw::<T>(raw).map(|p| &*p) }
}

/// The request's context (created on first use) beside the request itself,
/// for a handler that also changes the request (headers, timers,
/// subrequests). The context lives in the request's pool, not in the
/// request structure, so the two references do not overlap.
pub fn split<T: Default>(r: &mut Request) -> Option<(&mut Request, &T)> {
    let raw: *mut ngx_http_request_t = (r as *mut Request).cast();
    // SAFETY: as in `get`; the context is separate memory from *r.
    let ctx = unsafe { get_raw::<T>(raw).map(|p| &*p)? };
    Some((r, ctx))
}

/// The request's context if it has one (never creates it).
pub fn find<T>(r: &Request) -> Option<&T> {
    let raw: *mut ngx_http_request_t = (r as *const Request).cast_mut().cast();
    // SAFETY: r is live for the returned borrow; see `find_raw`.
    unsafe { find_raw::<T>(raw).map(|p| &*p) }
}

/// The main request's context if it has one, from a subrequest (or the
/// main request itself). The main request outlives its subrequests.
pub fn find_main<T>(r: &Request) -> Option<&T> {
    // SAFETY: a live request's `main` is its live main request, which
    // outlives it; see `find_raw`.
    unsafe {
        let main = r.as_ref().main;
        if main.is_null() {
            return None;
        }
        find_raw::<T>(main).map(|p| &*p)
    }
}

/// Calls `f` with the request's context when the request ends, however it
/// ended (a client that went away included): `pool::at_end` with the
/// context's address. False when that cannot be arranged (no memory).
pub fn on_end<T: Default>(r: &Request, f: fn(&T)) -> bool {
    let raw: *mut ngx_http_request_t = (r as *const Request).cast_mut().cast();
    // SAFETY: r is live; see `get_raw`.
    let Some(ctx) = (unsafe { get_raw::<T>(raw) }) else {
        return false;
    };
    super::pool::at_end(r, OnEnd { ctx, f }, |e| {
        // SAFETY: the context lives in the pool whose cleanups run this,
        // before its memory is freed; cleanups run last-added first, so the
        // context's own marker (added when it was made) has not run yet.
        if let Some(ctx) = unsafe { e.ctx.as_ref() } {
            (e.f)(ctx);
        }
    })
}

struct OnEnd<T> {
    ctx: *const T,
    f: fn(&T),
}

impl<T> Clone for OnEnd<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for OnEnd<T> {}

/// # Safety
/// `raw` is a live request. The pointer stays valid as long as its pool.
unsafe fn get_raw<T: Default>(raw: *mut ngx_http_request_t) -> Option<*const T> {
    // SAFETY: the caller's promise.
    if let Some(found) = unsafe { find_raw::<T>(raw) } {
        return Some(found);
    }
    // SAFETY: a live request has a pool and a ctx slot for every module;
    // the new context is allocated from r->pool and initialised before its
    // address is stored.
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
        Some(ptr::addr_of!((*stored).value))
    }
}

/// # Safety
/// `raw` is a live request.
unsafe fn find_raw<T>(raw: *mut ngx_http_request_t) -> Option<*const T> {
    // SAFETY: r is a live request; ctx has a slot for every module, and our
    // slot holds either NULL or a Stored<T> allocated by `get_raw` from
    // r->pool, which outlives every use of the pointer during the request.
    unsafe {
        let slot = (*raw).ctx.add(ctx_index());
        if let Some(s) = (*slot).cast::<Stored<T>>().as_ref() {
            return Some(&s.value);
        }
        let mut c = (*(*raw).pool).cleanup;
        while let Some(cln) = c.as_ref() {
            if cln.handler.map(|h| h as *const () as usize)
                == Some(marker::<T> as *const () as usize)
            {
                let s = cln.data.cast::<Stored<T>>();
                if (*s).magic == MAGIC {
                    *slot = s.cast();
                    return Some(ptr::addr_of!((*s).value));
                }
            }
            c = cln.next;
        }
        None
    }
}

/// A part of the request's context made only when a request needs it (a
/// signed delivery's state is large): in the request's pool, dropped when
/// the pool is destroyed (it may own heap memory).
pub struct Lazy<T> {
    value: core::cell::Cell<*const core::cell::RefCell<T>>,
}

impl<T> Default for Lazy<T> {
    fn default() -> Self {
        Lazy {
            value: core::cell::Cell::new(ptr::null()),
        }
    }
}

impl<T: Default> Lazy<T> {
    /// The part, if it was made.
    pub fn get(&self) -> Option<&core::cell::RefCell<T>> {
        // SAFETY: set only by `get_or_init`, to memory of the pool that
        // holds the context this `Lazy` is part of: it lives as long.
        unsafe { self.value.get().as_ref() }
    }

    /// The part, made now if it was not. `r` is the request whose context
    /// holds this `Lazy` (its pool holds the part).
    pub fn get_or_init(&self, r: &Request) -> Option<&core::cell::RefCell<T>> {
        if let Some(v) = self.get() {
            return Some(v);
        }
        let raw: *mut ngx_http_request_t = (r as *const Request).cast_mut().cast();
        // SAFETY: a live request's pool; the cleanup's data is written
        // before its handler is set, and the handler drops it once, when
        // the pool is destroyed (after the context's last use).
        unsafe {
            let cln = ngx_pool_cleanup_add((*raw).pool, mem::size_of::<core::cell::RefCell<T>>());
            if cln.is_null() {
                return None;
            }
            let p = (*cln).data.cast::<core::cell::RefCell<T>>();
            ptr::write(p, core::cell::RefCell::new(T::default()));
            (*cln).handler = Some(drop_lazy::<T>);
            self.value.set(p);
            p.as_ref()
        }
    }
}

unsafe extern "C" fn drop_lazy<T>(data: *mut c_void) {
    // SAFETY: the RefCell<T> `get_or_init` wrote; dropped once, here.
    unsafe { ptr::drop_in_place(data.cast::<core::cell::RefCell<T>>()) };
}
