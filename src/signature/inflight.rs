//! Key fetches under way in this worker, capped (`fetch_in_flight=`): a
//! flood of random keyIds from many addresses, each within its budget,
//! still cannot keep more than that many fetches open per worker. A
//! request that ends before its fetch does gives its place back through a
//! cleanup of its pool (the entry arranges it).

use core::cell::Cell;

/// Most fetches under way at once in one worker, by default.
pub const DEFAULT_IN_FLIGHT: u32 = 16;

thread_local! {
    /// nginx's worker is one thread.
    static IN_FLIGHT: Cell<u32> = const { Cell::new(0) };
}

/// A place a request holds while its fetch is under way.
#[derive(Clone, Copy, Debug, Default)]
pub struct Place {
    taken: bool,
}

/// Takes a place, if fewer than `cap` are taken.
pub fn enter(place: &mut Place, cap: u32) -> bool {
    if place.taken {
        return true;
    }
    if IN_FLIGHT.with(Cell::get) >= cap {
        return false;
    }
    place.taken = true;
    IN_FLIGHT.with(|n| n.set(n.get() + 1));
    true
}

/// Gives the place back.
pub fn leave(place: &mut Place) {
    if place.taken {
        place.taken = false;
        IN_FLIGHT.with(|n| n.set(n.get().saturating_sub(1)));
    }
}
