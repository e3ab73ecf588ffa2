//! The Mastodon drop-in (nginx-conf/mastodon/) as shipped, in Debian's
//! layout around the tests' Mastodon site file, against the stand-in,
//! for the seed stories it answers: [slow] a faulty client whose odd
//! requests are slow and fail runs out while ordinary clients are served;
//! answers to requests without a credential are cached a minute, others
//! never; the federation endpoints are limited per instance (and per
//! address); [previews] a stampede of preview fetches costs Mastodon one
//! page; [apps] the status page on the metrics server.

use std::net::Ipv4Addr;
use std::thread;
use std::time::{Duration, Instant};

use fediguard_tests::mastodon::{Backend, Behaviour, Profile};
use fediguard_tests::mastodon_conf::{self, DropIn, Site};
use fediguard_tests::watch::{grant, register};
use fediguard_tests::{get, get_from, Nginx};

fn addr(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, n)
}

fn start(backend: &Backend) -> (DropIn, u16) {
    let site = Site::new(backend.port());
    (mastodon_conf::start(&site), site.metrics)
}

/// The OStatus story: a client sends an odd request that keeps Mastodon
/// busy half a second and fails with 500, and retries at once; ten
/// ordinary clients read the API meanwhile, each a request every half
/// second, for 10 s. The faulty one runs out of its budget (Mastodon's
/// unauthenticated_api, 300 at once: each request charged 1, then 4 for
/// the failure and 1 for the time by fediguard_limit_after) and gets 429s;
/// none of the ten gets one.
#[test]
fn a_faulty_client_runs_out_while_ordinary_clients_are_served() {
    let backend = Backend::start(Profile::Mastodon);
    backend.set_throttles(None);
    let odd = "/api/v1/accounts/lookup";
    backend.set_path_behaviour(odd, Behaviour::SlowFailure(Duration::from_millis(500)));
    let (ngx, _) = start(&backend);
    let port = ngx.port;
    let run = Duration::from_secs(10);
    let started = Instant::now();
    let (faulty, ordinary) = thread::scope(|s| {
        // The faulty client retries at once, eight requests in flight.
        // Each request's query differs (the retries of a client whose
        // requests are odd): no cache lock makes them wait for each other.
        let faulty: Vec<_> = (0..8)
            .map(|t| {
                s.spawn(move || {
                    let mut seen: Vec<(f64, u16)> = Vec::new();
                    while started.elapsed() < run && seen.len() < 5000 {
                        let r = get_from(
                            addr(100),
                            port,
                            &format!(
                                "{odd}?acct=%40%40odd%40%40&resolve=true&n={t}-{}",
                                seen.len()
                            ),
                            &[("User-Agent", "OddClient/0.1")],
                        );
                        seen.push((started.elapsed().as_secs_f64(), r.status));
                    }
                    seen
                })
            })
            .collect();
        let ordinary: Vec<_> = (0..10u8)
            .map(|i| {
                s.spawn(move || {
                    let mut statuses = Vec::new();
                    let paths = [
                        format!("/api/v1/accounts/{}", 100 + i),
                        format!("/api/v1/statuses/{}", 200 + i),
                        "/api/v2/instance".to_string(),
                        format!("/api/v1/accounts/{}/statuses", 100 + i),
                    ];
                    let mut n = 0;
                    while started.elapsed() < run {
                        let tick = Instant::now();
                        let r = get_from(
                            addr(101 + i),
                            port,
                            &paths[n % paths.len()],
                            &[("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0")],
                        );
                        statuses.push(r.status);
                        n += 1;
                        thread::sleep(Duration::from_millis(500).saturating_sub(tick.elapsed()));
                    }
                    statuses
                })
            })
            .collect();
        let mut faulty: Vec<(f64, u16)> =
            faulty.into_iter().flat_map(|h| h.join().unwrap()).collect();
        faulty.sort_by(|a, b| a.0.total_cmp(&b.0));
        let ordinary: Vec<Vec<u16>> = ordinary.into_iter().map(|h| h.join().unwrap()).collect();
        (faulty, ordinary)
    });

    let failed = faulty.iter().filter(|(_, s)| *s == 500).count();
    let limited = faulty.iter().filter(|(_, s)| *s == 429).count();
    let first_429 = faulty.iter().find(|(_, s)| *s == 429).map(|(t, _)| *t);
    let end = faulty.last().map_or(0.0, |(t, _)| *t);
    let last_second: Vec<u16> = faulty
        .iter()
        .filter(|(t, _)| *t > end - 1.0)
        .map(|(_, s)| *s)
        .collect();
    let served: usize = ordinary.iter().map(Vec::len).sum();
    eprintln!(
        "faulty client: {} requests, {failed} answered 500 (reached Mastodon: {}), {limited} \
         answered 429, the first after {:.1} s; ordinary clients: {served} requests, statuses {:?}",
        faulty.len(),
        backend.hits(odd),
        first_429.unwrap_or(-1.0),
        {
            let mut all: Vec<u16> = ordinary.iter().flatten().copied().collect();
            all.sort();
            all.dedup();
            all
        }
    );
    assert!(
        failed >= 5,
        "the faulty client was never served: {faulty:?}"
    );
    assert!(limited > 0, "the faulty client never got a 429");
    assert!(
        first_429.is_some_and(|t| t < 8.5),
        "the faulty client ran out too late: {first_429:?}"
    );
    assert!(
        !last_second.is_empty()
            && last_second.iter().filter(|&&s| s == 429).count() * 10 >= last_second.len() * 9,
        "the faulty client is not held back at the end: {last_second:?}"
    );
    assert_eq!(backend.hits(odd), failed);
    for (i, statuses) in ordinary.iter().enumerate() {
        assert!(
            statuses.len() >= 10,
            "client {i} made {} requests",
            statuses.len()
        );
        assert!(
            statuses.iter().all(|&s| s == 200),
            "ordinary client {i}: {statuses:?}"
        );
    }
}

/// The advice's cache: two requests without a credential to a public API
/// endpoint (an account's statuses) reach Mastodon once; every request
/// with a token (header, access_token, bearer_token) or a cookie reaches
/// it, and its answer is never stored for the others. The public timeline
/// still wants a user: anonymous readers are refused, not cached.
#[test]
fn answers_without_a_credential_are_cached_a_minute_others_never() {
    let backend = Backend::start(Profile::Mastodon);
    let user = "UserTokenCacheTestQQQQQQQQQQQQQQQQQQQQQQQQQ";
    backend.add_user(user, "alice");
    let (ngx, metrics_port) = start(&backend);
    let public = "/api/v1/accounts/7/statuses";
    let hits = || backend.hits(public);
    let bearer = format!("Bearer {user}");

    let a = ngx.get(public, &[]);
    let b = ngx.get(public, &[]);
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!(hits(), 1, "two anonymous requests, one backend request");
    assert_eq!(b.header("X-Cached"), Some("HIT"));
    // Another query is another entry.
    assert_eq!(ngx.get(&format!("{public}?local=true"), &[]).status, 200);
    assert_eq!(hits(), 2);

    // With a cookie, a token in the header or the query: always Mastodon.
    let with_cookie = ngx.get(public, &[("Cookie", "_session_id=abc")]);
    assert_eq!(with_cookie.status, 200);
    assert_eq!(hits(), 3);
    for _ in 0..2 {
        assert_eq!(ngx.get(public, &[("Authorization", &bearer)]).status, 200);
    }
    assert_eq!(hits(), 5);
    assert_eq!(
        ngx.get(&format!("{public}?access_token={user}"), &[])
            .status,
        200
    );
    assert_eq!(
        ngx.get(&format!("{public}?bearer_token={user}"), &[])
            .status,
        200
    );
    assert_eq!(hits(), 7);
    // A user's answer is not stored: the next anonymous reader of the same
    // URL gets Mastodon's answer for anonymous readers.
    let paged = format!("{public}?limit=5");
    assert_eq!(ngx.get(&paged, &[("Authorization", &bearer)]).status, 200);
    assert_eq!(ngx.get(&paged, &[]).header("X-Cached"), Some("MISS"));
    assert_eq!(ngx.get(&paged, &[]).header("X-Cached"), Some("HIT"));
    assert_eq!(hits(), 9);
    // The public timeline wants a user: no token and an app's token are
    // refused, and cost Mastodon nothing.
    let timeline = "/api/v1/timelines/public";
    let (id, secret) = register(ngx.port, "Scraper");
    let app = grant(ngx.port, &id, &secret);
    let r = ngx.get(timeline, &[("Authorization", &format!("Bearer {app}"))]);
    assert_eq!(r.status, 403);
    assert_eq!(ngx.get(timeline, &[]).status, 403);
    assert_eq!(backend.hits(timeline), 0);
    assert_eq!(ngx.get(timeline, &[("Authorization", &bearer)]).status, 200);
    assert_eq!(backend.hits(timeline), 1);

    // The rest of the API: the same.
    let account = "/api/v1/accounts/7";
    assert_eq!(ngx.get(account, &[]).status, 200);
    assert_eq!(ngx.get(account, &[]).header("X-Cached"), Some("HIT"));
    assert_eq!(backend.hits(account), 1);
    for _ in 0..2 {
        let r = ngx.get(account, &[("Authorization", &bearer)]);
        assert_eq!(r.header("X-Cached"), Some("BYPASS"));
    }
    assert_eq!(backend.hits(account), 3);

    // The metrics server shows the status page to a browser.
    let page = get(
        metrics_port,
        "/fediguard/metrics",
        &[("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
    );
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<title>fediguard status</title>"));
    assert!(page.text().contains("Scraper"));
}

fn webfinger(ngx: &Nginx, from: u8, agent: &str) -> u16 {
    get_from(
        addr(from),
        ngx.port,
        "/.well-known/webfinger?resource=acct:alice@example.social",
        &[("User-Agent", agent), ("Accept", "application/jrd+json")],
    )
    .status
}

/// Webfinger and the other federation endpoints: a budget per instance
/// named by the agent (100 at once), per address without one, and a
/// ceiling per address for all the instances it claims.
#[test]
fn federation_endpoints_are_limited_per_instance_and_address() {
    let backend = Backend::start(Profile::Mastodon);
    let (ngx, _) = start(&backend);
    let a = "Mastodon/4.4.1 (http.rb/5.3.1; +https://a.example/)";
    let b = "Misskey/13.12.2 (https://b.example)";
    // Served before the first 429, and what drained at 1 r/s meanwhile.
    let served = |from: u8, agent: &str, n: usize| {
        let t = Instant::now();
        let served = (0..n)
            .take_while(|_| webfinger(&ngx, from, agent) != 429)
            .count();
        (served, t.elapsed().as_secs_f64().ceil() as usize + 1)
    };
    // a.example's 100 at once (and the first), then 429; b.example, from
    // the same address, has its own.
    let (n, drained) = served(60, a, 110);
    assert!((101..=101 + drained).contains(&n), "a.example: {n} served");
    assert_eq!(webfinger(&ngx, 60, a), 429);
    assert_ne!(webfinger(&ngx, 60, b), 429);
    // Without an instance in the agent, the address is the key.
    let (n, drained) = served(61, "curl/8.5.0", 110);
    assert!((101..=101 + drained).contains(&n), "an address: {n} served");
    assert_eq!(webfinger(&ngx, 61, "python-requests/2.32"), 429);
    assert_ne!(webfinger(&ngx, 60, b), 429);
    // One address claiming a new instance each time meets the address's
    // ceiling (1,200 at once).
    let mut passed = 0;
    let t = Instant::now();
    for i in 0..1500 {
        let agent = format!("Mastodon/4.4.1 (http.rb/5.3.1; +https://h{i}.example/)");
        if webfinger(&ngx, 62, &agent) == 429 {
            break;
        }
        passed += 1;
    }
    // 1,200 at once and the first, and what drained at 20 r/s meanwhile.
    let drained = (20.0 * t.elapsed().as_secs_f64()).ceil() as usize + 1;
    assert!(
        (1201..=1201 + drained).contains(&passed),
        "{passed} claimed instances served in {:?}",
        t.elapsed()
    );
}

/// A post linked elsewhere: thirty servers fetch its page for a preview at
/// once; Mastodon renders it once. ActivityPub fetches of the same URL
/// still reach Mastodon.
#[test]
fn a_preview_stampede_costs_mastodon_one_page() {
    let backend = Backend::start(Profile::Mastodon);
    let (ngx, _) = start(&backend);
    let page = "/@alice/113456789";
    let port = ngx.port;
    let statuses: Vec<u16> = thread::scope(|s| {
        let fetchers: Vec<_> = (0..30u8)
            .map(|i| {
                s.spawn(move || {
                    let agent =
                        format!("Mastodon/4.4.1 (http.rb/5.3.1; +https://i{i}.example/) Bot");
                    let r = get_from(
                        addr(70 + i),
                        port,
                        page,
                        &[("User-Agent", &agent), ("Accept", "text/html")],
                    );
                    assert!(r.text().contains("og:title"), "{}", r.text());
                    r.status
                })
            })
            .collect();
        fetchers.into_iter().map(|f| f.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    assert_eq!(backend.hits(page), 1, "one fetch per URL reaches Mastodon");
    let ap = |i: u8| {
        get(
            port,
            page,
            &[
                (
                    "User-Agent",
                    &format!("Mastodon/4.4.1 (http.rb/5.3.1; +https://ap{i}.example/)"),
                ),
                ("Accept", "application/activity+json"),
            ],
        )
    };
    ap(1);
    ap(2);
    assert_eq!(
        backend.hits(page),
        3,
        "ActivityPub fetches are not previews"
    );
}

/// The drop-in as shipped starts in dry run, and with Debian's stock
/// `error_log` line (no level: from `error` up) its decisions show: a
/// "would deny" line at error, REJECTED_DRY_RUN in the access log, the
/// status page's "would deny" count; nothing is refused. Then the one
/// line that enforces: the same requests are refused, at error.
#[test]
fn a_dry_run_first_and_decisions_show_with_debians_stock_error_log() {
    let backend = Backend::start(Profile::Mastodon);
    let dry = Site {
        enforce: false,
        log_level: None,
        ..Site::new(backend.port())
    };
    let ngx = mastodon_conf::start(&dry);
    let conf = std::fs::read_to_string(ngx.path("nginx.conf")).unwrap();
    assert!(conf.contains("error.log;\n"), "Debian's stock line: {conf}");
    let timeline = "/api/v1/timelines/public";
    assert_eq!(ngx.get(timeline, &[]).status, 200);
    // Past the edge's 30: let through (Mastodon's own throttle answers).
    let proxy = |n: usize| {
        get_from(
            addr(90),
            ngx.port,
            &format!("/media_proxy/{n}/original"),
            &[],
        )
    };
    let edge_refused = (0..32)
        .map(proxy)
        .filter(|r| r.header("RateLimit-Policy").is_some())
        .count();
    assert_eq!(edge_refused, 0);
    let log = ngx.error_log();
    let would: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("fediguard: would deny"))
        .collect();
    assert!(
        would
            .iter()
            .any(|l| l.contains("[error]") && l.contains("reason=mastoapi-no-auth")),
        "{log}"
    );
    assert!(
        would
            .iter()
            .any(|l| l.contains("[error]") && l.contains("reason=rate-limited zone=fg_media_proxy")),
        "{log}"
    );
    let access = ngx.read("mastodon.access.log");
    assert!(access.contains("limit_status=REJECTED_DRY_RUN"), "{access}");
    assert!(access.contains("reason=mastoapi-no-auth"), "{access}");
    let m = get(dry.metrics, "/fediguard/metrics?format=json", &[]);
    let v: serde_json::Value = serde_json::from_slice(&m.body).unwrap();
    assert_eq!(v["decisions"]["mastoapi-no-auth"]["dry_run"], 1, "{v}");
    assert_eq!(v["decisions"]["mastoapi-no-auth"]["deny"], 0, "{v}");
    drop(ngx);

    // Enforced: "fediguard on;" in the snippet.
    let on = Site {
        enforce: true,
        log_level: None,
        ..Site::new(backend.port())
    };
    let ngx = mastodon_conf::start(&on);
    assert_eq!(ngx.get(timeline, &[]).status, 403);
    let statuses: Vec<u16> = (0..32)
        .map(|n| {
            get_from(
                addr(91),
                ngx.port,
                &format!("/media_proxy/{n}/original"),
                &[],
            )
            .status
        })
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 429).count(),
        2,
        "{statuses:?}"
    );
    let log = ngx.error_log();
    for reason in [
        "reason=mastoapi-no-auth",
        "reason=rate-limited zone=fg_media_proxy",
    ] {
        assert!(
            log.lines().any(|l| l.contains("[error]")
                && l.contains("fediguard: deny ")
                && l.contains(reason)),
            "{reason}: {log}"
        );
    }
}

/// Verified agents in the drop-in: a search engine is served when its
/// claim holds (forward-confirmed reverse DNS, from dnsmasq) and refused
/// when it does not; the access log says `verified=`.
#[test]
fn search_engines_are_served_only_when_their_claim_is_verified() {
    use fediguard_tests::dns::{Dnsmasq, Record};
    let dns = Dnsmasq::start(&[
        Record::Ptr("127.0.0.40", "crawl-127-0-0-40.googlebot.com"),
        Record::Host("crawl-127-0-0-40.googlebot.com", &["127.0.0.40"]),
        Record::Ptr("127.0.0.41", "host-41.cloud.example"),
        Record::Host("host-41.cloud.example", &["127.0.0.41"]),
    ]);
    let backend = Backend::start(Profile::Mastodon);
    let ngx = mastodon_conf::start(&Site {
        dns: Some(dns.port),
        ..Site::new(backend.port())
    });
    let googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    let page = "/@alice/113456789";
    let real = get_from(addr(40), ngx.port, page, &[("User-Agent", googlebot)]);
    assert_eq!(real.status, 200);
    let fake = get_from(addr(41), ngx.port, page, &[("User-Agent", googlebot)]);
    assert_eq!(fake.status, 403);
    let access = ngx.read("mastodon.access.log");
    let line = |from: &str| {
        access
            .lines()
            .find(|l| l.starts_with(&format!("{from} ")))
            .unwrap_or_else(|| panic!("no line from {from}: {access}"))
            .to_string()
    };
    let real_line = line("127.0.0.40");
    assert!(
        real_line.contains("agent_class=search verified=yes"),
        "{real_line}"
    );
    let fake_line = line("127.0.0.41");
    assert!(fake_line.contains("verified=no"), "{fake_line}");
    assert!(fake_line.contains("reason=agent-unverified"), "{fake_line}");
    assert!(
        ngx.error_log()
            .lines()
            .any(|l| l.contains("fediguard: deny reason=agent-unverified") && l.contains("[error]")),
        "{}",
        ngx.error_log()
    );
}
