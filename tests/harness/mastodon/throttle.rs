//! Mastodon's Rack::Attack throttles, every one of them, as
//! `config/initializers/rack_attack.rb` has them in Mastodon 4.5 and 4.6
//! (with `throttle_oauth_application_registrations/ip` of PR #30316):
//! name, limit, period, and the discriminator that keys a request (an
//! address with IPv6 grouped by /64, a user, a token, an e-mail field).
//! Counted as Rack::Attack counts: fixed windows of the period (the key's
//! counter lives until the window's end), the throttles tried in order and
//! the first one over its limit answers 429 (`any?`: the later ones are
//! not counted for that request). No address is safelisted (the stand-in
//! follows the project's reference: since 4.2.9). A throttled request gets
//! 429 with Mastodon's headers.
//!
//! `Throttles` scales the two API throttles the token tests lean on
//! (`throttle_per_token_api`, `throttle_unauthenticated_api`); the others
//! keep Mastodon's numbers.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Recorded;

#[derive(Clone, Copy, Debug)]
pub struct Throttles {
    /// Requests per period and key, for per_token_api and
    /// unauthenticated_api.
    pub limit: u64,
    pub period: Duration,
}

impl Default for Throttles {
    fn default() -> Self {
        Throttles {
            limit: 300,
            period: Duration::from_secs(300),
        }
    }
}

/// What a throttle keys a request by (its discriminator's inputs).
pub struct Seen<'a> {
    pub req: &'a Recorded,
    /// The address as Rack::Attack keys it (IPv6: the /64).
    pub ip: String,
    /// The token's owner (a user's token).
    pub user: Option<String>,
    /// A valid token (a user's or an app's).
    pub token: Option<String>,
    /// Request parameters (query and form or JSON body).
    pub params: Vec<(String, String)>,
}

impl Seen<'_> {
    fn post(&self) -> bool {
        self.req.method == "POST"
    }
    fn api(&self) -> bool {
        self.req.path.starts_with("/api")
    }
    fn param(&self, name: &str) -> Option<String> {
        self.params
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.clone())
    }
    fn paging(&self) -> bool {
        ["page", "min_id", "max_id", "since_id"]
            .iter()
            .any(|p| self.param(p).is_some())
    }
    /// `path_matches?`: the path, or the path with a format (`.json`).
    fn path_matches(&self, p: &str) -> bool {
        let path = self.req.path.as_str();
        path == p
            || path
                .strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('.'))
    }
}

/// One throttle of rack_attack.rb.
pub struct Throttle {
    pub name: &'static str,
    pub limit: u64,
    pub period_secs: u64,
    pub key: fn(&Seen) -> Option<String>,
}

fn statuses_id(path: &str, tail: &str) -> bool {
    path.strip_prefix("/api/v1/statuses/")
        .and_then(|r| r.strip_suffix(tail))
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

fn media_path(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    p.strip_prefix("/api/v")
        .and_then(|r| r.strip_suffix("/media"))
        .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
}

/// Every throttle, in rack_attack.rb's order.
pub const ALL: &[Throttle] = &[
    Throttle {
        name: "throttle_authenticated_api",
        limit: 1500,
        period_secs: 300,
        key: |s| s.user.clone().filter(|_| s.api()),
    },
    Throttle {
        name: "throttle_per_token_api",
        limit: 300,
        period_secs: 300,
        key: |s| s.token.clone().filter(|_| s.api()),
    },
    Throttle {
        name: "throttle_unauthenticated_api",
        limit: 300,
        period_secs: 300,
        key: |s| Some(s.ip.clone()).filter(|_| s.api() && s.user.is_none()),
    },
    Throttle {
        name: "throttle_api_media",
        limit: 30,
        period_secs: 1800,
        key: |s| {
            s.user
                .clone()
                .filter(|_| s.post() && media_path(&s.req.path))
        },
    },
    Throttle {
        name: "throttle_media_proxy",
        limit: 30,
        period_secs: 600,
        key: |s| Some(s.ip.clone()).filter(|_| s.req.path.starts_with("/media_proxy")),
    },
    Throttle {
        name: "throttle_api_sign_up",
        limit: 5,
        period_secs: 1800,
        key: |s| Some(s.ip.clone()).filter(|_| s.post() && s.req.path == "/api/v1/accounts"),
    },
    Throttle {
        name: "throttle_authenticated_paging",
        limit: 300,
        period_secs: 900,
        key: |s| s.user.clone().filter(|_| s.paging()),
    },
    Throttle {
        name: "throttle_unauthenticated_paging",
        limit: 300,
        period_secs: 900,
        key: |s| Some(s.ip.clone()).filter(|_| s.paging() && s.user.is_none()),
    },
    Throttle {
        name: "throttle_api_delete",
        limit: 30,
        period_secs: 1800,
        key: |s| {
            let p = &s.req.path;
            let hit = (s.post() && statuses_id(p, "/unreblog"))
                || (s.req.method == "DELETE" && statuses_id(p, ""));
            s.user.clone().filter(|_| hit)
        },
    },
    Throttle {
        name: "throttle_oauth_application_registrations/ip",
        limit: 5,
        period_secs: 600,
        key: |s| Some(s.ip.clone()).filter(|_| s.post() && s.req.path == "/api/v1/apps"),
    },
    Throttle {
        name: "throttle_sign_up_attempts/ip",
        limit: 25,
        period_secs: 300,
        key: |s| Some(s.ip.clone()).filter(|_| s.post() && s.path_matches("/auth")),
    },
    Throttle {
        name: "throttle_password_resets/ip",
        limit: 25,
        period_secs: 300,
        key: |s| Some(s.ip.clone()).filter(|_| s.post() && s.path_matches("/auth/password")),
    },
    Throttle {
        name: "throttle_password_resets/email",
        limit: 5,
        period_secs: 1800,
        key: |s| {
            s.param("user[email]")
                .filter(|_| s.post() && s.path_matches("/auth/password"))
        },
    },
    Throttle {
        name: "throttle_email_confirmations/ip",
        limit: 25,
        period_secs: 300,
        key: |s| {
            let hit = s.post()
                && (s.path_matches("/auth/confirmation")
                    || s.req.path == "/api/v1/emails/confirmations");
            Some(s.ip.clone()).filter(|_| hit)
        },
    },
    Throttle {
        name: "throttle_email_confirmations/email",
        limit: 5,
        period_secs: 1800,
        // As rack_attack.rb has it: the e-mail field of a password reset
        // (sic), or the user of the API's confirmation request.
        key: |s| {
            if s.post() && s.path_matches("/auth/password") {
                s.param("user[email]")
            } else if s.post() && s.req.path == "/api/v1/emails/confirmations" {
                s.user.clone()
            } else {
                None
            }
        },
    },
    Throttle {
        name: "throttle_login_attempts/ip",
        limit: 25,
        period_secs: 300,
        key: |s| Some(s.ip.clone()).filter(|_| s.post() && s.path_matches("/auth/sign_in")),
    },
    Throttle {
        name: "throttle_login_attempts/email",
        limit: 25,
        period_secs: 3600,
        key: |s| {
            s.param("user[email]")
                .filter(|_| s.post() && s.path_matches("/auth/sign_in"))
        },
    },
    Throttle {
        name: "throttle_password_change/account",
        limit: 10,
        period_secs: 600,
        // `req.put? || (req.patch? && req.path_matches?('/auth'))`: every
        // PUT of a signed-in user counts.
        key: |s| {
            let hit = s.req.method == "PUT" || (s.req.method == "PATCH" && s.path_matches("/auth"));
            s.user.clone().filter(|_| hit)
        },
    },
];

#[derive(Default)]
pub struct Counts {
    /// (throttle, key, window) -> requests
    seen: HashMap<(&'static str, String, u64), u64>,
}

/// The address Mastodon sees: the client's, from `X-Forwarded-For` sent by
/// a trusted proxy (nginx, on loopback), else the connection's. As Rails'
/// `remote_ip` with the proxy trusted: the last address nginx appended.
pub fn client_address(req: &Recorded) -> String {
    req.header("x-forwarded-for")
        .and_then(|v| v.rsplit(',').next())
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| req.peer.clone())
}

/// `throttleable_remote_ip`: an IPv6 address masked to its /64.
pub fn throttleable(addr: &str) -> String {
    match addr.parse::<IpAddr>() {
        Ok(IpAddr::V6(a)) => {
            let s = a.segments();
            std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0).to_string()
        }
        Ok(IpAddr::V4(a)) => a.to_string(),
        Err(_) => addr.to_string(),
    }
}

/// The 429 answer's headers when the request is over a throttle.
pub fn check(t: &Throttles, counts: &mut Counts, seen: &Seen) -> Option<Vec<(String, String)>> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    for th in ALL {
        let (limit, period) = match th.name {
            "throttle_per_token_api" | "throttle_unauthenticated_api" => {
                (t.limit, t.period.as_secs().max(1))
            }
            _ => (th.limit, th.period_secs),
        };
        let Some(key) = (th.key)(seen) else { continue };
        let window = now / period;
        let n = counts.seen.entry((th.name, key, window)).or_default();
        *n += 1;
        if *n > limit {
            let reset = UNIX_EPOCH + Duration::from_secs((window + 1) * period);
            return Some(vec![
                ("X-RateLimit-Limit".into(), limit.to_string()),
                ("X-RateLimit-Remaining".into(), "0".into()),
                (
                    "X-RateLimit-Reset".into(),
                    humantime::format_rfc3339_micros(reset).to_string(),
                ),
            ]);
        }
    }
    None
}
