//! Work under way in this worker, capped: a flood from many addresses, each
//! within its budget (`budget.rs`), still cannot keep more than the cap of
//! calls open per worker. A request holds a `Place` while its call is under
//! way, and gives it back when the call is over or the request ends (the
//! caller arranges the latter, e.g. with `request::give_back_at_end`).

use core::cell::Cell;
use std::thread::LocalKey;

/// A count of work under way in the worker (nginx's worker is one thread:
/// a thread-local, no atomics).
pub struct InFlight(&'static LocalKey<Cell<u32>>);

/// A place taken by a request.
#[derive(Clone, Copy, Debug, Default)]
pub struct Place {
    taken: bool,
    /// The request's end gives it back (arranged once).
    give_back_set: bool,
}

impl InFlight {
    pub const fn new(count: &'static LocalKey<Cell<u32>>) -> InFlight {
        InFlight(count)
    }

    /// Work under way now.
    pub fn count(&self) -> u32 {
        self.0.with(Cell::get)
    }

    /// Takes a place, if fewer than `cap` are taken; `give_back_at_end`
    /// arranges, once per request, that the request's end gives it back.
    pub fn enter(
        &self,
        place: &mut Place,
        cap: u32,
        give_back_at_end: impl FnOnce() -> bool,
    ) -> bool {
        if place.taken {
            return true;
        }
        if self.count() >= cap {
            return false;
        }
        if !place.give_back_set {
            if !give_back_at_end() {
                return false;
            }
            place.give_back_set = true;
        }
        place.taken = true;
        self.0.with(|n| n.set(n.get() + 1));
        true
    }

    /// Gives the place back (the work is over).
    pub fn leave(&self, place: &mut Place) {
        if place.taken {
            place.taken = false;
            self.0.with(|n| n.set(n.get().saturating_sub(1)));
        }
    }
}
