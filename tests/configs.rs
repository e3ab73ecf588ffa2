//! The configurations shipped in nginx-conf/ load and do what the README
//! says they do.

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

#[test]
fn mastodon_conf_passes_nginx_t() {
    // Made testable here: no TLS certificates, files under the test's
    // directory, loopback ports (free ones: -t binds nothing).
    let text = std::fs::read_to_string(repo_conf("mastodon.conf")).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("ssl_"))
        .map(|l| {
            l.replace("listen 443 ssl;", "listen 127.0.0.1:18443;")
                .replace("listen [::]:443 ssl;", "")
                .replace("listen 80;", "listen 127.0.0.1:18080;")
                .replace("listen [::]:80;", "")
                .replace("/var/cache/nginx", "{DIR}/cache")
                .replace("/var/log/nginx", "{DIR}")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let t = nginx_test_text(&format!("pid {{DIR}}/nginx.pid;\n{text}"));
    assert!(t.ok, "{}", t.output);
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
