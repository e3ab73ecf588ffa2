//! Key fetches under way in this worker, capped (`fetch_in_flight=`):
//! `limit::in_flight`, with a count of its own.

use core::cell::Cell;

use crate::limit::in_flight::InFlight;
pub use crate::limit::in_flight::Place;

/// Most fetches under way at once in one worker, by default.
pub const DEFAULT_IN_FLIGHT: u32 = 16;

thread_local! {
    static COUNT: Cell<u32> = const { Cell::new(0) };
}

pub static FETCHES: InFlight = InFlight::new(&COUNT);

/// Takes a place, if fewer than `cap` are taken (the entry gives it back
/// when the request ends).
pub fn enter(place: &mut Place, cap: u32) -> bool {
    FETCHES.enter(place, cap, || true)
}

/// Gives the place back.
pub fn leave(place: &mut Place) {
    FETCHES.leave(place);
}
