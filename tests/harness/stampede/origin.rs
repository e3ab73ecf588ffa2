//! The website behind nginx: a small site on loopback with a fixed pool of
//! workers (like a PHP-FPM pool), each request taking its service time, so
//! that a stampede makes browsers queue as it does on a real small site.
//! It counts requests and bytes per path, browsers apart from the rest.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::agents::is_browser;

/// The post every instance fetches, and the image its page names.
pub const POST_PATH: &str = "/posts/hello-fediverse";
pub const IMAGE_PATH: &str = "/media/hello-fediverse.jpg";
/// Other pages browsers read.
pub const BROWSER_PATHS: [&str; 3] = ["/", POST_PATH, "/about"];

/// What the site costs to serve, in real (uncompressed) time.
#[derive(Clone, Debug)]
pub struct SiteModel {
    /// Requests served at once (PHP workers); the rest wait in line.
    pub workers: usize,
    /// Rendering a page (a small CMS without a page cache).
    pub page_ms: f64,
    /// Serving the image.
    pub image_ms: f64,
    /// Sizes: ~100 KB per fetch on average (the seed: 114.7 MB / 1,147).
    pub page_bytes: usize,
    pub image_bytes: usize,
}

impl Default for SiteModel {
    fn default() -> Self {
        SiteModel {
            workers: 3,
            page_ms: 150.0,
            image_ms: 10.0,
            page_bytes: 60_000,
            image_bytes: 140_000,
        }
    }
}

/// Requests and response bytes (head and body) for one path and kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    pub requests: u64,
    pub bytes: u64,
}

#[derive(Default)]
struct Stats {
    /// (path, from a browser) -> count.
    by_path: HashMap<(String, bool), Count>,
    /// Requests that arrived with a Cookie or Authorization header.
    with_credentials: u64,
}

pub struct Origin {
    pub port: u16,
    stats: Arc<Mutex<Stats>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Origin {
    /// Starts the site; `speed` compresses its service times.
    pub fn start(model: &SiteModel, speed: f64) -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("origin bind");
        let port = listener.local_addr().expect("origin addr").port();
        let stats = Arc::new(Mutex::new(Stats::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let site = Arc::new(Site::new(model, speed));
        let (tx, rx) = channel::<TcpStream>();
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..model.workers.max(1) {
            let (rx, stats, site) = (rx.clone(), stats.clone(), site.clone());
            std::thread::spawn(move || worker(&rx, &stats, &site));
        }
        let stop2 = stop.clone();
        let acceptor = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(conn) = conn {
                    if tx.send(conn).is_err() {
                        break;
                    }
                }
            }
            // Dropping tx ends the workers once the line is empty.
        });
        Origin {
            port,
            stats,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// What reached the site for `path`, from browsers or from the others.
    pub fn count(&self, path: &str, browser: bool) -> Count {
        let stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        stats
            .by_path
            .get(&(path.to_string(), browser))
            .copied()
            .unwrap_or_default()
    }

    /// All requests from browsers, or from the others (readiness probes
    /// left out).
    pub fn total(&self, browsers: bool) -> Count {
        let stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        let mut total = Count::default();
        for ((path, browser), c) in &stats.by_path {
            if *browser == browsers && path != crate::nginx::READY_PATH {
                total.requests += c.requests;
                total.bytes += c.bytes;
            }
        }
        total
    }

    pub fn with_credentials(&self) -> u64 {
        let stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        stats.with_credentials
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the acceptor so that it sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
    }
}

/// The site's content, made once.
struct Site {
    page: Vec<u8>,
    image: Vec<u8>,
    page_delay: Duration,
    image_delay: Duration,
}

impl Site {
    fn new(m: &SiteModel, speed: f64) -> Site {
        let scaled = |ms: f64| Duration::from_secs_f64(ms / 1000.0 / speed.max(1.0));
        Site {
            page: page(m.page_bytes),
            image: image(m.image_bytes),
            page_delay: scaled(m.page_ms),
            image_delay: scaled(m.image_ms),
        }
    }
}

/// An article page of about `size` bytes whose head names its og:image
/// (an absolute URL, as sites write it; the host is filled in per request).
fn page(size: usize) -> Vec<u8> {
    let head = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
        <title>Hello, fediverse</title>\n\
        <meta property=\"og:type\" content=\"article\">\n\
        <meta property=\"og:title\" content=\"Hello, fediverse\">\n\
        <meta property=\"og:description\" content=\"A small site, a big audience.\">\n\
        <meta property=\"og:image\" content=\"https://{HOST}/media/hello-fediverse.jpg\">\n\
        </head><body><article>\n";
    let mut out = String::with_capacity(size + 200);
    out.push_str(head);
    let para = "<p>Every server that sees a link fetches it itself: the page, then \
        the image it names. This paragraph stands for the article's text.</p>\n";
    while out.len() + para.len() + 30 < size {
        out.push_str(para);
    }
    out.push_str("</article></body></html>\n");
    out.into_bytes()
}

/// Bytes standing for a JPEG: its magic numbers and noise.
fn image(size: usize) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0];
    let mut x: u32 = 0x1234_5678;
    while out.len() + 2 < size {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push(x as u8);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

fn worker(rx: &Mutex<Receiver<TcpStream>>, stats: &Mutex<Stats>, site: &Site) {
    loop {
        let conn = {
            let rx = rx.lock().unwrap_or_else(|e| e.into_inner());
            rx.recv()
        };
        let Ok(conn) = conn else { return };
        serve(conn, stats, site);
    }
}

/// One request per connection (nginx proxies with HTTP/1.0 by default).
fn serve(mut conn: TcpStream, stats: &Mutex<Stats>, site: &Site) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let path = head
        .lines()
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/")
        .to_string();
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let browser = header("User-Agent").is_some_and(|ua| is_browser(&ua));
    let credentials = header("Cookie").is_some() || header("Authorization").is_some();
    let host = header("Host").unwrap_or_default();

    let (status, ctype, extra, body, delay): (_, _, _, Vec<u8>, _) = match path.as_str() {
        POST_PATH | "/" | "/about" => (
            "200 OK",
            "text/html; charset=utf-8",
            // What a CMS sends: nothing a shared cache would keep.
            "Cache-Control: no-cache, private\r\nVary: User-Agent\r\n\
             Set-Cookie: session=0123456789abcdef; Path=/; HttpOnly\r\n",
            String::from_utf8_lossy(&site.page)
                .replace("{HOST}", &host)
                .into_bytes(),
            site.page_delay,
        ),
        IMAGE_PATH => (
            "200 OK",
            "image/jpeg",
            "Cache-Control: max-age=86400\r\n",
            site.image.clone(),
            site.image_delay,
        ),
        _ => (
            "404 Not Found",
            "text/plain",
            "",
            b"not found\n".to_vec(),
            Duration::ZERO,
        ),
    };
    // The page takes its time to render, holding this worker.
    std::thread::sleep(delay);
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    );
    // Counted before the answer leaves: whoever got it sees it counted.
    {
        let mut stats = stats.lock().unwrap_or_else(|e| e.into_inner());
        if credentials {
            stats.with_credentials += 1;
        }
        let c = stats.by_path.entry((path, browser)).or_default();
        c.requests += 1;
        c.bytes += (head.len() + body.len()) as u64;
    }
    let _ = conn
        .write_all(head.as_bytes())
        .and_then(|_| conn.write_all(&body));
}
