//! The state of this worker's sync loop, and what every step of it does
//! with that state (log, arm the timer, fail with backoff, close).

use fediguard_core::cluster::next_backoff;
use fediguard_core::shm_table::KEY_LEN;
use nginx_sys::{NGX_LOG_ERR, NGX_LOG_NOTICE};
use redis::Value;

use super::conf::RedisTarget;
use super::link::Link;
use super::peer::Sentinels;
use crate::glue::home::Home;
use crate::glue::quiet_log::QuietLog;
use crate::glue::time::now_ms;
use crate::glue::timer::Timer;
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
    /// HELLO's role: the server must be the master (Sentinel mode).
    Role,
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

/// The sync loop of this worker. Ownership: it lives in its [`Home`],
/// leaked for the worker process's life (see `start`); its timers and
/// connections are its own and reach it through that home.
pub struct Sync {
    /// Where this loop lives (for the connections it opens).
    pub home: Home<Sync>,
    pub shared: Shared,
    /// Folds a round's replies in (the round's, set at start).
    pub on_replies: fn(&mut Sync, Vec<Value>) -> Result<(), String>,
    /// What a sentinel answered, or why it did not (set at start).
    pub on_sentinel: fn(&mut Sync, Result<Vec<Value>, String>),
    pub tick: Timer<Sync>,
    /// The connections' own log: a copy of the cycle's whose lines are
    /// kept rather than written, so that a refused connect or a failed
    /// handshake is not logged at every attempt (the state change is
    /// logged once, by us, with that line as its reason).
    pub quiet_log: &'static QuietLog,
    /// The Redis server (or the master).
    pub data: Link<Sync>,
    /// Sentinel mode: the sentinels, and the master they named.
    pub sentinels: Option<Sentinels<Sync>>,
    pub phase: Phase,
    /// AUTH and SELECT were sent on this connection.
    pub greeted: bool,
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

impl Sync {
    pub fn log(&self, level: u32, msg: &str) {
        crate::glue::worker::log(level as usize, msg);
    }

    /// The server for log lines: `host:port`, `unix:/path`, or the
    /// master's name and, once known, its address.
    pub fn redis_name(&self) -> String {
        let name = &self.shared.redis.name;
        match self.sentinels.as_ref().and_then(|s| s.master.as_ref()) {
            Some(m) => format!("{name} at {}", m.text),
            None => name.clone(),
        }
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
        if let Some(s) = self.sentinels.as_mut() {
            s.close();
        }
        self.stopped = true;
        self.tick.del();
    }

    pub fn arm(&mut self, ms: u64) {
        if self.stopped {
            return;
        }
        self.tick.add(ms.max(1));
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

    /// Connecting or a round failed: decide locally, try again later. In
    /// Sentinel mode the master is forgotten: the sentinels are asked
    /// again before the next attempt (a failover, a demoted master).
    pub fn fail(&mut self, why: &str) {
        self.close();
        if self.up != Some(false) {
            let after = if self.sentinels.is_some() {
                "asking the sentinels again; "
            } else {
                ""
            };
            self.log(
                NGX_LOG_ERR,
                &format!(
                    "fediguard: redis {} unavailable ({why}), {after}deciding locally until it is back",
                    self.redis_name()
                ),
            );
        }
        if let Some(s) = self.sentinels.as_mut() {
            if let Some(m) = s.master.take() {
                s.failed = Some(m.text.clone());
            }
        }
        self.up = Some(false);
        self.backoff_ms = next_backoff(self.backoff_ms, self.sync_ms());
        self.next_connect = now_ms().saturating_add(self.backoff_ms);
        self.phase = Phase::Idle;
        self.arm(self.sync_ms());
    }

    /// Closes the data connection; what was under way on it is dropped.
    pub fn close(&mut self) {
        self.data.close();
        self.greeted = false;
        self.expect.clear();
    }
}
