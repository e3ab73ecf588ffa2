//! The clients: threads sending a steady mix of requests, one connection
//! each (`Connection: close`), and what each got.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fediguard_tests::http::request_sized;

/// What a request is, and so what the policy answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A browser on a static page: served.
    Browser,
    /// An AI crawler: denied (built-in class `ai`).
    Ai,
    /// An agent named by `fediguard_agent` or the list file: denied.
    Listed,
    /// A fediverse server: served.
    Fediverse,
    /// The public timeline without a token: denied.
    NoToken,
    /// With a token that cannot be read: denied.
    Malformed,
    /// With a user's token: served (the backend knows it).
    User,
    /// With an app-only token: denied.
    App,
    /// With a token the backend does not know: denied.
    Invalid,
    /// With a token never seen before: verified, denied.
    Fresh,
    /// A location with a limit per client: served, or 429 over it.
    Limited,
    /// App registration (`POST /api/v1/apps`, watched, proxied).
    Register,
    /// Its client_credentials grant (`POST /oauth/token`).
    Grant,
}

pub const KINDS: [Kind; 13] = [
    Kind::Browser,
    Kind::Ai,
    Kind::Listed,
    Kind::Fediverse,
    Kind::NoToken,
    Kind::Malformed,
    Kind::User,
    Kind::App,
    Kind::Invalid,
    Kind::Fresh,
    Kind::Limited,
    Kind::Register,
    Kind::Grant,
];

/// How often each kind is picked (Grant follows a Register).
const WEIGHTS: [(Kind, u32); 12] = [
    (Kind::Browser, 15),
    (Kind::Ai, 8),
    (Kind::Listed, 4),
    (Kind::Fediverse, 8),
    (Kind::NoToken, 6),
    (Kind::Malformed, 4),
    (Kind::User, 20),
    (Kind::App, 8),
    (Kind::Invalid, 8),
    (Kind::Fresh, 2),
    (Kind::Limited, 12),
    (Kind::Register, 1),
];

/// What came back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Status(u16),
    /// The connection closed or was reset without an answer.
    Cut,
    /// No answer within the client's timeout.
    Timeout,
    /// Any other error (refused, unreadable).
    Error,
}

#[derive(Clone, Copy, Debug)]
pub struct Record {
    pub kind: Kind,
    pub outcome: Outcome,
    /// Msec since the soak started.
    pub start: u32,
    pub end: u32,
}

pub const USERS: usize = 20;
pub const APPS: usize = 5;
pub const INVALIDS: usize = 20;

pub fn user_token(i: usize) -> String {
    format!("SoakUser{i:02}Token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
}

pub fn app_token(i: usize) -> String {
    format!("SoakApp{i:02}Token-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
}

fn invalid_token(i: usize) -> String {
    format!("SoakInvalid{i:02}Token-cccccccccccccccccccccccccccccc")
}

/// A small xorshift generator: the mix is the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
const GPTBOT: &str =
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.1; +https://openai.com/gptbot";
const MASTODON: &str = "Mastodon/4.4.1 (http.rb/5.3.1; +https://example.social/)";

fn get(path: &str, headers: &[(&str, String)]) -> Vec<u8> {
    let mut raw = format!("GET {path} HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n");
    for (n, v) in headers {
        raw.push_str(&format!("{n}: {v}\r\n"));
    }
    raw.push_str("\r\n");
    raw.into_bytes()
}

fn post(path: &str, form: &str, client: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: soak\r\nConnection: close\r\nX-Client: {client}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )
    .into_bytes()
}

/// One client thread's state.
struct Client {
    id: usize,
    port: u16,
    rng: Rng,
    start: Instant,
    fresh: u64,
    records: Vec<Record>,
}

const TIMEOUT: Duration = Duration::from_secs(30);

impl Client {
    fn now(&self) -> u32 {
        self.start.elapsed().as_millis() as u32
    }

    /// Sends one request and records it; returns the body of a 200.
    fn send(&mut self, kind: Kind, raw: &[u8]) -> Option<Vec<u8>> {
        let start = self.now();
        let result = request_sized(self.port, raw, TIMEOUT);
        let end = self.now();
        let (outcome, body) = match result {
            Ok((r, _)) => (
                Outcome::Status(r.status),
                (r.status == 200).then_some(r.body),
            ),
            Err(e) => (
                match e.kind() {
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                        Outcome::Timeout
                    }
                    std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
                    // Closed before a whole head came: the parse fails.
                    | std::io::ErrorKind::InvalidData => Outcome::Cut,
                    _ => Outcome::Error,
                },
                None,
            ),
        };
        self.records.push(Record {
            kind,
            outcome,
            start,
            end,
        });
        body
    }

    fn pick(&mut self) -> Kind {
        let total: u32 = WEIGHTS.iter().map(|(_, w)| w).sum();
        let mut x = self.rng.below(total as u64) as u32;
        for (k, w) in WEIGHTS {
            if x < w {
                return k;
            }
            x -= w;
        }
        Kind::Browser
    }

    fn one(&mut self) {
        let kind = self.pick();
        let bearer = |t: String| ("Authorization", format!("Bearer {t}"));
        let me = format!("c{}", self.id);
        let timeline = "/api/v1/timelines/public";
        let raw = match kind {
            Kind::Browser => get("/static/page", &[("User-Agent", FIREFOX.into())]),
            Kind::Ai => get("/static/page", &[("User-Agent", GPTBOT.into())]),
            Kind::Listed => {
                let agent = ["SoakBot/2.0", "ListedBot/1.0 (+https://bot.example)"]
                    [self.rng.below(2) as usize];
                get("/static/page", &[("User-Agent", agent.into())])
            }
            Kind::Fediverse => get("/static/page", &[("User-Agent", MASTODON.into())]),
            Kind::NoToken => get(timeline, &[("X-Client", me)]),
            Kind::Malformed => get(timeline, &[("Authorization", "Bearer a b".into())]),
            Kind::User => {
                let t = user_token(self.rng.below(USERS as u64) as usize);
                get(timeline, &[bearer(t), ("X-Client", me)])
            }
            Kind::App => {
                let t = app_token(self.rng.below(APPS as u64) as usize);
                get(timeline, &[bearer(t), ("X-Client", me)])
            }
            Kind::Invalid => {
                let t = invalid_token(self.rng.below(INVALIDS as u64) as usize);
                get(timeline, &[bearer(t), ("X-Client", me)])
            }
            Kind::Fresh => {
                self.fresh += 1;
                let t = format!(
                    "SoakFresh{}x{}Token-ddddddddddddddddddddddddd",
                    self.id, self.fresh
                );
                // In the query string, as some clients send it.
                get(
                    &format!("{timeline}?local=true&access_token={t}"),
                    &[("X-Client", format!("f{}", self.id))],
                )
            }
            Kind::Limited => {
                let key = format!("l{}-{}", self.id, self.rng.below(2));
                get("/limited/x", &[("X-Client", key)])
            }
            Kind::Register | Kind::Grant => {
                let n = self.rng.next() % 1_000_000;
                let form = format!(
                    "client_name=Soak%20App%20{n}&redirect_uris=urn:ietf:wg:oauth:2.0:oob&scopes=read&website=https://app{n}.example"
                );
                let Some(body) = self.send(Kind::Register, &post("/api/v1/apps", &form, &me))
                else {
                    return;
                };
                let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
                    return;
                };
                let (id, secret) = (v["client_id"].as_str(), v["client_secret"].as_str());
                if let (Some(id), Some(secret)) = (id, secret) {
                    let form = format!(
                        "grant_type=client_credentials&client_id={id}&client_secret={secret}"
                    );
                    self.send(Kind::Grant, &post("/oauth/token", &form, &me));
                }
                return;
            }
        };
        self.send(kind, &raw);
    }
}

/// Client threads, until `stop` or their deadline.
pub struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<Vec<Record>>>,
}

impl Load {
    /// `rate`: requests a second, all clients together (steady: a client
    /// that fell behind, waiting on a slow answer, does not make it up).
    pub fn start(port: u16, clients: usize, rate: u32, start: Instant, deadline: Instant) -> Load {
        let every = Duration::from_secs_f64(clients as f64 / rate.max(1) as f64);
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..clients)
            .map(|id| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut c = Client {
                        id,
                        port,
                        rng: Rng::new(id as u64 + 1),
                        start,
                        fresh: 0,
                        records: Vec::new(),
                    };
                    // Spread over the interval, bounded by the deadline.
                    let mut next = Instant::now() + every.mul_f64(id as f64 / clients as f64);
                    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                        let now = Instant::now();
                        if next > now {
                            std::thread::sleep(next - now);
                        } else if now - next > Duration::from_secs(1) {
                            next = now;
                        }
                        next += every;
                        c.one();
                    }
                    c.records
                })
            })
            .collect();
        Load { stop, threads }
    }

    pub fn finish(self) -> Vec<Record> {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = Vec::new();
        for t in self.threads {
            all.extend(t.join().expect("client thread"));
        }
        all
    }
}

/// A request of each kind, once: for the check after the faults stop.
pub fn one_of_each(port: u16, start: Instant) -> Vec<Record> {
    let mut c = Client {
        id: 99,
        port,
        rng: Rng::new(99),
        start,
        fresh: 1_000_000,
        records: Vec::new(),
    };
    for kind in KINDS {
        if kind == Kind::Grant {
            continue;
        }
        // `one` picks at random: pick until it is this kind.
        loop {
            let save = c.rng.0;
            if c.pick() == kind {
                c.rng.0 = save;
                break;
            }
        }
        c.one();
    }
    c.records
}
