//! Verified agents through the real nginx and module, with a real DNS
//! server (dnsmasq) on a loopback port: clients bind addresses of
//! 127.0.0.0/8 (and ::1) to look like different machines, and the DNS
//! server's query log counts the lookups.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fediguard_tests::cluster::eventually;
use fediguard_tests::dns::{Dnsmasq, Record, SilentDns};
use fediguard_tests::exposition::metric;
use fediguard_tests::http::request_via;
use fediguard_tests::{Nginx, Response};

const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const BINGBOT: &str = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";
const GPTBOT: &str = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)";
const CCBOT: &str = "CCBot/2.0 (https://commoncrawl.org/faq/)";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
const MASTODON: &str = "Mastodon/4.4.1 (http.rb/5.3.1; +https://mastodon.test/)";

/// The addresses and names of the tests' little world.
fn world() -> Vec<Record<'static>> {
    vec![
        // A real Googlebot: its name is Google's and resolves back.
        Record::Ptr("127.0.0.2", "crawl-127-0-0-2.googlebot.com"),
        Record::Host("crawl-127-0-0-2.googlebot.com", &["127.0.0.2"]),
        // A name in another domain.
        Record::Ptr("127.0.0.3", "host-3.cloud.example"),
        Record::Host("host-3.cloud.example", &["127.0.0.3"]),
        // A Google name that does not resolve back (a forged PTR).
        Record::Ptr("127.0.0.4", "crawl-66-249-66-1.googlebot.com"),
        Record::Host("crawl-66-249-66-1.googlebot.com", &["127.0.0.99"]),
        // A fediverse instance fetching from its own address.
        Record::Host("mastodon.test", &["127.0.0.5"]),
        // Googlebot over IPv6.
        Record::Ptr("::1", "crawl-v6.googlebot.com"),
        Record::Host("crawl-v6.googlebot.com", &["::1"]),
        // For the concurrency and reload tests.
        Record::Ptr("127.0.0.20", "crawl-127-0-0-20.googlebot.com"),
        Record::Host("crawl-127-0-0-20.googlebot.com", &["127.0.0.20"]),
    ]
}

/// An `http` body: the DNS server, the zone, the verification variable in
/// a response header, and `location_extra` in the server.
fn conf(dns_port: u16, http_extra: &str, server_extra: &str) -> String {
    format!(
        "resolver 127.0.0.1:{dns_port};
         fediguard_verify_zone zone=verify:1m;
         fediguard_metrics_zone zone=stats:1m;
         {http_extra}
         server {{
             listen 127.0.0.1:{{PORT}};
             listen [::1]:{{PORT}};
             fediguard on;
             add_header X-Verified \"$fediguard_agent_verified\" always;
             add_header X-Class $fediguard_agent_class always;
             {server_extra}
             location / {{ try_files /nonexistent @page; }}
             location @page {{ default_type text/plain; return 200 \"page\"; }}
             location = /metrics {{ fediguard off; fediguard_metrics; }}
         }}"
    )
}

/// A request from `src` (an address of the loopback network) with `agent`.
fn from(ngx: &Nginx, src: &str, agent: &str) -> Response {
    let src: IpAddr = src.parse().expect("address");
    let dst: IpAddr = if src.is_ipv6() {
        "::1".parse().unwrap()
    } else {
        "127.0.0.1".parse().unwrap()
    };
    let raw = format!(
        "GET /page HTTP/1.1\r\nHost: localhost\r\nUser-Agent: {agent}\r\nConnection: close\r\n\r\n"
    );
    request_via(src, dst, ngx.port, raw.as_bytes())
        .unwrap_or_else(|e| panic!("request from {src}: {e}"))
}

fn verified(r: &Response) -> &str {
    r.header("X-Verified").unwrap_or("")
}

#[test]
fn a_real_googlebot_passes_and_fakes_are_denied() {
    let dns = Dnsmasq::start(&world());
    let ngx = Nginx::start(&conf(
        dns.port,
        "",
        "fediguard_agent_deny_unverified search;",
    ));
    let r = from(&ngx, "127.0.0.2", GOOGLEBOT);
    assert_eq!(
        (r.status, verified(&r)),
        (200, "yes"),
        "{:?}",
        ngx.error_log()
    );
    // Its PTR name is in another domain.
    let r = from(&ngx, "127.0.0.3", GOOGLEBOT);
    assert_eq!((r.status, verified(&r)), (403, "no"));
    // Its PTR name is Google's but does not resolve back to it.
    let r = from(&ngx, "127.0.0.4", GOOGLEBOT);
    assert_eq!((r.status, verified(&r)), (403, "no"));
    // No PTR name at all.
    let r = from(&ngx, "127.0.0.6", GOOGLEBOT);
    assert_eq!((r.status, verified(&r)), (403, "no"));
    // The real Googlebot's address claiming to be bingbot.
    let r = from(&ngx, "127.0.0.2", BINGBOT);
    assert_eq!((r.status, verified(&r)), (403, "no"));
    // Browsers claim nothing: no lookup, nothing to verify.
    let r = from(&ngx, "127.0.0.7", FIREFOX);
    assert_eq!((r.status, verified(&r)), (200, ""));
    assert_eq!(dns.ptr_queries("127.0.0.7"), 0);
    // A name outside every operator's domains is not resolved back.
    assert_eq!(dns.queries("A", "host-3.cloud.example"), 0);
    assert_eq!(dns.queries("A", "crawl-66-249-66-1.googlebot.com"), 1);

    let lines = ngx.fediguard_lines();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert!(lines.iter().all(|l| l.contains(
        "fediguard: deny reason=agent-unverified agent_class=search verified=no via=rdns agent=\""
    )));
    assert!(lines.iter().any(|l| l.contains("client: 127.0.0.4,")));
    // Every address was looked up once, the second claim of 127.0.0.2
    // answered from the zone.
    assert_eq!(dns.ptr_queries("127.0.0.2"), 1);
    let s = |result: &str| {
        metric(
            &ngx,
            &format!("fediguard_agent_verifications_total{{class=\"search\",result=\"{result}\"}}"),
        )
    };
    assert_eq!((s("yes"), s("no"), s("none")), (1.0, 4.0, 0.0));
    assert_eq!(metric(&ngx, "fediguard_verify_lookups_total"), 4.0);
    assert_eq!(
        metric(
            &ngx,
            "fediguard_decisions_total{reason=\"agent-unverified\",action=\"deny\"}"
        ),
        4.0
    );
}

#[test]
fn googlebot_over_ipv6() {
    let dns = Dnsmasq::start(&world());
    let ngx = Nginx::start(&conf(
        dns.port,
        "",
        "fediguard_agent_deny_unverified search;",
    ));
    let r = from(&ngx, "::1", GOOGLEBOT);
    assert_eq!(
        (r.status, verified(&r)),
        (200, "yes"),
        "{}",
        ngx.error_log()
    );
    assert_eq!(dns.ptr_queries("::1"), 1);
    assert_eq!(dns.queries("AAAA", "crawl-v6.googlebot.com"), 1);
}

#[test]
fn published_ranges_match_and_miss_over_ipv4_and_ipv6() {
    let dns = Dnsmasq::start(&world());
    let dir = tempfile::tempdir().expect("tempdir");
    let gptbot = dir.path().join("gptbot.json");
    std::fs::write(
        &gptbot,
        r#"{"creationTime":"2026-01-01T00:00:00.000000","prefixes":[
            {"ipv4Prefix":"127.0.0.8/30"},{"ipv6Prefix":"::1/128"}]}"#,
    )
    .unwrap();
    let ccbot = dir.path().join("ccbot.txt");
    std::fs::write(&ccbot, "# Common Crawl\n127.0.0.40/29\n2001:db8::/32\n").unwrap();
    let ngx = Nginx::start(&conf(
        dns.port,
        &format!(
            "fediguard_agent_ranges GPTBot {};
             fediguard_agent_ranges CCBot {};",
            gptbot.display(),
            ccbot.display()
        ),
        "fediguard_agent_deny_unverified ai;",
    ));
    for (src, agent, status, v) in [
        ("127.0.0.9", GPTBOT, 200, "yes"),
        ("127.0.0.12", GPTBOT, 403, "no"),
        ("::1", GPTBOT, 200, "yes"),
        ("127.0.0.41", CCBOT, 200, "yes"),
        ("127.0.0.48", CCBOT, 403, "no"),
        ("::1", CCBOT, 403, "no"),
    ] {
        let r = from(&ngx, src, agent);
        assert_eq!((r.status, verified(&r)), (status, v), "{agent} from {src}");
    }
    // Ranges need no lookup.
    assert!(!dns.log().contains("query[PTR]"), "{}", dns.log());
    let line = ngx
        .fediguard_lines()
        .into_iter()
        .find(|l| l.contains("client: 127.0.0.12,"))
        .expect("a deny line");
    assert!(
        line.contains("reason=agent-unverified agent_class=ai verified=no via=ranges agent=\""),
        "{line}"
    );
}

#[test]
fn a_fediverse_instance_is_verified_by_its_host() {
    let dns = Dnsmasq::start(&world());
    // The variable alone verifies claims: nothing is denied.
    let ngx = Nginx::start(&conf(dns.port, "", ""));
    let r = from(&ngx, "127.0.0.5", MASTODON);
    assert_eq!((r.status, verified(&r)), (200, "yes"));
    // Fetching from another address than its web front: a fact, not proof
    // of a fake.
    let r = from(&ngx, "127.0.0.6", MASTODON);
    assert_eq!((r.status, verified(&r)), (200, "no"));
    // One lookup per address and host (nginx's resolver may answer the
    // second from its own cache within the same second).
    assert_eq!(metric(&ngx, "fediguard_verify_lookups_total"), 2.0);
    assert!((1..=2).contains(&dns.queries("A", "mastodon.test")));
    // Named by its address: no lookup.
    let r = from(
        &ngx,
        "127.0.0.5",
        "Mastodon/4.4.1 (http.rb/5.3.1; +https://127.0.0.5/)",
    );
    assert_eq!((r.status, verified(&r)), (200, "yes"));
    // A fediverse agent whose host does not exist.
    let r = from(
        &ngx,
        "127.0.0.5",
        "Mastodon/4.4.1 (http.rb/5.3.1; +https://gone.test/)",
    );
    assert_eq!((r.status, verified(&r)), (200, "no"));
}

#[test]
fn a_dns_server_that_never_answers_times_out_and_the_request_goes_on() {
    let silent = SilentDns::start();
    let ngx = Nginx::start(&conf(
        silent.port,
        "",
        "fediguard_agent_deny_unverified search; fediguard_verify_timeout 500ms;",
    ));
    let t = Instant::now();
    let r = from(&ngx, "127.0.0.2", GOOGLEBOT);
    let waited = t.elapsed();
    assert_eq!((r.status, verified(&r)), (200, ""));
    assert!(
        waited >= Duration::from_millis(450) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert!(silent.received() >= 1);
    // The lookup is still under way (nginx's resolver_timeout is 30 s): the
    // next request from that address does not wait for it again.
    let t = Instant::now();
    let r = from(&ngx, "127.0.0.2", GOOGLEBOT);
    assert_eq!((r.status, verified(&r)), (200, ""));
    assert!(
        t.elapsed() < Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(
        metric(
            &ngx,
            "fediguard_agent_verifications_total{class=\"search\",result=\"none\"}"
        ),
        2.0
    );
}

#[test]
fn fifty_concurrent_requests_from_a_new_address_cause_one_lookup() {
    let dns = Dnsmasq::start(&world());
    let ngx = Arc::new(Nginx::start(&conf(
        dns.port,
        "",
        "fediguard_agent_deny_unverified search;",
    )));
    let barrier = Arc::new(std::sync::Barrier::new(50));
    let threads: Vec<_> = (0..50)
        .map(|_| {
            let (ngx, barrier) = (ngx.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let r = from(&ngx, "127.0.0.20", GOOGLEBOT);
                (r.status, verified(&r).to_string())
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), (200, "yes".to_string()));
    }
    assert_eq!(dns.ptr_queries("127.0.0.20"), 1, "{}", dns.log());
    assert_eq!(dns.queries("A", "crawl-127-0-0-20.googlebot.com"), 1);
    assert_eq!(metric(&ngx, "fediguard_verify_lookups_total"), 1.0);
    assert_eq!(
        metric(
            &ngx,
            "fediguard_agent_verifications_total{class=\"search\",result=\"yes\"}"
        ),
        50.0
    );
}

#[test]
fn answers_survive_a_reload() {
    let dns = Dnsmasq::start(&world());
    let ngx = Nginx::start(&conf(
        dns.port,
        "",
        "fediguard_agent_deny_unverified search;",
    ));
    assert_eq!(verified(&from(&ngx, "127.0.0.20", GOOGLEBOT)), "yes");
    assert_eq!(verified(&from(&ngx, "127.0.0.3", GOOGLEBOT)), "no");
    ngx.reload();
    // The new workers' resolvers have empty caches: only the zone knows.
    let r = from(&ngx, "127.0.0.20", GOOGLEBOT);
    assert_eq!((r.status, verified(&r)), (200, "yes"));
    let r = from(&ngx, "127.0.0.3", GOOGLEBOT);
    assert_eq!((r.status, verified(&r)), (403, "no"));
    assert_eq!(dns.ptr_queries("127.0.0.20"), 1);
    assert_eq!(dns.ptr_queries("127.0.0.3"), 1);
}

#[test]
fn a_flood_of_new_addresses_is_bounded_by_the_lookups_in_flight() {
    let silent = SilentDns::start();
    let ngx = Nginx::start_with(
        1,
        &conf(silent.port, "", "fediguard_agent_deny_unverified search;")
            .replace("zone=verify:1m;", "zone=verify:1m lookups=2;")
            .replace(
                "fediguard on;",
                "fediguard on; fediguard_verify_timeout 200ms;",
            ),
    );
    for i in 0..6 {
        let r = from(&ngx, &format!("127.0.1.{}", i + 1), GOOGLEBOT);
        assert_eq!((r.status, verified(&r)), (200, ""));
    }
    // Two lookups hang on the silent server; the other addresses were not
    // looked up at all.
    assert!(eventually(5, || silent.received() >= 2));
    assert_eq!(metric(&ngx, "fediguard_verify_lookups_total"), 2.0);
    assert_eq!(metric(&ngx, "fediguard_verify_capped_total"), 4.0);
}

#[test]
fn dry_run_logs_what_it_would_deny() {
    let dns = Dnsmasq::start(&world());
    let ngx = Nginx::start(
        &conf(dns.port, "", "fediguard_agent_deny_unverified search;")
            .replace("fediguard on;", "fediguard dry_run;"),
    );
    let r = from(&ngx, "127.0.0.3", GOOGLEBOT);
    assert_eq!((r.status, verified(&r)), (200, "no"));
    let lines = ngx.fediguard_lines();
    assert_eq!(lines.len(), 1);
    assert!(lines[0]
        .contains("fediguard: would deny reason=agent-unverified agent_class=search verified=no"));
}

#[test]
fn without_a_resolver_claims_stay_unverified() {
    let ngx = Nginx::start(
        "fediguard_verify_zone zone=verify:1m;
         server {
             listen 127.0.0.1:{PORT};
             fediguard on;
             fediguard_agent_deny_unverified search;
             add_header X-Verified \"$fediguard_agent_verified\" always;
             location / { try_files /nonexistent @page; }
             location @page { default_type text/plain; return 200 \"page\"; }
         }",
    );
    for _ in 0..2 {
        let r = from(&ngx, "127.0.0.2", GOOGLEBOT);
        assert_eq!((r.status, verified(&r)), (200, ""));
    }
    let warned = ngx
        .error_log()
        .lines()
        .filter(|l| l.contains("no \"resolver\" where agents are verified"))
        .count();
    assert!((1..=2).contains(&warned), "{}", ngx.error_log());
}
