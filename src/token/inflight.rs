//! Verifications under way in this worker, capped (`verify_in_flight=`):
//! a flood from many addresses, each within its budget, still cannot keep
//! more than that many calls to the backend open per worker. A request
//! that ends before its verification does (the client went away) gives its
//! place back through a cleanup of its pool.

use core::cell::Cell;

use ngx::http::Request;

/// Most verifications under way at once in one worker, by default.
pub const DEFAULT_IN_FLIGHT: u32 = 32;

thread_local! {
    /// nginx's worker is one thread: no atomics needed.
    static IN_FLIGHT: Cell<u32> = const { Cell::new(0) };
}

/// A place taken by a request; given back by `leave`, or when the request
/// ends (the entry arranges it: `Verify::give_back_at_end`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Place {
    taken: bool,
    give_back_set: bool,
}

/// Verifications under way now.
pub fn count() -> u32 {
    IN_FLIGHT.with(Cell::get)
}

/// Takes a place, if fewer than `cap` are taken. `give_back_at_end`
/// arranges that the request's end gives it back.
pub fn enter(
    r: &Request,
    place: &mut Place,
    cap: u32,
    give_back_at_end: fn(&Request) -> bool,
) -> bool {
    if place.taken {
        return true;
    }
    if count() >= cap {
        return false;
    }
    if !place.give_back_set {
        if !give_back_at_end(r) {
            return false;
        }
        place.give_back_set = true;
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
