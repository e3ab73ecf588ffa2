//! Starting the sync loop (worker 0 of each host), and its timer.

use super::link::Link;
use super::peer::Sentinels;
use super::sync::{Phase, Shared, Sync};
use super::{round, sentinel};
use crate::glue::home::Home;
use crate::glue::quiet_log::QuietLog;
use crate::glue::timer::Timer;
use crate::glue::worker;

/// Starts the sync loop in worker 0 when any zone is `sync`. Called in a
/// worker's init_process. The loop is leaked for the process's life (its
/// [`Home`]): a worker ends with its event loop.
pub fn init_process(shared: Shared) {
    // Workers only (not the cache manager, which runs init_process too),
    // or nginx without a master.
    if !shared.any_sync() || !worker::is_first_worker() {
        return;
    }
    let home: Home<Sync> = Home::leak();
    let sentinels = shared
        .redis
        .is_sentinel()
        .then(|| Sentinels::new(home, sentinel::on_timeout));
    let s = Sync {
        home,
        shared,
        on_replies: round::apply,
        on_sentinel: sentinel::answered,
        // Never holds up a graceful shutdown (glue's timers are cancelable).
        tick: Timer::new(home, on_tick),
        // Everything nginx says about the connections (down to `info`: a
        // refused connect, a failed handshake) is kept, not written.
        quiet_log: QuietLog::leak(),
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
    };
    if home.set(s).is_ok() {
        home.with(|s| s.tick.add(1));
    }
}

fn on_tick(s: &mut Sync) {
    if s.stopped || worker::exiting() {
        s.stop();
        return;
    }
    match s.phase {
        // The round outlived its timeout.
        Phase::Busy => s.fail("timed out"),
        Phase::Idle => round::start(s),
    }
}
