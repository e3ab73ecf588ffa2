//! Who fetches: fediverse instances, each with its own host and a real
//! User-Agent of its software's format (reference: mastodon.md), in about
//! the mix of software seen in the fediverse; and browsers.

use super::rng::Rng;

/// One instance: the agent its fetcher sends, which names its host.
#[derive(Clone, Debug)]
pub struct Instance {
    pub agent: String,
}

/// The software mix, by weight (Mastodon dominates; old and new agent
/// formats both live), and each one's agent for `host`.
type MakeAgent = fn(&mut Rng, &str) -> String;

const SOFTWARE: &[(u32, MakeAgent)] = &[
    (45, |r, h| {
        let v = pick(r, &["4.3.2", "4.3.8", "4.4.1", "4.4.3", "4.5.0"]);
        format!("Mastodon/{v} (http.rb/5.3.1; +https://{h}/)")
    }),
    (20, |r, h| {
        let v = pick(r, &["4.0.2", "4.1.12", "4.2.10", "3.5.19"]);
        format!("http.rb/5.1.1 (Mastodon/{v}; +https://{h}/)")
    }),
    (5, |r, h| {
        let v = pick(r, &["2.5.0", "2.6.3", "2.7.2"]);
        format!("Pleroma {v}; https://{h} <admin@{h}>")
    }),
    (4, |r, h| {
        let v = pick(r, &["3.9.3", "3.13.2", "3.15.1"]);
        format!("Akkoma {v}; https://{h} <admin@{h}>")
    }),
    (8, |r, h| {
        let (name, v) = pick(
            r,
            &[
                ("Misskey", "2024.11.0"),
                ("Misskey", "13.12.2"),
                ("Sharkey", "2024.9.1"),
                ("Iceshrimp", "2023.12.11"),
                ("Firefish", "1.0.5"),
            ],
        );
        format!("{name}/{v} (https://{h})")
    }),
    (5, |r, h| {
        let v = pick(r, &["0.16.0", "0.17.3", "0.18.1"]);
        format!("gotosocial/{v} (+https://{h})")
    }),
    (3, |_, h| {
        format!("Friendica 'Yellow Archangel' 2024.08-1570; https://{h}")
    }),
    (2, |_, h| format!("(Pixelfed/0.12.4; +https://{h})")),
    (2, |_, h| format!("Lemmy/0.19.5; +https://{h}")),
    (1, |_, h| format!("PeerTube/6.3.2 (+https://{h})")),
    (1, |_, h| {
        format!("python-requests/2.31 (BookWyrm/0.7.4; +https://{h}/)")
    }),
    (1, |_, h| {
        format!("python-httpx/0.27 (Takahe/0.11; +https://{h}/)")
    }),
    (1, |_, h| format!("Go (WriteFreely/0.15.0; +https://{h})")),
    (1, |_, h| format!("Mitra 3.8.0; https://{h}")),
    (1, |_, h| {
        format!("Wildebeest/0.1 (Mastodon/4.0; +https://{h})")
    }),
];

fn pick<T: Copy>(r: &mut Rng, xs: &[T]) -> T {
    xs[r.below(xs.len() as u64) as usize]
}

const WORDS: &[&str] = &[
    "social",
    "mastodon",
    "fosstodon",
    "toot",
    "hachyderm",
    "infosec",
    "mstdn",
    "chaos",
    "scholar",
    "photog",
    "floss",
    "sfba",
    "mathstodon",
    "tech",
    "masto",
    "pub",
];
const TLDS: &[&str] = &[
    "social", "online", "org", "net", "xyz", "club", "host", "cafe",
];

/// `n` instances with distinct hosts, the first `offset` hosts skipped (so
/// that a boost wave reaches other instances than the first wave).
pub fn instances(rng: &mut Rng, offset: usize, n: usize) -> Vec<Instance> {
    let total: u32 = SOFTWARE.iter().map(|s| s.0).sum();
    (offset..offset + n)
        .map(|i| {
            let host = format!(
                "{}{}.{}",
                WORDS[i % WORDS.len()],
                i / WORDS.len(),
                TLDS[(i / 7) % TLDS.len()]
            );
            let mut roll = rng.below(total as u64) as u32;
            let make = SOFTWARE
                .iter()
                .find(|(w, _)| {
                    if roll < *w {
                        true
                    } else {
                        roll -= w;
                        false
                    }
                })
                .map(|s| s.1)
                .unwrap_or(SOFTWARE[0].1);
            let agent = make(rng, &host);
            Instance { agent }
        })
        .collect()
}

/// The agent an instance fetches a page with for a preview card: Mastodon
/// (FetchLinkCardService) appends " Bot" to its agent there, and fetches
/// the image with its plain agent.
pub fn page_agent(agent: &str) -> String {
    if agent.starts_with("Mastodon/") || agent.starts_with("http.rb/") {
        format!("{agent} Bot")
    } else {
        agent.to_string()
    }
}

/// The people reading the site.
pub const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
];

/// The origin tells browsers apart by these exact agents.
pub fn is_browser(agent: &str) -> bool {
    BROWSERS.contains(&agent)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use fediguard_core::agent::{AgentMatcher, ClassId};

    use super::{instances, page_agent, BROWSERS};
    use crate::stampede::rng::Rng;

    #[test]
    fn every_instance_is_a_fediverse_fetcher_with_a_host_of_its_own() {
        let m = AgentMatcher::build(&[], true).unwrap();
        let mut rng = Rng::new(7);
        let all = instances(&mut rng, 0, 1000);
        let mut hosts = HashSet::new();
        for i in &all {
            for agent in [i.agent.clone(), page_agent(&i.agent)] {
                let c = m.classify(Some(agent.as_bytes()));
                assert_eq!(c.class, ClassId::FEDIVERSE, "{agent}");
                let (s, e) = c.host.unwrap_or_else(|| panic!("no host: {agent}"));
                hosts.insert(agent[s..e].to_ascii_lowercase());
            }
        }
        assert_eq!(hosts.len(), 1000, "one host per instance");
        for b in BROWSERS {
            assert_eq!(m.classify(Some(b.as_bytes())).class, ClassId::OTHER, "{b}");
        }
    }
}
