//! The page's section of recent apps: the most denied marked, times shown
//! as the admin reads them.

use super::html::{grouped, Html};
use super::render::num_cell;
use crate::shm_stats::AppView;
use crate::stats::snapshot::Snapshot;
use crate::stats::time::iso8601;

/// How many apps are marked as the most denied.
pub const MARKED: usize = 3;

/// The apps to mark: the `MARKED` with the most denied requests (any).
pub fn most_denied(apps: &[AppView]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..apps.len()).filter(|&i| apps[i].denied > 0).collect();
    order.sort_by(|&a, &b| apps[b].denied.cmp(&apps[a].denied).then(a.cmp(&b)));
    order.truncate(MARKED);
    order
}

/// "3 min ago" for a time `secs` before `now`.
pub fn ago(now: u64, then: u64) -> String {
    let d = now.saturating_sub(then);
    match d {
        0..=59 => format!("{d} s ago"),
        60..=3599 => format!("{} min ago", d / 60),
        3600..=86_399 => format!("{} h ago", d / 3600),
        _ => format!("{} days ago", d / 86_400),
    }
}

/// `2026-11-23 18:04 UTC`.
pub fn when(secs: u64) -> String {
    let iso = iso8601(secs);
    format!("{} {} UTC", &iso[..10], &iso[11..16])
}

fn app_row(h: &mut Html, a: &AppView, marked: bool, now: u64) {
    let first = if a.registered_at != 0 {
        a.registered_at
    } else {
        a.last_grant_at
    };
    h.raw(if marked {
        "<tr class=\"flag\">"
    } else {
        "<tr>"
    });
    h.raw("<td class=\"when\">")
        .text(&when(first))
        .raw("<small>")
        .text(&ago(now, first))
        .raw("</small></td>");
    h.raw("<td class=\"app\">");
    if marked {
        h.raw("<span class=\"badge\">most denied</span>");
    }
    if a.name.is_empty() {
        h.raw("<i>not seen registering</i>");
    } else {
        h.el("b", "", &a.name);
    }
    if !a.website.is_empty() {
        h.el("span", "site", &a.website);
    }
    h.el("code", "id", &a.client_id);
    h.raw("</td><td class=\"client\">");
    h.el("code", "", &a.client);
    h.el("span", "agent", &a.agent);
    h.raw("</td>");
    num_cell(h, a.tokens_granted);
    num_cell(h, a.requests);
    h.raw("<td class=\"n denied\">")
        .num(a.denied)
        .raw("</td></tr>");
}

pub fn apps(h: &mut Html, s: &Snapshot, now: u64) {
    h.raw("<p class=\"note\" id=\"apps-summary\">")
        .text(&apps_summary(s.apps.len() as u64, s.apps_capacity))
        .raw("</p>");
    h.raw("<div class=\"scroll\"><table class=\"apps\"><thead><tr>")
        .raw("<th scope=\"col\">First seen</th><th scope=\"col\">App</th>")
        .raw("<th scope=\"col\">Client</th><th scope=\"col\" class=\"n\">Tokens</th>")
        .raw("<th scope=\"col\" class=\"n\">Requests</th><th scope=\"col\" class=\"n\">Denied</th>")
        .raw("</tr></thead><tbody id=\"apps-body\">");
    if s.apps.is_empty() {
        h.raw("<tr class=\"empty\"><td colspan=\"6\">No app registered or granted a token since the zone was created.</td></tr>");
    }
    let marked = most_denied(&s.apps);
    for (i, a) in s.apps.iter().enumerate() {
        app_row(h, a, marked.contains(&i), now);
    }
    h.raw("</tbody></table></div>");
}

pub fn apps_summary(n: u64, capacity: u64) -> String {
    format!(
        "{} listed, newest first (the zone keeps the last {}); the apps \
         whose tokens were denied most are marked.",
        match n {
            1 => "1 app".to_string(),
            n => format!("{} apps", grouped(n)),
        },
        grouped(capacity)
    )
}
