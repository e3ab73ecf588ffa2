//! What this worker knows of each verification backend (one per
//! `fediguard_token_verify` prefix): whether it answers `/oauth/token/info`
//! (a server that answered 404 is asked the two verify_credentials
//! endpoints, and asked again an hour later), and whether it asked for a
//! pause (a 5xx with Retry-After). Per worker: each worker learns it from
//! one answer of its own.

use core::cell::RefCell;

/// How long a 404 to `/oauth/token/info` is believed.
const NO_INFO_MS: u64 = 3_600_000;

struct Backend {
    prefix: String,
    no_info_until: u64,
    paused_until: u64,
}

thread_local! {
    /// As many entries as the configuration has verify prefixes.
    static BACKENDS: RefCell<Vec<Backend>> = const { RefCell::new(Vec::new()) };
}

fn with<R>(prefix: &str, f: impl FnOnce(&mut Backend) -> R) -> Option<R> {
    BACKENDS.with(|b| {
        let mut all = b.try_borrow_mut().ok()?;
        let i = match all.iter().position(|b| b.prefix == prefix) {
            Some(i) => i,
            None => {
                all.push(Backend {
                    prefix: prefix.to_string(),
                    no_info_until: 0,
                    paused_until: 0,
                });
                all.len() - 1
            }
        };
        all.get_mut(i).map(f)
    })
}

/// The backend is believed to answer `/oauth/token/info`.
pub fn has_info(prefix: &str, now: u64) -> bool {
    with(prefix, |b| b.no_info_until <= now).unwrap_or(true)
}

pub fn mark_no_info(prefix: &str, now: u64) {
    with(prefix, |b| b.no_info_until = now.saturating_add(NO_INFO_MS));
}

/// New verifications are paused until then (0: not paused).
pub fn paused_until(prefix: &str, now: u64) -> Option<u64> {
    with(prefix, |b| b.paused_until).filter(|&until| until > now)
}

/// Pauses new verifications for `ms`; true when this starts a pause (the
/// caller logs it once).
pub fn pause(prefix: &str, now: u64, ms: u64) -> bool {
    with(prefix, |b| {
        let started = b.paused_until <= now;
        b.paused_until = b.paused_until.max(now.saturating_add(ms));
        started
    })
    .unwrap_or(false)
}
