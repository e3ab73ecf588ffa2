//! Verifications under way in this worker, capped (`verify_in_flight=`):
//! `limit::in_flight`, with a count of its own.

use core::cell::Cell;

use crate::limit::in_flight::InFlight;
pub use crate::limit::in_flight::Place;

/// Most verifications under way at once in one worker, by default.
pub const DEFAULT_IN_FLIGHT: u32 = 32;

thread_local! {
    static COUNT: Cell<u32> = const { Cell::new(0) };
}

pub static VERIFICATIONS: InFlight = InFlight::new(&COUNT);

/// Gives the place back (the verification is over).
pub fn leave(place: &mut Place) {
    VERIFICATIONS.leave(place);
}
