//! The worker process as nginx describes it: which process this is,
//! whether it is leaving, and the cycle's error log.

use nginx_sys::ngx_log_t;

/// This process is worker 0 (or nginx runs without a master): not another
/// worker, not the cache manager or loader (which run init_process too).
pub fn is_first_worker() -> bool {
    // SAFETY: words nginx sets before init_process and that only this
    // process's own (single) thread reads and writes.
    let (process, worker) = unsafe { (nginx_sys::ngx_process as u32, nginx_sys::ngx_worker) };
    let worker_process =
        process == nginx_sys::NGX_PROCESS_WORKER || process == nginx_sys::NGX_PROCESS_SINGLE;
    worker_process && worker == 0
}

/// The worker is shutting down or leaving (reload, stop, quit).
pub fn exiting() -> bool {
    // SAFETY: as above; set by nginx's signal handling between events.
    unsafe {
        nginx_sys::ngx_exiting != 0 || nginx_sys::ngx_terminate != 0 || nginx_sys::ngx_quit != 0
    }
}

/// The current cycle's error log (for events and pools made at run time:
/// it lives as long as the cycle, which a worker never outlives).
pub(super) fn cycle_log() -> *mut ngx_log_t {
    // SAFETY: ngx_cycle is the process's current cycle (or null), set
    // before any module code runs in a worker; only this thread uses it.
    unsafe {
        let cycle = nginx_sys::ngx_cycle;
        cycle.as_ref().map_or(core::ptr::null_mut(), |c| c.log)
    }
}

/// Writes `msg` at `level` to the current cycle's error log.
pub fn log(level: usize, msg: &str) {
    super::log::write(cycle_log(), level, msg);
}
