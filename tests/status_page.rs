//! The status page (`fediguard_metrics`, `?format=html` or a browser's
//! Accept) in the raw HTML and in headless Chromium: the server's own
//! rendering, what clients send escaped (an app named
//! `<img src=x onerror=alert(1)>` runs nothing), the page's headers, and
//! the counters changing in the open page as requests come in. The
//! screenshot is kept as `tmp/artifacts/status-page.png`; with
//! `FEDIGUARD_UPDATE_DOCS=1` it also replaces `docs/status-page.png`.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fediguard_tests::browser::{repo, Script};
use fediguard_tests::dns::{Dnsmasq, Record};
use fediguard_tests::mastodon::{Backend, Profile};
use fediguard_tests::watch::{
    field, grant, metrics_json, watching_nginx, watching_nginx_verifying, FORM,
};
use fediguard_tests::{get_from, request_from, Nginx};

const EVIL: &str = "<img src=x onerror=alert(1)>";

fn form_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn addr(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, n)
}

/// Registers an app from `from` with `agent`: its client_id and secret.
fn register(ngx: &Nginx, from: u8, name: &str, website: &str, agent: &str) -> (String, String) {
    let body = format!(
        "client_name={}&website={}&redirect_uris=urn:ietf:wg:oauth:2.0:oob&scopes=read",
        form_value(name),
        form_value(website)
    );
    let raw = format!(
        "POST /api/v1/apps HTTP/1.1\r\nHost: localhost\r\nUser-Agent: {agent}\r\n\
         Content-Type: {FORM}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let r = request_from(addr(from), ngx.port, raw.as_bytes()).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    (field(&r, "client_id"), field(&r, "client_secret"))
}

/// An app that registered and took a token: its token.
fn app_with_token(ngx: &Nginx, from: u8, name: &str, website: &str, agent: &str) -> String {
    let (id, secret) = register(ngx, from, name, website, agent);
    grant(ngx.port, &id, &secret)
}

fn public_timeline(ngx: &Nginx, from: u8, token: &str, agent: &str) -> u16 {
    let bearer = format!("Bearer {token}");
    get_from(
        addr(from),
        ngx.port,
        "/api/v1/timelines/public",
        &[("Authorization", &bearer), ("User-Agent", agent)],
    )
    .status
}

fn count(v: &serde_json::Value) -> u64 {
    v.as_str()
        .unwrap_or("")
        .replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("not a count: {v}"))
}

#[test]
fn the_page_is_negotiated_escaped_and_locked_down() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = watching_nginx(&backend);
    let token = app_with_token(&ngx, 9, EVIL, "javascript:alert(2)", "curl/8.5.0\"><b>");
    assert_eq!(public_timeline(&ngx, 9, &token, "curl/8.5.0"), 403);

    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let by_accept = ngx.get("/metrics", &[("Accept", browser)]);
    let by_query = ngx.get("/metrics?format=html", &[]);
    for r in [&by_accept, &by_query] {
        assert_eq!(r.status, 200);
        assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
        let csp = r.header("Content-Security-Policy").unwrap_or_default();
        assert!(
            csp.starts_with("default-src 'none'; script-src 'sha256-"),
            "{csp}"
        );
        assert!(
            csp.contains("connect-src 'self'") && !csp.contains("unsafe"),
            "{csp}"
        );
        assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"));
        assert_eq!(r.header("Cache-Control"), Some("no-store"));
        assert_eq!(r.header("Vary"), Some("Accept"));
        let page = r.text();
        assert!(
            page.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{page}"
        );
        assert!(!page.contains("<img"));
        assert!(page.contains("curl/8.5.0&quot;&gt;&lt;b&gt;"));
        assert!(page.contains("javascript:alert(2)") && !page.contains("href=\"javascript"));
        assert_eq!(page.matches("<script>").count(), 1);
    }
    // What is not a browser still gets Prometheus text or JSON, as before.
    for accept in [
        None,
        Some("*/*"),
        Some("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
    ] {
        let headers: Vec<(&str, &str)> = accept.iter().map(|a| ("Accept", *a)).collect();
        let r = ngx.get("/metrics", &headers);
        assert_eq!(
            r.header("Content-Type"),
            Some("text/plain; version=0.0.4; charset=utf-8"),
            "{accept:?}"
        );
        assert!(r.header("Content-Security-Policy").is_none());
    }
    let r = ngx.get("/metrics?format=json", &[("Accept", browser)]);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(metrics_json(&ngx)["apps"][0]["name"], EVIL);
    // HEAD has the page's headers and no body.
    let head = "HEAD /metrics?format=html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let r = fediguard_tests::request(ngx.port, head.as_bytes()).unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert!(r.header("Content-Security-Policy").is_some());
}

/// Traffic for the chart: rounds a second apart, each denying more (AI
/// crawlers, app-only tokens, invalid tokens, requests without one), until
/// `stop`; `rounds` counts them.
fn traffic(
    ngx: &Nginx,
    scraper: &str,
    evil: &str,
    user: &str,
    rounds: &AtomicU32,
    stop: &AtomicBool,
) {
    for round in 1..=30u16 {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        // Some rounds busier than others, as traffic goes.
        let round = [2u16, 5, 3, 7, 4, 8, 6, 9, 5, 7][round as usize % 10];
        let started = Instant::now();
        for i in 0..round * 3 {
            let from = 30 + (i % 5) as u8;
            let r = get_from(
                addr(from),
                ngx.port,
                "/ai/page",
                &[("User-Agent", "GPTBot/1.2")],
            );
            assert_eq!(r.status, 403);
            assert_eq!(
                public_timeline(ngx, 21, scraper, "Python/3.6 aiohttp/3.6.2"),
                403
            );
        }
        for _ in 0..round {
            assert_eq!(public_timeline(ngx, 9, evil, "curl/8.5.0"), 403);
            assert_eq!(public_timeline(ngx, 44, "nope", "okhttp/4.12.0"), 403);
            let r = get_from(addr(45), ngx.port, "/api/v1/timelines/public", &[]);
            assert_eq!(r.status, 403);
        }
        assert_eq!(public_timeline(ngx, 12, user, "Ivory/1.9 (iOS)"), 200);
        for _ in 0..round * 4 {
            let bearer = format!("Bearer {user}");
            let r = get_from(
                addr(12),
                ngx.port,
                "/api/v1/accounts/1",
                &[
                    ("Authorization", &bearer),
                    ("User-Agent", "Ivory/1.9 (iOS)"),
                ],
            );
            assert_eq!(r.status, 200);
        }
        // Search engines: a real Googlebot and an impostor.
        let googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        for (from, want) in [(60, 200), (61, 403)] {
            let r = get_from(
                addr(from),
                ngx.port,
                "/search/page",
                &[("User-Agent", googlebot)],
            );
            assert_eq!(r.status, want);
        }
        if rounds.load(Ordering::SeqCst) == 2 {
            app_with_token(ngx, 52, "Late Arrival", "", "Tusky/25.0");
        }
        rounds.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(1000).saturating_sub(started.elapsed()));
    }
}

#[test]
fn the_page_in_a_browser_shows_the_apps_and_follows_the_counters() {
    let backend = Backend::start(Profile::Mastodon);
    let dns = Dnsmasq::start(&[
        Record::Ptr("127.0.0.60", "crawl-127-0-0-60.googlebot.com"),
        Record::Host("crawl-127-0-0-60.googlebot.com", &["127.0.0.60"]),
        Record::Ptr("127.0.0.61", "host-61.cloud.example"),
        Record::Host("host-61.cloud.example", &["127.0.0.61"]),
    ]);
    let ngx = watching_nginx_verifying(&backend, dns.port);
    let scraper = app_with_token(
        &ngx,
        21,
        "CDSC Reader",
        "https://cdsc.example",
        "Python/3.6 aiohttp/3.6.2",
    );
    let evil = app_with_token(&ngx, 9, EVIL, "https://evil.example", "curl/8.5.0");
    app_with_token(
        &ngx,
        12,
        "Ivory for Mastodon",
        "https://tapbots.com/ivory",
        "Ivory/1.9 (iOS)",
    );
    let (_, _) = register(&ngx, 33, "toot-archiver", "", "python-requests/2.32.3");
    for _ in 0..3 {
        assert_eq!(
            public_timeline(&ngx, 21, &scraper, "Python/3.6 aiohttp/3.6.2"),
            403
        );
        assert_eq!(public_timeline(&ngx, 9, &evil, "curl/8.5.0"), 403);
    }

    let shot = repo().join("tmp/artifacts/status-page.png");
    let _ = std::fs::remove_file(&shot);
    let url = format!("http://127.0.0.1:{}/metrics?refresh=1", ngx.port);
    let started = Instant::now();
    let mut script = Script::start("status-page.cjs", &[&url, shot.to_str().unwrap()]);
    let loaded = script.expect("loaded");
    eprintln!("browser: page up after {:?}", started.elapsed());
    let names: Vec<&str> = loaded["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["toot-archiver", "Ivory for Mastodon", EVIL, "CDSC Reader"],
        "newest first: {loaded}"
    );
    // Requests go on while the page is read, so that the chart shows
    // them; the page is told once some have been made.
    let user = "UserTokenStatusPageQQQQQQQQQQQQQQQQQQQQQQQQ";
    backend.add_user(user, "alice");
    let (rounds, stop) = (AtomicU32::new(0), AtomicBool::new(false));
    let result = std::thread::scope(|s| {
        s.spawn(|| traffic(&ngx, &scraper, &evil, user, &rounds, &stop));
        while rounds.load(Ordering::SeqCst) < 4 {
            std::thread::sleep(Duration::from_millis(20));
        }
        script.send("traffic");
        let result = script.expect("result");
        stop.store(true, Ordering::SeqCst);
        result
    });
    assert!(script.finish(), "the browser script failed");
    eprintln!("browser: done after {:?}", started.elapsed());

    let (first, after) = (&result["first"], &result["after"]);
    assert!(
        count(&after["denied"]) > count(&first["denied"]),
        "{result:#}"
    );
    assert!(after["reads"].as_u64() > first["reads"].as_u64());
    assert!(after["polylines"].as_u64().unwrap() >= 3, "{result:#}");
    let after_names: Vec<&str> = after["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(after_names[0], "Late Arrival", "{result:#}");
    // The attacker-named app is there as text, marked as denied most, and
    // nothing it carried ran: no dialog, no img element, no CSP violation.
    let evil_row = after["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == EVIL)
        .expect("the app named like markup is listed as text");
    assert_eq!(evil_row["flagged"], true, "{result:#}");
    assert_eq!(result["dialogs"], serde_json::json!([]));
    assert_eq!(first["imgs"], 0);
    assert_eq!(after["imgs"], 0);
    assert_eq!(after["scripts"], 1);
    assert_eq!(result["violations"], serde_json::json!([]), "{result:#}");
    assert_eq!(result["consoleErrors"], serde_json::json!([]), "{result:#}");
    let csp = result["headers"]["content-security-policy"]
        .as_str()
        .unwrap();
    assert!(csp.starts_with("default-src 'none'"));
    assert_eq!(result["headers"]["x-content-type-options"], "nosniff");
    assert_eq!(result["headers"]["cache-control"], "no-store");
    assert!(count(&after["backendCalls"]) >= 2, "{result:#}");
    // JavaScript off: the server's rendering, with the same apps.
    let off = &result["staticPage"];
    assert!(off["live"].as_str().unwrap().contains("static page"));
    assert!(count(&off["denied"]) >= count(&after["denied"]));
    assert_eq!(off["apps"][0], "Late Arrival");
    assert_eq!(off["imgs"], 0);

    // What is on is on the page: agent verification, and every token
    // class, `limited` among them.
    let html = fediguard_tests::get(ngx.port, "/metrics?format=html", &[]).text();
    assert!(html.contains("<h2>Agent verification</h2>"), "{html}");
    assert!(html.contains("data-key=\"search\""), "{html}");
    assert!(html.contains("data-key=\"limited\""), "{html}");
    let v = metrics_json(&ngx);
    let search = &v["agent_verification"]["claims"]["search"];
    assert!(search["yes"].as_u64() >= Some(1), "{v}");
    assert!(search["no"].as_u64() >= Some(1), "{v}");
    let png = std::fs::read(&shot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000);
    if std::env::var_os("FEDIGUARD_UPDATE_DOCS").is_some_and(|v| v == "1") {
        let docs = repo().join("docs/status-page.png");
        std::fs::create_dir_all(docs.parent().unwrap()).unwrap();
        std::fs::copy(&shot, &docs).unwrap();
        eprintln!("browser: {} updated", docs.display());
    }
}
