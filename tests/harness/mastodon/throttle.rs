//! Mastodon's Rack::Attack API throttles, as `config/initializers/
//! rack_attack.rb` has them: `unauthenticated_api` (300 per 5 minutes per
//! address, for `/api` requests without a user: no token, an invalid or an
//! app-only one) and `per_token_api` (300 per 5 minutes per token). No
//! address is safelisted (since 4.2.9). Fixed windows, as Rack::Attack
//! counts them; a throttled request gets 429 with Mastodon's headers.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Recorded;

#[derive(Clone, Copy, Debug)]
pub struct Throttles {
    /// Requests per period and key, for both throttles.
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

/// The 429 answer's headers when the request is over a throttle.
pub fn check(
    t: &Throttles,
    counts: &mut Counts,
    req: &Recorded,
    token: Option<&str>,
    has_user: bool,
) -> Option<Vec<(String, String)>> {
    if !req.path.starts_with("/api/") {
        return None;
    }
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let period = t.period.as_secs().max(1);
    let window = secs / period;
    let mut over = false;
    let mut count = |name: &'static str, key: String| {
        let n = counts.seen.entry((name, key, window)).or_default();
        *n += 1;
        over |= *n > t.limit;
    };
    if let Some(tok) = token {
        count("per_token_api", tok.to_string());
    }
    if !has_user {
        count("unauthenticated_api", client_address(req));
    }
    if !over {
        return None;
    }
    let reset = UNIX_EPOCH + Duration::from_secs((window + 1) * period);
    Some(vec![
        ("X-RateLimit-Limit".into(), t.limit.to_string()),
        ("X-RateLimit-Remaining".into(), "0".into()),
        (
            "X-RateLimit-Reset".into(),
            humantime::format_rfc3339_micros(reset).to_string(),
        ),
    ])
}
