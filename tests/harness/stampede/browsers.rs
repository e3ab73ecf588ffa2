//! A steady trickle of people reading the site, open loop: each request
//! starts at its scheduled time whether or not the earlier ones are done
//! (a closed loop would slow down with the site and hide its queue).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::agents::BROWSERS;
use super::fetch::get;
use super::origin::BROWSER_PATHS;

const ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The browser requests of one or more periods.
#[derive(Clone, Debug, Default)]
pub struct Latency {
    /// Requests sent, and those not answered 200.
    pub sent: usize,
    pub failed: usize,
    /// Times (ms) of the answered ones, sorted.
    ms: Vec<f64>,
}

impl Latency {
    fn of(mut ms: Vec<f64>, sent: usize) -> Latency {
        ms.sort_by(f64::total_cmp);
        Latency {
            sent,
            failed: sent.saturating_sub(ms.len()),
            ms,
        }
    }

    /// Both periods' requests together.
    pub fn merge(self, other: &Latency) -> Latency {
        let mut ms = self.ms;
        ms.extend_from_slice(&other.ms);
        Latency::of(ms, self.sent + other.sent)
    }

    fn quantile(&self, q: f64) -> f64 {
        if self.ms.is_empty() {
            return 0.0;
        }
        let i = ((self.ms.len() as f64 * q).ceil() as usize).clamp(1, self.ms.len()) - 1;
        self.ms[i]
    }

    pub fn p50(&self) -> f64 {
        self.quantile(0.50)
    }

    pub fn p99(&self) -> f64 {
        self.quantile(0.99)
    }
}

/// `n` browser requests one after the other, not measured.
pub fn warm_up(port: u16, n: usize, timeout: Duration) {
    for k in 0..n {
        get(
            port,
            BROWSER_PATHS[k % BROWSER_PATHS.len()],
            BROWSERS[k % BROWSERS.len()],
            ACCEPT,
            timeout,
        );
    }
}

pub struct Trickle {
    stop: Arc<AtomicBool>,
    scheduler: JoinHandle<(Vec<f64>, usize)>,
}

impl Trickle {
    /// Starts `per_sec` requests a second, in turn over the site's pages.
    pub fn start(port: u16, per_sec: f64, timeout: Duration) -> Trickle {
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let period = Duration::from_secs_f64(1.0 / per_sec.max(0.1));
        let scheduler = std::thread::spawn(move || {
            let start = Instant::now();
            let mut requests: Vec<JoinHandle<Option<f64>>> = Vec::new();
            let mut k: u32 = 0;
            while !stop2.load(Ordering::Relaxed) {
                let due = start + period * k;
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let (path, agent) = (
                    BROWSER_PATHS[k as usize % BROWSER_PATHS.len()],
                    BROWSERS[k as usize % BROWSERS.len()],
                );
                let spawned = std::thread::Builder::new()
                    .stack_size(128 * 1024)
                    .spawn(move || {
                        let f = get(port, path, agent, ACCEPT, timeout);
                        (f.status == 200).then_some(f.elapsed.as_secs_f64() * 1000.0)
                    });
                if let Ok(h) = spawned {
                    requests.push(h);
                }
                k += 1;
            }
            let sent = requests.len();
            let ms = requests
                .into_iter()
                .filter_map(|h| h.join().ok().flatten())
                .collect();
            (ms, sent)
        });
        Trickle { stop, scheduler }
    }

    /// Stops sending and waits for the answers.
    pub fn stop(self) -> Latency {
        self.stop.store(true, Ordering::Relaxed);
        let (ms, sent) = self.scheduler.join().unwrap_or_default();
        Latency::of(ms, sent)
    }
}
