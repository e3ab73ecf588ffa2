//! Directive values (`conf_value::*`), agent patterns (`Pattern::parse`),
//! class names (`ClassRegistry::intern`), `fediguard_redis`'s arguments
//! (`cluster::parse_redis`, whose messages show the URL redacted) and the reconnect backoff.
//!
//! Input: one directive argument (the whole input), also read as the
//! space-separated arguments of `fediguard_redis`.
#![no_main]

use fediguard_core::agent::{ClassRegistry, Pattern};
use fediguard_core::cluster::{next_backoff, parse_redis, Endpoint, MAX_BACKOFF_MS};
use fediguard_core::conf_value::{
    parse_fail, parse_flag, parse_log_level, parse_mode, parse_msec, parse_require, parse_size,
    parse_status, parse_zone,
};
use fediguard_fuzz::u64_at;
use libfuzzer_sys::fuzz_target;

/// Where the password of a redis:// URL is: what follows the user name
/// up to the last `@` (or all the credentials, without a user). Only
/// passwords of letters and digits, long enough to tell apart.
fn password_at(url: &str) -> Option<std::ops::Range<usize>> {
    let (before, _) = url.rsplit_once('@')?;
    let creds_at = before.find("://").map_or(0, |i| i + 3);
    let creds = &before[creds_at..];
    let pw_at = creds_at + creds.find(':').map_or(0, |i| i + 1);
    let pw = &before[pw_at..];
    (pw.len() >= 6 && pw.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(pw_at..before.len())
}

/// The same password with every character changed.
fn other(pw: &str) -> String {
    pw.chars()
        .map(|c| if c == 'Q' { 'W' } else { 'Q' })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(v) = std::str::from_utf8(data) else {
        return;
    };

    assert_eq!(parse_mode(v).is_ok(), ["on", "off", "dry_run"].contains(&v));
    assert_eq!(parse_flag(v).is_ok(), ["on", "off"].contains(&v));
    assert_eq!(
        parse_log_level(v).is_ok(),
        ["info", "notice", "warn", "error"].contains(&v)
    );
    assert_eq!(
        parse_require(v).is_ok(),
        ["off", "valid", "user"].contains(&v)
    );
    assert_eq!(parse_fail(v).is_ok(), ["open", "closed"].contains(&v));

    if let Ok(n) = parse_status(v) {
        assert!((400..=599).contains(&n));
        assert!(v.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(v.parse::<u64>().ok(), Some(n as u64));
    }

    if let Ok(ms) = parse_msec(v) {
        assert!(v
            .bytes()
            .all(|b| b.is_ascii_digit() || b"mshdw".contains(&b)));
        // Written back in milliseconds (a number has at most 12 digits).
        if ms < 1_000_000_000_000 {
            assert_eq!(parse_msec(&format!("{ms}ms")), Ok(ms));
        }
        if v.bytes().all(|b| b.is_ascii_digit()) {
            assert_eq!(v.parse::<u64>().ok().map(|s| s * 1000), Some(ms));
        }
    }

    if let Ok(n) = parse_size(v) {
        assert_eq!(parse_size(&n.to_string()), Ok(n));
        match v.as_bytes().last() {
            Some(b'k' | b'K') => assert_eq!(n % 1024, 0),
            Some(b'm' | b'M') => assert_eq!(n % (1 << 20), 0),
            _ => {}
        }
    }

    if let Ok((name, size)) = parse_zone(v) {
        assert!(!name.is_empty());
        let rest = v
            .strip_prefix("zone=")
            .and_then(|r| r.strip_prefix(name.as_str()))
            .and_then(|r| r.strip_prefix(':'))
            .expect("zone=name:size");
        assert_eq!(parse_size(rest), Ok(size));
    }

    // A pattern: a name, `~regex` or `~*regex` (bounded: regexes compile).
    if v.len() <= 256 {
        match Pattern::parse(v) {
            Ok(Pattern::Word(n)) => {
                assert!(!n.trim().is_empty());
                assert!(v == n || v.strip_prefix('\\') == Some(n.as_str()));
            }
            Ok(Pattern::Regex { source, .. }) => assert!(!source.is_empty()),
            Err(e) => assert!(!e.contains('\n'), "{e:?}"),
        }
    }

    // A class name: letters, digits, `_`, `-`, `.`, at most 64.
    let mut reg = ClassRegistry::default();
    let before = reg.len();
    match reg.intern(v) {
        Ok(id) => {
            assert!(!v.is_empty() && v.len() <= 64);
            assert!(v
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)));
            assert_eq!(reg.lookup(v), Some(id));
            assert_eq!(reg.name(id), v);
            assert_eq!(reg.intern(v), Ok(id));
        }
        Err(_) => assert_eq!(reg.len(), before),
    }

    // fediguard_redis: valid settings, and never a password in a message.
    let args: Vec<&str> = v.split_whitespace().collect();
    match parse_redis(&args) {
        Ok(c) => {
            let named = match &c.endpoint {
                Endpoint::Tcp { host, .. } => !host.is_empty(),
                Endpoint::Unix { path } => !path.is_empty(),
                Endpoint::Sentinel(s) => !s.sentinels.is_empty(),
            };
            assert!(named && c.db >= 0);
            assert!((1..=3_600_000).contains(&c.sync_ms));
            assert!((1..=3_600_000).contains(&c.timeout_ms));
            assert!(!c.prefix.is_empty() && c.prefix.len() <= 64);
            assert!(c.prefix.bytes().all(|b| b > b' ' && b != 0x7f));
        }
        Err(e) => {
            // The message shows the password if it changes with it: the
            // same URL with another password gives a message with that one.
            if let Some(at) = args.first().and_then(|u| password_at(u)) {
                let pw = &args[0][at.clone()];
                let pw2 = other(pw);
                let url2 = format!("{}{pw2}{}", &args[0][..at.start], &args[0][at.end..]);
                let mut args2 = args.clone();
                args2[0] = &url2;
                if let Err(e2) = parse_redis(&args2) {
                    assert!(
                        !(e.contains(pw) && e2.contains(&pw2)),
                        "password {pw:?} in {e:?}"
                    );
                }
            }
        }
    }

    // The reconnect backoff stays between the interval and its ceiling.
    let sync = u64_at(data, 0) % 3_600_001;
    let last = u64_at(data, 8);
    let ceiling = MAX_BACKOFF_MS.max(sync);
    let next = next_backoff(last, sync);
    assert!(next >= sync.min(ceiling) && next <= ceiling, "{next}");
});
