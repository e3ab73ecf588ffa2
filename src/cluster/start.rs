//! Starting the sync loop (worker 0 of each host), and its timer.

use core::ptr;

use nginx_sys::{ngx_add_timer, ngx_cycle_t, ngx_event_t};

use super::link::Link;
use super::peer::Sentinels;
use super::sync::{keep_line, Phase, Shared, Sync};
use super::{round, sentinel};

/// Starts the sync loop in worker 0 when any zone is `sync`.
///
/// # Safety
/// Called by nginx in a worker's init_process with its cycle.
pub unsafe fn init_process(cycle: *mut ngx_cycle_t, shared: Shared) {
    // Workers only (not the cache manager, which runs init_process too),
    // or nginx without a master.
    let process = nginx_sys::ngx_process as u32;
    let worker =
        process == nginx_sys::NGX_PROCESS_WORKER || process == nginx_sys::NGX_PROCESS_SINGLE;
    if !shared.any_sync() || !worker || nginx_sys::ngx_worker != 0 {
        return;
    }
    let sentinels = shared.redis.is_sentinel().then(Sentinels::new);
    let s = Box::new(Sync {
        shared,
        on_replies: round::apply,
        on_sentinel: sentinel::answered,
        tick: core::mem::zeroed(),
        quiet_log: *(*cycle).log,
        io_error: String::new(),
        data: Link::new(),
        sentinels,
        phase: Phase::Idle,
        greeted: false,
        expect: Vec::new(),
        round_started: 0,
        adopted: false,
        last_id: "0-0".to_string(),
        up: None,
        backoff_ms: 0,
        next_connect: 0,
        stopped: false,
    });
    let s = Box::into_raw(s);
    // Everything nginx says about the connections (down to `info`: a
    // refused connect, a failed handshake) is kept, not written.
    (*s).quiet_log.log_level = nginx_sys::NGX_LOG_INFO as _;
    (*s).quiet_log.writer = Some(keep_line);
    (*s).quiet_log.wdata = ptr::addr_of_mut!((*s).io_error).cast();
    (*s).quiet_log.next = ptr::null_mut();
    (*s).quiet_log.handler = None;
    (*s).quiet_log.action = ptr::null_mut();
    if let Some(w) = (*s).sentinels.as_mut() {
        w.timer.handler = Some(sentinel::on_timeout);
        w.timer.data = s.cast();
        w.timer.log = (*cycle).log;
        w.timer.set_cancelable(1);
    }
    (*s).tick.handler = Some(on_tick);
    (*s).tick.data = s.cast();
    (*s).tick.log = (*cycle).log;
    // Never holds up a graceful shutdown.
    (*s).tick.set_cancelable(1);
    ngx_add_timer(&mut (*s).tick, 1);
}

unsafe extern "C" fn on_tick(ev: *mut ngx_event_t) {
    let Some(s) = (*ev).data.cast::<Sync>().as_mut() else {
        return;
    };
    if s.stopped
        || nginx_sys::ngx_exiting != 0
        || nginx_sys::ngx_terminate != 0
        || nginx_sys::ngx_quit != 0
    {
        s.stop();
        return;
    }
    match s.phase {
        // The round outlived its timeout.
        Phase::Busy => s.fail("timed out"),
        Phase::Idle => round::start(s),
    }
}
