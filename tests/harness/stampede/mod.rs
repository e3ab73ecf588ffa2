//! The link-preview stampede simulator: replays the seed measurement (one
//! post, about 500 instances each fetching the page and its og:image with
//! Mastodon's random 1-59 s delay, then a boost wave as large) against nginx
//! on loopback, time-compressed, with a steady trickle of browsers, in front
//! of a small simulated site that counts what reaches it.
//!
//! Everything is bounded: a fixed number of instances and browser requests,
//! a timeout on every request, loopback only; a run stops by itself.
//! Used by `tests/stampede.rs` (small scale) and the `stampede` binary that
//! `make bench` runs (full scale).

mod agents;
mod browsers;
mod fetch;
mod instances;
pub mod origin;
pub mod report;
mod rng;
pub mod setups;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::nginx::Nginx;
pub use browsers::Latency;
use origin::{Count, Origin, SiteModel, IMAGE_PATH, POST_PATH};
pub use setups::Setup;

/// What is replayed. Times are real (uncompressed) seconds; `speed`
/// divides them, and multiplies website.conf's rates to match.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Instances that fetch when the post arrives.
    pub instances: usize,
    /// Further instances that fetch when a bigger instance boosts it.
    pub boost: usize,
    /// When the boost happens, after the post.
    pub boost_at: f64,
    /// Mastodon delays each fetch by 1 to 59 s (random, uniform).
    pub jitter: (f64, f64),
    /// Share of instances that fetch the link a second time, 1-10 s after
    /// their first preview (another status with the link, a retry).
    pub repeat_share: f64,
    /// Time compression.
    pub speed: u32,
    /// Browser requests per (real) second, during the stampede and in the
    /// quiet periods measured before and after it (half its span each, so
    /// that a drift of the machine's load weighs on both sides alike).
    pub browsers_per_sec: f64,
    pub site: SiteModel,
    /// Per request, in wall time: not compressed, so that a busy machine
    /// does not fail previews a real one would not.
    pub timeout: Duration,
    pub seed: u64,
}

impl Scenario {
    /// The seed story: 500 instances and a boost that doubles them,
    /// 10 times faster than real time (the stampede lasts about 13 s):
    /// faster, the simulator's own threads crowd nginx and the browsers
    /// off the 2 cores and the browser latencies measure the load generator.
    pub fn full() -> Scenario {
        Scenario {
            instances: 500,
            boost: 500,
            boost_at: 60.0,
            jitter: (1.0, 59.0),
            repeat_share: 0.05,
            speed: 10,
            browsers_per_sec: 5.0,
            site: SiteModel::default(),
            timeout: Duration::from_secs(10),
            seed: 2018,
        }
    }

    /// A small stampede for `make test`: 100 + 50 instances, 20 times
    /// faster, the boost after 30 s (the stampede lasts about 4.5 s).
    pub fn small() -> Scenario {
        Scenario {
            instances: 100,
            boost: 50,
            boost_at: 30.0,
            browsers_per_sec: 2.0,
            ..Scenario::full()
        }
    }

    /// How long the stampede lasts, compressed.
    fn span(&self) -> Duration {
        let end = self.jitter.1 + if self.boost > 0 { self.boost_at } else { 0.0 };
        Duration::from_secs_f64(end / self.speed.max(1) as f64)
    }
}

/// What one setup did under the stampede.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub setup: Setup,
    /// Instances, and those that got a complete preview (page and image).
    pub instances: usize,
    pub previews: usize,
    /// Requests the instances sent, by status (0: no answer).
    pub statuses: BTreeMap<u16, usize>,
    /// Second fetches of the same URL by the same instance, and how many
    /// of them were refused.
    pub repeats: usize,
    pub repeats_refused: usize,
    /// What the instances' requests cost the site: the page, the image,
    /// and every non-browser request.
    pub origin_page: Count,
    pub origin_image: Count,
    pub origin_fetchers: Count,
    /// Browser requests that reached the site (all of them should).
    pub origin_browser_requests: u64,
    /// Bytes nginx sent to the instances (heads and bodies).
    pub sent_to_fetchers: u64,
    pub browsers_quiet: Latency,
    pub browsers_stampede: Latency,
    /// Seconds the stampede phase took.
    pub seconds: f64,
}

impl Outcome {
    /// Origin requests the post's URLs (page and image) cost.
    pub fn origin_requests(&self) -> u64 {
        self.origin_page.requests + self.origin_image.requests
    }

    pub fn preview_share(&self) -> f64 {
        if self.instances == 0 {
            return 0.0;
        }
        self.previews as f64 / self.instances as f64
    }
}

/// Runs the scenario against one setup: a new site, a new nginx, browsers
/// alone for half the stampede's span, the stampede with the browsers, and
/// browsers alone again for the other half.
pub fn run(setup: Setup, s: &Scenario) -> Outcome {
    let speed = s.speed.max(1);
    let origin = Origin::start(&s.site, speed as f64);
    let nginx = Nginx::start_text(2, |dir, port| {
        setups::conf(setup, dir, port, origin.port, speed)
    });
    let browser_rate = s.browsers_per_sec * speed as f64;
    // Connections and worker start-up are not what is measured.
    browsers::warm_up(nginx.port, 20, s.timeout);

    let quiet = browsers::Trickle::start(nginx.port, browser_rate, s.timeout);
    std::thread::sleep(s.span() / 2);
    let quiet_before = quiet.stop();

    let before = (origin.total(false), origin.total(true));
    let start = Instant::now();
    let trickle = browsers::Trickle::start(nginx.port, browser_rate, s.timeout);
    let plan = instances::plan(s);
    let results = instances::run(nginx.port, &plan, s);
    // Browsers go on for at least the stampede's span.
    let left = s.span().saturating_sub(start.elapsed());
    std::thread::sleep(left);
    let browsers_stampede = trickle.stop();
    let seconds = start.elapsed().as_secs_f64();

    let mut statuses = BTreeMap::new();
    let mut sent = 0u64;
    for r in &results {
        for (status, bytes) in &r.fetches {
            *statuses.entry(*status).or_insert(0) += 1;
            sent += *bytes as u64;
        }
    }
    let after = (origin.total(false), origin.total(true));
    let quiet = browsers::Trickle::start(nginx.port, browser_rate, s.timeout);
    std::thread::sleep(s.span() / 2);
    let browsers_quiet = quiet_before.merge(&quiet.stop());
    drop(nginx);
    Outcome {
        setup,
        instances: results.len(),
        previews: results.iter().filter(|r| r.preview).count(),
        statuses,
        repeats: results.iter().filter(|r| r.repeated).count(),
        repeats_refused: results.iter().filter(|r| r.repeat_refused).count(),
        origin_page: origin.count(POST_PATH, false),
        origin_image: origin.count(IMAGE_PATH, false),
        origin_fetchers: Count {
            requests: after.0.requests - before.0.requests,
            bytes: after.0.bytes - before.0.bytes,
        },
        origin_browser_requests: after.1.requests - before.1.requests,
        sent_to_fetchers: sent,
        browsers_quiet,
        browsers_stampede,
        seconds,
    }
}
