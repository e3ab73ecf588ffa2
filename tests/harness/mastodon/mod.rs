//! A stand-in Mastodon backend: answers the endpoints fediguard and its
//! tests touch exactly as the reference says Mastodon does (statuses and
//! bodies), plus the variant other servers use, and records every request.

mod routes;
mod throttle;
mod wire;

pub use throttle::{Throttle, Throttles, ALL as RACK_ATTACK};

use std::collections::HashMap;
use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How an app-only token is refused on accounts/verify_credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Real Mastodon: 422.
    Mastodon,
    /// Other servers: 401, same message.
    Strict401,
}

/// How the two verify_credentials endpoints behave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Normal,
    /// 500 with an HTML body.
    ServerError,
    /// 200 with an HTML body.
    NotJson,
    /// Answers normally after a delay.
    Slow(Duration),
    /// Never answers.
    Hang,
    /// 503 with `Retry-After: secs`.
    Unavailable(u64),
    /// 500 with an HTML body, after a delay: a request that costs the
    /// server time and fails.
    SlowFailure(Duration),
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The connection's address.
    pub peer: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Debug)]
struct App {
    name: String,
    website: Option<String>,
    client_id: String,
    client_secret: String,
    token: Option<String>,
}

struct State {
    profile: Profile,
    behaviour: Behaviour,
    users: HashMap<String, String>,
    /// token -> index into apps
    app_tokens: HashMap<String, usize>,
    apps: Vec<App>,
    hits: HashMap<String, usize>,
    requests: Vec<Recorded>,
    serial: u64,
    /// path -> whole raw HTTP answer sent instead of the normal one (then
    /// the connection is closed): garbage, truncated answers.
    raw: HashMap<String, Vec<u8>>,
    /// path -> raw answer sent, then the connection held open (an answer
    /// that never ends).
    raw_hang: HashMap<String, Vec<u8>>,
    /// `/oauth/token/info` exists (Mastodon); off for other servers (404).
    token_info: bool,
    /// Rack::Attack's API throttles; None turns them off.
    throttles: Option<Throttles>,
    /// How other paths than the verification endpoints answer.
    paths: HashMap<String, Behaviour>,
    counts: throttle::Counts,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    stop: AtomicBool,
    conns: Mutex<Vec<TcpStream>>,
}

pub struct Backend {
    port: u16,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Backend {
    pub fn start(profile: Profile) -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind backend");
        let port = listener.local_addr().expect("addr").port();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                profile,
                behaviour: Behaviour::Normal,
                users: HashMap::new(),
                app_tokens: HashMap::new(),
                apps: Vec::new(),
                hits: HashMap::new(),
                requests: Vec::new(),
                serial: 0,
                raw: HashMap::new(),
                raw_hang: HashMap::new(),
                token_info: true,
                throttles: Some(Throttles::default()),
                paths: HashMap::new(),
                counts: Default::default(),
            }),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
            conns: Mutex::new(Vec::new()),
        });
        let s = shared.clone();
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                if let Ok(clone) = stream.try_clone() {
                    s.conns.lock().unwrap().push(clone);
                }
                let s = s.clone();
                std::thread::spawn(move || serve(&s, stream));
            }
        });
        Backend {
            port,
            shared,
            accept: Some(accept),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn add_user(&self, token: &str, acct: &str) {
        let mut st = self.shared.state.lock().unwrap();
        st.users.insert(token.to_string(), acct.to_string());
    }

    pub fn add_app_token(&self, token: &str, app_name: &str, website: Option<&str>) {
        let mut st = self.shared.state.lock().unwrap();
        let app = routes::new_app(&mut st, app_name, website);
        st.apps.push(App {
            token: Some(token.to_string()),
            ..app
        });
        let i = st.apps.len() - 1;
        st.app_tokens.insert(token.to_string(), i);
    }

    /// Answers `path` with exactly these bytes (status line, headers and
    /// body, possibly cut short), then closes the connection.
    pub fn set_raw(&self, path: &str, answer: &[u8]) {
        let mut st = self.shared.state.lock().unwrap();
        st.raw.insert(path.to_string(), answer.to_vec());
    }

    /// Answers `path` with these bytes, then sends nothing more and keeps
    /// the connection open until the backend stops.
    pub fn set_raw_then_hang(&self, path: &str, answer: &[u8]) {
        let mut st = self.shared.state.lock().unwrap();
        st.raw_hang.insert(path.to_string(), answer.to_vec());
    }

    /// A server without `/oauth/token/info` (it answers 404).
    pub fn set_token_info(&self, on: bool) {
        self.shared.state.lock().unwrap().token_info = on;
    }

    /// Mastodon's API throttles with another limit and period (tests run
    /// short); None: no throttles.
    pub fn set_throttles(&self, t: Option<Throttles>) {
        self.shared.state.lock().unwrap().throttles = t;
    }

    /// The verification calls received: token/info and both
    /// verify_credentials endpoints.
    pub fn verification_calls(&self) -> usize {
        self.hits("/oauth/token/info")
            + self.hits("/api/v1/accounts/verify_credentials")
            + self.hits("/api/v1/apps/verify_credentials")
    }

    pub fn set_behaviour(&self, b: Behaviour) {
        self.shared.state.lock().unwrap().behaviour = b;
    }

    /// How requests for `path` (another than the verification endpoints)
    /// are answered.
    pub fn set_path_behaviour(&self, path: &str, b: Behaviour) {
        let mut st = self.shared.state.lock().unwrap();
        st.paths.insert(path.to_string(), b);
    }

    pub fn hits(&self, path: &str) -> usize {
        let st = self.shared.state.lock().unwrap();
        st.hits.get(path).copied().unwrap_or(0)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.state.lock().unwrap().requests.clone()
    }

    /// Waits until `path` has had `n` requests (recorded before answering).
    pub fn wait_for_hits(&self, path: &str, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.state.lock().unwrap();
        loop {
            if st.hits.get(path).copied().unwrap_or(0) >= n {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            st = self.shared.changed.wait_timeout(st, left).unwrap().0;
        }
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.changed.notify_all();
        for c in self.shared.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
        // Wake the accept loop so it sees the stop flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn serve(shared: &Shared, mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(req) = wire::read_request(&mut stream) else {
        return;
    };
    let (status, body, delay, hang, extra) = {
        let mut st = shared.state.lock().unwrap();
        *st.hits.entry(req.path.clone()).or_default() += 1;
        st.requests.push(req.clone());
        shared.changed.notify_all();
        if let Some(raw) = st.raw_hang.get(&req.path).cloned() {
            drop(st);
            let _ = stream.write_all(&raw);
            let mut st = shared.state.lock().unwrap();
            while !shared.stop.load(Ordering::SeqCst) {
                st = shared.changed.wait(st).unwrap();
            }
            return;
        }
        if let Some(raw) = st.raw.get(&req.path).cloned() {
            drop(st);
            let _ = stream.write_all(&raw);
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
        let verify = req.path.ends_with("/verify_credentials") || req.path == "/oauth/token/info";
        let behaviour = if verify {
            st.behaviour
        } else {
            st.paths
                .get(&req.path)
                .copied()
                .unwrap_or(Behaviour::Normal)
        };
        let none = Vec::new();
        let throttled = match st.throttles {
            Some(t) => {
                let token = routes::token(&req);
                let user = token.as_ref().and_then(|t| st.users.get(t)).cloned();
                let valid =
                    token.filter(|t| st.users.contains_key(t) || st.app_tokens.contains_key(t));
                let seen = throttle::Seen {
                    req: &req,
                    ip: throttle::throttleable(&throttle::client_address(&req)),
                    user,
                    token: valid,
                    params: routes::params(&req),
                };
                throttle::check(&t, &mut st.counts, &seen)
            }
            None => None,
        };
        match (behaviour, throttled) {
            (_, Some(headers)) => (
                429,
                r#"{"error":"Too many requests"}"#.into(),
                None,
                false,
                headers,
            ),
            (Behaviour::ServerError, _) => (
                500,
                routes::html("Internal Server Error"),
                None,
                false,
                none,
            ),
            (Behaviour::NotJson, _) => (200, routes::html("oops"), None, false, none),
            (Behaviour::SlowFailure(d), _) => (
                500,
                routes::html("Internal Server Error"),
                Some(d),
                false,
                none,
            ),
            (Behaviour::Hang, _) => (0, String::new(), None, true, none),
            (Behaviour::Unavailable(secs), _) => (
                503,
                routes::html("Service Unavailable"),
                None,
                false,
                vec![("Retry-After".into(), secs.to_string())],
            ),
            (Behaviour::Slow(d), _) => {
                let (s, b) = routes::answer(&mut st, &req);
                (s, b, Some(d), false, none)
            }
            (Behaviour::Normal, _) => {
                let (s, b) = routes::answer(&mut st, &req);
                (s, b, None, false, none)
            }
        }
    };
    if hang {
        let mut st = shared.state.lock().unwrap();
        while !shared.stop.load(Ordering::SeqCst) {
            st = shared.changed.wait(st).unwrap();
        }
        return;
    }
    if let Some(d) = delay {
        std::thread::sleep(d);
    }
    let ctype = if body.starts_with('<') {
        "text/html"
    } else {
        "application/json; charset=utf-8"
    };
    let mut extra: String = extra.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
    // Mastodon's API answers are private (Api::BaseController), and so,
    // here, are its pages (what a signed-in reader sees differs).
    if req.path.starts_with("/api/") || req.path.starts_with("/@") {
        extra.push_str(
            "Cache-Control: private, no-store\r\nVary: Accept, Accept-Language, Cookie\r\n",
        );
    }
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        routes::reason(status),
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
}
