//! Rate limits through the real nginx and module (2 workers), side by side
//! with nginx's own limit_req.

use std::time::{Duration, Instant};

use fediguard_tests::cluster::eventually;
use fediguard_tests::mastodon::{Backend, Profile};
use fediguard_tests::{request, Nginx};

const OK: &str = "location @ok { default_type text/plain; return 200 ok; }";

fn get_raw(port: u16, path: &str, headers: &str) -> fediguard_tests::Response {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n");
    request(port, raw.as_bytes()).unwrap()
}

/// `clients` threads send `each` requests to `path` at once; returns how
/// many got 200.
fn hammer(port: u16, path: &str, clients: usize, each: usize) -> usize {
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let path = path.to_string();
            std::thread::spawn(move || {
                (0..each)
                    .filter(|_| get_raw(port, &path, "").status == 200)
                    .count()
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).sum()
}

#[test]
fn exact_across_workers_and_equal_to_limit_req() {
    // 1r/m: nothing refills during the test, so both admit burst + 1.
    let ngx = Nginx::start(&format!(
        "limit_req_zone $binary_remote_addr zone=lr:1m rate=1r/m;
         fediguard_limit_zone $remote_addr zone=fg:1m rate=1r/m;
         server {{ listen 127.0.0.1:{{PORT}};
           fediguard on;
           location /fg/ {{ fediguard_limit zone=fg burst=9 nodelay; try_files /x @ok; }}
           location /lr/ {{ limit_req zone=lr burst=9 nodelay; try_files /x @ok; }}
           {OK}
         }}"
    ));
    let fg = hammer(ngx.port, "/fg/", 8, 10);
    let lr = hammer(ngx.port, "/lr/", 8, 10);
    assert_eq!(lr, 10);
    assert_eq!(fg, lr, "fediguard admitted {fg}, limit_req {lr}");
}

#[test]
fn status_headers_variable_and_dry_run() {
    let ngx = Nginx::start(&format!(
        "fediguard_limit_zone $remote_addr zone=ip:1m rate=1r/m;
         fediguard_limit_zone $remote_addr zone=dry:1m rate=1r/m;
         server {{ listen 127.0.0.1:{{PORT}};
           add_header X-Limit $fediguard_limit_status always;
           add_header X-Reason $fediguard_reason always;
           location /l/ {{ fediguard on; fediguard_limit zone=ip burst=1 nodelay; try_files /x @ok; }}
           location /503/ {{ fediguard on; fediguard_limit zone=ip; fediguard_limit_status 503; try_files /x @ok; }}
           location /dry/ {{ fediguard dry_run; fediguard_limit zone=dry; try_files /x @ok; }}
           {OK}
         }}"
    ));
    let statuses: Vec<_> = (0..3).map(|_| ngx.get_as("/l/", "t")).collect();
    assert_eq!(statuses[0].header("X-Limit"), Some("PASSED"));
    assert_eq!(statuses[1].status, 200);
    let r = &statuses[2];
    assert_eq!(r.status, 429);
    assert_eq!(r.header("X-Limit"), Some("REJECTED"));
    assert_eq!(r.header("X-Reason"), Some("rate-limited"));
    assert_eq!(r.header("Retry-After"), Some("63"));
    assert_eq!(r.header("RateLimit-Policy"), Some("\"ip\";q=2;w=125"));
    assert_eq!(r.header("RateLimit"), Some("\"ip\";r=0;t=63"));
    assert_eq!(ngx.get_as("/503/", "t").status, 503);

    assert_eq!(ngx.get_as("/dry/", "t").header("X-Limit"), Some("PASSED"));
    let r = ngx.get_as("/dry/", "t");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("X-Limit"), Some("REJECTED_DRY_RUN"));
    let lines = ngx.fediguard_lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("fediguard: deny reason=rate-limited zone=ip")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("fediguard: would deny reason=rate-limited zone=dry")),
        "{lines:#?}"
    );
}

#[test]
fn delay_without_nodelay() {
    let ngx = Nginx::start(&format!(
        "fediguard_limit_zone $remote_addr zone=ip:1m rate=5r/s;
         server {{ listen 127.0.0.1:{{PORT}};
           add_header X-Limit $fediguard_limit_status always;
           location /l/ {{ fediguard on; fediguard_limit zone=ip burst=5; try_files /x @ok; }}
           {OK}
         }}"
    ));
    assert_eq!(ngx.get_as("/l/", "t").header("X-Limit"), Some("PASSED"));
    let start = Instant::now();
    let r = ngx.get_as("/l/", "t");
    assert_eq!((r.status, r.header("X-Limit")), (200, Some("DELAYED")));
    // One request over 5r/s waits about 200 ms, as limit_req would.
    assert!(
        start.elapsed() >= Duration::from_millis(150),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn cost_and_after_charge() {
    let ngx = Nginx::start(&format!(
        "fediguard_limit_zone $arg_k zone=ip:1m rate=1r/m;
         map $arg_c $cost {{ default 1; heavy 5; huge 11; }}
         map $status $after {{ ~^5 5; default 0; }}
         server {{ listen 127.0.0.1:{{PORT}};
           fediguard on;
           fediguard_limit_after zone=ip cost=$after;
           location / {{ fediguard_limit zone=ip burst=9 nodelay cost=$cost; try_files /x @ok; }}
           location /fail/ {{ fediguard_limit zone=ip burst=9 nodelay; try_files /x @fail; }}
           location @fail {{ return 500; }}
           {OK}
         }}"
    ));
    let passed = |path: &str| {
        (0..12)
            .filter(|_| ngx.get_as(path, "t").status == 200)
            .count()
    };
    assert_eq!(passed("/?k=light"), 10, "burst 9 + 1");
    // Cost 5 counts as 5 requests, one within the rate: the first makes an
    // excess of 4, the second 9, the third would make 14 > 9.
    assert_eq!(passed("/?k=heavy&c=heavy"), 2);
    // A request costing more than burst + 1 is never free, even first.
    assert_eq!(passed("/?k=huge&c=huge"), 0);
    // Every failing request is charged 5 more once it has finished.
    let fails = (0..12)
        .filter(|_| ngx.get_as("/fail/?k=failing", "t").status == 500)
        .count();
    assert_eq!(fails, 2);
    // The empty key is not limited.
    assert_eq!(passed("/"), 12);
}

#[test]
fn keys_from_instance_host_and_account() {
    let backend = Backend::start(Profile::Mastodon);
    backend.add_user("AliceTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "alice");
    backend.add_user("BobTokenBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", "bob");
    let b = backend.port();
    let ngx = Nginx::start(&format!(
        "fediguard_token_zone zone=tokens:1m;
         fediguard_limit_zone $fediguard_agent_host zone=instance:1m rate=1r/m;
         fediguard_limit_zone $fediguard_account zone=account:1m rate=1r/m;
         server {{ listen 127.0.0.1:{{PORT}};
           fediguard on;
           location / {{ fediguard_limit zone=instance burst=1 nodelay; try_files /x @ok; }}
           location /api/ {{ fediguard_token_verify /_fediguard;
                            fediguard_limit zone=account burst=2 nodelay; try_files /x @ok; }}
           location /_fediguard/ {{ internal; proxy_pass http://127.0.0.1:{b}/; }}
           {OK}
         }}"
    ));
    let fetch = |host: &str| {
        let ua = format!("Mastodon/4.4.1 (http.rb/5.3.1; +https://{host}/)");
        (0..5)
            .filter(|_| ngx.get_as("/page", &ua).status == 200)
            .count()
    };
    assert_eq!(fetch("one.example"), 2);
    assert_eq!(fetch("two.example"), 2, "each instance has its own budget");
    let browsers = (0..5)
        .filter(|_| ngx.get_as("/page", "Mozilla/5.0 Firefox/132.0").status == 200)
        .count();
    assert_eq!(browsers, 5, "no instance host, no limit");

    let api = |token: &str| {
        (0..5)
            .filter(|_| {
                ngx.get("/api/x", &[("Authorization", &format!("Bearer {token}"))])
                    .status
                    == 200
            })
            .count()
    };
    assert_eq!(api("AliceTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 3);
    assert_eq!(api("BobTokenBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"), 3);
}

#[test]
fn tiny_zone_evicts_oldest_and_never_fails() {
    let ngx = Nginx::start(&format!(
        "fediguard_limit_zone $arg_k zone=tiny:32k rate=1r/m;
         server {{ listen 127.0.0.1:{{PORT}};
           fediguard on;
           location / {{ fediguard_limit zone=tiny nodelay; try_files /x @ok; }}
           {OK}
         }}"
    ));
    // Far more keys than the zone holds: every first request passes.
    for k in 0..2000 {
        assert_eq!(ngx.get_as(&format!("/?k={k}"), "t").status, 200, "key {k}");
    }
    // A recent key is still known (rejected); the oldest was evicted and
    // starts afresh.
    assert_eq!(ngx.get_as("/?k=1999", "t").status, 429);
    assert_eq!(ngx.get_as("/?k=0", "t").status, 200);
    let log = ngx.error_log();
    let bad: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("[crit]") || l.contains("[alert]") || l.contains("[emerg]"))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

/// nginx with zone `ip` (1r/m, burst 2) on `/l/`, whose key `t` has used
/// its burst: the next request is refused.
fn exhausted_limit() -> Nginx {
    let ngx = Nginx::start(&format!(
        "fediguard_limit_zone $remote_addr zone=ip:1m rate=1r/m;
         server {{ listen 127.0.0.1:{{PORT}};
           fediguard on;
           location /l/ {{ fediguard_limit zone=ip burst=2 nodelay; try_files /x @ok; }}
           {OK}
         }}"
    ));
    let passed = (0..5)
        .filter(|_| ngx.get_as("/l/", "t").status == 200)
        .count();
    assert_eq!(passed, 3);
    ngx
}

#[test]
fn reload_keeps_limit_state() {
    let ngx = exhausted_limit();
    ngx.reload();
    assert_eq!(
        ngx.get_as("/l/", "t").status,
        429,
        "the bucket survived the reload"
    );
}

#[test]
fn reload_refuses_a_zone_of_another_kind() {
    let ngx = exhausted_limit();
    // Marked `sync`, the zone keeps more per key: same name and size, but
    // the old table cannot be taken over. The reload must fail loudly and
    // the old configuration go on, not the limit silently stop.
    let conf = ngx.path("nginx.conf");
    let text = std::fs::read_to_string(&conf).unwrap().replace(
        "rate=1r/m;",
        "rate=1r/m sync;\n fediguard_redis redis://127.0.0.1:9;",
    );
    std::fs::write(&conf, text).unwrap();
    ngx.send_reload();
    assert!(
        eventually(20, || ngx
            .error_log()
            .contains("zone \"ip\" cannot be taken over")),
        "{}",
        ngx.error_log()
    );
    assert_eq!(ngx.get_as("/l/", "t").status, 429, "the limit still holds");
}

#[test]
fn a_worker_killed_under_load_leaves_the_others_working() {
    let ngx = Nginx::start(&format!(
        "fediguard_limit_zone $arg_k zone=ip:1m rate=1000r/s;
         server {{ listen 127.0.0.1:{{PORT}};
           fediguard on;
           location / {{ fediguard_limit zone=ip burst=1000 nodelay; try_files /x @ok; }}
           {OK}
         }}"
    ));
    let port = ngx.port;
    let load: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let mut answered = 0;
                for i in 0..300 {
                    let raw = format!(
                        "GET /?k={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                        (t * 7 + i) % 50
                    );
                    // A request the killed worker held may fail; the rest answer.
                    if request(port, raw.as_bytes()).is_ok() {
                        answered += 1;
                    }
                }
                answered
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    let workers = ngx.worker_pids();
    assert_eq!(workers.len(), 2);
    // SAFETY: kill(2) on a worker of our own nginx.
    unsafe { libc::kill(workers[0], libc::SIGKILL) };
    let answered: usize = load.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(answered >= 1190, "only {answered} of 1200 answered");
    // The zone's lock was not left held: new requests are served at once.
    let start = Instant::now();
    for k in 0..20 {
        assert_eq!(ngx.get_as(&format!("/?k=after{k}"), "t").status, 200);
    }
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(ngx.error_log().contains("exited on signal 9"));
}

#[test]
fn several_limits_strictest_wins_and_a_rejection_charges_none() {
    let ngx = Nginx::start(&format!(
        "fediguard_limit_zone $remote_addr zone=a:1m rate=1r/m;
         fediguard_limit_zone all zone=b:1m rate=1r/m;
         server {{ listen 127.0.0.1:{{PORT}};
           fediguard on;
           add_header X-Limit $fediguard_limit_status always;
           location /both/ {{ fediguard_limit zone=a burst=5 nodelay;
                              fediguard_limit zone=b burst=2 nodelay; try_files /x @ok; }}
           location /a/ {{ fediguard_limit zone=a burst=5 nodelay; try_files /x @ok; }}
           {OK}
         }}"
    ));
    let passed = |path: &str| {
        (0..6)
            .filter(|_| ngx.get_as(path, "t").status == 200)
            .count()
    };
    // b (burst 2) is the stricter: 3 pass.
    assert_eq!(passed("/both/"), 3);
    // a was charged for those 3 only, not for the 3 that b rejected.
    assert_eq!(passed("/a/"), 3);
}

/// Where an admin looks, `fediguard_limit` reads as `limit_req` (nginx's
/// own limit_req*.t check the same): side by side in one server, a delay
/// writes "delaying request, excess: ..., by zone ..." one level below
/// refusals (warn), a refusal is logged at error, a dry run's refusal at
/// error too (limit_req's "limiting requests, dry run"), and the status
/// variable is not found (`-` in the access log) where no limit applies:
/// no limit in the location, or every key empty.
#[test]
fn behaves_as_limit_req_where_an_admin_looks() {
    let ngx = Nginx::start(&format!(
        "limit_req_zone $binary_remote_addr zone=lr:1m rate=1r/s;
         limit_req_zone $http_x_key zone=lr_empty:1m rate=1r/s;
         fediguard_limit_zone $remote_addr zone=fg:1m rate=1r/s;
         fediguard_limit_zone $http_x_key zone=fg_empty:1m rate=1r/s;
         limit_req_zone $binary_remote_addr zone=lr_dry:1m rate=1r/m;
         fediguard_limit_zone $remote_addr zone=fg_dry:1m rate=1r/m;
         log_format st '$uri lr=$limit_req_status fg=$fediguard_limit_status';
         server {{ listen 127.0.0.1:{{PORT}};
           access_log {{DIR}}/status.log st;
           fediguard on;
           location /fg/ {{ fediguard_limit zone=fg burst=1; try_files /x @ok; }}
           location /lr/ {{ limit_req zone=lr burst=1; try_files /x @ok; }}
           location /fg-dry/ {{ fediguard dry_run; fediguard_limit zone=fg_dry; try_files /x @ok; }}
           location /lr-dry/ {{ limit_req_dry_run on; limit_req zone=lr_dry; try_files /x @ok; }}
           location /fg-empty/ {{ fediguard_limit zone=fg_empty; try_files /x @ok; }}
           location /lr-empty/ {{ limit_req zone=lr_empty; try_files /x @ok; }}
           location /none/ {{ try_files /x @ok; }}
           {OK}
         }}"
    ));
    let get = |p: &str| ngx.get_as(p, "t").status;
    // Passed, delayed, and refused while the delayed one waits: both.
    for p in ["/fg/", "/lr/"] {
        assert_eq!(get(p), 200);
        std::thread::scope(|s| {
            let delayed = s.spawn(|| {
                let t = Instant::now();
                (get(p), t.elapsed())
            });
            std::thread::sleep(Duration::from_millis(200));
            assert_eq!(get(p), if p == "/fg/" { 429 } else { 503 });
            let (status, took) = delayed.join().unwrap();
            assert_eq!(status, 200);
            assert!(
                took >= Duration::from_millis(700),
                "{p} not delayed: {took:?}"
            );
        });
    }
    for p in ["/fg-dry/", "/lr-dry/"] {
        assert_eq!((get(p), get(p)), (200, 200), "{p}");
    }
    for p in ["/fg-empty/", "/lr-empty/", "/none/"] {
        assert_eq!(get(p), 200, "{p}");
    }
    let log = ngx.error_log();
    // A needle starting with "fediguard: " finds fediguard's line, any
    // other nginx's own (limit_req's).
    let line = |needle: &str| -> String {
        log.lines()
            .find(|l| {
                l.contains(needle)
                    && (needle.starts_with("fediguard: ") || !l.contains("fediguard: "))
            })
            .unwrap_or_else(|| panic!("no {needle:?} in\n{log}"))
            .to_string()
    };
    // limit_req: "delaying request, excess: 1.000, by zone "lr"" at warn.
    let lr_delay = line("delaying request, excess: ");
    assert!(
        lr_delay.contains("[warn]") && lr_delay.contains("by zone \"lr\""),
        "{lr_delay}"
    );
    let fg_delay = line("fediguard: delaying request, excess: ");
    assert!(fg_delay.contains("[warn]"), "{fg_delay}");
    assert!(fg_delay.contains("by zone \"fg\""), "{fg_delay}");
    // The same excess (milli-requests, three decimals; the two requests
    // came a few milliseconds apart).
    let excess = |l: &str| -> f64 { l.split("excess: ").nth(1).unwrap()[..5].parse().unwrap() };
    assert!(
        (excess(&fg_delay) - excess(&lr_delay)).abs() < 0.1,
        "{fg_delay}\n{lr_delay}"
    );
    // Refusals at error, as limit_req_log_level's default.
    assert!(line("limiting requests, excess").contains("[error]"));
    assert!(line("fediguard: deny reason=rate-limited zone=fg").contains("[error]"));
    // Dry run: at the refusal's level, as limit_req's.
    assert!(line("limiting requests, dry run").contains("[error]"));
    assert!(line("fediguard: would deny reason=rate-limited zone=fg").contains("[error]"));
    // The variable, as $limit_req_status.
    let status = ngx.access_lines("status.log");
    let of = |uri: &str| -> Vec<String> {
        status
            .iter()
            .filter(|l| l.starts_with(&format!("{uri} ")))
            .map(|l| l[uri.len() + 1..].to_string())
            .collect()
    };
    // (The refused request is logged before the delayed one finishes.)
    assert_eq!(
        of("/fg/"),
        ["lr=- fg=PASSED", "lr=- fg=REJECTED", "lr=- fg=DELAYED"],
        "{status:#?}"
    );
    assert_eq!(
        of("/lr/"),
        ["lr=PASSED fg=-", "lr=REJECTED fg=-", "lr=DELAYED fg=-"],
        "{status:#?}"
    );
    assert_eq!(
        of("/fg-dry/"),
        ["lr=- fg=PASSED", "lr=- fg=REJECTED_DRY_RUN"],
        "{status:#?}"
    );
    assert_eq!(
        of("/lr-dry/"),
        ["lr=PASSED fg=-", "lr=REJECTED_DRY_RUN fg=-"],
        "{status:#?}"
    );
    assert_eq!(of("/fg-empty/"), ["lr=- fg=-"], "{status:#?}");
    assert_eq!(of("/lr-empty/"), ["lr=- fg=-"], "{status:#?}");
    assert_eq!(of("/none/"), ["lr=- fg=-"], "{status:#?}");
}

/// `$fediguard_client_net`, the key of Mastodon's per-address throttles:
/// an IPv4 address as it is, an IPv6 address's /64.
#[test]
fn the_client_net_groups_ipv6_by_64() {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let ngx = Nginx::start(&format!(
        "server {{ listen 127.0.0.1:{{PORT}}; listen [::1]:{{PORT}};
           add_header X-Net $fediguard_client_net always;
           location / {{ try_files /x @ok; }}
           {OK}
         }}"
    ));
    let raw = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let v4 = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 7));
    let r = fediguard_tests::http::request_via(v4, IpAddr::V4(Ipv4Addr::LOCALHOST), ngx.port, raw)
        .unwrap();
    assert_eq!(r.header("X-Net"), Some("127.0.0.7"));
    let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
    let r = fediguard_tests::http::request_via(v6, v6, ngx.port, raw).unwrap();
    assert_eq!(r.header("X-Net"), Some("::/64"));
}
