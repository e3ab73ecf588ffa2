//! The signs of an automated agent that the catalogue does not name: they
//! make it `bot`. Browsers and people's apps show none of them (their agents
//! name an engine and a product, never a contact address), and the few that
//! do by accident are listed in not_bots.rs.
//!
//! The signs are names of the same automaton as the rest of the catalogue,
//! checked last, with bounds that say what a match must look like; one more
//! sign, a bare name without any product token, is checked in code only
//! when nothing else matched ([`is_bare_name`]).

use super::entry::Entry;
use crate::agent::{Bound, ClassId};

const fn sign(name: &'static str, bound: Bound) -> Entry {
    Entry {
        class: ClassId::BOT,
        name,
        needs_instance_url: false,
        bound,
    }
}

use Bound::{Anywhere, Compatible, Domain, Email, Suffix, Word};

pub(super) const ENTRIES: &[Entry] = &[
    // What the agent calls itself, ending a word: `FooBot/1.0`, `Acme-Crawler`,
    // `LinkChecker`, `Datadog Agent`.
    sign("bot", Suffix),
    sign("bots", Suffix),
    sign("fetcher", Suffix),
    sign("checker", Suffix),
    sign("validator", Suffix),
    sign("indexer", Suffix),
    sign("archiver", Suffix),
    sign("harvester", Suffix),
    sign("downloader", Suffix),
    sign("scanner", Suffix),
    sign("scan", Suffix),
    sign("monitor", Suffix),
    sign("monitoring", Suffix),
    sign("preview", Suffix),
    sign("parser", Suffix),
    sign("agent", Suffix),
    sign("uptime", Suffix),
    // Even inside a word: `Crawler4j`, `spider-client`, `Scrapy`-likes,
    // `HeadlessShell`.
    sign("crawl", Anywhere),
    sign("spider", Anywhere),
    sign("scrap", Anywhere),
    sign("headless", Anywhere),
    // A URL (`+http://example.com/bot.html`), which no browser sends; also
    // HTTP client names (`Apache-HttpAsyncClient`, `WinHTTP`).
    sign("http", Anywhere),
    sign("www.", Word),
    // A contact address: `admin@example.com`.
    sign("@", Email),
    // A product in the `compatible;` slot that is not a browser's:
    // `Mozilla/5.0 (compatible; Optimizer)`.
    sign("compatible;", Compatible),
    // A host name written without a scheme: `(theoldreader.com)`,
    // `remove.bg/1.0`. Only common top-level domains, each ending the host,
    // so an app's reverse-DNS id (`org.joinmastodon.app`) is no sign.
    sign(".com", Domain),
    sign(".net", Domain),
    sign(".org", Domain),
    sign(".io", Domain),
    sign(".ai", Domain),
    sign(".info", Domain),
    sign(".biz", Domain),
    sign(".dev", Domain),
    sign(".tech", Domain),
    sign(".xyz", Domain),
    sign(".site", Domain),
    sign(".online", Domain),
    sign(".cloud", Domain),
    sign(".edu", Domain),
    sign(".gov", Domain),
    sign(".eu", Domain),
    sign(".de", Domain),
    sign(".fr", Domain),
    sign(".uk", Domain),
    sign(".nl", Domain),
    sign(".cz", Domain),
    sign(".ru", Domain),
    sign(".ua", Domain),
    sign(".bg", Domain),
    sign(".nu", Domain),
    sign(".jp", Domain),
    sign(".us", Domain),
    sign(".fm", Domain),
    sign(".ly", Domain),
    sign(".gy", Domain),
];

/// A bare name: printable ASCII starting with a letter, without a single
/// `/`, so without the `product/version` token every browser and app agent
/// has (`Zapier`, `Hello World`, `NodePing`). Checked only when no rule
/// matched; binary garbage is not a name and stays `other`.
pub fn is_bare_name(agent: &[u8]) -> bool {
    agent.first().is_some_and(u8::is_ascii_alphabetic)
        && agent
            .iter()
            .all(|b| (b' '..=b'~').contains(b) && *b != b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names() {
        assert!(is_bare_name(b"Zapier"));
        assert!(is_bare_name(b"Hello World"));
        assert!(is_bare_name(b"daumoa,damoa,daum"));
        assert!(!is_bare_name(b"Tusky/25.2 Android/14"));
        assert!(!is_bare_name(b"\xff\xfe garbage \x00"));
        assert!(!is_bare_name(b"(bracket first)"));
        assert!(!is_bare_name(b"tab\tinside"));
        assert!(!is_bare_name(b""));
    }
}
