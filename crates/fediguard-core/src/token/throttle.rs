//! How long a backend asks to be left alone: `Retry-After` (seconds or an
//! HTTP date) or, from Mastodon's Rack::Attack, `X-RateLimit-Reset` (an
//! ISO 8601 time, the end of the throttle's period). Clamped, so that a
//! broken or hostile answer cannot pause verification for long.

use std::time::{Duration, SystemTime};

/// A pause is at least a second ...
pub const MIN_BACKOFF_MS: u64 = 1_000;
/// ... and at most Mastodon's longest API throttle period, 5 minutes.
pub const MAX_BACKOFF_MS: u64 = 300_000;

/// The pause the headers ask for, in milliseconds from `now`; None when
/// neither header is there or readable.
pub fn backoff_ms(
    retry_after: Option<&[u8]>,
    reset: Option<&[u8]>,
    now: SystemTime,
) -> Option<u64> {
    let asked = retry_after
        .and_then(|v| retry_after_ms(v, now))
        .or_else(|| reset.and_then(|v| reset_ms(v, now)))?;
    Some(asked.clamp(MIN_BACKOFF_MS, MAX_BACKOFF_MS))
}

fn text(v: &[u8]) -> Option<&str> {
    core::str::from_utf8(v)
        .ok()
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 64)
}

fn until(t: SystemTime, now: SystemTime) -> u64 {
    t.duration_since(now).unwrap_or(Duration::ZERO).as_millis() as u64
}

fn retry_after_ms(v: &[u8], now: SystemTime) -> Option<u64> {
    let s = text(v)?;
    if let Ok(secs) = s.parse::<u64>() {
        return Some(secs.saturating_mul(1000));
    }
    httpdate::parse_http_date(s).ok().map(|t| until(t, now))
}

fn reset_ms(v: &[u8], now: SystemTime) -> Option<u64> {
    let s = text(v)?;
    // Rack::Attack writes `iso8601(6)`: `2026-12-02T07:05:00.000000Z`.
    humantime::parse_rfc3339_weak(s).ok().map(|t| until(t, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> SystemTime {
        humantime::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = at("2026-12-02T07:00:00Z");
        assert_eq!(backoff_ms(Some(b"30"), None, now), Some(30_000));
        assert_eq!(
            backoff_ms(Some(b"Wed, 02 Dec 2026 07:01:00 GMT"), None, now),
            Some(60_000)
        );
    }

    #[test]
    fn mastodon_rate_limit_reset() {
        let now = at("2026-12-02T07:00:00Z");
        let reset = b"2026-12-02T07:02:30.000000Z";
        assert_eq!(backoff_ms(None, Some(reset), now), Some(150_000));
        // Retry-After wins when both are there.
        assert_eq!(backoff_ms(Some(b"5"), Some(reset), now), Some(5_000));
    }

    #[test]
    fn clamped_and_unreadable() {
        let now = at("2026-12-02T07:00:00Z");
        assert_eq!(backoff_ms(Some(b"0"), None, now), Some(MIN_BACKOFF_MS));
        assert_eq!(
            backoff_ms(Some(b"999999999999"), None, now),
            Some(MAX_BACKOFF_MS)
        );
        assert_eq!(
            backoff_ms(None, Some(b"2020-01-01T00:00:00Z"), now),
            Some(MIN_BACKOFF_MS)
        );
        assert_eq!(backoff_ms(Some(b"soon"), None, now), None);
        assert_eq!(backoff_ms(None, Some(b"\xff\xfe"), now), None);
        assert_eq!(backoff_ms(None, None, now), None);
        let long = vec![b'1'; 5000];
        assert_eq!(backoff_ms(Some(&long), None, now), None);
    }
}
