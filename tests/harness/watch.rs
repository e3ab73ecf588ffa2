//! What the app watch and metrics tests share: nginx in front of the
//! stand-in Mastodon with app watch, a metrics zone and a metrics
//! location; POSTs as clients send them; reading the metrics.

use std::collections::BTreeMap;

use crate::exposition;
use crate::mastodon::Backend;
use crate::{request, Nginx, Response};

pub const ACCOUNTS: &str = "/api/v1/accounts/verify_credentials";
pub const APPS: &str = "/api/v1/apps/verify_credentials";
pub const SCRAPER: &str = "Python/3.6 aiohttp/3.6.2";

pub fn watching_nginx(backend: &Backend) -> Nginx {
    watching_nginx_with(backend, "")
}

/// `lifetimes` are `fediguard_token_zone`'s parameters.
pub fn watching_nginx_with(backend: &Backend, lifetimes: &str) -> Nginx {
    watching_nginx_sized(backend, lifetimes, "1m")
}

/// `stats_size` is the size of the `fediguard_metrics_zone`.
pub fn watching_nginx_sized(backend: &Backend, lifetimes: &str, stats_size: &str) -> Nginx {
    watching_nginx_full(backend, lifetimes, stats_size, None)
}

/// Also verified agents: nginx's resolver at `dns` (dnsmasq), and
/// `/search/`, where search engines are served only when verified.
pub fn watching_nginx_verifying(backend: &Backend, dns: u16) -> Nginx {
    watching_nginx_full(backend, "", "1m", Some(dns))
}

fn watching_nginx_full(
    backend: &Backend,
    lifetimes: &str,
    stats_size: &str,
    dns: Option<u16>,
) -> Nginx {
    let b = backend.port();
    let verifying = match dns {
        Some(port) => format!(
            "resolver 127.0.0.1:{port}; resolver_timeout 1s;
             fediguard_verify_zone zone=verified:1m;"
        ),
        None => String::new(),
    };
    let search = if dns.is_some() {
        "location /search/ { fediguard_agent_deny_unverified search; try_files /nonexistent @ok; }"
    } else {
        ""
    };
    Nginx::start(&format!(
        "{verifying}
         fediguard_token_zone zone=tokens:1m {lifetimes};
         fediguard_metrics_zone zone=fediguard_stats:{stats_size};
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
           {search}
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

pub fn post(port: u16, path: &str, ctype: &str, body: &str, extra: &[(&str, &str)]) -> Response {
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

pub const FORM: &str = "application/x-www-form-urlencoded";
pub const JSON: &str = "application/json";

/// Registers an app (`POST /api/v1/apps`, a form as most clients send):
/// its client_id and client_secret.
pub fn register(port: u16, name: &str) -> (String, String) {
    let r = post(
        port,
        "/api/v1/apps",
        FORM,
        &format!("client_name={name}&redirect_uris=urn:ietf:wg:oauth:2.0:oob&scopes=read"),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    (field(&r, "client_id"), field(&r, "client_secret"))
}

/// Takes a client_credentials token for the app: the token.
pub fn grant(port: u16, id: &str, secret: &str) -> String {
    let g = post(
        port,
        "/oauth/token",
        FORM,
        &format!("grant_type=client_credentials&client_id={id}&client_secret={secret}"),
        &[],
    );
    assert_eq!(g.status, 200, "{}", g.text());
    field(&g, "access_token")
}

pub fn field(r: &Response, f: &str) -> String {
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    v[f].as_str().unwrap_or_default().to_string()
}

pub fn base64(s: &str) -> String {
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

pub fn metrics(ngx: &Nginx) -> BTreeMap<String, f64> {
    let r = ngx.get("/metrics", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("Content-Type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    exposition::parse(&r.text()).unwrap_or_else(|e| panic!("{e}\n{}", r.text()))
}

pub fn metrics_json(ngx: &Nginx) -> serde_json::Value {
    let r = ngx.get("/metrics?format=json", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    serde_json::from_slice(&r.body).unwrap()
}

pub fn notice_lines(ngx: &Nginx, what: &str) -> Vec<String> {
    ngx.error_log()
        .lines()
        .filter(|l| l.contains(what))
        .map(str::to_string)
        .collect()
}
