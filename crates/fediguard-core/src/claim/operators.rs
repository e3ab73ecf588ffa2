//! The built-in operator table: how the operators of well-known crawlers
//! say their crawlers can be told from impostors. A row's `key` is the name
//! settings use for the whole row (`fediguard_agent_ranges Googlebot
//! googlebot.json;` applies to every agent of Google's row); `names` are
//! catalogue names (`catalog/`); `domains` are the PTR domains of
//! forward-confirmed reverse DNS, empty for operators that publish only
//! address lists (those are verified once an admin loads the list with
//! `fediguard_agent_ranges`).
//!
//! Each row cites the operator's own page, as read in 2025-2026. The
//! table of docs/verification.md, "The built-in operators", is this table.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operator {
    pub key: &'static str,
    pub names: &'static [&'static str],
    pub domains: &'static [&'static str],
    /// The operator's page on verification.
    pub source: &'static str,
    /// Where it publishes its address ranges, if it does.
    pub ranges: &'static str,
}

pub const OPERATORS: &[Operator] = &[
    // "Verifying Googlebot and other Google crawlers": common crawlers'
    // names are crawl-*.googlebot.com or geo-crawl-*.geo.googlebot.com,
    // special-case crawlers' rate-limited-proxy-*.google.com. The page also
    // lists googleusercontent.com, for the user-triggered fetchers only
    // (next row): every Google Cloud customer's machine has a
    // googleusercontent.com name, so it never verifies Googlebot here.
    Operator {
        key: "Googlebot",
        names: &[
            "Googlebot",
            "Googlebot-Image",
            "Googlebot-News",
            "Googlebot-Video",
            "Google-InspectionTool",
            "GoogleOther",
            "GoogleOther-Image",
            "GoogleOther-Video",
            "Google-CloudVertexBot",
            "Storebot-Google",
            "AdsBot-Google",
            "Mediapartners-Google",
            "APIs-Google",
            "Google-Safety",
        ],
        domains: &["googlebot.com", "google.com"],
        source: "https://developers.google.com/search/docs/crawling-indexing/verifying-googlebot",
        ranges: "https://developers.google.com/static/search/apis/ipranges/googlebot.json",
    },
    // "List of Google user-triggered fetchers": their names are
    // ***-***-***-***.gae.googleusercontent.com or
    // google-proxy-***-***-***-***.google.com. The first is also any App
    // Engine app's: a `yes` says "from Google's infrastructure".
    Operator {
        key: "Feedfetcher-Google",
        names: &[
            "Feedfetcher-Google",
            "Google-Read-Aloud",
            "Google-Site-Verification",
            "GoogleProducer",
        ],
        domains: &["google.com", "gae.googleusercontent.com"],
        source: "https://developers.google.com/search/docs/crawling-indexing/google-user-triggered-fetchers",
        ranges: "https://developers.google.com/static/search/apis/ipranges/user-triggered-fetchers.json",
    },
    // "Verifying Bingbot": the name ends in search.msn.com.
    Operator {
        key: "bingbot",
        names: &["bingbot", "msnbot", "adidxbot", "BingPreview"],
        domains: &["search.msn.com"],
        source: "https://www.bing.com/webmasters/help/how-to-verify-bingbot-3905dc26",
        ranges: "https://www.bing.com/toolbox/bingbot.json",
    },
    // "About Applebot": *.applebot.apple.com.
    Operator {
        key: "Applebot",
        names: &["Applebot"],
        domains: &["applebot.apple.com"],
        source: "https://support.apple.com/en-us/119829",
        ranges: "https://search.developer.apple.com/applebot.json",
    },
    // "How to check that a robot belongs to Yandex": names end in
    // yandex.ru, yandex.net or yandex.com; the list of addresses is not
    // disclosed.
    Operator {
        key: "YandexBot",
        names: &[
            "YandexBot",
            "YandexImages",
            "YandexRenderResourcesBot",
            "YandexAdditional",
            "YandexAdditionalBot",
            "yandex.com/bots",
        ],
        domains: &["yandex.ru", "yandex.net", "yandex.com"],
        source: "https://yandex.com/support/webmaster/robot-workings/check-yandex-robots.html",
        ranges: "",
    },
    // Baidu's spider help: the host name is *.baidu.com or *.baidu.jp.
    Operator {
        key: "Baiduspider",
        names: &["Baiduspider"],
        domains: &["baidu.com", "baidu.jp"],
        source: "https://www.baidu.com/search/spider.html",
        ranges: "",
    },
    // "About Amazonbot": a subdomain of crawl.amazonbot.amazon.
    Operator {
        key: "Amazonbot",
        names: &["Amazonbot"],
        domains: &["crawl.amazonbot.amazon"],
        source: "https://developer.amazon.com/amazonbot",
        ranges: "https://developer.amazon.com/amazonbot/ip-addresses/",
    },
    // "PetalBot", section 5: *.petalsearch.com.
    Operator {
        key: "PetalBot",
        names: &["PetalBot"],
        domains: &["petalsearch.com"],
        source: "https://aspiegel.com/petalbot",
        ranges: "",
    },
    // "SeznamBot crawler": fulltextrobot-*.seznam.cz; it also lists the
    // addresses.
    Operator {
        key: "SeznamBot",
        names: &["SeznamBot"],
        domains: &["seznam.cz"],
        source: "https://napoveda.seznam.cz/en/seznambot-crawler",
        ranges: "https://napoveda.seznam.cz/en/seznambot-crawler",
    },
    // Naver Search Advisor, "검색로봇 확인 방법" (how to tell the search
    // robot): reverse DNS of the address, a naver.com name.
    Operator {
        key: "Yeti",
        names: &["Yeti", "NaverBot"],
        domains: &["naver.com"],
        source: "https://searchadvisor.naver.com/guide/seo-basic-firewall",
        ranges: "",
    },
    // Address lists only.
    Operator {
        key: "DuckDuckBot",
        names: &["DuckDuckBot", "DuckDuckGo-Favicons-Bot"],
        domains: &[],
        source: "https://duckduckgo.com/duckduckgo-help-pages/results/duckduckbot",
        ranges: "https://duckduckgo.com/duckduckgo-help-pages/results/duckduckbot",
    },
    Operator {
        key: "GPTBot",
        names: &["GPTBot"],
        domains: &[],
        source: "https://platform.openai.com/docs/bots",
        ranges: "https://openai.com/gptbot.json",
    },
    Operator {
        key: "OAI-SearchBot",
        names: &["OAI-SearchBot"],
        domains: &[],
        source: "https://platform.openai.com/docs/bots",
        ranges: "https://openai.com/searchbot.json",
    },
    Operator {
        key: "ChatGPT-User",
        names: &["ChatGPT-User"],
        domains: &[],
        source: "https://platform.openai.com/docs/bots",
        ranges: "https://openai.com/chatgpt-user.json",
    },
    Operator {
        key: "PerplexityBot",
        names: &["PerplexityBot"],
        domains: &[],
        source: "https://docs.perplexity.ai/guides/bots",
        ranges: "https://www.perplexity.com/perplexitybot.json",
    },
    Operator {
        key: "Perplexity-User",
        names: &["Perplexity-User"],
        domains: &[],
        source: "https://docs.perplexity.ai/guides/bots",
        ranges: "https://www.perplexity.com/perplexity-user.json",
    },
    Operator {
        key: "CCBot",
        names: &["CCBot"],
        domains: &[],
        source: "https://commoncrawl.org/ccbot",
        ranges: "https://index.commoncrawl.org/ccbot.json",
    },
];

/// The row of an agent name (ASCII case-insensitive), if any.
pub fn operator_of(name: &str) -> Option<&'static Operator> {
    OPERATORS
        .iter()
        .find(|o| o.names.iter().any(|n| n.eq_ignore_ascii_case(name)))
}

/// The row whose key is `key` (ASCII case-insensitive), if any.
pub fn operator_by_key(key: &str) -> Option<&'static Operator> {
    OPERATORS.iter().find(|o| o.key.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::catalog::CATALOG;
    use crate::claim::domains::parse_domain;

    #[test]
    fn every_name_is_in_the_catalogue_once() {
        let mut seen = std::collections::HashSet::new();
        for o in OPERATORS {
            assert!(
                o.names.contains(&o.key),
                "{}: its key is one of its names",
                o.key
            );
            for n in o.names {
                assert!(
                    CATALOG.iter().any(|e| e.name == *n),
                    "{n} is not a catalogue name"
                );
                assert!(seen.insert(n.to_ascii_lowercase()), "{n} is in two rows");
            }
        }
    }

    #[test]
    fn domains_are_well_formed() {
        for o in OPERATORS {
            for d in o.domains {
                assert_eq!(parse_domain(d).as_deref(), Ok(*d), "{}", o.key);
            }
            assert!(o.source.starts_with("https://"), "{}", o.key);
            assert!(
                !o.domains.is_empty() || o.ranges.starts_with("https://"),
                "{}: a row without domains has ranges",
                o.key
            );
        }
    }

    #[test]
    fn rows_are_found_by_name_and_key() {
        assert_eq!(
            operator_of("googlebot-image").map(|o| o.key),
            Some("Googlebot")
        );
        assert_eq!(operator_of("BingPreview").map(|o| o.key), Some("bingbot"));
        assert_eq!(operator_of("Mozilla"), None);
        assert_eq!(operator_by_key("gptbot").map(|o| o.key), Some("GPTBot"));
    }
}
