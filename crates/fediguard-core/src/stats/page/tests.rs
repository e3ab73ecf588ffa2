use super::*;
use crate::stats::AppView;
use crate::stats::{CacheStats, LimitStats, Snapshot};

const NOW: u64 = 1_795_457_045; // 2026-11-23T18:04:05Z

fn app(name: &str, denied: u64, at: u64) -> AppView {
    AppView {
        registered_at: at,
        last_grant_at: at + 2,
        name: name.into(),
        website: "https://cdsc.example".into(),
        scopes: "read".into(),
        redirect_uri: "urn:ietf:wg:oauth:2.0:oob".into(),
        client_id: "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM".into(),
        client: "192.0.2.7".into(),
        agent: "Python/3.6 aiohttp/3.6.2".into(),
        tokens_granted: 1,
        requests: denied + 10,
        denied,
    }
}

fn snapshot() -> Snapshot {
    Snapshot {
        decisions: vec![
            ("agent-denied", 1234, 5),
            ("mastoapi-token-app-only", 1530, 0),
        ],
        agent_classes: vec![("ai".into(), 1234), ("other".into(), 98_765)],
        token_classes: vec![("none", 10), ("app", 1532), ("user", 4000)],
        verifications_started: 17,
        verification_outcomes: vec![("user", 12), ("app", 3), ("invalid", 2), ("unknown", 0)],
        verifications_limited: 6,
        verifications_capped: 1,
        backend_calls: 19,
        backend_throttled: 2,
        backend_paused: 1,
        verdict_cache: Some(CacheStats {
            hits: 973,
            misses: 27,
            evictions: 0,
            entries: 21,
            capacity: 56_631,
        }),
        limit_zones: vec![LimitStats {
            zone: "per_ip".into(),
            passed: 5000,
            delayed: 3,
            rejected: 44,
            nodes: 12,
            capacity: 162_816,
            evictions: 0,
        }],
        app_registrations: 2,
        client_credentials_grants: 2,
        grants_disputed: 0,
        apps_capacity: 1426,
        apps: vec![
            app("CDSC Reader", 1530, NOW - 300),
            app("Quiet", 0, NOW - 7200),
        ],
        ..Snapshot::default()
    }
}

#[test]
fn formats_are_negotiated() {
    assert_eq!(negotiate(b"format=json", None), Format::Json);
    assert_eq!(negotiate(b"format=html", None), Format::Html);
    assert_eq!(negotiate(b"", None), Format::Prometheus);
    assert_eq!(
        negotiate(b"format=prometheus", Some(b"text/html")),
        Format::Prometheus
    );
    assert_eq!(negotiate(b"format=json", Some(b"text/html")), Format::Json);
    // A browser's Accept, no format asked: the page.
    let chrome = b"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";
    assert_eq!(negotiate(b"", Some(chrome)), Format::Html);
    assert_eq!(negotiate(b"refresh=2", Some(chrome)), Format::Html);
    // Prometheus's own Accept, curl's, and text/html refused with q=0.
    let prom = b"application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.1";
    assert_eq!(negotiate(b"", Some(prom)), Format::Prometheus);
    assert_eq!(negotiate(b"", Some(b"*/*")), Format::Prometheus);
    assert_eq!(negotiate(b"", Some(b"text/html;q=0")), Format::Prometheus);
    assert_eq!(negotiate(b"", Some(b"TEXT/HTML ; q=0.5")), Format::Html);
    assert_eq!(negotiate(b"", Some(b"\xff")), Format::Prometheus);
}

#[test]
fn numbers_read_as_admins_write_them() {
    assert_eq!(grouped(0), "0");
    assert_eq!(grouped(999), "999");
    assert_eq!(grouped(1000), "1,000");
    assert_eq!(grouped(1_234_567), "1,234,567");
    assert_eq!(percent(973, 1000), "97.3 %");
    assert_eq!(percent(1, 3), "33.3 %");
    assert_eq!(percent(0, 0), "–");
    assert_eq!(ago(NOW, NOW - 5), "5 s ago");
    assert_eq!(ago(NOW, NOW - 300), "5 min ago");
    assert_eq!(ago(NOW, NOW - 7300), "2 h ago");
    assert_eq!(ago(NOW, NOW - 3 * 86_400), "3 days ago");
    assert_eq!(when(NOW), "2026-11-23 18:04 UTC");
    assert_eq!(stamp(NOW), "2026-11-23 18:04:05 UTC");
}

#[test]
fn the_page_shows_every_section_with_the_numbers() {
    let page = html(&snapshot(), NOW);
    assert!(page.starts_with("<!DOCTYPE html>"));
    for want in [
        "<b id=\"n-denied\">2,764</b>",
        "<b id=\"n-hitrate\">97.3 %</b>",
        "App-only token <code>mastoapi-token-app-only</code>",
        "<td class=\"n\">1,530</td>",
        "98,765",
        "<td class=\"n\" id=\"v-refused-budget\">6</td>",
        "<td class=\"n\" id=\"v-refused-in-flight\">1</td>",
        "<td class=\"n\" id=\"v-backend-calls\">19</td>",
        "<td class=\"n\" id=\"v-backend-throttled\">2</td>",
        "<td class=\"n\" id=\"v-backend-paused\">1</td>",
        "<span id=\"c-entries\">21</span> of <span id=\"c-capacity\">56,631</span>",
        "<tr data-key=\"per_ip\"><th scope=\"row\"><code>per_ip</code></th>",
        "12 of 162,816",
        "2 apps listed, newest first (the zone keeps the last 1,426)",
        "2026-11-23 18:04:05 UTC",
        "5 min ago",
        "id=\"chart\"",
    ] {
        assert!(page.contains(want), "{want} not in the page");
    }
    // Newest first, and only the app with denials is marked.
    let reader = page.find("CDSC Reader").unwrap();
    let quiet = page.find("<b>Quiet</b>").unwrap();
    assert!(reader < quiet);
    assert_eq!(page.matches("class=\"flag\"").count(), 1);
    assert_eq!(page.matches("most denied</span>").count(), 1);
    assert!(page.find("class=\"flag\"").unwrap() < reader);
}

#[test]
fn most_denied_marks_at_most_three_with_denials() {
    let apps: Vec<AppView> = [5, 0, 9, 9, 1, 7]
        .iter()
        .enumerate()
        .map(|(i, &d)| app(&format!("a{i}"), d, NOW))
        .collect();
    assert_eq!(most_denied(&apps), vec![2, 3, 5]);
    assert!(most_denied(&[app("x", 0, NOW)]).is_empty());
}

#[test]
fn what_clients_send_is_escaped() {
    let mut s = snapshot();
    let evil = "<img src=x onerror=alert(1)>";
    let mut a = app(evil, 3, NOW);
    a.website = "javascript:alert(\"x\")'><script>alert(2)</script>".into();
    a.client_id = "</code><svg onload=alert(3)>".into();
    a.agent = "Mozilla/5.0 \"><iframe src=//evil>&amp;".into();
    a.client = "<b>".into();
    s.apps = vec![a];
    s.agent_classes.push(("<x>".into(), 1));
    s.limit_zones[0].zone = "z\"><script>".into();
    let page = html(&s, NOW);
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.contains("javascript:alert(&quot;x&quot;)&#39;&gt;&lt;script&gt;"));
    assert!(page.contains("&lt;/code&gt;&lt;svg onload=alert(3)&gt;"));
    assert!(page.contains("&quot;&gt;&lt;iframe src=//evil&gt;&amp;amp;"));
    assert!(page.contains("data-key=\"z&quot;&gt;&lt;script&gt;\""));
    for raw in [
        "<img",
        "<svg onload",
        "<iframe",
        "<script>alert",
        "<b>\"",
        "<x>",
    ] {
        assert!(!page.contains(raw), "{raw} unescaped");
    }
    // The only script element is the page's own; websites are never links.
    assert_eq!(page.matches("<script").count(), 1);
    assert!(!page.contains("href=\"javascript"));
    assert_eq!(page.matches("<a ").count(), 2);
}

#[test]
fn escaping_leaves_no_markup_character() {
    // Every ASCII character and some others, alone and together.
    let all: String = (0u8..128).map(char::from).chain("é€😀".chars()).collect();
    let out = escape(&all);
    assert!(!out.contains(['<', '>', '"', '\'']));
    assert_eq!(
        out.matches('&').count(),
        out.matches(';').count() - all.matches(';').count()
    );
    assert_eq!(escape("a&b"), "a&amp;b");
    assert_eq!(escape("'\""), "&#39;&quot;");
}

#[test]
fn csp_names_the_embedded_script_and_style() {
    let csp = csp();
    assert!(csp.starts_with("default-src 'none'; "));
    for part in [
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "img-src data:",
    ] {
        assert!(csp.contains(part), "{part}");
    }
    assert!(!csp.contains("unsafe"));
    let hash = |s: &str| {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(s.as_bytes()))
    };
    assert!(csp.contains(&format!("script-src 'sha256-{}'", hash(SCRIPT))));
    assert!(csp.contains(&format!("style-src 'sha256-{}'", hash(STYLE))));
    // The page embeds exactly the hashed texts, and neither can end its
    // element early.
    let page = html(&snapshot(), NOW);
    assert!(page.contains(&format!("<script>{SCRIPT}</script>")));
    assert!(page.contains(&format!("<style>{STYLE}</style>")));
    assert!(!SCRIPT.contains("</") && !STYLE.contains("</"));
}

#[test]
fn the_script_writes_data_only_as_text() {
    // Data reaches the page through textContent and setAttribute; no
    // markup parser is ever handed anything.
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "Function(",
    ] {
        assert!(!SCRIPT.contains(sink), "{sink} in the script");
    }
    assert!(SCRIPT.contains("textContent"));
}

#[test]
fn the_words_table_is_json_for_the_script() {
    let v: serde_json::Value = serde_json::from_str(&words::as_json()).unwrap();
    assert_eq!(v["reasons"]["rate-limited"][0], "Over a rate limit");
    assert_eq!(v["tokens"]["app"][0], "App only");
    assert_eq!(v["agents"]["ai"], "AI crawlers and assistants");
    // Every reason code has words.
    for r in crate::reason::Reason::ALL {
        assert_ne!(words::reason(r.as_str()).1, "", "{}", r.as_str());
    }
}

#[test]
fn an_empty_snapshot_renders() {
    let page = html(&Snapshot::default(), NOW);
    assert!(page.contains("No app registered"));
    assert!(page.contains("No fediguard_limit zone."));
    assert!(page.contains("<b id=\"n-hitrate\">–</b>"));
}
