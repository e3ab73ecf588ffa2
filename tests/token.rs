//! Token classification through the real nginx, the real module (2 workers)
//! and a stand-in Mastodon backend that answers as the reference says.

use std::time::Duration;

use fediguard_tests::mastodon::{Backend, Behaviour, Profile};
use fediguard_tests::{request, Nginx};

const USER: &str = "UserTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const APP: &str = "AppTokenBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const INVALID: &str = "NoSuchTokenCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
const ACCOUNTS: &str = "/api/v1/accounts/verify_credentials";
const APPS: &str = "/api/v1/apps/verify_credentials";
const INFO: &str = "/oauth/token/info";

/// nginx in front of the backend: /api/ classifies, the public timeline
/// requires a user, /api/v1/valid/ a valid token; `extra` goes into the
/// server block. API answers come from the config (try_files), app
/// registration and token grants are proxied to the backend.
fn nginx(backend: &Backend, zone: &str, extra: &str) -> Nginx {
    let b = backend.port();
    Nginx::start(&format!(
        "fediguard_token_zone {zone};
         large_client_header_buffers 4 32k;
         log_format tok '$uri|$fediguard_token_class|$fediguard_token_id|$fediguard_app_name|$fediguard_account|$fediguard_reason|$status';
         server {{ listen 127.0.0.1:{{PORT}};
           access_log {{DIR}}/tok.log tok;
           fediguard on;
           add_header X-Token-Class $fediguard_token_class always;
           add_header X-Token-Id $fediguard_token_id always;
           add_header X-App $fediguard_app_name always;
           add_header X-Account $fediguard_account always;
           add_header X-Reason $fediguard_reason always;
           location /api/ {{ fediguard_token_verify /_fediguard; try_files /nonexistent @ok; }}
           location = /api/v1/timelines/public {{
             fediguard_token_verify /_fediguard; fediguard_token_require user;
             try_files /nonexistent @ok; }}
           location /api/v1/valid/ {{
             fediguard_token_verify /_fediguard; fediguard_token_require valid;
             try_files /nonexistent @ok; }}
           location = /api/v1/apps {{ fediguard_token_verify /_fediguard; proxy_pass http://127.0.0.1:{b}; }}
           location = /oauth/token {{ proxy_pass http://127.0.0.1:{b}; }}
           location /_fediguard/ {{
             internal;
             proxy_pass http://127.0.0.1:{b}/;
             proxy_connect_timeout 1s; proxy_read_timeout 1s;
             subrequest_output_buffer_size 64k;
           }}
           location @ok {{ default_type application/json; return 200 '[]'; }}
           {extra}
         }}"
    ))
}

/// A location that requires a user but lets unverifiable tokens through.
const OPEN: &str =
    "location /open/ { fediguard_token_verify /_fediguard; fediguard_token_require user;
                                      fediguard_token_fail open; try_files /nonexistent @ok; }";

fn with_token(ngx: &Nginx, path: &str, token: &str) -> fediguard_tests::Response {
    ngx.get(path, &[("Authorization", &format!("Bearer {token}"))])
}

fn post(port: u16, path: &str, form: &str) -> fediguard_tests::Response {
    let raw = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    );
    request(port, raw.as_bytes()).unwrap()
}

fn json_field(body: &[u8], field: &str) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    v[field].as_str().unwrap_or_default().to_string()
}

/// The seed story: register an app, take a client_credentials token, read
/// the public timeline with it, in the header and in the query string.
fn seed_story(profile: Profile) {
    let backend = Backend::start(profile);
    let ngx = nginx(&backend, "zone=tokens:1m", "");

    let reg = post(
        ngx.port,
        "/api/v1/apps",
        "client_name=CDSC%20Reader&redirect_uris=urn:ietf:wg:oauth:2.0:oob&scopes=read&website=https://cdsc.example",
    );
    assert_eq!(reg.status, 200, "{}", reg.text());
    let (id, secret) = (
        json_field(&reg.body, "client_id"),
        json_field(&reg.body, "client_secret"),
    );
    let grant = post(
        ngx.port,
        "/oauth/token",
        &format!("grant_type=client_credentials&client_id={id}&client_secret={secret}"),
    );
    assert_eq!(grant.status, 200, "{}", grant.text());
    let token = json_field(&grant.body, "access_token");

    let r = with_token(&ngx, "/api/v1/timelines/public", &token);
    assert_eq!(r.status, 403);
    assert_eq!(r.header("X-Token-Class"), Some("app"));
    assert_eq!(r.header("X-App"), Some("CDSC Reader"));
    assert_eq!(r.header("X-Reason"), Some("mastoapi-token-app-only"));
    let token_id = r.header("X-Token-Id").unwrap().to_string();
    assert_eq!(token_id.len(), 16);

    let r = ngx.get(
        &format!("/api/v1/timelines/public?local=true&access_token={token}"),
        &[],
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.header("X-Token-Id"), Some(token_id.as_str()));

    // The app-only token is still good where any valid token will do.
    assert_eq!(with_token(&ngx, "/api/v1/valid/x", &token).status, 200);

    // One verification, then the cache answers: token/info tells an app
    // token, and the app's name (for the deny line) takes one more call
    // since fediguard did not see the app register.
    assert_eq!(backend.hits(INFO), 1);
    assert_eq!(backend.hits(APPS), 1);
    assert_eq!(backend.hits(ACCOUNTS), 0);

    let lines = ngx.fediguard_lines();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[0].contains(&format!(
            "fediguard: deny reason=mastoapi-token-app-only token_id={token_id} token_class=app app=\"CDSC Reader\" website=\"https://cdsc.example\""
        )),
        "{}",
        lines[0]
    );
    // The token in the query string is not written to the log.
    assert!(lines[1].contains("access_token=[redacted]"), "{}", lines[1]);
    assert_no_raw_token(&ngx, &[&token, &secret]);
}

/// No raw token in the logs. nginx's own info-level "client sent duplicate
/// header line" quotes the headers it refuses; that line is nginx's, written
/// before any module runs, and left out here (docs/security.md: "Raw tokens
/// go nowhere").
fn assert_no_raw_token(ngx: &Nginx, secrets: &[&str]) {
    for file in ["error.log", "tok.log"] {
        let text = ngx.read(file);
        for line in text
            .lines()
            .filter(|l| !l.contains("client sent duplicate header line"))
        {
            for s in secrets {
                assert!(!line.contains(s), "{file} holds a secret: {line}");
            }
        }
    }
}

#[test]
fn seed_story_app_only_token_is_refused_mastodon() {
    seed_story(Profile::Mastodon);
}

#[test]
fn seed_story_app_only_token_is_refused_other_servers() {
    seed_story(Profile::Strict401);
}

#[test]
fn user_invalid_none_and_malformed() {
    let backend = Backend::start(Profile::Mastodon);
    backend.add_user(USER, "alice");
    let ngx = nginx(&backend, "zone=tokens:1m", "");

    let r = with_token(&ngx, "/api/v1/timelines/public", USER);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("X-Token-Class"), Some("user"));
    assert_eq!(r.header("X-Account"), Some("alice"));
    let r = ngx.get(
        &format!("/api/v1/timelines/public?access_token={USER}"),
        &[],
    );
    assert_eq!((r.status, r.header("X-Token-Class")), (200, Some("user")));
    // token/info, then the account's name (the config shows $fediguard_account).
    assert_eq!(backend.hits(INFO), 1, "a user token is verified once");
    assert_eq!(backend.verification_calls(), 2);

    let r = with_token(&ngx, "/api/v1/timelines/public", INVALID);
    assert_eq!(r.status, 403);
    assert_eq!(r.header("X-Reason"), Some("mastoapi-token-invalid"));

    let r = ngx.get("/api/v1/timelines/public", &[]);
    assert_eq!(r.status, 403);
    assert_eq!(r.header("X-Reason"), Some("mastoapi-no-auth"));
    assert_eq!(r.header("X-Token-Class"), Some("none"));

    let malformed: Vec<Vec<u8>> = vec![
        b"Authorization: Bearer\r\n".to_vec(),
        b"Authorization: Bearer \xc3\xa9t\xff\r\n".to_vec(),
        format!("Authorization: Bearer {}\r\n", "A".repeat(16 * 1024)).into_bytes(),
    ];
    for headers in malformed {
        let mut raw =
            b"GET /api/v1/timelines/public HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".to_vec();
        raw.extend_from_slice(&headers);
        raw.extend_from_slice(b"\r\n");
        let r = request(ngx.port, &raw).unwrap();
        assert_eq!(
            r.status,
            403,
            "{}",
            String::from_utf8_lossy(&headers[..60.min(headers.len())])
        );
        assert_eq!(r.header("X-Reason"), Some("mastoapi-token-malformed"));
    }
    // Two Authorization headers: nginx itself refuses the request (400,
    // "duplicate header line") before any module runs.
    let before = backend.requests().len();
    let raw = format!(
        "GET /api/v1/timelines/public HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {USER}\r\nAuthorization: Bearer {INVALID}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(request(ngx.port, raw.as_bytes()).unwrap().status, 400);
    assert_eq!(backend.requests().len(), before);
    // Header and query with different tokens.
    let r = with_token(
        &ngx,
        &format!("/api/v1/timelines/public?access_token={INVALID}"),
        USER,
    );
    assert_eq!(r.header("X-Reason"), Some("mastoapi-token-malformed"));
    // The same token twice is fine.
    let r = with_token(
        &ngx,
        &format!("/api/v1/timelines/public?access_token={USER}"),
        USER,
    );
    assert_eq!(r.status, 200);

    // Classify-only locations deny nothing.
    assert_eq!(with_token(&ngx, "/api/v1/accounts/1", INVALID).status, 200);
    assert_eq!(ngx.get("/api/v1/accounts/1", &[]).status, 200);
    assert_no_raw_token(&ngx, &[USER, INVALID]);
}

#[test]
fn verification_sends_only_the_token() {
    let backend = Backend::start(Profile::Mastodon);
    backend.add_app_token(APP, "Scraper", None);
    let ngx = nginx(&backend, "zone=tokens:1m", "");
    let body = "secret=form-body";
    let raw = format!(
        "POST /api/v1/timelines/public?access_token={APP} HTTP/1.1\r\nHost: x\r\nCookie: session=abc\r\n\
         X-Forwarded-For: 203.0.113.9\r\nUser-Agent: Python/3.6 aiohttp/3.6.2\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(request(ngx.port, raw.as_bytes()).unwrap().status, 403);
    let verifications: Vec<_> = backend
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("verify_credentials") || r.path == INFO)
        .collect();
    assert_eq!(verifications.len(), 2);
    for v in verifications {
        assert_eq!(v.method, "GET");
        assert!(v.body.is_empty());
        assert_eq!(v.query, None);
        let names: Vec<String> = v
            .headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        for n in &names {
            assert!(
                [
                    "host",
                    "connection",
                    "authorization",
                    "accept",
                    "user-agent",
                    "x-forwarded-for"
                ]
                .contains(&n.as_str()),
                "unexpected header {n}: {names:?}"
            );
        }
        let h = |n: &str| {
            v.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
        };
        assert_eq!(h("authorization"), Some(format!("Bearer {APP}")));
        assert_eq!(h("accept").as_deref(), Some("application/json"));
        assert!(h("user-agent").unwrap().starts_with("fediguard/"));
        // The client's address as nginx sees it, not the chain it wrote:
        // Mastodon's per-address throttles fall on the client.
        assert_eq!(h("x-forwarded-for").as_deref(), Some("127.0.0.1"));
    }
}

#[test]
fn backend_failures_under_both_policies() {
    let cases = [
        Behaviour::ServerError,
        Behaviour::NotJson,
        Behaviour::Slow(Duration::from_millis(2500)),
    ];
    for behaviour in cases {
        let backend = Backend::start(Profile::Mastodon);
        backend.add_user(USER, "alice");
        backend.set_behaviour(behaviour);
        let ngx = nginx(&backend, "zone=tokens:1m unknown=1m", OPEN);
        let r = with_token(&ngx, "/api/v1/timelines/public", USER);
        assert_eq!(r.status, 503);
        assert_eq!(r.header("X-Token-Class"), Some("unknown"));
        assert_eq!(r.header("X-Reason"), Some("mastoapi-verify-unavailable"));
        let r = with_token(&ngx, "/open/", USER);
        assert_eq!(
            (r.status, r.header("X-Token-Class")),
            (200, Some("unknown"))
        );
    }

    // Backend down: nothing listens on its port.
    let backend = Backend::start(Profile::Mastodon);
    let ngx = nginx(&backend, "zone=tokens:1m", OPEN);
    drop(backend);
    let r = with_token(&ngx, "/api/v1/timelines/public", USER);
    assert_eq!(
        (r.status, r.header("X-Token-Class")),
        (503, Some("unknown"))
    );
    let r = with_token(&ngx, "/open/", USER);
    assert_eq!(
        (r.status, r.header("X-Token-Class")),
        (200, Some("unknown"))
    );
}

#[test]
fn dry_run_logs_but_serves() {
    let backend = Backend::start(Profile::Mastodon);
    backend.add_app_token(APP, "Scraper", Some("https://scraper.example"));
    let ngx = nginx(
        &backend,
        "zone=tokens:1m",
        "location /dry/ { fediguard dry_run; fediguard_token_verify /_fediguard;
                          fediguard_token_require user; try_files /nonexistent @ok; }",
    );
    let r = with_token(&ngx, "/dry/", APP);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("X-Reason"), Some("mastoapi-token-app-only"));
    let lines = ngx.fediguard_lines();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("fediguard: would deny reason=mastoapi-token-app-only"));
    assert!(lines[0].contains("app=\"Scraper\" website=\"https://scraper.example\""));
}

#[test]
fn fifty_concurrent_requests_cause_one_verification() {
    let backend = Backend::start(Profile::Mastodon);
    backend.add_user(USER, "alice");
    backend.set_behaviour(Behaviour::Slow(Duration::from_millis(300)));
    let ngx = nginx(&backend, "zone=tokens:1m", "");
    let port = ngx.port;
    let threads: Vec<_> = (0..50)
        .map(|_| {
            std::thread::spawn(move || {
                let raw = format!(
                    "GET /api/v1/timelines/public HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {USER}\r\nConnection: close\r\n\r\n"
                );
                request(port, raw.as_bytes()).unwrap().status
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 200);
    }
    // One verification: token/info, then the account's name.
    assert_eq!((backend.hits(INFO), backend.hits(ACCOUNTS)), (1, 1));
    // Repeats within the lifetime: no verification at all.
    for _ in 0..10 {
        assert_eq!(
            with_token(&ngx, "/api/v1/timelines/public", USER).status,
            200
        );
    }
    assert_eq!(backend.verification_calls(), 2);
}

#[test]
fn verdicts_expire() {
    let backend = Backend::start(Profile::Mastodon);
    backend.add_user(USER, "alice");
    let ngx = nginx(&backend, "zone=tokens:1m user=300ms", "");
    assert_eq!(
        with_token(&ngx, "/api/v1/timelines/public", USER).status,
        200
    );
    assert_eq!(
        with_token(&ngx, "/api/v1/timelines/public", USER).status,
        200
    );
    assert_eq!(backend.hits(INFO), 1);
    // The lifetime is what is tested: wait it out.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        with_token(&ngx, "/api/v1/timelines/public", USER).status,
        200
    );
    assert_eq!(backend.hits(INFO), 2);
}

#[test]
fn reload_keeps_verdicts() {
    let backend = Backend::start(Profile::Mastodon);
    backend.add_user(USER, "alice");
    backend.add_app_token(APP, "Scraper", None);
    let ngx = nginx(&backend, "zone=tokens:1m", "");
    assert_eq!(
        with_token(&ngx, "/api/v1/timelines/public", USER).status,
        200
    );
    assert_eq!(
        with_token(&ngx, "/api/v1/timelines/public", APP).status,
        403
    );
    let before = backend.verification_calls();
    ngx.reload();
    assert_eq!(
        with_token(&ngx, "/api/v1/timelines/public", USER).status,
        200
    );
    let r = with_token(&ngx, "/api/v1/timelines/public", APP);
    assert_eq!((r.status, r.header("X-App")), (403, Some("Scraper")));
    assert_eq!(backend.verification_calls(), before);
}
