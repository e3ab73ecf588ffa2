//! nginx-conf/website.conf as shipped, in front of the simulated site:
//! who is cached, who is limited, who is untouched.

use fediguard_tests::dns::{Dnsmasq, Record};
use fediguard_tests::http::request_via;
use fediguard_tests::stampede::origin::{Origin, SiteModel, IMAGE_PATH, POST_PATH};
use fediguard_tests::stampede::setups;
use fediguard_tests::{repo_conf, Nginx, Response};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
const GPTBOT: &str = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)";
const DISCORD: &str = "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)";

fn mastodon(host: &str) -> String {
    format!("Mastodon/4.4.1 (http.rb/5.3.1; +https://{host}/)")
}

/// website.conf with `edit` applied, in front of a fresh site that takes
/// `page_ms` to render a page.
fn start_slow(page_ms: f64, edit: impl Fn(String) -> String) -> (Origin, Nginx) {
    let text = edit(std::fs::read_to_string(repo_conf("website.conf")).unwrap());
    let model = SiteModel {
        page_ms,
        image_ms: 0.0,
        ..SiteModel::default()
    };
    let origin = Origin::start(&model, 1.0);
    let port = origin.port;
    let nginx = Nginx::start_text(2, |dir, p| {
        setups::website(&text, dir, p, port, 1).unwrap_or_else(|e| panic!("{e}"))
    });
    (origin, nginx)
}

/// The same, with a site that answers at once.
fn start(edit: impl Fn(String) -> String) -> (Origin, Nginx) {
    start_slow(0.0, edit)
}

fn get(ngx: &Nginx, path: &str, agent: &str, extra: &[(&str, &str)]) -> Response {
    let mut headers = vec![("User-Agent", agent)];
    headers.extend_from_slice(extra);
    ngx.get(path, &headers)
}

#[test]
fn fetchers_share_one_cached_copy_browsers_reach_the_site() {
    let (site, ngx) = start(|t| t);
    let fetcher_hits = |path: &str| site.count(path, false).requests;

    // Browsers: every request reaches the site, cookies and all.
    for _ in 0..2 {
        let r = get(&ngx, POST_PATH, FIREFOX, &[]);
        assert_eq!(r.status, 200);
        assert!(r.header("Set-Cookie").is_some(), "the site's cookie");
    }
    assert_eq!(site.count(POST_PATH, true).requests, 2);

    // AI crawlers are denied, and never reach the site but for robots.txt.
    assert_eq!(get(&ngx, POST_PATH, GPTBOT, &[]).status, 403);
    assert_eq!(
        get(&ngx, "/robots.txt", GPTBOT, &[]).status,
        404,
        "site's answer"
    );
    assert_eq!(fetcher_hits(POST_PATH), 0);

    // Fetchers of different software and instances: one fetch reaches the
    // site although it answers "no-cache", a cookie and Vary: User-Agent.
    // Mastodon fetches a card's page with " Bot" after its agent.
    let a = get(
        &ngx,
        POST_PATH,
        &format!("{} Bot", mastodon("a.example")),
        &[("Cookie", "session=admin"), ("Authorization", "Bearer x")],
    );
    assert_eq!(a.status, 200);
    assert!(
        a.header("Set-Cookie").is_none(),
        "no cookie in the shared copy"
    );
    let b = get(
        &ngx,
        POST_PATH,
        "Misskey/2024.11.0 (https://b.example)",
        &[],
    );
    assert_eq!((b.status, b.body.len()), (200, a.body.len()));
    let discord = get(&ngx, POST_PATH, DISCORD, &[]);
    assert_eq!(discord.status, 200);
    assert_eq!(fetcher_hits(POST_PATH), 1);
    assert_eq!(site.with_credentials(), 0, "the fetcher's cookie stays out");
    for host in ["a.example", "b.example"] {
        assert_eq!(get(&ngx, IMAGE_PATH, &mastodon(host), &[]).status, 200);
    }
    assert_eq!(fetcher_hits(IMAGE_PATH), 1);

    // The same instance again, within the minute: refused, cheaply.
    let again = get(&ngx, POST_PATH, &mastodon("A.example"), &[]);
    assert_eq!(again.status, 429);
    let retry: u64 = again.header("Retry-After").unwrap().parse().unwrap();
    // 1r/m is 16 milli-requests a second, as in limit_req: 62.5 s.
    assert!((1..=63).contains(&retry), "{retry}");
    assert!(again.body.len() < 1000);
    // Its image is another URL; another page of the site too.
    assert_eq!(get(&ngx, "/about", &mastodon("a.example"), &[]).status, 200);
    // Unfurlers that name no instance are not limited per instance.
    assert_eq!(get(&ngx, POST_PATH, DISCORD, &[]).status, 200);

    // Federation (ActivityPub) and writes go to the site untouched.
    let ap = [("Accept", "application/activity+json")];
    for _ in 0..2 {
        assert_eq!(
            get(&ngx, POST_PATH, &mastodon("c.example"), &ap).status,
            200
        );
    }
    assert_eq!(fetcher_hits(POST_PATH), 3);
    for _ in 0..2 {
        let post = format!(
            "POST {POST_PATH} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: {}\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n",
            mastodon("c.example")
        );
        let r = fediguard_tests::request(ngx.port, post.as_bytes()).unwrap();
        assert_eq!(r.status, 200);
    }
    assert_eq!(fetcher_hits(POST_PATH), 5);
    let lines = ngx.fediguard_lines();
    assert!(
        lines.iter().any(
            |l| l.contains("reason=rate-limited zone=preview_per_instance")
                && l.contains("instance=a.example")
        ),
        "{lines:#?}"
    );
}

#[test]
fn fetchers_beyond_the_budget_get_429() {
    // The budget as shipped is 30r/s with a burst of 300; at 1r/m nothing
    // drains while the test runs, so the count is exact.
    let (site, ngx) = start(|t| {
        assert!(t.contains("zone=preview_budget:10m rate=30r/s"));
        t.replace(
            "zone=preview_budget:10m rate=30r/s",
            "zone=preview_budget:10m rate=1r/m",
        )
    });
    for i in 0..301 {
        let r = get(&ngx, POST_PATH, &mastodon(&format!("i{i}.example")), &[]);
        assert_eq!(r.status, 200, "fetch {i}");
    }
    let over = get(&ngx, POST_PATH, &mastodon("late.example"), &[]);
    assert_eq!(over.status, 429);
    assert!(over.header("Retry-After").is_some());
    // Another URL has a budget of its own; browsers have none.
    assert_eq!(
        get(&ngx, IMAGE_PATH, &mastodon("late.example"), &[]).status,
        200
    );
    assert_eq!(get(&ngx, POST_PATH, FIREFOX, &[]).status, 200);
    assert_eq!(site.count(POST_PATH, false).requests, 1);
}

#[test]
fn concurrent_fetchers_wait_for_one_fetch() {
    // The page takes 300 ms to render: the 20 fetchers that ask meanwhile
    // wait for it (proxy_cache_lock) instead of asking the site too.
    let (site, ngx) = start_slow(300.0, |t| t);
    let port = ngx.port;
    let fetchers: Vec<_> = (0..20)
        .map(|i| {
            std::thread::spawn(move || {
                let agent = mastodon(&format!("i{i}.example"));
                fediguard_tests::get(port, POST_PATH, &[("User-Agent", &agent)]).status
            })
        })
        .collect();
    for f in fetchers {
        assert_eq!(f.join().unwrap(), 200);
    }
    assert_eq!(site.count(POST_PATH, false).requests, 1);
}

/// The shipped website.conf writes no token into its access log.
#[test]
fn website_conf_logs_no_token() {
    let (_origin, ngx) = start(|t| t);
    let token = "SiteTokenZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";
    get(
        &ngx,
        &format!("{POST_PATH}?access_token={token}"),
        FIREFOX,
        &[],
    );
    get(
        &ngx,
        &format!("{POST_PATH}?a=1&password={token}"),
        &mastodon("a.example"),
        &[],
    );
    let mut logs = String::new();
    for e in std::fs::read_dir(ngx.dir.path()).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "log") {
            logs.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    assert!(logs.contains("access_token=[redacted]"), "{logs}");
    assert!(!logs.contains(token), "{logs}");
}

#[test]
fn search_engines_are_served_when_they_are_who_they_claim() {
    const GOOGLEBOT: &str =
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    let dns = Dnsmasq::start(&[
        Record::Ptr("127.0.0.2", "crawl-127-0-0-2.googlebot.com"),
        Record::Host("crawl-127-0-0-2.googlebot.com", &["127.0.0.2"]),
        Record::Ptr("127.0.0.3", "vps-3.hosting.example"),
        Record::Host("vps-3.hosting.example", &["127.0.0.3"]),
    ]);
    let resolver = format!("resolver 127.0.0.1:{}", dns.port);
    let (site, ngx) = start(|t| {
        assert!(t.contains("resolver 127.0.0.53"));
        t.replace("resolver 127.0.0.53", &resolver)
    });
    let from = |src: &str, path: &str| {
        let raw = format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: {GOOGLEBOT}\r\nConnection: close\r\n\r\n"
        );
        request_via(
            src.parse().unwrap(),
            "127.0.0.1".parse().unwrap(),
            ngx.port,
            raw.as_bytes(),
        )
        .unwrap()
    };
    // The real one reaches the site; the impostor does not, but for
    // robots.txt.
    assert_eq!(from("127.0.0.2", POST_PATH).status, 200);
    assert_eq!(from("127.0.0.3", POST_PATH).status, 403);
    assert_eq!(
        from("127.0.0.3", "/robots.txt").status,
        404,
        "site's answer"
    );
    assert_eq!(
        site.count(POST_PATH, true).requests + site.count(POST_PATH, false).requests,
        1
    );
    assert!(ngx
        .fediguard_lines()
        .iter()
        .any(|l| l.contains("reason=agent-unverified agent_class=search verified=no")));
}
