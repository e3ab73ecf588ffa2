//! nginx's cached clock.

use nginx_sys::ngx_current_msec;

/// nginx's current time in milliseconds (updated once per event loop
/// iteration: no system call).
pub fn now_ms() -> u64 {
    // SAFETY: nginx updates this word in the worker's own thread.
    unsafe { core::ptr::read_volatile(core::ptr::addr_of!(ngx_current_msec)) as u64 }
}
