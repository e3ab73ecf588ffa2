//! The state of this worker's sync loop, and what every step of it does
//! with that state (log, arm the timer, fail with backoff, close).

use core::ptr;

use fediguard_core::cluster::next_backoff;
use fediguard_core::shm_table::KEY_LEN;
use nginx_sys::{
    ngx_add_timer, ngx_connection_t, ngx_event_t, ngx_log_t, NGX_LOG_ERR, NGX_LOG_NOTICE,
};
use redis::Value;

use super::conf::RedisTarget;
use crate::glue::time::now_ms;
use crate::limit::conf::LimitMain;
use crate::token::conf::TokenMain;

/// What the loop shares with the request path: the zones marked `sync`,
/// and where Redis is. All of it lives as long as the cycle.
#[derive(Clone, Copy)]
pub struct Shared {
    pub redis: &'static RedisTarget,
    pub limits: &'static LimitMain,
    pub tokens: &'static TokenMain,
}

impl Shared {
    /// Any zone is marked `sync`.
    pub fn any_sync(&self) -> bool {
        self.limits.zones.iter().any(|z| z.is_sync()) || self.tokens.sync_zone().is_some()
    }
}

/// What each reply of a round answers.
pub enum Expect {
    Greeting(&'static str),
    SetSecret,
    Secret,
    Limit {
        zone: usize,
        keys: Vec<[u8; KEY_LEN]>,
    },
    Verdicts,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No round under way.
    Idle,
    /// A round is sent or being answered.
    Busy,
}

/// The sync loop of this worker.
pub struct Sync {
    pub shared: Shared,
    /// Folds a round's replies in (the round's, set at start).
    pub on_replies: fn(&mut Sync, Vec<Value>) -> Result<(), String>,
    pub tick: ngx_event_t,
    /// The connection's own log: a copy of the cycle's that stays quiet
    /// below `crit`, so a refused connect is not logged at every attempt
    /// (the state change is logged once, by us).
    pub quiet_log: ngx_log_t,
    pub conn: *mut ngx_connection_t,
    pub phase: Phase,
    /// AUTH and SELECT were sent on this connection.
    pub greeted: bool,
    pub out: Vec<u8>,
    pub sent: usize,
    pub input: Vec<u8>,
    pub expect: Vec<Expect>,
    pub round_started: u64,
    /// The cluster's fingerprint secret has been taken into the zones.
    pub adopted: bool,
    /// The last verdict read from the stream.
    pub last_id: String,
    /// None before the first outcome; then whether Redis answered.
    pub up: Option<bool>,
    pub backoff_ms: u64,
    pub next_connect: u64,
    /// The worker is shutting down: no more rounds.
    pub stopped: bool,
}

fn log_to(log: *mut ngx_log_t, level: u32, msg: &str) {
    crate::glue::log::write(log, level as usize, msg);
}

impl Sync {
    pub fn log(&self, level: u32, msg: &str) {
        // SAFETY: ngx_cycle is the worker's current cycle.
        unsafe { log_to((*nginx_sys::ngx_cycle).log, level, msg) };
    }

    pub fn redis_name(&self) -> &str {
        self.shared.redis.name.as_str()
    }

    pub fn sync_ms(&self) -> u64 {
        self.shared.redis.conf.sync_ms
    }

    pub fn timeout_ms(&self) -> u64 {
        self.shared.redis.conf.timeout_ms
    }

    /// The worker is leaving (reload, shutdown): close, and no more rounds.
    pub fn stop(&mut self) {
        self.close();
        self.stopped = true;
        if self.tick.timer_set() != 0 {
            // SAFETY: the event is ours and its timer is set.
            unsafe { nginx_sys::ngx_del_timer(&mut self.tick) };
        }
    }

    pub fn arm(&mut self, ms: u64) {
        if self.stopped {
            return;
        }
        // SAFETY: the event lives in this leaked box for the process's life.
        unsafe { ngx_add_timer(&mut self.tick, ms.max(1) as _) };
    }

    /// A round ended well: Redis is there.
    pub fn round_done(&mut self) {
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
    pub fn fail(&mut self, why: &str) {
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

    pub fn close(&mut self) {
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
