//! The instances: each one, at its own (jittered) time, fetches the post's
//! page, reads the og:image it names and fetches that, as Mastodon's
//! FetchLinkCardService does; some fetch it all a second time.

use std::time::{Duration, Instant};

use super::agents::{self, page_agent, Instance};
use super::fetch::{complete, get, og_image, Fetched};
use super::origin::POST_PATH;
use super::rng::Rng;
use super::Scenario;

/// Mastodon asks for the page with `Accept: text/html`.
const ACCEPT_PAGE: &str = "text/html";
const ACCEPT_IMAGE: &str = "image/avif,image/webp,image/*,*/*;q=0.8";

/// When one instance fetches (compressed), and whether it comes back.
pub struct Planned {
    pub instance: Instance,
    pub at: Duration,
    pub repeat_after: Option<Duration>,
}

/// The same schedule for the same scenario and seed.
pub fn plan(s: &Scenario) -> Vec<Planned> {
    let mut rng = Rng::new(s.seed);
    let speed = s.speed.max(1) as f64;
    let wave = |rng: &mut Rng, offset: usize, n: usize, base: f64| {
        agents::instances(rng, offset, n)
            .into_iter()
            .map(|instance| {
                let at = base + rng.between(s.jitter.0, s.jitter.1);
                let repeat = rng.between(0.0, 1.0) < s.repeat_share;
                let after = rng.between(1.0, 10.0);
                Planned {
                    instance,
                    at: Duration::from_secs_f64(at / speed),
                    repeat_after: repeat.then(|| Duration::from_secs_f64(after / speed)),
                }
            })
            .collect::<Vec<_>>()
    };
    let mut all = wave(&mut rng, 0, s.instances, 0.0);
    all.extend(wave(&mut rng, s.instances, s.boost, s.boost_at));
    all
}

/// What one instance got.
pub struct Result {
    /// A complete preview: page and image (on the first or second try).
    pub preview: bool,
    pub repeated: bool,
    /// The second fetch of the page was refused (4xx/5xx).
    pub repeat_refused: bool,
    /// (status, bytes received) of every request.
    pub fetches: Vec<(u16, usize)>,
}

/// Runs every planned instance in a thread of its own (they do not wait
/// for each other, as real servers do not) and waits for all. Each thread
/// is started when its instance is due: a thousand threads started at once
/// would be a burst of the simulator's own making.
pub fn run(port: u16, plan: &[Planned], s: &Scenario) -> Vec<Result> {
    let start = Instant::now();
    let timeout = s.timeout;
    let mut order: Vec<&Planned> = plan.iter().collect();
    order.sort_by_key(|p| p.at);
    let mut handles = Vec::with_capacity(order.len());
    for p in order {
        if let Some(wait) = (start + p.at).checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let (agent, repeat) = (p.instance.agent.clone(), p.repeat_after);
        handles.push(
            std::thread::Builder::new()
                .stack_size(128 * 1024)
                .spawn(move || one(port, &agent, repeat, timeout)),
        );
    }
    handles
        .into_iter()
        .map(|h| {
            h.ok().and_then(|h| h.join().ok()).unwrap_or(Result {
                preview: false,
                repeated: false,
                repeat_refused: false,
                fetches: Vec::new(),
            })
        })
        .collect()
}

fn one(port: u16, agent: &str, repeat: Option<Duration>, timeout: Duration) -> Result {
    // Real instances fetch from their own machines; here their threads
    // share the cores with nginx and the browsers being measured, so they
    // yield the CPU first (on Linux a thread's nice value is its own).
    // SAFETY: setpriority on the calling thread; a failure changes nothing.
    unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
    let mut fetches = Vec::new();
    let (mut preview, _) = preview_once(port, agent, timeout, &mut fetches);
    let mut repeat_refused = false;
    if let Some(after) = repeat {
        std::thread::sleep(after);
        let (again, page_status) = preview_once(port, agent, timeout, &mut fetches);
        preview |= again;
        repeat_refused = page_status >= 400;
    }
    Result {
        preview,
        repeated: repeat.is_some(),
        repeat_refused,
        fetches,
    }
}

/// The page, then its og:image: (complete preview, the page's status).
fn preview_once(
    port: u16,
    agent: &str,
    timeout: Duration,
    fetches: &mut Vec<(u16, usize)>,
) -> (bool, u16) {
    let page = get(port, POST_PATH, &page_agent(agent), ACCEPT_PAGE, timeout);
    fetches.push((page.status, page.bytes));
    let image_path = complete(&page)
        .then(|| page.response.as_ref().and_then(|r| og_image(&r.body)))
        .flatten();
    let Some(image_path) = image_path else {
        return (false, page.status);
    };
    let image = get(port, &image_path, agent, ACCEPT_IMAGE, timeout);
    fetches.push((image.status, image.bytes));
    (is_image(&image), page.status)
}

fn is_image(f: &Fetched) -> bool {
    let ctype = f
        .response
        .as_ref()
        .and_then(|r| r.header("Content-Type"))
        .unwrap_or("");
    complete(f) && ctype.starts_with("image/")
}
