//! The built-in catalogue against real User-Agent strings, the false
//! positives bot-blocker lists are known for, and admin rules.

use fediguard_core::agent::catalog::{Entry, CATALOG};
use fediguard_core::agent::{AgentMatcher, Bound, ClassId, ClassRegistry, Pattern, Rule};

fn catalog_only() -> AgentMatcher {
    AgentMatcher::build(&[], true).unwrap()
}

fn class_of(m: &AgentMatcher, agent: &str) -> ClassId {
    m.classify(Some(agent.as_bytes())).class
}

fn host_of<'a>(m: &AgentMatcher, agent: &'a str) -> Option<&'a str> {
    m.classify(Some(agent.as_bytes()))
        .host
        .map(|(s, e)| &agent[s..e])
}

/// Every fediverse format of the reference, with the instance host it names.
const FEDIVERSE: &[(&str, &str)] = &[
    (
        "http.rb/5.1.0 (Mastodon/4.0.2; +https://example.com/)",
        "example.com",
    ),
    (
        "Mastodon/4.4.1 (http.rb/5.3.1; +https://example.social/)",
        "example.social",
    ),
    (
        "Mastodon/4.3.0+glitch (http.rb/5.2.0; +https://glitch.example/)",
        "glitch.example",
    ),
    (
        "Pleroma 2.5.0; https://pleroma.example <admin@pleroma.example>",
        "pleroma.example",
    ),
    (
        "Akkoma 3.9.3; https://akkoma.example <admin@akkoma.example>",
        "akkoma.example",
    ),
    (
        "Misskey/13.12.2 (https://misskey.example)",
        "misskey.example",
    ),
    (
        "Misskey/2024.11.0-calckey (https://calckey.example)",
        "calckey.example",
    ),
    ("Iceshrimp/2023.12.11 (https://ice.example)", "ice.example"),
    ("Sharkey/2024.9.1 (https://shark.example)", "shark.example"),
    (
        "Firefish/1.0.5 (https://firefish.example)",
        "firefish.example",
    ),
    (
        "Friendica 'Giant Rhubarb' 2023.01-1502; https://friendica.example",
        "friendica.example",
    ),
    ("gotosocial/0.17.3 (+https://gts.example)", "gts.example"),
    (
        "(Pixelfed/0.11.3; +https://pixelfed.example)",
        "pixelfed.example",
    ),
    (
        "PixelFedBot/1.0.0 (Pixelfed/0.11.3; +https://pixel.example)",
        "pixel.example",
    ),
    ("Lemmy/0.19.3; +https://lemmy.example", "lemmy.example"),
    (
        "PeerTube/6.0.0 (+https://peertube.example)",
        "peertube.example",
    ),
    ("Mitra 2.0; https://mitra.example", "mitra.example"),
    (
        "python-requests/2.31 (BookWyrm/0.6.0; +https://bookwyrm.example/)",
        "bookwyrm.example",
    ),
    (
        "Go (WriteFreely/0.15.0; +https://write.example)",
        "write.example",
    ),
    (
        "python-httpx/0.27 (Takahe/0.11; +https://takahe.example/)",
        "takahe.example",
    ),
    (
        "Wildebeest/0.1 (Mastodon/4.0; +https://wildebeest.example)",
        "wildebeest.example",
    ),
    (
        "Funkwhale/1.4.0 (+https://funkwhale.example)",
        "funkwhale.example",
    ),
    ("Mbin/1.7.0 (+https://mbin.example/agent)", "mbin.example"),
    (
        "Fedify/1.3.0 (Node.js/v22.10.0; +https://hollo.example/)",
        "hollo.example",
    ),
];

#[test]
fn fediverse_servers_and_their_hosts() {
    let m = catalog_only();
    for (agent, host) in FEDIVERSE {
        assert_eq!(class_of(&m, agent), ClassId::FEDIVERSE, "{agent}");
        assert_eq!(host_of(&m, agent), Some(*host), "{agent}");
    }
    // Hubzilla looks like a browser and names no instance.
    let zot = "Mozilla/5.0 (compatible; zot)";
    assert_eq!(class_of(&m, zot), ClassId::FEDIVERSE);
    assert_eq!(host_of(&m, zot), None);
}

/// People's client apps share the software names but are not fetchers.
#[test]
fn client_apps_are_not_fediverse_fetchers() {
    let m = catalog_only();
    for agent in [
        "Mastodon/2024.5 CFNetwork/1494.0.7 Darwin/23.4.0",
        "Mastodon/1.0.4 (org.joinmastodon.app; build:100; iOS 17.4.1) Alamofire/5.8.0",
        "MastodonAndroid/2.5.0",
        "Tusky/25.2 Android/14",
        "Ivory/1.9 (iPhone; iOS 17.4)",
        "Mozilla/5.0 (Linux; Android 14) Elk/0.15 Mastodon web client",
    ] {
        assert_ne!(class_of(&m, agent), ClassId::FEDIVERSE, "{agent}");
    }
    assert_eq!(
        class_of(&m, "MastodonAndroid/2.5.0 okhttp/4.12.0"),
        ClassId::TOOL
    );
}

const AI: &[&str] = &[
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "GPTBot/1.1",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; OAI-SearchBot/1.0; +https://openai.com/searchbot",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
    "Claude-Web/1.0 (web crawler; +https://www.anthropic.com/; bots@anthropic.com)",
    "CCBot/2.0 (https://commoncrawl.org/faq/)",
    "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)",
    "Google-Extended",
    "Applebot-Extended",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15 (Applebot-Extended/0.1)",
    "cohere-ai",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.75 Safari/537.36 Diffbot/0.1",
    "Mozilla/5.0 (compatible; ImagesiftBot; +imagesift.com)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 8_3 like Mac OS X) AppleWebKit/600.1.4 (KHTML, like Gecko) Version/8.0 Mobile/12F70 Safari/600.1.4 (compatible; Amazonbot/0.1; +https://developer.amazon.com/support/amazonbot)",
    "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
    "Mozilla/5.0 (compatible; Timpibot/0.8; +http://www.timpi.io)",
    "Mozilla/5.0 (compatible; YouBot (+http://www.you.com))",
    "Mozilla/5.0 (compatible) AI2Bot (+https://www.allenai.org/crawler)",
    // A scraping framework (was `tool`): ai.robots.txt lists it for the AI
    // training data it gathers.
    "Scrapy/2.11.2 (+https://scrapy.org)",
];

const SEARCH: &[&str] = &[
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Googlebot-Image/1.0",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
    "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (compatible; SeznamBot/4.0; +https://o-seznam.cz/napoveda/vyhledavani/en/seznambot-crawler/)",
    "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
    "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
    "Mozilla/5.0 (compatible; MojeekBot/0.11; +https://www.mojeek.com/bot.html)",
];

const SEO: &[&str] = &[
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
    "Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; help@moz.com)",
    "Mozilla/5.0 (compatible; DataForSeoBot/1.0; +https://dataforseo.com/dataforseo-bot)",
    "Mozilla/5.0 (compatible; BLEXBot/1.0; +http://webmeup-crawler.com/)",
    "serpstatbot/2.1 (advanced backlink tracking bot; https://serpstatbot.com/; abuse@serpstatbot.com)",
    "Mozilla/5.0 (compatible; Barkrowler/0.9; +https://babbar.tech/crawler)",
];

const PREVIEW: &[&str] = &[
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Slackbot 1.0 (+https://api.slack.com/robots)",
    "TelegramBot (like TwitterBot)",
    "Twitterbot/1.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "WhatsApp/2.23.20.0",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
    "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)",
    "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
    "Iframely/1.3.1 (+https://iframely.com/docs/about)",
    "Synapse (bot; +https://github.com/matrix-org/synapse)",
];

const TOOLS: &[&str] = &[
    "Python/3.6 aiohttp/3.6.2",
    "python-requests/2.32.3",
    "python-httpx/0.27.0",
    "Python-urllib/3.11",
    "Go-http-client/1.1",
    "Go-http-client/2.0",
    "curl/8.5.0",
    "Wget/1.21.4",
    "okhttp/4.12.0",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "axios/1.7.2",
    "libwww-perl/6.72",
    "Java/17.0.9",
    "Apache-HttpClient/4.5.14 (Java/17.0.9)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
    "Ruby",
    "http.rb/5.1.1",
    "Faraday v2.9.0",
    "Dart/3.3 (dart:io)",
    "PostmanRuntime/7.39.0",
    "HTTPie/3.2.2",
    "GuzzleHttp/7",
];

const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
];

fn assert_all(m: &AgentMatcher, agents: &[&str], want: ClassId) {
    for agent in agents {
        assert_eq!(class_of(m, agent), want, "{agent}");
        assert_eq!(host_of(m, agent), None, "{agent}");
    }
}

#[test]
fn ai_search_seo_preview_tool() {
    let m = catalog_only();
    assert_all(&m, AI, ClassId::AI);
    assert_all(&m, SEARCH, ClassId::SEARCH);
    assert_all(&m, SEO, ClassId::SEO);
    assert_all(&m, PREVIEW, ClassId::PREVIEW);
    assert_all(&m, TOOLS, ClassId::TOOL);
}

#[test]
fn browsers_are_other_and_blank_is_empty() {
    let m = catalog_only();
    assert_all(&m, BROWSERS, ClassId::OTHER);
    assert_eq!(m.classify(None).class, ClassId::EMPTY);
    assert_eq!(m.classify(Some(b"")).class, ClassId::EMPTY);
    assert_eq!(m.classify(Some(b"  \t")).class, ClassId::EMPTY);
    assert_eq!(
        m.classify(Some(b"\xff\xfe garbage \x00")).class,
        ClassId::OTHER
    );
}

/// An agent that only `entry` should match, built for its bound.
fn sample(entry: &Entry) -> String {
    let name = entry.name;
    match entry.bound {
        _ if entry.needs_instance_url => format!("{name}/1.0 (+https://instance.example/)"),
        Bound::Word | Bound::Prefix => format!("{name}/1.0"),
        // Inside a longer word, where a catalogue name cannot match.
        Bound::Suffix => format!("Xyzzy{name}/1.0"),
        Bound::Anywhere => format!("Xyzzy{name}xyzzy/1.0"),
        Bound::Domain => format!("Xyzzy/1.0 (xyzzy{name})"),
        Bound::Email => format!("Xyzzy/1.0 (xyzzy{name}xyzzy.example)"),
        Bound::Compatible => format!("Mozilla/5.0 ({name} Xyzzy)"),
    }
}

#[test]
fn catalogue_is_large_and_every_entry_matches_itself() {
    assert!(CATALOG.len() >= 80, "only {} named agents", CATALOG.len());
    let m = catalog_only();
    for entry in CATALOG {
        let agent = sample(entry);
        assert_eq!(class_of(&m, &agent), entry.class, "{agent}");
    }
}

fn rules(specs: &[(&str, &str)]) -> (ClassRegistry, Vec<Rule>) {
    let mut reg = ClassRegistry::default();
    let rules = specs
        .iter()
        .map(|(class, pat)| Rule {
            class: reg.intern(class).unwrap(),
            pattern: Pattern::parse(pat).unwrap(),
            needs_instance_url: false,
        })
        .collect();
    (reg, rules)
}

#[test]
fn names_match_whole_words_only() {
    let (reg, r) = rules(&[("titan", "Titan"), ("disco", "Disco")]);
    let m = AgentMatcher::build(&r, true).unwrap();
    let titan = reg.lookup("titan").unwrap();
    let disco = reg.lookup("disco").unwrap();
    assert_eq!(class_of(&m, "Titan/2.0"), titan);
    assert_eq!(class_of(&m, "Mozilla/5.0 (compatible; titan 2.0)"), titan);
    assert_eq!(class_of(&m, "Titanium/1.0"), ClassId::OTHER);
    assert_eq!(class_of(&m, "MyTitan/1.0"), ClassId::OTHER);
    assert_eq!(class_of(&m, "Disco/1.0"), disco);
    // Discordbot is a preview bot, not the admin's "Disco".
    assert_eq!(
        class_of(
            &m,
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"
        ),
        ClassId::PREVIEW
    );
}

#[test]
fn catalogue_has_no_classic_false_positives() {
    let m = catalog_only();
    for agent in [
        "Mozilla/5.0 JavaScriptCore",
        "Wgetter/1.0",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B; KFAPWI) Silk/130 Safari/537.36",
        "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4_1 like Mac OS X; en_us)",
        "RubyMine/2024.1",
        "Zotero/7.0",
    ] {
        assert_eq!(class_of(&m, agent), ClassId::OTHER, "{agent}");
    }
    // Look-alikes of catalogue names that show the signs of an automated
    // agent (a product in the `compatible;` slot, a URL): not the class of
    // the name they resemble, but `bot`.
    for (agent, not) in [
        ("Mozilla/5.0 (compatible; Curlew/1.0)", ClassId::TOOL),
        ("Lemmyfan/1.0 (+https://x.example)", ClassId::FEDIVERSE),
    ] {
        assert_ne!(class_of(&m, agent), not, "{agent}");
        assert_eq!(class_of(&m, agent), ClassId::BOT, "{agent}");
    }
}

#[test]
fn admin_rules_come_first_in_order() {
    let (reg, r) = rules(&[
        ("partners", "~*^Mastodon/4\\.4.*friends\\.example"),
        ("ai", "MyScraper"),
        ("first", "Shared"),
        ("second", "Shared"),
    ]);
    let m = AgentMatcher::build(&r, true).unwrap();
    let partners = reg.lookup("partners").unwrap();
    assert_eq!(
        class_of(
            &m,
            "mastodon/4.4.1 (http.rb/5.3.1; +https://friends.example/)"
        ),
        partners
    );
    // Not the partner instance: the catalogue still says fediverse.
    assert_eq!(
        class_of(
            &m,
            "Mastodon/4.4.1 (http.rb/5.3.1; +https://other.example/)"
        ),
        ClassId::FEDIVERSE
    );
    assert_eq!(class_of(&m, "MyScraper/0.1"), ClassId::AI);
    assert_eq!(class_of(&m, "Shared/1"), reg.lookup("first").unwrap());
    // An admin rule overrides the catalogue for the same agent.
    let (reg, r) = rules(&[("friends", "curl")]);
    let m = AgentMatcher::build(&r, true).unwrap();
    assert_eq!(class_of(&m, "curl/8.5.0"), reg.lookup("friends").unwrap());
}

#[test]
fn case_of_regexes() {
    let (reg, r) = rules(&[("cs", "~^ExactCase"), ("ci", "~*^anycase")]);
    let m = AgentMatcher::build(&r, false).unwrap();
    assert_eq!(class_of(&m, "ExactCase/1"), reg.lookup("cs").unwrap());
    assert_eq!(class_of(&m, "exactcase/1"), ClassId::OTHER);
    assert_eq!(class_of(&m, "ANYCASE/1"), reg.lookup("ci").unwrap());
}

#[test]
fn catalog_off_drops_builtin_list() {
    let m = AgentMatcher::build(&[], false).unwrap();
    assert_eq!(class_of(&m, "GPTBot/1.1"), ClassId::OTHER);
    assert_eq!(m.classify(None).class, ClassId::EMPTY);
    // A fediverse rule of the admin's still yields the instance host.
    let r = vec![Rule {
        class: ClassId::FEDIVERSE,
        pattern: Pattern::parse("MyServer").unwrap(),
        needs_instance_url: false,
    }];
    let m = AgentMatcher::build(&r, false).unwrap();
    assert_eq!(
        host_of(&m, "MyServer/1.0 (+https://mine.example/)"),
        Some("mine.example")
    );
}

#[test]
fn long_agents_are_bounded() {
    let m = catalog_only();
    let mut agent = "Mozilla/5.0 ".repeat(1000);
    agent.push_str("GPTBot/1.1");
    // the bot name lies beyond the scanned prefix
    assert_eq!(class_of(&m, &agent), ClassId::OTHER);
    let agent = format!("GPTBot/1.1 {}", "x".repeat(16 * 1024));
    assert_eq!(class_of(&m, &agent), ClassId::AI);
}
