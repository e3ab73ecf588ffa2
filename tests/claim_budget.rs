//! The DNS work one client can cause is bounded (issue 25): a client that
//! names a new fediverse instance in every request spends its lookup
//! budget (`fediguard_verify_zone lookup_rate= lookup_burst=`), then its
//! claims are `no` without a lookup; and a request a limit refuses before
//! the claim is checked causes no lookup at all. Lookups are counted where
//! they arrive: at a real DNS server (dnsmasq's query log).

use std::net::IpAddr;

use fediguard_tests::cluster::eventually;
use fediguard_tests::dns::{Dnsmasq, Record};
use fediguard_tests::exposition::metric;
use fediguard_tests::http::request_via;
use fediguard_tests::{Nginx, Response};

const CLIENT: &str = "127.0.0.7";

fn conf(dns_port: u16, zone_extra: &str, server_extra: &str) -> String {
    format!(
        "resolver 127.0.0.1:{dns_port};
         fediguard_verify_zone zone=verify:1m {zone_extra};
         fediguard_metrics_zone zone=stats:1m;
         fediguard_limit_zone $binary_remote_addr zone=per_ip:1m rate=1r/m;
         server {{
             listen 127.0.0.1:{{PORT}};
             fediguard on;
             add_header X-Verified \"$fediguard_agent_verified\" always;
             {server_extra}
             location / {{ try_files /nonexistent @page; }}
             location @page {{ default_type text/plain; return 200 \"page\"; }}
             location = /metrics {{ fediguard off; fediguard_metrics; }}
         }}"
    )
}

/// A Mastodon server's fetcher naming instance `host`.
fn agent(host: &str) -> String {
    format!("Mastodon/4.4.1 (http.rb/5.3.1; +https://{host}/)")
}

fn from(ngx: &Nginx, src: &str, agent: &str) -> Response {
    let src: IpAddr = src.parse().expect("address");
    let raw = format!(
        "GET /page HTTP/1.1\r\nHost: localhost\r\nUser-Agent: {agent}\r\nConnection: close\r\n\r\n"
    );
    request_via(src, "127.0.0.1".parse().unwrap(), ngx.port, raw.as_bytes())
        .unwrap_or_else(|e| panic!("request from {src}: {e}"))
}

fn verified(r: &Response) -> String {
    r.header("x-verified").unwrap_or_default().to_string()
}

/// The instance hosts dnsmasq was asked about (A queries), once dnsmasq
/// has logged as many as fediguard says it started.
fn hosts_asked(dns: &Dnsmasq, ngx: &Nginx) -> Vec<usize> {
    let started = metric(ngx, "fediguard_verify_lookups_total") as usize;
    let asked = || -> Vec<usize> {
        let mut v: Vec<usize> = dns
            .log()
            .lines()
            .filter_map(|l| l.split("query[A] host-").nth(1))
            .filter_map(|rest| rest.split(".example").next()?.parse().ok())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    assert!(
        eventually(5, || asked().len() >= started),
        "dnsmasq logged {} hosts, fediguard started {started} lookups",
        asked().len()
    );
    asked()
}

#[test]
fn a_new_instance_in_every_request_spends_the_lookup_budget() {
    let dns = Dnsmasq::start(&[Record::Host("host-0.example", &[CLIENT])]);
    let ngx = Nginx::start(&conf(dns.port, "lookup_rate=1r/m lookup_burst=10", ""));
    let mut answers = Vec::new();
    for i in 0..300 {
        let r = from(&ngx, CLIENT, &agent(&format!("host-{i}.example")));
        assert_eq!(r.status, 200);
        answers.push(verified(&r));
    }
    // The first is a real instance on the client's address.
    assert_eq!(answers[0], "yes");
    let asked = hosts_asked(&dns, &ngx);
    assert!(
        (10..=11).contains(&asked.len()),
        "hosts looked up: {asked:?}"
    );
    // Over the budget: "no", without a lookup, counted.
    assert!(answers[20..].iter().all(|a| a == "no"), "{answers:?}");
    assert!(metric(&ngx, "fediguard_verify_over_budget_total") >= 280.0);
    // A flood is logged, not each of its requests.
    let log = ngx.error_log();
    let over: Vec<_> = log
        .lines()
        .filter(|l| l.contains("over its lookup budget"))
        .collect();
    assert!((1..=5).contains(&over.len()), "{over:#?}");
    // Another client has a budget of its own.
    let before = metric(&ngx, "fediguard_verify_lookups_total");
    let r = from(&ngx, "127.0.0.8", &agent("host-0.example"));
    assert_eq!(verified(&r), "no");
    assert_eq!(metric(&ngx, "fediguard_verify_lookups_total"), before + 1.0);
}

#[test]
fn a_request_a_limit_refuses_costs_no_lookup() {
    let dns = Dnsmasq::start(&[]);
    // 20 pass the limit (burst=19), 280 are refused before their claim.
    let ngx = Nginx::start(&conf(
        dns.port,
        "lookup_burst=100",
        "fediguard_limit zone=per_ip burst=19 nodelay;",
    ));
    let mut statuses = Vec::new();
    for i in 0..300 {
        statuses.push(from(&ngx, CLIENT, &agent(&format!("host-{i}.example"))).status);
    }
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 20);
    assert!(statuses[20..].iter().all(|&s| s == 429), "{statuses:?}");
    let asked = hosts_asked(&dns, &ngx);
    assert_eq!(asked, (0..20).collect::<Vec<_>>(), "{}", dns.log());
}

#[test]
fn a_limit_keyed_by_the_claim_waits_for_it() {
    let dns = Dnsmasq::start(&[Record::Host("host-0.example", &[CLIENT])]);
    // Claims found false share one bucket; the others are not limited
    // here (an empty key).
    let ngx = Nginx::start(
        &conf(dns.port, "", "fediguard_limit zone=by_claim nodelay;").replace(
            "fediguard_metrics_zone",
            "map $fediguard_agent_verified $fg_unverified { no all; default \"\"; }
         fediguard_limit_zone $fg_unverified zone=by_claim:1m rate=1r/m;
         fediguard_metrics_zone",
        ),
    );
    for _ in 0..5 {
        let r = from(&ngx, CLIENT, &agent("host-0.example"));
        assert_eq!((r.status, verified(&r).as_str()), (200, "yes"));
    }
    let r = from(&ngx, CLIENT, &agent("host-1.example"));
    assert_eq!(
        (r.status, verified(&r).as_str()),
        (200, "no"),
        "{}",
        ngx.error_log()
    );
    let r = from(&ngx, CLIENT, &agent("host-2.example"));
    assert_eq!(r.status, 429);
}
