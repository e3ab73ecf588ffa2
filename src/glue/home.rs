//! Where a worker's event-driven state lives: a cell leaked for the
//! process's life, that nginx's event handlers (timers, connections) reach
//! through [`Home::with`].
//!
//! Ownership: the state is set once and never freed; a worker process ends
//! with its event loop, and no event can fire after that. The cell is a
//! `RefCell`: an event that fired while the state is already borrowed (it
//! does not happen: nginx calls event handlers from its event loop only, never
//! from inside the calls made here) would be dropped and logged, rather than
//! give out a second `&mut`.

use core::cell::{OnceCell, RefCell};

/// A handle on state that lives as long as the process. Copy: timers and
/// connections keep one to call back into the state.
pub struct Home<T: 'static> {
    cell: &'static OnceCell<RefCell<T>>,
}

impl<T: 'static> Clone for Home<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for Home<T> {}

impl<T: 'static> Home<T> {
    /// An empty home, leaked: callbacks that fire before [`Home::set`]
    /// find nothing and do nothing.
    pub fn leak() -> Home<T> {
        Home {
            cell: Box::leak(Box::new(OnceCell::new())),
        }
    }

    /// Moves the state in; Err(state) if it was set already.
    pub fn set(self, state: T) -> Result<(), T> {
        self.cell
            .set(RefCell::new(state))
            .map_err(RefCell::into_inner)
    }

    /// Runs `f` on the state; false when there is none yet or when it is
    /// borrowed already (re-entered: logged as an alert, `f` not run).
    pub fn with(self, f: impl FnOnce(&mut T)) -> bool {
        let Some(cell) = self.cell.get() else {
            return false;
        };
        let Ok(mut state) = cell.try_borrow_mut() else {
            super::worker::log(
                nginx_sys::NGX_LOG_ALERT as usize,
                "fediguard: an event re-entered its handler's state; ignored",
            );
            return false;
        };
        f(&mut state);
        true
    }
}
