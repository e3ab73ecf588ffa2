//! A per-worker cache of recent agents and their classification.
//!
//! A site sees the same few hundred agent strings again and again (each
//! browser build, each bot); remembering the answer for them skips the
//! automaton scan. The cache is an LRU of bounded size keyed by the whole
//! agent, hashed with a per-process random seed: a flood of distinct agents
//! only evicts entries, and crafted agents cannot pile up in one bucket.

use core::cell::RefCell;
use core::num::NonZeroUsize;

use lru::LruCache;

use super::matcher::MAX_AGENT_SCAN;
use super::{AgentMatcher, Classification};

/// Agents remembered per worker.
pub const RECENT_AGENTS: usize = 256;
/// Longer agents are classified every time (they are rare, and hostile).
pub const MAX_CACHED_AGENT: usize = 256;

/// Used from one nginx worker, single-threaded, through `&self`: the cache
/// is behind a `RefCell`.
pub struct RecentAgents {
    cache: RefCell<LruCache<Vec<u8>, Classification>>,
}

impl Default for RecentAgents {
    fn default() -> Self {
        RecentAgents {
            cache: RefCell::new(LruCache::new(
                NonZeroUsize::new(RECENT_AGENTS).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }
}

impl core::fmt::Debug for RecentAgents {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RecentAgents")
    }
}

impl RecentAgents {
    /// `matcher.classify(agent)`, remembered.
    pub fn classify(&self, matcher: &AgentMatcher, agent: Option<&[u8]>) -> Classification {
        let Some(a) = agent.filter(|a| a.len() <= MAX_CACHED_AGENT.min(MAX_AGENT_SCAN)) else {
            return matcher.classify(agent);
        };
        // The worker is single-threaded; a re-entrant borrow cannot happen,
        // and if it did the answer is simply computed.
        let Ok(mut cache) = self.cache.try_borrow_mut() else {
            return matcher.classify(agent);
        };
        if let Some(answer) = cache.get(a) {
            return *answer;
        }
        let answer = matcher.classify(agent);
        // Reuse the evicted entry's buffer: a full cache allocates nothing.
        let mut key = if cache.len() >= cache.cap().get() {
            cache.pop_lru().map(|(k, _)| k).unwrap_or_default()
        } else {
            Vec::new()
        };
        key.clear();
        key.extend_from_slice(a);
        cache.put(key, answer);
        answer
    }

    /// Number of agents remembered.
    pub fn len(&self) -> usize {
        self.cache.try_borrow().map_or(0, |c| c.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        assert_eq!(recent.len(), RECENT_AGENTS);
        assert_eq!(recent.classify(&m, None), m.classify(None));
        let long = format!("GPTBot/1 {}", "x".repeat(600));
        assert_eq!(
            recent.classify(&m, Some(long.as_bytes())),
            m.classify(Some(long.as_bytes()))
        );
        assert_eq!(recent.len(), RECENT_AGENTS, "long agents are not cached");
    }

    #[test]
    fn recent_agents_stay_and_old_ones_go() {
        let m = AgentMatcher::build(&[], true).unwrap();
        let recent = RecentAgents::default();
        let hot = b"Mozilla/5.0 (compatible; HotBot/1.0)";
        recent.classify(&m, Some(hot));
        for i in 0..10 * RECENT_AGENTS {
            // The hot agent is seen between every few others: never evicted.
            if i % 8 == 0 {
                recent.classify(&m, Some(hot));
            }
            recent.classify(&m, Some(format!("Agent/{i}").as_bytes()));
        }
        let cache = recent.cache.borrow();
        assert!(cache.contains(&hot[..]));
        assert!(!cache.contains(&b"Agent/0"[..]));
        assert_eq!(cache.len(), RECENT_AGENTS);
    }

    /// The direct-mapped table this cache replaced (hand-made, 256 slots,
    /// unkeyed hash), kept here only to compare lookup costs.
    mod direct_mapped {
        use super::*;

        #[derive(Clone)]
        struct Slot {
            agent: Vec<u8>,
            answer: Classification,
        }

        pub struct Table {
            slots: RefCell<Vec<Option<Slot>>>,
        }

        impl Default for Table {
            fn default() -> Self {
                Table {
                    slots: RefCell::new(vec![None; RECENT_AGENTS]),
                }
            }
        }

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
            (h ^ (h >> 29)) as usize % RECENT_AGENTS
        }

        impl Table {
            pub fn classify(&self, matcher: &AgentMatcher, agent: Option<&[u8]>) -> Classification {
                let Some(a) = agent.filter(|a| a.len() <= MAX_CACHED_AGENT) else {
                    return matcher.classify(agent);
                };
                let i = slot_of(a);
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
                    *slot = Some(Slot {
                        agent: a.to_vec(),
                        answer,
                    });
                }
                answer
            }
        }
    }

    /// ns per lookup of a cached agent, old table and LRU; run with
    /// `cargo test --release -p fediguard-core -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing; run in release mode"]
    fn lookup_cost_of_a_cached_agent() {
        use std::hint::black_box;
        use std::time::Instant;

        const LOOKUPS: u32 = 1_000_000;
        let m = AgentMatcher::build(&[], true).unwrap();
        // A browser agent (the common case) and a short bot agent.
        let agents: [&[u8]; 2] = [
            b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            b"Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        ];
        let old = direct_mapped::Table::default();
        let new = RecentAgents::default();
        for agent in agents {
            old.classify(&m, Some(agent));
            new.classify(&m, Some(agent));
            // Alternate a few rounds so neither gets a warm-cache edge.
            let (mut old_ns, mut new_ns, mut scan_ns) = (f64::MAX, f64::MAX, f64::MAX);
            for _ in 0..3 {
                let t = Instant::now();
                for _ in 0..LOOKUPS {
                    black_box(old.classify(&m, black_box(Some(agent))));
                }
                old_ns = old_ns.min(t.elapsed().as_nanos() as f64 / LOOKUPS as f64);
                let t = Instant::now();
                for _ in 0..LOOKUPS {
                    black_box(new.classify(&m, black_box(Some(agent))));
                }
                new_ns = new_ns.min(t.elapsed().as_nanos() as f64 / LOOKUPS as f64);
                let t = Instant::now();
                for _ in 0..LOOKUPS / 10 {
                    black_box(m.classify(black_box(Some(agent))));
                }
                scan_ns = scan_ns.min(t.elapsed().as_nanos() as f64 / (LOOKUPS / 10) as f64);
            }
            println!(
                "{} bytes: direct-mapped {old_ns:.1} ns/lookup, lru {new_ns:.1} ns/lookup, \
                 no cache (full classification) {scan_ns:.1} ns",
                agent.len()
            );
        }
    }
}
