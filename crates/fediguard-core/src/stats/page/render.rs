//! The page's sections, rendered from a `Snapshot` with the numbers of the
//! moment (the page's script rebuilds the same rows from the JSON).

use super::html::{grouped, percent, Html};
use super::words;
use crate::stats::snapshot::{LimitStats, Snapshot};

/// A bar of `part` out of `whole` (an SVG of two rectangles; widths are
/// attributes, which a strict CSP allows where a style attribute is not).
pub fn bar(h: &mut Html, part: u64, whole: u64) {
    let w = if whole == 0 {
        0.0
    } else {
        (part as f64 * 100.0 / whole as f64).clamp(0.0, 100.0)
    };
    h.raw("<svg class=\"bar\" viewBox=\"0 0 100 6\" preserveAspectRatio=\"none\" aria-hidden=\"true\">")
        .raw("<rect class=\"track\" width=\"100\" height=\"6\" rx=\"3\"></rect>")
        .raw("<rect class=\"fill\" height=\"6\" rx=\"3\" width=\"")
        .text(&format!("{w:.1}"))
        .raw("\"></rect></svg>");
}

/// The start of a keyed row, dimmed when its count is zero.
fn zero_row(n: u64) -> &'static str {
    if n == 0 {
        "<tr class=\"zero\" data-key=\""
    } else {
        "<tr data-key=\""
    }
}

pub(super) fn num_cell(h: &mut Html, n: u64) {
    h.raw("<td class=\"n\">").num(n).raw("</td>");
}

pub fn tiles(h: &mut Html, s: &Snapshot) {
    let denied: u64 = s.decisions.iter().map(|d| d.1).sum();
    let dry: u64 = s.decisions.iter().map(|d| d.2).sum();
    let rejected: u64 = s.limit_zones.iter().map(|z| z.rejected).sum();
    let hit_rate = s
        .verdict_cache
        .as_ref()
        .map_or("–".to_string(), |c| percent(c.hits, c.hits + c.misses));
    let tiles: [(&str, &str, String, &str); 6] = [
        (
            "n-denied",
            "Requests denied",
            grouped(denied),
            "all reasons",
        ),
        (
            "n-dryrun",
            "Would deny",
            grouped(dry),
            "in dry_run locations",
        ),
        (
            "n-limited",
            "Rate-limited",
            grouped(rejected),
            "429 answers",
        ),
        (
            "n-apps",
            "Apps registered",
            grouped(s.app_registrations),
            "seen by app watch",
        ),
        (
            "n-grants",
            "App tokens granted",
            grouped(s.client_credentials_grants),
            "client_credentials",
        ),
        (
            "n-hitrate",
            "Token cache hit rate",
            hit_rate,
            "verdicts from memory",
        ),
    ];
    h.raw("<section class=\"tiles\" aria-label=\"Summary\">");
    for (id, label, value, note) in tiles {
        h.raw("<div class=\"tile\"><span class=\"label\">")
            .text(label)
            .raw("</span><b id=\"")
            .text(id)
            .raw("\">")
            .text(&value)
            .raw("</b><small>")
            .text(note)
            .raw("</small></div>");
    }
    h.raw("</section>");
}

pub fn decisions(h: &mut Html, s: &Snapshot) {
    h.raw("<tbody id=\"decisions-body\">");
    for (i, (code, deny, dry)) in s.decisions.iter().enumerate() {
        let (label, meaning) = words::reason(code);
        h.raw(zero_row(*deny + *dry))
            .text(code)
            .raw("\"><th scope=\"row\"><span class=\"swatch c")
            .text(&(i % 8).to_string())
            .raw("\"></span>")
            .text(label)
            .raw(" <code>")
            .text(code)
            .raw("</code><small>")
            .text(meaning)
            .raw("</small></th>");
        num_cell(h, *deny);
        num_cell(h, *dry);
        h.raw("</tr>");
    }
    h.raw("</tbody>");
}

pub fn agents(h: &mut Html, s: &Snapshot) {
    let total: u64 = s.agent_classes.iter().map(|c| c.1).sum();
    h.raw("<tbody id=\"agents-body\">");
    for (class, n) in &s.agent_classes {
        h.raw(zero_row(*n))
            .text(class)
            .raw("\"><th scope=\"row\">")
            .text(class)
            .raw("<small>")
            .text(words::agent_class(class))
            .raw("</small></th>");
        num_cell(h, *n);
        h.raw("<td class=\"share\">");
        bar(h, *n, total);
        h.raw("<span>")
            .text(&percent(*n, total))
            .raw("</span></td></tr>");
    }
    h.raw("</tbody>");
}

pub fn tokens(h: &mut Html, s: &Snapshot) {
    let total: u64 = s.token_classes.iter().map(|c| c.1).sum();
    h.raw("<tbody id=\"tokens-body\">");
    for (class, n) in &s.token_classes {
        let (label, meaning) = words::token_class(class);
        h.raw(zero_row(*n))
            .text(class)
            .raw("\"><th scope=\"row\">")
            .text(label)
            .raw(" <code>")
            .text(class)
            .raw("</code><small>")
            .text(meaning)
            .raw("</small></th>");
        num_cell(h, *n);
        h.raw("<td class=\"share\">");
        bar(h, *n, total);
        h.raw("<span>")
            .text(&percent(*n, total))
            .raw("</span></td></tr>");
    }
    h.raw("</tbody>");
}

/// One `<tr>` of a two-column figures table; `id` names the cell the
/// script fills.
fn figure(h: &mut Html, id: &str, label: &str, value: &str) {
    h.raw("<tr><th scope=\"row\">")
        .text(label)
        .raw("</th><td class=\"n\" id=\"")
        .text(id)
        .raw("\">")
        .text(value)
        .raw("</td></tr>");
}

pub fn verification(h: &mut Html, s: &Snapshot) {
    h.raw("<table class=\"figures\"><caption>Verifications</caption><tbody>");
    figure(
        h,
        "v-started",
        "New tokens sent to Mastodon",
        &grouped(s.verifications_started),
    );
    figure(
        h,
        "v-coalesced",
        "Requests that waited for the same token",
        &grouped(s.verifications_coalesced),
    );
    for (o, n) in &s.verification_outcomes {
        let id = format!("v-{o}");
        let label = format!("Found: {}", words::outcome(o));
        figure(h, &id, &label, &grouped(*n));
    }
    h.raw("</tbody></table>");
    h.raw("<table class=\"figures\"><caption>Mastodon's load</caption><tbody>");
    let rows: [(&str, &str, u64); 5] = [
        ("v-backend-calls", "Calls to Mastodon", s.backend_calls),
        (
            "v-refused-budget",
            "Not verified: client's budget spent",
            s.verifications_limited,
        ),
        (
            "v-refused-in-flight",
            "Not verified: too many under way",
            s.verifications_capped,
        ),
        (
            "v-backend-throttled",
            "Mastodon said slow down (429)",
            s.backend_throttled,
        ),
        (
            "v-backend-paused",
            "Mastodon asked for a pause (5xx)",
            s.backend_paused,
        ),
    ];
    for (id, label, n) in rows {
        figure(h, id, label, &grouped(n));
    }
    h.raw("</tbody></table>");
    h.raw("<table class=\"figures\"><caption>Verdict cache</caption><tbody>");
    let c = s.verdict_cache.clone().unwrap_or_default();
    let none = s.verdict_cache.is_none();
    let show = |n: u64| if none { "–".to_string() } else { grouped(n) };
    figure(
        h,
        "c-hitrate",
        "Hit rate",
        &percent(c.hits, c.hits + c.misses),
    );
    figure(h, "c-hits", "Hits", &show(c.hits));
    figure(h, "c-misses", "Misses", &show(c.misses));
    h.raw("<tr><th scope=\"row\">Tokens cached</th><td class=\"n\"><span id=\"c-entries\">")
        .text(&show(c.entries))
        .raw("</span> of <span id=\"c-capacity\">")
        .text(&show(c.capacity))
        .raw("</span><span id=\"c-bar\">");
    bar(h, c.entries, c.capacity);
    h.raw("</span></td></tr>");
    figure(h, "c-evictions", "Evicted (zone full)", &show(c.evictions));
    h.raw("</tbody></table>");
}

pub fn limit_row(h: &mut Html, z: &LimitStats) {
    h.raw("<tr data-key=\"")
        .text(&z.zone)
        .raw("\"><th scope=\"row\"><code>")
        .text(&z.zone)
        .raw("</code></th>");
    num_cell(h, z.passed);
    num_cell(h, z.delayed);
    num_cell(h, z.rejected);
    h.raw("<td class=\"keys\">");
    bar(h, z.nodes, z.capacity);
    h.raw("<span>")
        .num(z.nodes)
        .raw(" of ")
        .num(z.capacity)
        .raw("</span></td>");
    num_cell(h, z.evictions);
    h.raw("</tr>");
}

pub fn limits(h: &mut Html, s: &Snapshot) {
    h.raw("<tbody id=\"limits-body\">");
    if s.limit_zones.is_empty() {
        h.raw("<tr class=\"empty\"><td colspan=\"6\">No fediguard_limit zone.</td></tr>");
    }
    for z in &s.limit_zones {
        limit_row(h, z);
    }
    h.raw("</tbody>");
}

/// Agent verification: claims by class and result, the lookups, the zone.
pub fn agent_verification(h: &mut Html, s: &Snapshot) {
    let v = &s.claims;
    h.raw("<table class=\"rows\"><thead><tr><th scope=\"col\">Class claimed</th>")
        .raw("<th scope=\"col\" class=\"n\">Verified</th><th scope=\"col\" class=\"n\">Failed</th>")
        .raw("<th scope=\"col\" class=\"n\">No answer in time</th></tr></thead>")
        .raw("<tbody id=\"claims-body\">");
    if v.claims.is_empty() {
        h.raw("<tr class=\"zero\"><td colspan=\"4\">No class is verified: no fediguard_verify_zone, or no rule with a method.</td></tr>");
    }
    for (class, n) in &v.claims {
        h.raw(zero_row(n.iter().sum()))
            .text(class)
            .raw("\"><th scope=\"row\">")
            .text(class)
            .raw("</th>");
        for c in n {
            num_cell(h, *c);
        }
        h.raw("</tr>");
    }
    h.raw("</tbody></table>");
    h.raw("<table class=\"figures\"><caption>Lookups</caption><tbody>");
    figure(h, "a-lookups", "DNS lookups started", &grouped(v.lookups));
    figure(
        h,
        "a-coalesced",
        "Requests that waited for the same address",
        &grouped(v.coalesced),
    );
    figure(
        h,
        "a-capped",
        "Not looked up: too many under way",
        &grouped(v.capped),
    );
    h.raw("</tbody></table>");
    h.raw("<table class=\"figures\"><caption>Answers' zone</caption><tbody>");
    let z = v.zone.clone().unwrap_or_default();
    let none = v.zone.is_none();
    let show = |n: u64| if none { "–".to_string() } else { grouped(n) };
    h.raw("<tr><th scope=\"row\">Addresses kept</th><td class=\"n\"><span id=\"a-entries\">")
        .text(&show(z.entries))
        .raw("</span> of <span id=\"a-capacity\">")
        .text(&show(z.capacity))
        .raw("</span></td></tr>");
    figure(h, "a-evictions", "Evicted (zone full)", &show(z.evictions));
    h.raw("</tbody></table>");
}
