//! The status page: one self-contained HTML document (its style and script
//! embedded, nothing loaded from elsewhere) rendered by the server with the
//! numbers of the moment, so that it reads as a static page with
//! JavaScript off; its script then reads `?format=json` every few seconds
//! and refreshes it, drawing the decisions per reason over time.
//!
//! Its Content-Security-Policy allows only this page's own script and
//! style, by their SHA-256 (`csp()`), and connections to the same origin.

mod apps;
mod html;
mod render;
pub mod words;

use std::sync::OnceLock;

use base64::Engine;
use sha2::{Digest, Sha256};

pub use apps::{ago, most_denied, when, MARKED};
pub use html::{escape, grouped, percent, Html};

use super::snapshot::Snapshot;

/// The page's stylesheet and script, embedded as they are.
pub const STYLE: &str = include_str!("status.css");
pub const SCRIPT: &str = include_str!("status.js");

/// What a `fediguard_metrics` request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Prometheus,
    Json,
    Html,
}

/// `?format=json`, `?format=html`, `?format=prometheus` (or `text`) decide;
/// without a `format`, a client that accepts `text/html` (a browser) gets
/// the page and anything else the Prometheus text (Prometheus itself asks
/// for `text/plain` and OpenMetrics, curl for `*/*`).
pub fn negotiate(query: &[u8], accept: Option<&[u8]>) -> Format {
    let asked = form_urlencoded::parse(query)
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.into_owned());
    match asked.as_deref() {
        Some("json") => return Format::Json,
        Some("html") => return Format::Html,
        Some(_) => return Format::Prometheus,
        None => {}
    }
    if accept.is_some_and(accepts_html) {
        Format::Html
    } else {
        Format::Prometheus
    }
}

/// An `Accept` header lists `text/html` with a quality above 0.
fn accepts_html(accept: &[u8]) -> bool {
    let Ok(text) = core::str::from_utf8(accept) else {
        return false;
    };
    text.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        media.eq_ignore_ascii_case("text/html")
            && !parts.any(|p| {
                p.split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("q")
                        && v.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
                })
            })
    })
}

fn sha256_b64(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// The page's Content-Security-Policy: nothing but its own script and
/// style (by hash), reads of the same origin (the JSON), and the empty
/// icon. Computed once.
pub fn csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; \
             connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'",
            sha256_b64(SCRIPT),
            sha256_b64(STYLE)
        )
    })
}

/// `2026-11-23 18:04:05 UTC`: when the numbers were read.
pub fn stamp(secs: u64) -> String {
    let iso = super::time::iso8601(secs);
    format!("{} {} UTC", &iso[..10], &iso[11..19])
}

/// The whole page for the numbers of `s`, read at `now` (Unix seconds).
pub fn html(s: &Snapshot, now: u64) -> String {
    let mut h = Html::with_capacity(32 * 1024 + s.apps.len() * 600);
    h.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .raw("<meta name=\"robots\" content=\"noindex\">")
        .raw("<title>fediguard status</title><link rel=\"icon\" href=\"data:,\">")
        .raw("<style>")
        .raw(STYLE)
        .raw("</style></head>\n<body data-words=\"")
        .text(&words::as_json())
        .raw("\" data-now=\"")
        .text(&now.to_string())
        .raw("\">");
    h.raw("<header><div class=\"brand\"><h1>fediguard</h1><span>status</span></div>")
        .raw("<p class=\"meta\">Numbers of <time id=\"read-at\">")
        .text(&stamp(now))
        .raw("</time> <span id=\"live\" class=\"live off\">")
        .raw("static page: reload to see new numbers</span></p></header>\n<main>");
    render::tiles(&mut h, s);
    h.raw("<section class=\"card\"><h2>Decisions</h2>")
        .raw("<p class=\"note\">Denials per second by reason (dry run included), while this page is open: the last five minutes at most.</p>")
        .raw("<figure class=\"chart\"><svg id=\"chart\" viewBox=\"0 0 1200 220\" role=\"img\" ")
        .raw("aria-label=\"Denials per second by reason\">")
        .raw("<line class=\"axis\" x1=\"56\" y1=\"190\" x2=\"1190\" y2=\"190\"></line>")
        .raw("<text class=\"wait\" x=\"623\" y=\"100\" text-anchor=\"middle\">")
        .raw("The chart starts with the page's second reading of the counters.</text>")
        .raw("</svg></figure>")
        .raw("<table class=\"rows\"><thead><tr><th scope=\"col\">Reason</th>")
        .raw("<th scope=\"col\" class=\"n\">Denied</th><th scope=\"col\" class=\"n\">Would deny (dry run)</th>")
        .raw("</tr></thead>");
    render::decisions(&mut h, s);
    h.raw("</table></section>\n<div class=\"grid\">");
    h.raw("<section class=\"card\"><h2>Agent classes</h2><table class=\"rows\"><thead><tr>")
        .raw("<th scope=\"col\">Class</th><th scope=\"col\" class=\"n\">Requests</th>")
        .raw("<th scope=\"col\">Share</th></tr></thead>");
    render::agents(&mut h, s);
    h.raw("</table></section>");
    h.raw("<section class=\"card\"><h2>Token classes</h2><table class=\"rows\"><thead><tr>")
        .raw("<th scope=\"col\">Class</th><th scope=\"col\" class=\"n\">Requests</th>")
        .raw("<th scope=\"col\">Share</th></tr></thead>");
    render::tokens(&mut h, s);
    h.raw("</table></section></div>\n");
    h.raw("<section class=\"card\"><h2>Token verification</h2><div class=\"grid three\">");
    render::verification(&mut h, s);
    h.raw("</div></section>\n");
    h.raw("<section class=\"card\" id=\"agent-verification\"><h2>Agent verification</h2>")
        .raw("<p class=\"note\">Agents' claims checked by reverse DNS, published ranges or their instance's host.</p>")
        .raw("<div class=\"grid three\">");
    render::agent_verification(&mut h, s);
    h.raw("</div></section>\n");
    h.raw("<section class=\"card\"><h2>Rate limits</h2><div class=\"scroll\"><table class=\"rows\"><thead><tr>")
        .raw("<th scope=\"col\">Zone</th><th scope=\"col\" class=\"n\">Passed</th>")
        .raw("<th scope=\"col\" class=\"n\">Delayed</th><th scope=\"col\" class=\"n\">Rejected</th>")
        .raw("<th scope=\"col\">Keys in use</th><th scope=\"col\" class=\"n\">Evicted</th>")
        .raw("</tr></thead>");
    render::limits(&mut h, s);
    h.raw("</table></div></section>\n");
    h.raw("<section class=\"card\"><h2>Recent apps</h2>");
    apps::apps(&mut h, s, now);
    h.raw("</section>\n</main><footer>The same numbers for machines: ")
        .raw("<a href=\"?format=prometheus\">Prometheus text</a> · <a href=\"?format=json\">JSON</a>")
        .raw("</footer>\n<script>")
        .raw(SCRIPT)
        .raw("</script></body></html>\n");
    h.finish()
}

#[cfg(test)]
mod tests;
