//! Agent classification with the built-in catalogue
//! (`AgentMatcher::classify`), the per-worker cache (`RecentAgents`), the
//! instance host (`instance_host`) and the quoting of an agent for a log
//! line (`escape::quote`).
//!
//! Input: the User-Agent value.
#![no_main]

use std::sync::OnceLock;

use fediguard_core::agent::{instance_host, AgentMatcher, ClassId, RecentAgents};
use fediguard_core::escape::quote;
use fediguard_fuzz::unquote;
use libfuzzer_sys::fuzz_target;

const MAX_AGENT_SCAN: usize = 1024;

fn matcher() -> &'static AgentMatcher {
    static M: OnceLock<AgentMatcher> = OnceLock::new();
    M.get_or_init(|| AgentMatcher::build(&[], true).expect("catalogue builds"))
}

thread_local! {
    static RECENT: RecentAgents = RecentAgents::default();
}

/// A host range of `instance_host`: inside the agent, after `http://` or
/// `https://`, made of host characters, not starting with `.` or `-`, not
/// ending with `.`, at most 253 bytes.
fn check_host(agent: &[u8], from: usize, (s, e): (usize, usize)) {
    assert!(
        from <= s && s < e && e <= agent.len(),
        "{s}..{e} of {}",
        agent.len()
    );
    let host = &agent[s..e];
    assert!(host.len() <= 253);
    assert!(host
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(b)));
    assert!(host[0] != b'.' && host[0] != b'-' && host[host.len() - 1] != b'.');
    let before = agent[..s].to_ascii_lowercase();
    assert!(before.ends_with(b"http://") || before.ends_with(b"https://"));
}

fuzz_target!(|data: &[u8]| {
    let m = matcher();
    let c = m.classify(Some(data));

    // The cache answers what the matcher answers, also the second time.
    RECENT.with(|r| {
        assert_eq!(r.classify(m, Some(data)), c);
        assert_eq!(r.classify(m, Some(data)), c);
    });

    if data.iter().all(u8::is_ascii_whitespace) {
        assert_eq!(c.class, ClassId::EMPTY);
    }
    assert_eq!(m.classify(None).class, ClassId::EMPTY);

    // Only a fediverse server has a host (most name their instance; the
    // catalogue's `zot` does not).
    if let Some(range) = c.host {
        assert_eq!(c.class, ClassId::FEDIVERSE);
        check_host(&data[..data.len().min(MAX_AGENT_SCAN)], 0, range);
    }

    // Names match ASCII case-insensitively: flipping case changes nothing.
    assert_eq!(m.classify(Some(&data.to_ascii_uppercase())), c);
    assert_eq!(m.classify(Some(&data.to_ascii_lowercase())), c);

    // Only the first 1024 bytes count.
    if data.len() > MAX_AGENT_SCAN {
        assert_eq!(m.classify(Some(&data[..MAX_AGENT_SCAN])), c);
    }

    // instance_host from any starting point.
    let from = data.first().map_or(0, |&b| b as usize);
    if let Some(range) = instance_host(data, from) {
        check_host(data, from, range);
    }

    // The agent as a log line shows it: printable ASCII only, and it reads
    // back to the bytes it stands for.
    let q = quote(data, 256);
    assert!(q.bytes().all(|b| (0x20..=0x7e).contains(&b)));
    let bytes = unquote(&q, data.len() > 256).expect("quote's output reads back");
    assert_eq!(bytes, &data[..data.len().min(256)]);
});
