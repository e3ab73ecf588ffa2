//! Admin visibility through the real nginx (2 workers) and the stand-in
//! Mastodon: app registrations and client_credentials grants are logged,
//! listed and counted; watched tokens need no verification; the metrics
//! parse, only grow, and survive reload; nothing secret shows anywhere;
//! watched answers reach the client byte for byte.

use std::collections::BTreeMap;

use fediguard_tests::exposition;
use fediguard_tests::mastodon::{Backend, Profile};
use fediguard_tests::{nginx_test, request, Nginx, Response};

const ACCOUNTS: &str = "/api/v1/accounts/verify_credentials";
const APPS: &str = "/api/v1/apps/verify_credentials";
const SCRAPER: &str = "Python/3.6 aiohttp/3.6.2";

fn nginx(backend: &Backend) -> Nginx {
    nginx_with(backend, "")
}

/// `lifetimes` are `fediguard_token_zone`'s parameters.
fn nginx_with(backend: &Backend, lifetimes: &str) -> Nginx {
    let b = backend.port();
    Nginx::start(&format!(
        "fediguard_token_zone zone=tokens:1m {lifetimes};
         fediguard_metrics_zone zone=fediguard_stats:1m;
         fediguard_limit_zone $binary_remote_addr zone=per_ip:1m rate=1000r/s;
         server {{ listen 127.0.0.1:{{PORT}};
           fediguard on;
           location = /api/v1/apps {{ fediguard_app_watch on; proxy_pass http://127.0.0.1:{b}; }}
           location = /oauth/token {{ fediguard_app_watch on; proxy_pass http://127.0.0.1:{b}; }}
           location = /unwatched/api/v1/apps {{ proxy_pass http://127.0.0.1:{b}/api/v1/apps; }}
           location /api/ {{
             fediguard_token_verify /_fediguard;
             fediguard_limit zone=per_ip burst=1000 nodelay;
             try_files /nonexistent @ok; }}
           location = /api/v1/timelines/public {{
             fediguard_token_verify /_fediguard; fediguard_token_require user;
             try_files /nonexistent @ok; }}
           location /ai/ {{ fediguard_agent_deny ai; try_files /nonexistent @ok; }}
           location /_fediguard/ {{
             internal;
             proxy_pass http://127.0.0.1:{b}/;
             proxy_connect_timeout 1s; proxy_read_timeout 2s;
             subrequest_output_buffer_size 64k;
           }}
           location @ok {{ default_type application/json; return 200 '[]'; }}
           location = /metrics {{ fediguard_metrics; allow 127.0.0.1; deny all; }}
         }}"
    ))
}

fn post(port: u16, path: &str, ctype: &str, body: &str, extra: &[(&str, &str)]) -> Response {
    let mut raw = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: {SCRAPER}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (n, v) in extra {
        raw.push_str(&format!("{n}: {v}\r\n"));
    }
    raw.push_str("\r\n");
    raw.push_str(body);
    request(port, raw.as_bytes()).unwrap()
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

fn field(r: &Response, f: &str) -> String {
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    v[f].as_str().unwrap_or_default().to_string()
}

fn base64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &c)| n | (c as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn metrics(ngx: &Nginx) -> BTreeMap<String, f64> {
    let r = ngx.get("/metrics", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("Content-Type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    exposition::parse(&r.text()).unwrap_or_else(|e| panic!("{e}\n{}", r.text()))
}

fn metrics_json(ngx: &Nginx) -> serde_json::Value {
    let r = ngx.get("/metrics?format=json", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    serde_json::from_slice(&r.body).unwrap()
}

fn notice_lines(ngx: &Nginx, what: &str) -> Vec<String> {
    ngx.error_log()
        .lines()
        .filter(|l| l.contains(what))
        .map(str::to_string)
        .collect()
}

struct App {
    client_id: String,
    secret: String,
    token: String,
}

/// The seed story, watched: two apps register (form and JSON), take
/// client_credentials tokens (secret in the body, and in Basic auth), and
/// read the API with them.
#[test]
fn registrations_and_grants_are_logged_listed_and_counted() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = nginx(&backend);
    let port = ngx.port;

    let reg = post(
        port,
        "/api/v1/apps",
        FORM,
        "client_name=CDSC%20Reader&redirect_uris=urn:ietf:wg:oauth:2.0:oob&scopes=read&website=https://cdsc.example",
        &[],
    );
    assert_eq!(reg.status, 200, "{}", reg.text());
    let mut cdsc = App {
        client_id: field(&reg, "client_id"),
        secret: field(&reg, "client_secret"),
        token: String::new(),
    };
    let reg = post(
        port,
        "/api/v1/apps",
        JSON,
        r#"{"client_name":"Quiet \"App\"","redirect_uris":"urn:ietf:wg:oauth:2.0:oob","scopes":"read"}"#,
        &[],
    );
    assert_eq!(reg.status, 200, "{}", reg.text());
    let mut quiet = App {
        client_id: field(&reg, "client_id"),
        secret: field(&reg, "client_secret"),
        token: String::new(),
    };

    let lines = notice_lines(&ngx, "fediguard: app registered");
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[0].contains("[notice] "), "{}", lines[0]);
    assert!(
        lines[0].contains(&format!(
            "fediguard: app registered name=\"CDSC Reader\" website=\"https://cdsc.example\" scopes=\"read\" redirect_uri=\"urn:ietf:wg:oauth:2.0:oob\" client_id={} agent=\"{SCRAPER}\", client: 127.0.0.1,",
            cdsc.client_id
        )),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("name=\"Quiet \\\"App\\\"\" website=\"\""),
        "{}",
        lines[1]
    );

    // Tokens: form body with the secret; JSON body with Basic auth.
    let g = post(
        port,
        "/oauth/token",
        FORM,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope=read",
            cdsc.client_id, cdsc.secret
        ),
        &[],
    );
    assert_eq!(g.status, 200, "{}", g.text());
    cdsc.token = field(&g, "access_token");
    let basic = base64(&format!("{}:{}", quiet.client_id, quiet.secret));
    let g = post(
        port,
        "/oauth/token",
        JSON,
        r#"{"grant_type":"client_credentials","scope":"read"}"#,
        &[("Authorization", &format!("Basic {basic}"))],
    );
    assert_eq!(g.status, 200, "{}", g.text());
    quiet.token = field(&g, "access_token");

    let lines = notice_lines(&ngx, "fediguard: app token granted");
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[0].contains(&format!(
            "fediguard: app token granted grant_type=client_credentials client_id={} app=\"CDSC Reader\" token=",
            cdsc.client_id
        )),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(&format!("client_id={} app=\"Quiet", quiet.client_id)),
        "{}",
        lines[1]
    );

    // First use of a watched token: classified as the app's without any
    // verification round trip.
    let r = ngx.get(
        "/api/v1/timelines/public",
        &[
            ("Authorization", &format!("Bearer {}", cdsc.token)),
            ("User-Agent", SCRAPER),
        ],
    );
    assert_eq!(r.status, 403);
    for _ in 0..2 {
        let r = ngx.get(
            &format!("/api/v1/accounts/1?access_token={}", cdsc.token),
            &[("User-Agent", SCRAPER)],
        );
        assert_eq!(r.status, 200);
    }
    assert_eq!(backend.hits(ACCOUNTS), 0, "a verification was made");
    assert_eq!(backend.hits(APPS), 0, "a verification was made");
    let deny = ngx.fediguard_lines();
    assert_eq!(deny.len(), 1, "{deny:#?}");
    assert!(
        deny[0].contains("reason=mastoapi-token-app-only")
            && deny[0].contains("class=app app=\"CDSC Reader\" website=\"https://cdsc.example\""),
        "{}",
        deny[0]
    );

    // A password grant gives a user's token: not recorded, verified as a
    // user's when first used.
    let g = post(
        port,
        "/oauth/token",
        FORM,
        &format!(
            "grant_type=password&username=alice&password=pw&client_id={}",
            cdsc.client_id
        ),
        &[],
    );
    assert_eq!(g.status, 200, "{}", g.text());
    let user_token = field(&g, "access_token");
    assert_eq!(notice_lines(&ngx, "fediguard: app token granted").len(), 2);
    let r = ngx.get(
        "/api/v1/timelines/public",
        &[("Authorization", &format!("Bearer {user_token}"))],
    );
    assert_eq!(r.status, 200);
    assert_eq!(backend.hits(ACCOUNTS), 1);

    // The JSON listing: newest first, with what each app's tokens did.
    let v = metrics_json(&ngx);
    assert_eq!(v["app_registrations"], 2);
    assert_eq!(v["client_credentials_grants"], 2);
    let apps = v["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 2, "{v:#}");
    assert_eq!(apps[0]["name"], "Quiet \"App\"");
    let a = &apps[1];
    assert_eq!(a["name"], "CDSC Reader");
    assert_eq!(a["website"], "https://cdsc.example");
    assert_eq!(a["scopes"], "read");
    assert_eq!(a["redirect_uri"], "urn:ietf:wg:oauth:2.0:oob");
    assert_eq!(a["client_id"], cdsc.client_id.as_str());
    assert_eq!(a["client"], "127.0.0.1");
    assert_eq!(a["agent"], SCRAPER);
    assert_eq!(a["registered"], true);
    assert!(a["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        (&a["tokens_granted"], &a["requests"], &a["denied"]),
        (&1.into(), &3.into(), &1.into()),
        "{a:#}"
    );
    assert_eq!(
        (&apps[0]["tokens_granted"], &apps[0]["requests"]),
        (&1.into(), &0.into())
    );
    assert_eq!(v["token_classes"]["app"], 3);
    assert_eq!(v["token_classes"]["user"], 1);
    assert_eq!(v["verifications"]["started"], 1);
    assert_eq!(v["verifications"]["outcomes"]["user"], 1);
    assert_eq!(v["decisions"]["mastoapi-token-app-only"]["deny"], 1);

    // Secrets and tokens: nowhere.
    let prom = ngx.get("/metrics", &[]).text();
    let json = v.to_string();
    let secrets = [
        &cdsc.secret,
        &quiet.secret,
        &cdsc.token,
        &quiet.token,
        &user_token,
    ];
    for (what, text) in [
        ("error log", ngx.error_log()),
        ("access log", ngx.read("access.log")),
        ("metrics", prom),
        ("json", json),
    ] {
        for s in secrets {
            assert!(!s.is_empty());
            // The access log's $request shows a query string as sent: the
            // token of ?access_token= is nginx's to log (README: "Raw
            // tokens"); fediguard's own lines never hold it.
            let text: String = text
                .lines()
                .filter(|l| !(what == "access log" && l.contains("access_token=")))
                .collect();
            assert!(!text.contains(s.as_str()), "{what} holds a secret or token");
        }
    }
}

/// A token's verdict expires and is verified again: it still counts for
/// the app fediguard saw it granted to (app=0 caches no app verdict, so
/// every use is verified).
#[test]
fn a_reverified_token_still_counts_for_its_app() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = nginx_with(&backend, "app=0");
    let reg = post(
        ngx.port,
        "/api/v1/apps",
        FORM,
        "client_name=Again&redirect_uris=urn:ietf:wg:oauth:2.0:oob",
        &[],
    );
    let (id, secret) = (field(&reg, "client_id"), field(&reg, "client_secret"));
    let g = post(
        ngx.port,
        "/oauth/token",
        FORM,
        &format!("grant_type=client_credentials&client_id={id}&client_secret={secret}"),
        &[],
    );
    let token = field(&g, "access_token");
    for _ in 0..2 {
        let r = ngx.get(
            "/api/v1/accounts/1",
            &[("Authorization", &format!("Bearer {token}"))],
        );
        assert_eq!(r.status, 200);
    }
    assert_eq!(backend.hits(APPS), 2, "verified each time");
    let v = metrics_json(&ngx);
    let a = &v["apps"][0];
    assert_eq!(
        (&a["name"], &a["requests"], &a["denied"]),
        (&"Again".into(), &2.into(), &0.into()),
        "{v:#}"
    );
}

#[test]
fn prometheus_output_parses_and_only_grows_across_requests_and_reload() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = nginx(&backend);
    let traffic = |ngx: &Nginx| {
        assert_eq!(ngx.get_as("/ai/x", "GPTBot/1.1").status, 403);
        assert_eq!(ngx.get_as("/ai/x", "Mozilla/5.0").status, 200);
        let r = ngx.get(
            "/api/v1/timelines/public",
            &[("Authorization", "Bearer nope")],
        );
        assert_eq!(r.status, 403);
        let r = post(
            ngx.port,
            "/api/v1/apps",
            FORM,
            "client_name=Grower&redirect_uris=urn:ietf:wg:oauth:2.0:oob",
            &[],
        );
        assert_eq!(r.status, 200);
    };
    let before = metrics(&ngx);
    for series in [
        "fediguard_decisions_total{reason=\"agent-denied\",action=\"deny\"}",
        "fediguard_agent_requests_total{class=\"ai\"}",
        "fediguard_token_requests_total{class=\"invalid\"}",
        "fediguard_verdict_cache_hits_total",
        "fediguard_limit_requests_total{zone=\"per_ip\",outcome=\"passed\"}",
        "fediguard_limit_nodes{zone=\"per_ip\"}",
        "fediguard_app_registrations_total",
        "fediguard_client_credentials_grants_total",
    ] {
        assert!(before.contains_key(series), "{series} missing: {before:#?}");
    }
    traffic(&ngx);
    let after = metrics(&ngx);
    assert_monotonic(&before, &after);
    let get = |m: &BTreeMap<String, f64>, s: &str| m.get(s).copied().unwrap_or(-1.0);
    assert_eq!(
        get(
            &after,
            "fediguard_decisions_total{reason=\"agent-denied\",action=\"deny\"}"
        ),
        1.0
    );
    assert_eq!(
        get(&after, "fediguard_agent_requests_total{class=\"ai\"}"),
        1.0
    );
    assert_eq!(
        get(&after, "fediguard_agent_requests_total{class=\"other\"}"),
        1.0
    );
    assert_eq!(
        get(&after, "fediguard_token_requests_total{class=\"invalid\"}"),
        1.0
    );
    assert_eq!(get(&after, "fediguard_verifications_started_total"), 1.0);
    assert_eq!(
        get(&after, "fediguard_verifications_total{outcome=\"invalid\"}"),
        1.0
    );
    assert_eq!(get(&after, "fediguard_verdict_cache_entries"), 1.0);
    assert_eq!(get(&after, "fediguard_app_registrations_total"), 1.0);
    assert_eq!(get(&after, "fediguard_apps_recent"), 1.0);

    ngx.reload();
    let reloaded = metrics(&ngx);
    assert_monotonic(&after, &reloaded);
    assert_eq!(get(&reloaded, "fediguard_app_registrations_total"), 1.0);
    assert_eq!(
        get(&reloaded, "fediguard_agent_requests_total{class=\"ai\"}"),
        1.0
    );
    traffic(&ngx);
    let last = metrics(&ngx);
    assert_monotonic(&reloaded, &last);
    assert_eq!(
        get(
            &last,
            "fediguard_decisions_total{reason=\"agent-denied\",action=\"deny\"}"
        ),
        2.0
    );
    assert_eq!(get(&last, "fediguard_app_registrations_total"), 2.0);
    // The ring kept the first app across the reload.
    let v = metrics_json(&ngx);
    let names: Vec<&str> = v["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Grower", "Grower"]);
    // JSON has the same numbers as the text.
    assert_eq!(v["decisions"]["agent-denied"]["deny"], 2);
    assert_eq!(
        v["limit_zones"]["per_ip"]["passed"],
        get(
            &last,
            "fediguard_limit_requests_total{zone=\"per_ip\",outcome=\"passed\"}"
        ) as u64
    );
}

fn assert_monotonic(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) {
    for (series, v) in before {
        let name = series.split('{').next().unwrap();
        if !name.ends_with("_total") {
            continue;
        }
        let now = after
            .get(series)
            .unwrap_or_else(|| panic!("{series} vanished"));
        assert!(now >= v, "{series} went from {v} to {now}");
    }
}

#[test]
fn metrics_answer_only_get_and_head() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = nginx(&backend);
    let r = post(ngx.port, "/metrics", FORM, "a=b", &[]);
    assert_eq!(r.status, 405);
    let raw = "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let r = request(ngx.port, raw.as_bytes()).unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
}

/// Answers sent as they are: watched and unwatched locations give the
/// client the same bytes, and nothing is recorded.
#[test]
fn garbage_truncated_and_huge_answers_pass_through_unchanged() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = nginx(&backend);
    let huge_name = "x".repeat(40_000);
    let huge = format!(
        r#"{{"id":"1","name":"{huge_name}","client_id":"huge-id","client_secret":"huge-secret"}}"#
    );
    let valid = r#"{"id":"1","name":"Cut","client_id":"cut-id","client_secret":"cut-secret"}"#;
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        (
            "garbage",
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n\x00\xff{not json]\r\n".to_vec(),
            b"\x00\xff{not json]\r\n".to_vec(),
        ),
        (
            "truncated (Content-Length larger than what came)",
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}", valid.len(), &valid[..30]).into_bytes(),
            valid.as_bytes()[..30].to_vec(),
        ),
        (
            "truncated (no length, closed early)",
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}", &valid[..40]).into_bytes(),
            valid.as_bytes()[..40].to_vec(),
        ),
        (
            "huge",
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{huge}", huge.len()).into_bytes(),
            huge.as_bytes().to_vec(),
        ),
        (
            "huge, no length",
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{huge}").into_bytes(),
            huge.as_bytes().to_vec(),
        ),
    ];
    for (what, raw, body) in cases {
        backend.set_raw("/api/v1/apps", &raw);
        let watched = post(ngx.port, "/api/v1/apps", FORM, "client_name=x", &[]);
        let unwatched = post(
            ngx.port,
            "/unwatched/api/v1/apps",
            FORM,
            "client_name=x",
            &[],
        );
        assert_eq!(watched.status, 200, "{what}");
        assert_eq!(watched.body, body, "{what}: watched answer altered");
        assert_eq!(unwatched.body, body, "{what}: unwatched answer");
        assert_eq!(
            watched.header("Content-Length"),
            unwatched.header("Content-Length"),
            "{what}"
        );
    }
    // The garbage token answer, too.
    backend.set_raw(
        "/oauth/token",
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n{\"access_token\":\"abc\"",
    );
    let r = post(
        ngx.port,
        "/oauth/token",
        FORM,
        "grant_type=client_credentials&client_id=a",
        &[],
    );
    assert_eq!(r.body, b"{\"access_token\":\"abc\"");
    assert!(
        notice_lines(&ngx, "fediguard: app").is_empty(),
        "{}",
        ngx.error_log()
    );
    let v = metrics_json(&ngx);
    assert_eq!(v["app_registrations"], 0);
    assert_eq!(v["client_credentials_grants"], 0);
    assert_eq!(v["apps"].as_array().unwrap().len(), 0);
    // Workers are alive and well.
    assert_eq!(ngx.get("/metrics", &[]).status, 200);
    assert!(
        !ngx.error_log().contains("exited on signal"),
        "{}",
        ngx.error_log()
    );
}

#[test]
fn configuration_errors() {
    let t = nginx_test("server { listen 127.0.0.1:1; location = /m { fediguard_metrics; } }");
    assert!(!t.ok);
    assert!(
        t.output.contains("fediguard_metrics in")
            && t.output.contains("needs a fediguard_metrics_zone"),
        "{}",
        t.output
    );
    let t = nginx_test("fediguard_metrics_zone zone=s:16k; server { listen 127.0.0.1:1; }");
    assert!(!t.ok);
    assert!(
        t.output.contains("too small (at least 64k)"),
        "{}",
        t.output
    );
    assert!(
        t.output.contains(&t.place_of("fediguard_metrics_zone")),
        "{}",
        t.output
    );
    let t = nginx_test("server { listen 127.0.0.1:1; fediguard_app_watch on; }");
    assert!(!t.ok);
    assert!(
        t.output
            .contains("\"fediguard_app_watch\" directive is not allowed here"),
        "{}",
        t.output
    );
    let t = nginx_test("server { listen 127.0.0.1:1; location / { fediguard_app_watch maybe; } }");
    assert!(!t.ok, "{}", t.output);
    let t = nginx_test(
        "fediguard_metrics_zone zone=s:1m; fediguard_metrics_zone zone=t:1m; server { listen 127.0.0.1:1; }",
    );
    assert!(t.output.contains("duplicate"), "{}", t.output);
}
