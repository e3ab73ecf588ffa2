//! The built-in agent catalogue (`fediguard_agent_catalog on`, the default).
//!
//! Order matters: the first entry that matches wins. The sections follow
//! each other in `SECTIONS` order:
//! - named agents, the most specific first: fediverse servers before the
//!   HTTP libraries they name in their agent
//!   (`python-requests/2.31 (BookWyrm/0.6.0; +https://...)`), AI agents
//!   before the search and SEO bots whose names they extend
//!   (`Applebot-Extended` before `Applebot`, `SemrushBot-OCOB` before
//!   `SemrushBot`);
//! - AI agents named by common words (`Code/`, `Spider/`), only as a
//!   product token and after every specific name, so that
//!   `Screaming Frog SEO Spider/20.0` stays `seo`;
//! - people's apps and devices whose names look like a bot's (`Cubot`
//!   phones), which stay `other`;
//! - last, the signs of an automated agent the catalogue does not name
//!   (`signs.rs`), which make it `bot`.
//!
//! Names match ASCII case-insensitively, as whole words unless their
//! [`Bound`](crate::agent::Bound) says otherwise. Every name is in one Aho-Corasick automaton,
//! so the size of the catalogue does not change the cost of a request.

mod ai;
mod common_words;
mod entry;
mod fediverse;
mod feed;
mod monitor;
mod not_bots;
mod preview;
mod search;
mod seo;
mod services;
mod signs;
mod tool;

pub(crate) use signs::is_bare_name;

use super::ClassId;
use entry::e;
pub use entry::Entry;

/// The sections, in the order they are checked.
const SECTIONS: &[&[Entry]] = &[
    fediverse::ENTRIES,
    ai::ENTRIES,
    search::ENTRIES,
    seo::ENTRIES,
    preview::ENTRIES,
    monitor::ENTRIES,
    feed::ENTRIES,
    tool::ENTRIES,
    services::ENTRIES,
    common_words::ENTRIES,
    not_bots::ENTRIES,
    signs::ENTRIES,
];

const fn total_len(sections: &[&[Entry]]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < sections.len() {
        n += sections[i].len();
        i += 1;
    }
    n
}

const LEN: usize = total_len(SECTIONS);

/// The sections joined into one slice at compile time.
const fn join(sections: &[&[Entry]]) -> [Entry; LEN] {
    let mut out = [e(ClassId::OTHER, ""); LEN];
    let mut k = 0;
    let mut i = 0;
    while i < sections.len() {
        let mut j = 0;
        while j < sections[i].len() {
            out[k] = sections[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    out
}

/// Every entry, in the order they are checked.
pub static CATALOG: &[Entry] = &join(SECTIONS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_usable() {
        for entry in CATALOG {
            assert!(!entry.name.trim().is_empty(), "{entry:?}");
            assert_eq!(entry.name.trim(), entry.name, "{entry:?}");
            assert!(entry.name.is_ascii(), "{entry:?}");
        }
    }

    #[test]
    fn no_name_is_listed_twice_in_one_class() {
        let mut seen = std::collections::HashSet::new();
        for entry in CATALOG {
            let key = (entry.name.to_ascii_lowercase(), entry.class, entry.bound);
            assert!(seen.insert(key), "listed twice: {entry:?}");
        }
    }
}
