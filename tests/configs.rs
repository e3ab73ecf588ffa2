//! The configurations shipped in nginx-conf/ load and do what the README and
//! docs/ say they do.

use std::path::Path;

use fediguard_tests::stampede::setups;
use fediguard_tests::{nginx_test_text, repo_conf, Nginx};

#[test]
fn demo_serves_the_readme_examples() {
    let ngx = Nginx::start_conf_file("demo.conf");
    let ua = |agent: &str| ngx.get_as("/", agent).status;
    assert_eq!(ua("GPTBot/1.1"), 403);
    assert_eq!(
        ua("Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"),
        200
    );
    assert_eq!(
        ua("Mastodon/4.4.1 (http.rb/5.3.1; +https://example.social/)"),
        200
    );
    assert_eq!(ua("Python/3.6 aiohttp/3.6.2"), 403);
    assert_eq!(
        ngx.get_as("/dry-run/", "Python/3.6 aiohttp/3.6.2").status,
        200
    );
    assert_eq!(ngx.get_as("/robots.txt", "GPTBot/1.1").status, 200);

    let public = "/api/v1/timelines/public";
    let bearer = |t: &str| {
        let r = ngx.get(public, &[("Authorization", t), ("User-Agent", "Ivory/1.9")]);
        (
            r.status,
            r.header("X-Fediguard-Agent-Class").map(str::to_string),
            r.text(),
        )
    };
    assert_eq!(ngx.get_as(public, "Ivory/1.9").status, 403, "none");
    assert_eq!(bearer("Bearer demo-app-token").0, 403, "app");
    assert_eq!(bearer("Bearer nope").0, 403, "invalid");
    assert_eq!(bearer("Bearer").0, 403, "malformed");
    assert_eq!(bearer("Bearer demo-down-token").0, 503, "unknown");
    let r = ngx.get_as(
        &format!("{public}?access_token=demo-user-token"),
        "Ivory/1.9",
    );
    assert_eq!(r.status, 200);
    assert!(r.text().contains(r#""token":"user""#), "{}", r.text());
    assert!(r.text().contains(r#""account":"alice""#), "{}", r.text());
    let r = ngx.get(
        "/api/v1/accounts/1",
        &[
            ("Authorization", "Bearer demo-app-token"),
            ("User-Agent", "Ivory/1.9"),
        ],
    );
    assert_eq!(r.status, 200);
    assert!(r.text().contains(r#""app":"CDSC Reader""#), "{}", r.text());

    let reasons: Vec<String> = ngx
        .fediguard_lines()
        .iter()
        .filter_map(|l| l.split("reason=").nth(1))
        .map(|r| r.split(' ').next().unwrap_or("").to_string())
        .collect();
    let m = ngx.get_as("/fediguard/metrics", "curl/8.5.0");
    assert_eq!(m.status, 200);
    let metrics = fediguard_tests::exposition::parse(&m.text()).unwrap();
    let denied = "fediguard_decisions_total{reason=\"agent-denied\",action=\"deny\"}";
    assert!(
        metrics.get(denied).is_some_and(|&n| n >= 1.0),
        "{}",
        m.text()
    );
    for want in [
        "agent-denied",
        "mastoapi-no-auth",
        "mastoapi-token-app-only",
        "mastoapi-token-invalid",
        "mastoapi-token-malformed",
        "mastoapi-verify-unavailable",
    ] {
        assert!(
            reasons.iter().any(|r| r == want),
            "{want} not in {reasons:?}"
        );
    }
}

/// The Mastodon drop-in in Debian's layout, around the tests' Mastodon
/// site file: `nginx -t` passes, as shipped (dry run) and enforcing.
#[test]
fn mastodon_drop_in_passes_nginx_t() {
    use fediguard_tests::mastodon_conf::{test, Site};
    for enforce in [false, true] {
        let t = test(&Site {
            enforce,
            ..Site::new(3000)
        });
        assert!(t.ok, "{}", t.output);
        assert!(!t.output.contains("[warn]"), "{}", t.output);
    }
}

/// The drop-in in front of the stand-in (the harness's, shared with
/// tests/mastodon_conf.rs), enforcing.
fn start_mastodon(backend_port: u16) -> (fediguard_tests::mastodon_conf::DropIn, u16) {
    use fediguard_tests::mastodon_conf::{start, Site};
    let site = Site::new(backend_port);
    (start(&site), site.metrics)
}

/// What docs/mastodon.md promises of the drop-in: registrations and grants are
/// watched, the watched token needs no verification, and the metrics server
/// lists the app.
#[test]
fn mastodon_conf_watches_apps_and_serves_metrics() {
    use fediguard_tests::mastodon::{Backend, Profile};
    use fediguard_tests::watch::{grant, register};

    let backend = Backend::start(Profile::Mastodon);
    let (ngx, metrics_port) = start_mastodon(backend.port());

    let (id, secret) = register(ngx.port, "Scraper");
    let token = grant(ngx.port, &id, &secret);
    let r = ngx.get(
        "/api/v1/timelines/public",
        &[("Authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(r.status, 403);
    assert_eq!(backend.verification_calls(), 0);

    let log = ngx.error_log();
    assert!(
        log.contains("fediguard: app registered name=\"Scraper\""),
        "{log}"
    );
    assert!(log.contains("fediguard: app token granted"), "{log}");
    let m = fediguard_tests::get(metrics_port, "/fediguard/metrics?format=json", &[]);
    assert_eq!(m.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&m.body).unwrap();
    let app = &v["apps"][0];
    assert_eq!(app["name"], "Scraper");
    assert_eq!(
        (&app["tokens_granted"], &app["requests"], &app["denied"]),
        (&1.into(), &1.into(), &1.into())
    );
    let text = fediguard_tests::get(metrics_port, "/fediguard/metrics", &[]).text();
    fediguard_tests::exposition::parse(&text).unwrap();
    for s in [&secret, &token] {
        assert!(!log.contains(s.as_str()) && !text.contains(s.as_str()));
    }
}

#[test]
fn website_conf_passes_nginx_t() {
    // As shipped, but for its paths, listen address and the site's address
    // (the same edits the stampede simulator makes; no other change).
    let text = std::fs::read_to_string(repo_conf("website.conf")).unwrap();
    let text = setups::website(&text, Path::new("{DIR}"), 18080, 18081, 1).unwrap();
    let t = nginx_test_text(&text);
    assert!(t.ok, "{}", t.output);
}

/// Every file under the test's nginx directory that holds log lines.
fn all_logs(ngx: &Nginx) -> String {
    let mut out = String::new();
    for e in std::fs::read_dir(ngx.dir.path()).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "log") {
            out.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
        }
    }
    out
}

/// The shipped drop-in writes no token or secret into any log: a
/// user token and an app token in the query string and in the header, and
/// a grant's client_secret in the query string.
#[test]
fn mastodon_conf_logs_no_token() {
    use fediguard_tests::mastodon::{Backend, Profile};
    use fediguard_tests::watch::{grant, register};

    let backend = Backend::start(Profile::Mastodon);
    let user = "UserTokenQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ";
    backend.add_user(user, "alice");
    let (ngx, _) = start_mastodon(backend.port());
    let (id, secret) = register(ngx.port, "Scraper");
    let app = grant(ngx.port, &id, &secret);
    for t in [user, app.as_str()] {
        ngx.get(&format!("/api/v1/timelines/public?access_token={t}"), &[]);
        ngx.get(
            &format!("/api/v1/timelines/home?local=1&bearer_token={t}"),
            &[],
        );
        ngx.get(
            "/api/v1/timelines/public",
            &[("Authorization", &format!("Bearer {t}"))],
        );
    }
    let raw = format!(
        "POST /oauth/token?grant_type=client_credentials&client_id={id}&client_secret={secret} HTTP/1.1\r\n\
         Host: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    fediguard_tests::request(ngx.port, raw.as_bytes()).unwrap();
    let logs = all_logs(&ngx);
    assert!(
        logs.contains("/api/v1/timelines/public?access_token=[redacted]"),
        "{logs}"
    );
    for s in [user, app.as_str(), secret.as_str()] {
        assert!(!logs.contains(s), "{s} in the logs:\n{logs}");
    }
}

/// One key, one meaning: in every shipped log format a `key=$fediguard_*`
/// pair uses the key fediguard's own error_log lines use for that value.
#[test]
fn shipped_log_formats_use_the_error_logs_keys() {
    let keys = [
        ("fediguard_agent_class", "agent_class"),
        ("fediguard_agent_host", "instance"),
        ("fediguard_agent_verified", "verified"),
        ("fediguard_token_class", "token_class"),
        ("fediguard_token_id", "token_id"),
        ("fediguard_app_name", "app"),
        ("fediguard_account", "account"),
        ("fediguard_limit_status", "limit_status"),
        ("fediguard_reason", "reason"),
    ];
    // Every .conf under nginx-conf/, the drop-in's folders too.
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../nginx-conf")];
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("nginx-conf") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().and_then(|e| e.to_str()) == Some("conf") {
                files.push(path);
            }
        }
    }
    let mut seen = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read");
        for pair in text.split_whitespace() {
            let pair: String = pair
                .chars()
                .filter(|&c| c != '\'' && c != '"' && c != ';')
                .collect();
            let Some((key, value)) = pair.split_once("=$") else {
                continue;
            };
            let var = value.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_');
            if let Some((_, want)) = keys.iter().find(|(v, _)| *v == var) {
                seen += 1;
                assert_eq!(key, *want, "{}: {pair}", path.display());
            }
        }
    }
    assert!(
        seen >= 12,
        "only {seen} pairs found: are the formats still there?"
    );
}
