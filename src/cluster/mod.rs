//! Cluster mode on nginx's event loop: one worker per host (worker 0) runs
//! the sync rounds with Redis; every worker decides from shared memory and
//! never waits for Redis.
//!
//! A round every `sync` interval (an nginx timer): take the charges and
//! verdicts marked in the `sync` zones, send them in one pipeline over a
//! non-blocking connection (`ngx_event_connect_peer`), read the replies as
//! they come (read events), fold the cluster's state into the zones. A
//! round that fails or outlives `timeout` closes the connection; the next
//! attempt waits a backoff that doubles up to 5 s. The change between
//! "connected" and "unavailable" is logged once each way.

mod conn;
mod round;

use core::ptr;

use fediguard_core::cluster::next_backoff;
use nginx_sys::{
    ngx_add_timer, ngx_connection_t, ngx_cycle_t, ngx_event_t, ngx_log_t, NGX_LOG_ERR,
    NGX_LOG_NOTICE,
};
use ngx::http::HttpModuleMainConf;

use crate::conf::MainConf;
use crate::token_check::now_ms;
use crate::Module;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No round under way.
    Idle,
    /// A round is sent or being answered.
    Busy,
}

/// The sync loop of this worker.
pub struct Sync {
    mcf: &'static MainConf,
    tick: ngx_event_t,
    /// The connection's own log: a copy of the cycle's that stays quiet
    /// below `crit`, so a refused connect is not logged at every attempt
    /// (the state change is logged once, by us).
    quiet_log: ngx_log_t,
    conn: *mut ngx_connection_t,
    phase: Phase,
    /// AUTH and SELECT were sent on this connection.
    greeted: bool,
    out: Vec<u8>,
    sent: usize,
    input: Vec<u8>,
    expect: Vec<round::Expect>,
    round_started: u64,
    /// The cluster's fingerprint secret has been taken into the zones.
    adopted: bool,
    /// The last verdict read from the stream.
    last_id: String,
    /// None before the first outcome; then whether Redis answered.
    up: Option<bool>,
    backoff_ms: u64,
    next_connect: u64,
    /// The worker is shutting down: no more rounds.
    stopped: bool,
}

fn log_to(log: *mut ngx_log_t, level: u32, msg: &str) {
    crate::log::write(log, level as usize, msg);
}

/// Starts the sync loop in worker 0 when any zone is `sync`.
///
/// # Safety
/// Called by nginx in a worker's init_process with its cycle.
pub unsafe fn init_process(cycle: *mut ngx_cycle_t) {
    let Some(mcf) = Module::main_conf(&*cycle) else {
        return;
    };
    // Workers only (not the cache manager, which runs init_process too),
    // or nginx without a master.
    let process = nginx_sys::ngx_process as u32;
    let worker =
        process == nginx_sys::NGX_PROCESS_WORKER || process == nginx_sys::NGX_PROCESS_SINGLE;
    if mcf.redis.is_none() || mcf.sync_places.is_empty() || !worker || nginx_sys::ngx_worker != 0 {
        return;
    }
    let s = Box::new(Sync {
        mcf,
        tick: core::mem::zeroed(),
        quiet_log: *(*cycle).log,
        conn: ptr::null_mut(),
        phase: Phase::Idle,
        greeted: false,
        out: Vec::new(),
        sent: 0,
        input: Vec::new(),
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
    (*s).quiet_log.log_level = nginx_sys::NGX_LOG_CRIT as _;
    (*s).tick.handler = Some(on_tick);
    (*s).tick.data = s.cast();
    (*s).tick.log = (*cycle).log;
    // Never holds up a graceful shutdown.
    (*s).tick.set_cancelable(1);
    ngx_add_timer(&mut (*s).tick, 1);
}

impl Sync {
    fn log(&self, level: u32, msg: &str) {
        // SAFETY: ngx_cycle is the worker's current cycle.
        unsafe { log_to((*nginx_sys::ngx_cycle).log, level, msg) };
    }

    fn redis_name(&self) -> &str {
        self.mcf.redis.as_ref().map_or("", |r| r.name.as_str())
    }

    fn sync_ms(&self) -> u64 {
        self.mcf.redis.as_ref().map_or(100, |r| r.conf.sync_ms)
    }

    fn timeout_ms(&self) -> u64 {
        self.mcf.redis.as_ref().map_or(1000, |r| r.conf.timeout_ms)
    }

    /// The worker is leaving (reload, shutdown): close, and no more rounds.
    fn stop(&mut self) {
        self.close();
        self.stopped = true;
        if self.tick.timer_set() != 0 {
            // SAFETY: the event is ours and its timer is set.
            unsafe { nginx_sys::ngx_del_timer(&mut self.tick) };
        }
    }

    fn arm(&mut self, ms: u64) {
        if self.stopped {
            return;
        }
        // SAFETY: the event lives in this leaked box for the process's life.
        unsafe { ngx_add_timer(&mut self.tick, ms.max(1) as _) };
    }

    /// A round ended well: Redis is there.
    fn round_done(&mut self) {
        if self.up != Some(true) {
            self.log(
                NGX_LOG_NOTICE,
                &format!(
                    "fediguard: redis {} connected, sharing sync zones",
                    self.redis_name()
                ),
            );
        }
        self.up = Some(true);
        self.backoff_ms = 0;
        self.phase = Phase::Idle;
        let spent = now_ms().saturating_sub(self.round_started);
        self.arm(self.sync_ms().saturating_sub(spent));
    }

    /// Connecting or a round failed: decide locally, try again later.
    fn fail(&mut self, why: &str) {
        self.close();
        if self.up != Some(false) {
            self.log(
                NGX_LOG_ERR,
                &format!(
                    "fediguard: redis {} unavailable ({why}), deciding locally until it is back",
                    self.redis_name()
                ),
            );
        }
        self.up = Some(false);
        self.backoff_ms = next_backoff(self.backoff_ms, self.sync_ms());
        self.next_connect = now_ms().saturating_add(self.backoff_ms);
        self.phase = Phase::Idle;
        self.arm(self.sync_ms());
    }

    fn close(&mut self) {
        if !self.conn.is_null() {
            // SAFETY: our connection, closed once (the pointer is cleared).
            unsafe { nginx_sys::ngx_close_connection(self.conn) };
            self.conn = ptr::null_mut();
        }
        self.greeted = false;
        self.out.clear();
        self.sent = 0;
        self.input.clear();
        self.expect.clear();
    }
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
