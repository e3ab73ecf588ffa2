//! Verifications under way in this worker, capped (`verify_in_flight=`):
//! a flood from many addresses, each within its budget, still cannot keep
//! more than that many calls to the backend open per worker. A request
//! that ends before its verification does (the client went away) gives its
//! place back through a cleanup of its pool.

use core::cell::Cell;
use core::ffi::c_void;

use nginx_sys::{ngx_http_request_t, ngx_pool_cleanup_add};
use ngx::http::Request;

thread_local! {
    /// nginx's worker is one thread: no atomics needed.
    static IN_FLIGHT: Cell<u32> = const { Cell::new(0) };
}

/// A place taken by a request; given back by `leave` or by the pool.
#[derive(Clone, Copy, Debug, Default)]
pub struct Place {
    taken: bool,
    cleanup_set: bool,
}

/// Verifications under way now.
pub fn count() -> u32 {
    IN_FLIGHT.with(Cell::get)
}

unsafe extern "C" fn give_back(data: *mut c_void) {
    if let Some(p) = data.cast::<*mut Place>().as_ref().and_then(|p| p.as_mut()) {
        leave(p);
    }
}

/// Takes a place, if fewer than `cap` are taken. The place lives in the
/// request's context (pool memory), which outlives the cleanup.
pub fn enter(r: &Request, place: &mut Place, cap: u32) -> bool {
    if place.taken {
        return true;
    }
    if count() >= cap {
        return false;
    }
    if !place.cleanup_set {
        let raw: *mut ngx_http_request_t = (r as *const Request).cast_mut().cast();
        // SAFETY: a live request's pool; the cleanup holds a pointer to
        // `place`, which is in the same pool's request context.
        unsafe {
            let cln = ngx_pool_cleanup_add((*raw).pool, core::mem::size_of::<*mut Place>());
            let Some(c) = cln.as_mut() else {
                return false;
            };
            *c.data.cast::<*mut Place>() = place as *mut Place;
            c.handler = Some(give_back);
        }
        place.cleanup_set = true;
    }
    place.taken = true;
    IN_FLIGHT.with(|n| n.set(n.get() + 1));
    true
}

/// Gives the place back (the verification is over).
pub fn leave(place: &mut Place) {
    if place.taken {
        place.taken = false;
        IN_FLIGHT.with(|n| n.set(n.get().saturating_sub(1)));
    }
}
