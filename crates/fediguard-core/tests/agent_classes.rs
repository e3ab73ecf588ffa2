//! The new classes (`monitor`, `feed`, `bot`) and the false positives the
//! generic `bot` signs must avoid: people's browsers, devices and apps,
//! fediverse client apps above all.

use fediguard_core::agent::{AgentMatcher, ClassId, ClassRegistry, Pattern, Rule};

fn class_of(m: &AgentMatcher, agent: &str) -> ClassId {
    m.classify(Some(agent.as_bytes())).class
}

fn assert_all(agents: &[&str], want: ClassId) {
    let m = AgentMatcher::build(&[], true).unwrap();
    for agent in agents {
        assert_eq!(class_of(&m, agent), want, "{agent}");
    }
}

/// Uptime checkers and site testers.
const MONITORS: &[&str] = &[
    "UptimeRobot/2.0 (+http://www.uptimerobot.com/)",
    "StatusCake_Uptime_Checker/1.0",
    "Site24x7",
    "Uptime-Kuma/1.23.16",
    "Better Uptime Bot Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "check_http/v2.2.1 (nagios-plugins 2.2.1)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.7204.168 Safari/537.36 DatadogSynthetics",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/117.0.0.0 Safari/537.36 GTmetrix",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0.3694.0 Safari/537.36 Chrome-Lighthouse",
    "W3C_Validator/1.3 libwww-perl/6.68",
];

/// Hosted and desktop feed readers.
const FEEDS: &[&str] = &[
    "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 42 subscribers; like FeedFetcher-Google)",
    "Mozilla/5.0 (compatible; inoreader.com; 1 subscribers)",
    "NewsBlur Feed Fetcher - 5 subscribers - https://www.newsblur.com/site/1/example (Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15)",
    "Feedbin feed-id:2005098 - 2 subscribers",
    "Tiny Tiny RSS/21.0 (Unsupported) (https://tt-rss.org/)",
    "FreshRSS/1.23.1 (Linux; https://freshrss.org)",
    "Mozilla/5.0 (compatible; Miniflux/2.1.0; +https://miniflux.app)",
    "NetNewsWire (RSS Reader; https://netnewswire.com/)",
    "Mozilla/5.0 (compatible; theoldreader.com)",
];

/// Automated agents the catalogue does not name, known by their signs: a
/// bot word ending a name, a URL, an e-mail, a product in the `compatible;`
/// slot, a host name, a bare name without any product token.
const GENERIC_BOTS: &[&str] = &[
    "Mozilla/5.0 (compatible; AcmeBot/1.0; +https://acme.example/bot)",
    "acme-crawler/2.0",
    "Foo/1.0 (+http://foo.example)",
    "Foo/1.0 (admin@foo.example)",
    "Mozilla/5.0 (compatible; Optimizer)",
    "Hello World",
    "SomeSpider/1.0",
    "Foo/1.0 (foo.com)",
    "Foo/1.0 (www.foo.example)",
];

/// People's browsers, devices and apps: `other`, never `bot`. Fediverse
/// client apps share names with servers but name no instance; Cubot phones,
/// Tapbots' apps and CamScanner hold a bot sign inside a word; old Internet
/// Explorer and Konqueror put their own token in the `compatible;` slot.
const PEOPLE: &[&str] = &[
    "Mastodon/2024.5 CFNetwork/1494.0.7 Darwin/23.4.0",
    "Mastodon/1.0.4 (org.joinmastodon.app; build:100; iOS 17.4.1) Alamofire/5.8.0",
    "MastodonAndroid/2.5.0",
    "Tusky/25.2 Android/14",
    "Ivory/1.12 (iPhone; iOS 17.4)",
    "Ivory/1.12 (com.tapbots.Ivory; build:1234; iOS 17.5.0) Alamofire/5.9.1",
    "Tweetbot/7.2.3 (iPhone; iOS 16.1)",
    "Mozilla/5.0 (Linux; Android 14) Elk/0.15 Mastodon web client",
    "IceCubesApp/1.10.5 CFNetwork/1494.0.7 Darwin/23.4.0",
    "Fedilab/3.28.0 (Android 14)",
    "Moshidon/2.0.3 Android/14",
    "Megalodon/1.5.0 (Android 13)",
    "Mona/6.1 (iPad; iPadOS 17.4)",
    "Mozilla/5.0 (Linux; Android 14; CUBOT KINGKONG 9 Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 11; Cubot_Note_20 Build/RP1A.200720.011) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.163 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Mobile Safari/537.36",
    "CamScanner/6.52.0 (iPhone; iOS 17.4; Scale/3.00)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/456.0.0.38.109;FBBV/563461839;FBDV/iPhone14,2;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/565497452]",
    "Instagram 312.1.0.34.111 Android (33/13; 420dpi; 1080x2400; samsung; SM-A536B; a53x; s5e8825; en_GB; 548323742)",
    "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 Instagram 312.1.0.34.111 Android (33/13; 420dpi; 1080x2400; samsung; SM-A536B; a53x; s5e8825; en_GB; 548323742)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Line/13.21.0",
    "Mozilla/5.0 (Linux; Android 12; Pixel 6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 musical_ly_2023209030 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly app_version/32.9.3 ByteLocale/en ByteFullLocale/en Region/US BytedanceWebview/d8a21c6",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Snapchat/12.80.0.34 (like Safari/8617.2.4.10.8, panda)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/10.34",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A.240305.019; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.119 Mobile Safari/537.36 [Pinterest/Android]",
    "Dalvik/2.1.0 (Linux; U; Android 14; SM-S918B Build/UP1A.231005.007)",
    "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4_1 like Mac OS X; en_us)",
    "Spotify/8.9.28 iOS/17.4.1 (iPhone15,2)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
    "Mail/3774.500.171 CFNetwork/1408.0.4 Darwin/22.5.0",
    "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko)",
    "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 TV Safari/537.36",
    "Roku/DVP-12.0 (12.0.0.4182-88)",
    "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0; SLCC2; .NET CLR 2.0.50727; .NET CLR 3.5.30729; Media Center PC 6.0)",
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; Touch; NOKIA; Lumia 920)",
    "Mozilla/5.0 (compatible; Konqueror/4.5; Linux) KHTML/4.5.5 (like Gecko)",
    "Opera/9.80 (Android; Opera Mini/36.2.2254/119.132; U; id) Presto/2.12.423 Version/12.16",
    "Mozilla/5.0 (Nintendo Switch; WifiWebAuthApplet) AppleWebKit/606.4 (KHTML, like Gecko) NF/6.0.1.15.4 NintendoBrowser/5.1.0.20393",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15 (Ecosia ios@11.0.2.2268)",
    "Thunderbird/115.9.0",
    "Podcasts/1590.3 CFNetwork/1494.0.7 Darwin/23.4.0",
    "Pocket Casts/7.60 (iOS 17.4)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Element/1.11.63 Chrome/122.0.6261.156 Electron/29.1.4 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) discord/1.0.9036 Chrome/120.0.6099.291 Electron/28.2.10 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.36.140 Chrome/120.0.6099.291 Electron/28.2.7 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Obsidian/1.5.12 Chrome/120.0.6099.283 Electron/28.2.3 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; KB2003) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 EdgA/120.0.2210.115",
    "Mozilla/5.0 (Linux; U; Android 10; en-us; Redmi Note 8 Pro Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/112.0.5615.136 Mobile Safari/537.36 XiaoMi/MiuiBrowser/14.5.1-gn",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edge/44.18363.8131",
    "Lynx/2.8.9rel.1 libwww-FM/2.14 SSL-MM/1.4.1 GNUTLS/3.7.9",
    "w3m/0.5.3+git20230121",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/312.0.624409505 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36 KAKAOTALK 10.4.5",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 NAVER(inapp; search; 2000; 12.1.1)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Whale/3.24.223.21 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36 OPR/79.0.4195.76385",
    "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0 SeaMonkey/2.53.18",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15 Epiphany/605.1.15",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 Telegram-Android/10.6.2 (Samsung SM-A125F; Android 11; SDK 30; AVERAGE)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Version/17.4 Mobile/15E148 Safari/604.1 Phanpy",
    "Bluesky/1.80 CFNetwork/1494.0.7 Darwin/23.4.0",
    "Mozilla/5.0 (Linux; Android 14) Moshidon/2.0 (Mastodon client)",
    "Toot!/22.0 (iPhone; iOS 17.4)",
];

#[test]
fn monitors_feeds_and_generic_bots() {
    assert_all(MONITORS, ClassId::MONITOR);
    assert_all(FEEDS, ClassId::FEED);
    assert_all(GENERIC_BOTS, ClassId::BOT);
}

#[test]
fn people_stay_other() {
    assert_all(PEOPLE, ClassId::OTHER);
}

#[test]
fn mastodon_link_preview_fetch_is_fediverse_not_bot() {
    // Mastodon's page fetch for a link preview appends ` Bot`.
    let m = AgentMatcher::build(&[], true).unwrap();
    let agent = "Mastodon/4.4.1 (http.rb/5.3.1; +https://example.social/) Bot";
    let c = m.classify(Some(agent.as_bytes()));
    assert_eq!(c.class, ClassId::FEDIVERSE);
    assert_eq!(c.host.map(|(s, e)| &agent[s..e]), Some("example.social"));
}

#[test]
fn signs_come_after_every_rule_and_go_with_the_catalogue() {
    let acme = "Mozilla/5.0 (compatible; AcmeBot/1.0; +https://acme.example/bot)";
    // An admin rule wins over the generic signs.
    let mut reg = ClassRegistry::default();
    let friends = reg.intern("friends").unwrap();
    let rules = vec![Rule {
        class: friends,
        pattern: Pattern::parse("AcmeBot").unwrap(),
        needs_instance_url: false,
    }];
    let m = AgentMatcher::build(&rules, true).unwrap();
    assert_eq!(class_of(&m, acme), friends);
    // A named agent wins over the signs in its own string.
    assert_eq!(
        class_of(
            &m,
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
        ),
        ClassId::SEARCH
    );
    // Without the catalogue there are no signs either.
    let m = AgentMatcher::build(&[], false).unwrap();
    for agent in [acme, "Zapier", "Hello World", "Foo/1.0 (admin@foo.example)"] {
        assert_eq!(class_of(&m, agent), ClassId::OTHER, "{agent}");
    }
}

#[test]
fn signs_are_bounded_like_names() {
    let m = AgentMatcher::build(&[], true).unwrap();
    // Past the scanned prefix a sign counts for nothing.
    let far = format!("Mozilla/5.0 {} (+https://bot.example)", "x".repeat(2000));
    assert_eq!(class_of(&m, &far), ClassId::OTHER);
    // Binary garbage without a slash is not a bare name.
    assert_eq!(
        m.classify(Some(b"\xff\xfe\x00 garbage")).class,
        ClassId::OTHER
    );
    // 16 KB of letters is: nothing a browser sends.
    let letters = "A".repeat(16 * 1024);
    assert_eq!(class_of(&m, &letters), ClassId::BOT);
}
