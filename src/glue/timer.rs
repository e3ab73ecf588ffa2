//! A timer on nginx's event loop that calls back into a [`Home`]'s state.
//!
//! The `ngx_event_t` lives in a heap block of its own (nginx links it into
//! its timer tree and writes its flags): the timer is owned by whoever
//! holds the [`Timer`], and dropping it deletes the timer from the tree
//! first. Timers are cancelable: they never hold up a graceful shutdown.

use core::ptr::NonNull;

use nginx_sys::ngx_event_t;

use super::home::Home;

struct Inner<T: 'static> {
    ev: ngx_event_t,
    home: Home<T>,
    on_timer: fn(&mut T),
}

pub struct Timer<T: 'static> {
    inner: NonNull<Inner<T>>,
}

impl<T: 'static> Timer<T> {
    /// A timer, not armed, whose expiry calls `on_timer` with `home`'s state.
    pub fn new(home: Home<T>, on_timer: fn(&mut T)) -> Timer<T> {
        let inner = Box::new(Inner {
            // SAFETY: an event is plain data; zeroed is nginx's own start.
            ev: unsafe { core::mem::zeroed() },
            home,
            on_timer,
        });
        let inner = NonNull::from(Box::leak(inner));
        let p = inner.as_ptr();
        // SAFETY: p is the block just made, ours alone until the timer is
        // armed.
        unsafe {
            (*p).ev.handler = Some(on_timer_event::<T>);
            (*p).ev.data = p.cast();
            (*p).ev.log = super::worker::cycle_log();
            (*p).ev.set_cancelable(1);
        }
        Timer { inner }
    }

    fn ev(&self) -> *mut ngx_event_t {
        // SAFETY: the block lives as long as self; no reference is made.
        unsafe { core::ptr::addr_of_mut!((*self.inner.as_ptr()).ev) }
    }

    /// Arms the timer to fire in `ms` milliseconds (again if it was armed).
    pub fn add(&mut self, ms: u64) {
        // SAFETY: our event, with a handler and a log; this worker's thread.
        unsafe { nginx_sys::ngx_add_timer(self.ev(), ms as _) };
    }

    /// Disarms the timer, if armed.
    pub fn del(&mut self) {
        if self.is_set() {
            // SAFETY: our event, and its timer is set.
            unsafe { nginx_sys::ngx_del_timer(self.ev()) };
        }
    }

    pub fn is_set(&self) -> bool {
        // SAFETY: our event; read between nginx's uses of it.
        unsafe { (*self.ev()).timer_set() != 0 }
    }
}

impl<T: 'static> Drop for Timer<T> {
    fn drop(&mut self) {
        self.del();
        // SAFETY: the block came from Box::leak in new(); nginx no longer
        // knows the event (deleted from the timer tree above).
        drop(unsafe { Box::from_raw(self.inner.as_ptr()) });
    }
}

/// nginx's handler for the timer's event.
///
/// # Safety
/// nginx calls it with an event made by [`Timer::new`], whose data is its
/// block.
unsafe extern "C" fn on_timer_event<T: 'static>(ev: *mut ngx_event_t) {
    // SAFETY: ev's data is the timer's block (set in new()), alive while
    // its timer can fire; copied out, so the callback may drop the timer.
    let (home, on_timer) = unsafe {
        let inner = &*(*ev).data.cast::<Inner<T>>();
        (inner.home, inner.on_timer)
    };
    home.with(on_timer);
}
