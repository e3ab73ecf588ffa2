//! A backend that asks verification to slow down is heard.
//!
//! A 429 is the backend's throttle for this client or this token: the
//! token is `limited` for the time the backend gave (cached, not shared
//! with other hosts), and so is the client's verification budget. A 5xx
//! with Retry-After is the backend's health: new verifications pause for
//! that long (tokens meanwhile `unknown`, which `fediguard_token_fail`
//! decides). Each is logged once and counted.

use fediguard_core::token::TokenClass;
use fediguard_core::verdict_cache::Cached;
use nginx_sys::NGX_LOG_WARN;
use ngx::http::Request;

use super::backend;
use super::zone::TokenZone;
use crate::glue::log::{cycle_log, write, write_for_request};
use crate::glue::stats_zone::StatsConf;
use crate::glue::time::now_ms;
use crate::metrics::count;

/// A 429 without a readable pause: Mastodon's throttles reset within 5
/// minutes; a minute is a fair guess.
const DEFAULT_THROTTLE_MS: u64 = 60_000;

/// The backend answered 429: returns how long (msec) the token and the
/// client are refused.
pub fn throttled(
    r: &Request,
    zone: &TokenZone,
    fp: [u8; 16],
    retry_ms: u64,
    stats: Option<&StatsConf>,
) -> u64 {
    let ms = if retry_ms > 0 {
        retry_ms
    } else {
        DEFAULT_THROTTLE_MS
    };
    let until = now_ms().saturating_add(ms);
    let cached = Cached::new(TokenClass::Limited as u8, b"", b"");
    zone.with_table(|t| t.store_marked(&fp, cached, until, false));
    zone.budget.exhaust(r, ms);
    count::backend_throttled(stats);
    write_for_request(
        r,
        NGX_LOG_WARN as usize,
        &format!(
            "fediguard: backend throttles token verification (429): this token and \
             this client's new tokens are refused for {} s",
            ms.div_ceil(1000)
        ),
    );
    ms
}

/// The backend answered a 5xx with a pause: no new verification for `ms`.
pub fn paused(prefix: &str, ms: u64, status: u16, stats: Option<&StatsConf>) {
    if !backend::pause(prefix, now_ms(), ms) {
        return;
    }
    count::backend_paused(stats);
    write(
        cycle_log(),
        NGX_LOG_WARN as usize,
        &format!(
            "fediguard: backend {prefix} asked for a pause ({status}): new tokens are not \
             verified for {} s",
            ms.div_ceil(1000)
        ),
    );
}
