//! The results as a Markdown section (BENCHMARKS.md) and the goals
//! checked against them.

use std::fmt::Write;

use super::{Outcome, Scenario, Setup};

fn mb(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format!("{:.1} KB", bytes as f64 / 1e3)
    }
}

fn ratio(stampede: f64, quiet: f64) -> f64 {
    if quiet > 0.0 {
        stampede / quiet
    } else {
        0.0
    }
}

/// The goals for website.conf: (what, result, met).
pub fn goals(outcomes: &[Outcome]) -> Vec<(String, String, bool)> {
    let find = |s: Setup| outcomes.iter().find(|o| o.setup == s);
    let Some(w) = find(Setup::Website) else {
        return Vec::new();
    };
    let mut out = vec![
        (
            "origin requests for the new URL (page + image)".to_string(),
            format!("{} (target <= 2)", w.origin_requests()),
            w.origin_requests() <= 2,
        ),
        (
            "instances with a complete preview".to_string(),
            format!("{:.1}% (target >= 99%)", w.preview_share() * 100.0),
            w.preview_share() >= 0.99,
        ),
    ];
    if let Some(u) = find(Setup::Unprotected) {
        let share = w.origin_fetchers.bytes as f64 / u.origin_fetchers.bytes.max(1) as f64;
        out.push((
            "origin bytes vs unprotected".to_string(),
            format!(
                "1/{:.0} (target <= 1/500)",
                1.0 / share.max(f64::MIN_POSITIVE)
            ),
            share <= 1.0 / 500.0,
        ));
    }
    let r = ratio(w.browsers_stampede.p99_ms, w.browsers_quiet.p99_ms);
    out.push((
        "browser p99, stampede vs quiet".to_string(),
        format!("{r:.2}x (target <= 1.1x)"),
        r <= 1.1,
    ));
    out
}

/// The section for BENCHMARKS.md.
pub fn markdown(s: &Scenario, outcomes: &[Outcome]) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "## Link-preview stampede\n");
    let _ = writeln!(
        t,
        "Written by `make bench` (the `stampede` binary of tests/, \
         tests/harness/stampede). {} instances fetch a new post's page and its \
         og:image, each after Mastodon's random {:.0}-{:.0} s delay, then a boost \
         {:.0} s later sends {} more; {:.0}% of them fetch it a second time. \
         Each instance has its own host and a real agent of its software. Time \
         runs {}x faster than real (website.conf's rates are multiplied to \
         match); browsers read the site at {:.0} requests per real second, \
         measured alone (quiet: half before the stampede, half after) and during \
         the stampede. The site: {} \
         workers, a page takes {:.0} ms to render ({} KB), the image {:.0} ms \
         ({} KB). Same run, same schedule for every setup.\n",
        s.instances,
        s.jitter.0,
        s.jitter.1,
        s.boost_at,
        s.boost,
        s.repeat_share * 100.0,
        s.speed,
        s.browsers_per_sec,
        s.site.workers,
        s.site.page_ms,
        s.site.page_bytes / 1000,
        s.site.image_ms,
        s.site.image_bytes / 1000,
    );
    let _ = writeln!(
        t,
        "| setup | origin requests (page + image) | origin bytes (fetchers) | \
         nginx sent to fetchers | complete previews | repeat fetches refused | \
         browsers p50 / p99 quiet | browsers p50 / p99 stampede | p99 ratio |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|---|---|");
    for o in outcomes {
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} of {} ({:.1}%) | {} of {} | {:.2} / {:.2} ms | \
             {:.2} / {:.2} ms | {:.2}x |",
            o.setup,
            o.origin_requests(),
            mb(o.origin_fetchers.bytes),
            mb(o.sent_to_fetchers),
            o.previews,
            o.instances,
            o.preview_share() * 100.0,
            o.repeats_refused,
            o.repeats,
            o.browsers_quiet.p50_ms,
            o.browsers_quiet.p99_ms,
            o.browsers_stampede.p50_ms,
            o.browsers_stampede.p99_ms,
            ratio(o.browsers_stampede.p99_ms, o.browsers_quiet.p99_ms),
        );
    }
    let _ = writeln!(t, "\nGoals for website.conf:\n");
    let _ = writeln!(t, "| goal | result | met |");
    let _ = writeln!(t, "|---|---|---|");
    for (what, result, met) in goals(outcomes) {
        let _ = writeln!(
            t,
            "| {what} | {result} | {} |",
            if met { "yes" } else { "NO" }
        );
    }
    let _ = writeln!(t, "\nAnswers to the instances' requests, and browsers:\n");
    for o in outcomes {
        let statuses: Vec<String> = o
            .statuses
            .iter()
            .map(|(s, n)| match s {
                0 => format!("{n} unanswered"),
                s => format!("{n} x {s}"),
            })
            .collect();
        let _ = writeln!(
            t,
            "- {}: {}; browsers {} + {} requests, {} not 200; {} browser requests reached \
             the site during the stampede; stampede phase {:.1} s",
            o.setup,
            statuses.join(", "),
            o.browsers_quiet.sent,
            o.browsers_stampede.sent,
            o.browsers_quiet.failed + o.browsers_stampede.failed,
            o.origin_browser_requests,
            o.seconds,
        );
    }
    t
}
