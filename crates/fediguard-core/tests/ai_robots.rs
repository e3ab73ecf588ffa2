//! Every agent named by ai.robots.txt's `robots.json` (August 2026, 166
//! names; the repository is on no package registry, so the names are kept
//! here as facts) classifies as `ai`, or as the class the list's own
//! description gives (see the comments in the catalogue's ai.rs), when
//! written the way crawlers write their agent. Also the list parser on a
//! small `robots.json` of the same shape (tests/fixtures/robots.json).

use fediguard_core::agent::{list_rules, parse_list, AgentMatcher, ClassId, ClassRegistry};

/// `robots.json`'s keys, in its order, with the class each must get.
const ROBOTS_JSON: &[(&str, ClassId)] = &[
    ("AddSearchBot", ClassId::AI),
    ("AgentTimes", ClassId::AI),
    ("AI2Bot", ClassId::AI),
    ("AI2Bot-DeepResearchEval", ClassId::AI),
    ("Ai2Bot-Dolma", ClassId::AI),
    ("aiHitBot", ClassId::AI),
    ("AIWebIndex", ClassId::AI),
    ("amazon-kendra", ClassId::AI),
    ("amazon-QBusiness", ClassId::AI),
    ("Amazonbot", ClassId::AI),
    ("AmazonBuyForMe", ClassId::AI),
    ("Amzn-SearchBot", ClassId::AI),
    ("Amzn-User", ClassId::AI),
    ("Andibot", ClassId::AI),
    ("Anomura", ClassId::AI),
    ("anthropic-ai", ClassId::AI),
    ("ApifyBot", ClassId::AI),
    ("ApifyWebsiteContentCrawler", ClassId::AI),
    ("Applebot", ClassId::SEARCH),
    ("Applebot-Extended", ClassId::AI),
    ("Aranet-SearchBot", ClassId::AI),
    ("atlassian-bot", ClassId::AI),
    ("Awario", ClassId::AI),
    ("AzureAI-SearchBot", ClassId::AI),
    ("bedrockbot", ClassId::AI),
    ("bigsur.ai", ClassId::AI),
    ("Bravebot", ClassId::AI),
    ("Brightbot", ClassId::AI),
    ("Brightbot 1.0", ClassId::AI),
    ("BuddyBot", ClassId::AI),
    ("Bytespider", ClassId::AI),
    ("CCBot", ClassId::AI),
    ("Channel3Bot", ClassId::AI),
    ("ChatGLM-Spider", ClassId::AI),
    ("ChatGPT Agent", ClassId::AI),
    ("ChatGPT-User", ClassId::AI),
    ("Claude-Code", ClassId::AI),
    ("Claude-SearchBot", ClassId::AI),
    ("Claude-User", ClassId::AI),
    ("Claude-Web", ClassId::AI),
    ("ClaudeBot", ClassId::AI),
    ("Cloudflare-AutoRAG", ClassId::AI),
    ("CloudVertexBot", ClassId::AI),
    ("Code", ClassId::AI),
    ("cohere-ai", ClassId::AI),
    ("cohere-training-data-crawler", ClassId::AI),
    ("Cotoyogi", ClassId::AI),
    ("CragCrawler", ClassId::AI),
    ("Crawl4AI", ClassId::AI),
    ("Crawlspace", ClassId::AI),
    ("Cursor", ClassId::AI),
    ("Datenbank Crawler", ClassId::AI),
    ("DeepSeekBot", ClassId::AI),
    ("Devin", ClassId::AI),
    ("Diffbot", ClassId::AI),
    ("DuckAssistBot", ClassId::AI),
    ("Echobot Bot", ClassId::AI),
    ("EchoboxBot", ClassId::AI),
    ("ExaBot", ClassId::AI),
    ("ExaSearchBot", ClassId::AI),
    ("FacebookBot", ClassId::AI),
    ("facebookexternalhit", ClassId::PREVIEW),
    ("Factset_spyderbot", ClassId::AI),
    ("FirecrawlAgent", ClassId::AI),
    ("FriendlyCrawler", ClassId::AI),
    ("GeistHaus-PageFetcher", ClassId::AI),
    ("Gemini-Deep-Research", ClassId::AI),
    ("Google-Agent", ClassId::AI),
    ("Google-CloudVertexBot", ClassId::AI),
    ("Google-Extended", ClassId::AI),
    ("Google-Firebase", ClassId::AI),
    ("Google-Gemini-CLI", ClassId::AI),
    ("Google-NotebookLM", ClassId::AI),
    ("GoogleAgent-Mariner", ClassId::AI),
    ("GoogleAgent-URLContext", ClassId::AI),
    ("GoogleOther", ClassId::AI),
    ("GoogleOther-Image", ClassId::AI),
    ("GoogleOther-Video", ClassId::AI),
    ("GPTBot", ClassId::AI),
    ("HenkBot", ClassId::AI),
    ("iAskBot", ClassId::AI),
    ("iaskspider", ClassId::AI),
    ("iaskspider/2.0", ClassId::AI),
    ("ICC-Crawler", ClassId::AI),
    ("ImagesiftBot", ClassId::AI),
    ("imageSpider", ClassId::AI),
    ("img2dataset", ClassId::AI),
    ("ISSCyberRiskCrawler", ClassId::AI),
    ("kagi-fetcher", ClassId::AI),
    ("Kangaroo Bot", ClassId::AI),
    ("Kimi-User", ClassId::AI),
    ("KlaviyoAIBot", ClassId::AI),
    ("KunatoCrawler", ClassId::AI),
    ("laion-huggingface-processor", ClassId::AI),
    ("LAIONDownloader", ClassId::AI),
    ("LCC", ClassId::AI),
    ("Lightpanda", ClassId::AI),
    ("LinerBot", ClassId::AI),
    ("Linguee Bot", ClassId::AI),
    ("LinkupBot", ClassId::AI),
    ("Manus-User", ClassId::AI),
    ("meta-externalagent", ClassId::AI),
    ("Meta-ExternalAgent", ClassId::AI),
    ("meta-externalfetcher", ClassId::AI),
    ("Meta-ExternalFetcher", ClassId::AI),
    ("meta-webindexer", ClassId::AI),
    ("MistralAI-User", ClassId::AI),
    ("MistralAI-User/1.0", ClassId::AI),
    ("Mozilla-Tabstack", ClassId::AI),
    ("MyCentralAIScraperBot", ClassId::AI),
    ("NagetBot", ClassId::AI),
    ("netEstate Imprint Crawler", ClassId::AI),
    ("newsai", ClassId::AI),
    ("NotebookLM", ClassId::AI),
    ("NovaAct", ClassId::AI),
    ("OAI-SearchBot", ClassId::AI),
    ("omgili", ClassId::AI),
    ("omgilibot", ClassId::AI),
    ("OpenAI", ClassId::AI),
    ("opencode", ClassId::AI),
    ("Operator", ClassId::AI),
    ("PanguBot", ClassId::AI),
    ("Panscient", ClassId::AI),
    ("panscient.com", ClassId::AI),
    ("Perplexity-User", ClassId::AI),
    ("PerplexityBot", ClassId::AI),
    ("PetalBot", ClassId::SEARCH),
    ("PhindBot", ClassId::AI),
    ("Poggio-Citations", ClassId::AI),
    ("Poseidon Research Crawler", ClassId::AI),
    ("QualifiedBot", ClassId::AI),
    ("Querit-SearchBot", ClassId::AI),
    ("QueritBot", ClassId::AI),
    ("QuillBot", ClassId::AI),
    ("quillbot.com", ClassId::AI),
    ("Reflectionbot", ClassId::AI),
    ("SBIntuitionsBot", ClassId::AI),
    ("Scrapy", ClassId::AI),
    ("SemrushBot-OCOB", ClassId::AI),
    ("SemrushBot-SWA", ClassId::AI),
    ("Shap-User", ClassId::AI),
    ("ShapBot", ClassId::AI),
    ("Sidetrade indexer bot", ClassId::AI),
    ("Spider", ClassId::AI),
    ("TavilyBot", ClassId::AI),
    ("Terra Cotta", ClassId::AI),
    ("TerraCotta", ClassId::AI),
    ("Thinkbot", ClassId::AI),
    ("TikTokSpider", ClassId::AI),
    ("Timpibot", ClassId::AI),
    ("TongyiBot", ClassId::AI),
    ("Trae", ClassId::AI),
    ("TwinAgent", ClassId::AI),
    ("UseAI", ClassId::AI),
    ("VelenPublicWebCrawler", ClassId::AI),
    ("WARDBot", ClassId::AI),
    ("Webzio-Extended", ClassId::AI),
    ("webzio-extended", ClassId::AI),
    ("wpbot", ClassId::AI),
    ("WRTNBot", ClassId::AI),
    ("YaK", ClassId::AI),
    ("YandexAdditional", ClassId::AI),
    ("YandexAdditionalBot", ClassId::AI),
    ("YiyanBot", ClassId::AI),
    ("YouBot", ClassId::AI),
    ("ZanistaBot", ClassId::AI),
    // Named by an older version of the list (Meltwater's crawler is YaK).
    ("Meltwater", ClassId::AI),
];

fn crawler_agent(name: &str) -> String {
    format!("Mozilla/5.0 (compatible; {name}/1.0; +https://example.com/bot)")
}

#[test]
fn every_listed_agent_is_ai_or_its_noted_class() {
    assert_eq!(ROBOTS_JSON.len(), 167);
    let m = AgentMatcher::build(&[], true).unwrap();
    let mut wrong = Vec::new();
    for (name, want) in ROBOTS_JSON {
        let agent = crawler_agent(name);
        let got = m.classify(Some(agent.as_bytes())).class;
        if got != *want {
            wrong.push(format!("{agent}: {got:?}, want {want:?}"));
        }
    }
    let ai = ROBOTS_JSON
        .iter()
        .filter(|(_, c)| *c == ClassId::AI)
        .count();
    println!(
        "ai.robots.txt: {} of {} names as expected ({ai} ai, {} search or preview as the list describes them)",
        ROBOTS_JSON.len() - wrong.len(),
        ROBOTS_JSON.len(),
        ROBOTS_JSON.len() - ai,
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_bare_product_token_is_ai_too() {
    let m = AgentMatcher::build(&[], true).unwrap();
    for (name, want) in ROBOTS_JSON {
        let agent = format!("{name}/1.0");
        assert_eq!(m.classify(Some(agent.as_bytes())).class, *want, "{agent}");
    }
}

#[test]
fn robots_json_file_as_an_agent_list() {
    let bytes = include_bytes!("fixtures/robots.json");
    let names = parse_list(bytes).unwrap();
    assert_eq!(names.len(), 4, "{names:?}");
    let mut reg = ClassRegistry::default();
    let blocked = reg.intern("blocked").unwrap();
    let rules = list_rules(blocked, &names).unwrap();
    // Catalogue off: only the list's names classify.
    let m = AgentMatcher::build(&rules, false).unwrap();
    let class = |a: &str| m.classify(Some(a.as_bytes())).class;
    assert_eq!(class(&crawler_agent("ExampleBot")), blocked);
    assert_eq!(class("Mozilla/5.0 (compatible; Kangaroo Bot/1.0)"), blocked);
    assert_eq!(class("Brightbot 1.0"), blocked);
    assert_eq!(class("example-fetcher/2"), blocked);
    // Whole words only.
    assert_eq!(class("ExampleBotanist/1.0"), ClassId::OTHER);
    // In front of the catalogue, a list overrides it.
    let m = AgentMatcher::build(&list_rules(blocked, &["GPTBot".into()]).unwrap(), true).unwrap();
    assert_eq!(m.classify(Some(b"GPTBot/1.2")).class, blocked);
    assert_eq!(m.classify(Some(b"ClaudeBot/1.0")).class, ClassId::AI);
}

#[test]
fn long_lists_of_names_still_match() {
    // More names than the DFA is built for: the automaton becomes an NFA.
    let mut reg = ClassRegistry::default();
    let big = reg.intern("big").unwrap();
    let names: Vec<String> = (0..6000).map(|i| format!("ListedBot{i}")).collect();
    let rules = list_rules(big, &names).unwrap();
    let m = AgentMatcher::build(&rules, true).unwrap();
    assert_eq!(cls(&m, "Mozilla/5.0 (compatible; ListedBot5999/1.0)"), big);
    // Whole words: a longer name is not listed, only a generic bot.
    assert_eq!(cls(&m, "ListedBot59990/1.0"), ClassId::OTHER);
    assert_eq!(cls(&m, "ListedBot59990 (+https://x.example)"), ClassId::BOT);
    assert_eq!(cls(&m, "GPTBot/1.1"), ClassId::AI);
    assert_eq!(
        cls(
            &m,
            "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
        ),
        ClassId::OTHER
    );
}

fn cls(m: &AgentMatcher, agent: &str) -> ClassId {
    m.classify(Some(agent.as_bytes())).class
}
