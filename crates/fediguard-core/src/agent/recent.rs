//! A per-worker cache of recent agents and their classification.
//!
//! A site sees the same few hundred agent strings again and again (each
//! browser build, each bot); remembering the answer for them skips the
//! automaton scan. The cache is direct-mapped and compares the whole agent,
//! so a hash collision only costs a scan; a flood of distinct agents only
//! evicts entries.

use core::cell::RefCell;

use super::matcher::MAX_AGENT_SCAN;
use super::{AgentMatcher, Classification};

const SLOTS: usize = 256;
/// Longer agents are classified every time (they are rare, and hostile).
const MAX_CACHED: usize = 256;

#[derive(Clone)]
struct Slot {
    agent: Vec<u8>,
    answer: Classification,
}

pub struct RecentAgents {
    slots: RefCell<Vec<Option<Slot>>>,
}

impl Default for RecentAgents {
    fn default() -> Self {
        RecentAgents {
            slots: RefCell::new(vec![None; SLOTS]),
        }
    }
}

impl core::fmt::Debug for RecentAgents {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RecentAgents")
    }
}

/// A fast hash of the agent (not keyed: a collision costs only a scan).
fn slot_of(agent: &[u8]) -> usize {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15 ^ agent.len() as u64;
    let mut chunks = agent.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    }
    for &b in chunks.remainder() {
        h = (h ^ b as u64).wrapping_mul(0xff51_afd7_ed55_8ccd);
    }
    (h ^ (h >> 29)) as usize % SLOTS
}

impl RecentAgents {
    /// `matcher.classify(agent)`, remembered.
    pub fn classify(&self, matcher: &AgentMatcher, agent: Option<&[u8]>) -> Classification {
        let Some(a) = agent.filter(|a| a.len() <= MAX_CACHED.min(MAX_AGENT_SCAN)) else {
            return matcher.classify(agent);
        };
        let i = slot_of(a);
        // The worker is single-threaded; a re-entrant borrow cannot happen,
        // and if it did the answer is simply computed.
        let Ok(mut slots) = self.slots.try_borrow_mut() else {
            return matcher.classify(agent);
        };
        if let Some(Some(s)) = slots.get(i) {
            if s.agent == a {
                return s.answer;
            }
        }
        let answer = matcher.classify(agent);
        if let Some(slot) = slots.get_mut(i) {
            match slot {
                Some(s) => {
                    s.agent.clear();
                    s.agent.extend_from_slice(a);
                    s.answer = answer;
                }
                None => {
                    *slot = Some(Slot {
                        agent: a.to_vec(),
                        answer,
                    })
                }
            }
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_answers_as_the_matcher() {
        let m = AgentMatcher::build(&[], true).unwrap();
        let recent = RecentAgents::default();
        let agents: Vec<String> = (0..2000)
            .map(|i| match i % 4 {
                0 => format!("Mozilla/5.0 Firefox/{i}"),
                1 => format!("GPTBot/1.{i}"),
                2 => format!("Mastodon/4.{i} (http.rb/5.3.1; +https://host{i}.example/)"),
                _ => format!("curl/{i}"),
            })
            .collect();
        for _ in 0..3 {
            for a in &agents {
                assert_eq!(
                    recent.classify(&m, Some(a.as_bytes())),
                    m.classify(Some(a.as_bytes())),
                    "{a}"
                );
            }
        }
        assert_eq!(recent.classify(&m, None), m.classify(None));
        let long = format!("GPTBot/1 {}", "x".repeat(600));
        assert_eq!(
            recent.classify(&m, Some(long.as_bytes())),
            m.classify(Some(long.as_bytes()))
        );
    }
}
