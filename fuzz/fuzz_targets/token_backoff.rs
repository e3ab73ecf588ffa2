//! How long a backend asks to be left alone: `backoff_ms` (Retry-After in
//! seconds or as an HTTP date, Mastodon's X-RateLimit-Reset).
//!
//! Input: the Retry-After value, a newline, the X-RateLimit-Reset value.
//! Without a newline there is no X-RateLimit-Reset.
#![no_main]

use std::time::{Duration, SystemTime};

use fediguard_core::token::{backoff_ms, MAX_BACKOFF_MS, MIN_BACKOFF_MS};
use fediguard_fuzz::split_once;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (ra, reset) = split_once(data, b"\n");
    let ra = Some(ra);
    // 2026-12-02T07:00:00Z
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_194_800);

    let got = backoff_ms(ra, reset, now);
    if let Some(ms) = got {
        assert!((MIN_BACKOFF_MS..=MAX_BACKOFF_MS).contains(&ms), "{ms}");
    }

    // Retry-After wins when it is readable; otherwise the reset time.
    let alone = backoff_ms(ra, None, now);
    match alone {
        Some(ms) => assert_eq!(got, Some(ms)),
        None => assert_eq!(got, backoff_ms(None, reset, now)),
    }

    // A number of seconds means just that, clamped.
    if let Some(secs) = ra
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u64>().ok())
    {
        let want = secs
            .saturating_mul(1000)
            .clamp(MIN_BACKOFF_MS, MAX_BACKOFF_MS);
        assert_eq!(got, Some(want));
    }

    // Asked later, the pause is no longer; whether it is readable does not
    // depend on the time.
    let later = backoff_ms(ra, reset, now + Duration::from_secs(7));
    assert_eq!(later.is_some(), got.is_some());
    if let (Some(l), Some(g)) = (later, got) {
        assert!(l <= g, "later {l} > {g}");
    }
});
