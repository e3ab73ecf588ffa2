//! Nothing a client or a broken backend sends drops a connection, makes
//! fediguard do unbounded work, misnames an app or shows a token (issue
//! 25), through the real nginx (2 workers), the real module and the
//! stand-in Mastodon doing what each case needs.

use std::time::{Duration, Instant};

use fediguard_tests::mastodon::{Backend, Behaviour, Profile};
use fediguard_tests::watch::*;
use fediguard_tests::Nginx;

const INFO: &str = "/oauth/token/info";

/// nginx in front of the backend with the three policies side by side:
/// /closed/ requires a user and refuses what cannot be verified, /open/
/// requires a user and lets it through, /api/ only classifies. `verify`
/// goes into the verification location.
fn policies(backend: &Backend, verify: &str) -> Nginx {
    let b = backend.port();
    Nginx::start(&format!(
        "fediguard_token_zone zone=tokens:1m unknown=30s;
         log_format tok '$uri|$fediguard_token_class|$fediguard_request|$status';
         server {{ listen 127.0.0.1:{{PORT}};
           server_name guard.example;
           access_log {{DIR}}/tok.log tok;
           fediguard on;
           add_header X-Token-Class $fediguard_token_class always;
           add_header X-Reason $fediguard_reason always;
           location /api/ {{ fediguard_token_verify /_fediguard; try_files /nonexistent @ok; }}
           location /closed/ {{
             fediguard_token_verify /_fediguard; fediguard_token_require user;
             try_files /nonexistent @ok; }}
           location /open/ {{
             fediguard_token_verify /_fediguard; fediguard_token_require user;
             fediguard_token_fail open; try_files /nonexistent @ok; }}
           location /_fediguard/ {{
             internal;
             proxy_pass http://127.0.0.1:{b}/;
             proxy_connect_timeout 1s;
             {verify}
           }}
           location @ok {{ default_type application/json; return 200 '[]'; }}
         }}"
    ))
}

/// A well-formed token of its own for each case.
fn token(tag: &str) -> String {
    format!("{tag:A<43}")
}

fn with_token(ngx: &Nginx, path: &str, token: &str) -> fediguard_tests::Response {
    fediguard_tests::request(
        ngx.port,
        format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap_or_else(|e| panic!("GET {path}: the connection was dropped: {e}"))
}

fn html(status: &str, size: usize, head: &str) -> Vec<u8> {
    let body = format!("<html><body>{}</body></html>", "x".repeat(size));
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\n{head}Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn chunked(json: &str, pad: usize) -> Vec<u8> {
    let body = format!("<html>{}</html>", "y".repeat(pad)) + json;
    let mut out = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for part in body.as_bytes().chunks(4000) {
        out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

const USER_INFO: &str = r#"{"resource_owner_id":1,"scope":["read"],"expires_in":null,"application":{"uid":"w"},"created_at":1763800000}"#;

/// Answers that cannot be read: too large (with and without a length),
/// compressed, cut short, a 401 that is not Doorkeeper's. Under each
/// policy: answered as `fediguard_token_fail` says, the connection kept,
/// and the next request with the token answered at once from the cached
/// `unknown` (no 15 s pending mark left behind, no second call).
#[test]
fn answers_of_any_size_or_shape() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = policies(&backend, "proxy_read_timeout 5s;");
    let user_json = |extra: &str| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{USER_INFO}",
            USER_INFO.len()
        )
        .into_bytes()
    };
    let cut = {
        let full = user_json("");
        let mut head = String::from_utf8(full).unwrap();
        head = head.replace(
            &format!("Content-Length: {}", USER_INFO.len()),
            &format!("Content-Length: {}", USER_INFO.len() + 500),
        );
        head.into_bytes()
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("html200", html("200 OK", 100 * 1024, "")),
        ("html502", html("502 Bad Gateway", 100 * 1024, "")),
        ("html401", html("401 Unauthorized", 100 * 1024, "")),
        ("small401", html("401 Unauthorized", 10, "")),
        ("chunked", chunked(USER_INFO, 100 * 1024)),
        ("gzip", user_json("Content-Encoding: gzip\r\n")),
        ("cut", cut),
    ];
    for (name, raw) in &cases {
        backend.set_raw(INFO, raw);
        for (path, status) in [("/closed/", 503), ("/open/", 200), ("/api/", 200)] {
            let t = token(&format!("{name}{}", &path[1..path.len() - 1]));
            let calls = backend.hits(INFO);
            let r = with_token(&ngx, path, &t);
            assert_eq!(
                (r.status, r.header("X-Token-Class")),
                (status, Some("unknown")),
                "{name} at {path}"
            );
            assert_eq!(backend.hits(INFO), calls + 1, "{name} at {path}");
            let started = Instant::now();
            let again = with_token(&ngx, path, &t);
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{name} at {path}: the next request waited {:?}",
                started.elapsed()
            );
            assert_eq!(
                (again.status, again.header("X-Token-Class")),
                (status, Some("unknown")),
                "{name} at {path}, again"
            );
            assert_eq!(backend.hits(INFO), calls + 1, "{name} at {path}");
        }
    }
    let log = ngx.error_log();
    assert!(!log.contains("too big subrequest"), "{log}");
    assert!(!log.contains("[alert]") && !log.contains("[crit]"), "{log}");

    // An answer of several buffers that fits is read whole: a user.
    let padded = USER_INFO.replacen('{', &format!("{{\"pad\":\"{}\",", "p".repeat(12 * 1024)), 1);
    let raw = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{padded}",
        padded.len()
    );
    backend.set_raw(INFO, raw.as_bytes());
    let r = with_token(&ngx, "/closed/", &token("padded"));
    assert_eq!((r.status, r.header("X-Token-Class")), (200, Some("user")));
}

/// An answer longer than fediguard reads is not read to its end: a backend
/// that sends a huge body slowly does not hold the request until its read
/// timeout.
#[test]
fn a_too_long_answer_is_not_read_to_its_end() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = policies(&backend, "proxy_read_timeout 20s;");
    // Announces 10 MB, sends 100 KB, then nothing: reading to the end
    // would wait out the 20 s read timeout.
    let mut raw =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 10000000\r\n\r\n".to_vec();
    raw.extend(std::iter::repeat_n(b'z', 100 * 1024));
    backend.set_raw_then_hang(INFO, &raw);
    let started = Instant::now();
    let r = with_token(&ngx, "/open/", &token("long"));
    assert_eq!(
        (r.status, r.header("X-Token-Class")),
        (200, Some("unknown"))
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "waited {:?}",
        started.elapsed()
    );
}

/// The pid of the worker holding a connection to the backend's port,
/// found through /proc.
fn worker_holding(ngx: &Nginx, backend_port: u16) -> Option<i32> {
    let tcp = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let sockets: Vec<String> = tcp
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let remote = u16::from_str_radix(f.get(2)?.rsplit(':').next()?, 16).ok()?;
            let inode = f.get(9)?;
            (remote == backend_port).then(|| format!("socket:[{inode}]"))
        })
        .collect();
    ngx.worker_pids().into_iter().find(|pid| {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| {
                std::fs::read_link(fd.path())
                    .is_ok_and(|l| sockets.iter().any(|s| l.to_string_lossy() == *s))
            })
    })
}

/// A worker killed while it verifies a token leaves the token pending;
/// the next request with it must not wait out the pending mark (15 s)
/// but verify it again at once.
#[test]
fn a_dead_workers_pending_mark_is_taken_over() {
    let backend = Backend::start(Profile::Mastodon);
    backend.set_behaviour(Behaviour::Hang);
    let ngx = policies(&backend, "proxy_read_timeout 5s;");
    let t = token("orphan");
    let port = ngx.port;
    let first = {
        let t = t.clone();
        std::thread::spawn(move || {
            // Its worker is killed: no answer.
            let _ = fediguard_tests::request(
                port,
                format!("GET /closed/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {t}\r\nConnection: close\r\n\r\n").as_bytes(),
            );
        })
    };
    assert!(backend.wait_for_hits(INFO, 1, Duration::from_secs(10)));
    let pid = worker_holding(&ngx, backend.port())
        .unwrap_or_else(|| panic!("no worker holds the verification: {:?}", ngx.worker_pids()));
    // SAFETY: a plain kill(2) of a worker of this test's nginx.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    first.join().unwrap();
    // The backend answers again; the token is a user's.
    backend.add_user(&t, "alice");
    backend.set_behaviour(Behaviour::Normal);
    let started = Instant::now();
    let r = with_token(&ngx, "/closed/", &t);
    let waited = started.elapsed();
    assert_eq!((r.status, r.header("X-Token-Class")), (200, Some("user")));
    assert!(
        waited < Duration::from_secs(5),
        "waited {waited:?} (killed {pid})\n{}",
        ngx.error_log()
    );
    assert_eq!(backend.hits(INFO), 2);
}

/// A client that goes away while its token is verified releases the
/// token's pending mark: the next request with it does not wait 15 s.
#[test]
fn a_client_gone_mid_verification_leaves_no_pending_mark() {
    use std::io::Write;
    let backend = Backend::start(Profile::Mastodon);
    backend.set_behaviour(Behaviour::Hang);
    let ngx = policies(&backend, "proxy_read_timeout 10s;");
    let t = token("gone");
    let mut s = std::net::TcpStream::connect(("127.0.0.1", ngx.port)).unwrap();
    s.write_all(
        format!("GET /closed/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {t}\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    assert!(backend.wait_for_hits(INFO, 1, Duration::from_secs(10)));
    drop(s);
    // nginx notices and ends the request (499 in the access log).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ngx.read("tok.log").contains("|499") {
        assert!(Instant::now() < deadline, "{}", ngx.error_log());
        std::thread::sleep(Duration::from_millis(20));
    }
    backend.add_user(&t, "alice");
    backend.set_behaviour(Behaviour::Normal);
    let started = Instant::now();
    let r = with_token(&ngx, "/closed/", &t);
    let waited = started.elapsed();
    assert_eq!((r.status, r.header("X-Token-Class")), (200, Some("user")));
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    assert_eq!(backend.hits(INFO), 2);
}

/// nginx's own line about a verification that timed out shows the request
/// line redacted, with nginx's `server:` part, as fediguard's lines do;
/// `$fediguard_request` redacts names in any case and with brackets.
#[test]
fn no_raw_token_in_nginx_lines_about_verifications() {
    let backend = Backend::start(Profile::Mastodon);
    backend.set_behaviour(Behaviour::Hang);
    let ngx = policies(&backend, "proxy_read_timeout 1s;");
    let t = token("timeout");
    let r = ngx.get(&format!("/closed/x?local=true&access_token={t}"), &[]);
    assert_eq!(
        (r.status, r.header("X-Token-Class")),
        (503, Some("unknown"))
    );
    let log = ngx.error_log();
    let timed_out: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("upstream timed out"))
        .collect();
    assert_eq!(timed_out.len(), 1, "{log}");
    for l in &timed_out {
        assert!(
            l.contains(", server: guard.example, request: \"GET /closed/x?local=true&access_token=[redacted] HTTP/1.1\", subrequest: \"/_fediguard/oauth/token/info\""),
            "{l}"
        );
    }
    let denied: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("fediguard: deny"))
        .collect();
    assert_eq!(denied.len(), 1, "{log}");
    assert!(
        denied[0].contains(", server: guard.example, request: \"GET /closed/x?local=true&access_token=[redacted] HTTP/1.1\""),
        "{}",
        denied[0]
    );
    assert!(!log.contains(&t), "{log}");

    // Names in any case, with brackets: redacted in the variable too.
    backend.set_behaviour(Behaviour::Normal);
    for q in [
        format!("ACCESS_TOKEN={t}"),
        format!("access_token[]={t}"),
        format!("password[]={t}&Client_Secret={t}"),
        format!("[bearer_token]={t}"),
    ] {
        ngx.get(&format!("/api/v?{q}"), &[]);
    }
    let access = ngx.read("tok.log");
    assert!(access.contains("ACCESS_TOKEN=[redacted]"), "{access}");
    assert!(access.contains("access_token[]=[redacted]"), "{access}");
    assert!(
        access.contains("password[]=[redacted]&Client_Secret=[redacted]"),
        "{access}"
    );
    assert!(access.contains("[bearer_token]=[redacted]"), "{access}");
    assert!(!access.contains(&t), "{access}");
    assert!(!ngx.error_log().contains(&t));
}

/// Mastodon (Doorkeeper) authenticates the client of HTTP Basic before the
/// body's client_id. A client with app A's credentials in Basic and app
/// V's client_id in the body gets A's token: nothing is recorded for V (nor
/// for A), the disagreement is logged and counted.
#[test]
fn a_grant_is_recorded_under_the_client_mastodon_authenticates() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = watching_nginx(&backend);
    let (a_id, a_secret) = register(ngx.port, "Scraper");
    let (v_id, _) = register(ngx.port, "Victim");
    let auth = format!("Basic {}", base64(&format!("{a_id}:{a_secret}")));
    let g = post(
        ngx.port,
        "/oauth/token",
        FORM,
        &format!("grant_type=client_credentials&client_id={v_id}"),
        &[("Authorization", &auth)],
    );
    assert_eq!(g.status, 200, "{}", g.text());
    let token = field(&g, "access_token");
    assert!(!token.is_empty());

    let granted = notice_lines(&ngx, "app token granted");
    assert_eq!(granted.len(), 1, "{granted:#?}");
    assert!(
        granted[0].contains(&format!(
            "fediguard: app token granted but not recorded: HTTP Basic and client_id disagree basic_client_id={a_id} client_id={v_id}"
        )),
        "{}",
        granted[0]
    );
    assert!(!granted[0].contains(&token) && !granted[0].contains(&a_secret));
    let m = metrics(&ngx);
    assert_eq!(m["fediguard_client_credentials_grants_disputed_total"], 1.0);
    assert_eq!(m["fediguard_client_credentials_grants_total"], 0.0);
    let apps = metrics_json(&ngx)["apps"].as_array().unwrap().clone();
    for app in &apps {
        assert_eq!(app["tokens_granted"], 0, "{app}");
    }

    // Basic alone, or agreeing with the body: recorded under A.
    let g = post(
        ngx.port,
        "/oauth/token",
        FORM,
        &format!("grant_type=client_credentials&client_id={a_id}"),
        &[("Authorization", &auth)],
    );
    assert_eq!(g.status, 200);
    let ok = notice_lines(&ngx, "fediguard: app token granted grant_type");
    assert_eq!(ok.len(), 1, "{ok:#?}");
    assert!(
        ok[0].contains(&format!("client_id={a_id} app=\"Scraper\"")),
        "{}",
        ok[0]
    );
}

/// Bidirectional controls and invisible format characters in an app's
/// name and website are shown escaped on the status page, in the JSON and
/// in log lines.
#[test]
fn names_that_cannot_deceive() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = watching_nginx(&backend);
    let reg = post(
        ngx.port,
        "/api/v1/apps",
        JSON,
        "{\"client_name\":\"Reader\u{202E}gpj.exe\",\"redirect_uris\":\"urn:ietf:wg:oauth:2.0:oob\",\"scopes\":\"read\",\"website\":\"https://a\u{200B}b.example\"}",
        &[],
    );
    assert_eq!(reg.status, 200, "{}", reg.text());

    let page = ngx.get("/metrics?format=html", &[]);
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Reader\\u{202E}gpj.exe"), "{html}");
    assert!(html.contains("https://a\\u{200B}b.example"), "{html}");
    for c in ['\u{202E}', '\u{200B}'] {
        assert!(!html.contains(c), "{c:?} on the page");
    }

    let json = ngx.get("/metrics?format=json", &[]);
    let text = json.text();
    for c in ['\u{202E}', '\u{200B}'] {
        assert!(!text.contains(c), "{c:?} in the JSON");
    }
    let v: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
    let app = &v["apps"][0];
    assert_eq!(app["name"], "Reader\\u{202E}gpj.exe");
    assert_eq!(app["website"], "https://a\\u{200B}b.example");

    let lines = notice_lines(&ngx, "fediguard: app registered");
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].contains("name=\"Reader\\xe2\\x80\\xaegpj.exe\""),
        "{}",
        lines[0]
    );
    assert!(!lines[0].contains('\u{202E}'));
}
