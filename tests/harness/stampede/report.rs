//! The results as a Markdown section (BENCHMARKS.md) and the goals
//! checked against them.

use std::fmt::Write;

use super::{Latency, Outcome, Scenario, Setup};

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

/// One setup's rounds.
struct Rounds<'a> {
    setup: Setup,
    all: Vec<&'a Outcome>,
}

impl Rounds<'_> {
    /// "x" when every round gave x, "a-b" otherwise.
    fn span<T: PartialOrd + Copy>(
        &self,
        f: impl Fn(&Outcome) -> T,
        show: impl Fn(T) -> String,
    ) -> String {
        let values: Vec<T> = self.all.iter().map(|o| f(o)).collect();
        let min = values
            .iter()
            .copied()
            .fold(values[0], |a, b| if b < a { b } else { a });
        let max = values
            .iter()
            .copied()
            .fold(values[0], |a, b| if b > a { b } else { a });
        if min == max {
            show(min)
        } else {
            format!("{}-{}", show(min), show(max))
        }
    }

    fn max<T: Ord>(&self, f: impl Fn(&Outcome) -> T) -> Option<T> {
        self.all.iter().map(|o| f(o)).max()
    }

    /// Browsers of every round together.
    fn quiet(&self) -> Latency {
        self.all
            .iter()
            .fold(Latency::default(), |l, o| l.merge(&o.browsers_quiet))
    }

    fn stampede(&self) -> Latency {
        self.all
            .iter()
            .fold(Latency::default(), |l, o| l.merge(&o.browsers_stampede))
    }
}

fn group(outcomes: &[Outcome]) -> Vec<Rounds<'_>> {
    Setup::ALL
        .iter()
        .map(|&setup| Rounds {
            setup,
            all: outcomes.iter().filter(|o| o.setup == setup).collect(),
        })
        .filter(|r| !r.all.is_empty())
        .collect()
}

/// The goals for website.conf, over every round: (what, result, met).
pub fn goals(outcomes: &[Outcome]) -> Vec<(String, String, bool)> {
    let groups = group(outcomes);
    let find = |s: Setup| groups.iter().find(|g| g.setup == s);
    let Some(w) = find(Setup::Website) else {
        return Vec::new();
    };
    let requests = w.max(|o| o.origin_requests()).unwrap_or(0);
    let share = w.all.iter().map(|o| o.preview_share()).fold(1.0, f64::min);
    let mut out = vec![
        (
            "origin requests for the new URL (page + image)".to_string(),
            format!("{requests} (target <= 2)"),
            requests <= 2,
        ),
        (
            "instances with a complete preview".to_string(),
            format!("{:.1}% (target >= 99%)", share * 100.0),
            share >= 0.99,
        ),
    ];
    if let Some(u) = find(Setup::Unprotected) {
        let most = w.max(|o| o.origin_fetchers.bytes).unwrap_or(0);
        let least = u
            .all
            .iter()
            .map(|o| o.origin_fetchers.bytes)
            .min()
            .unwrap_or(0);
        let share = most as f64 / least.max(1) as f64;
        out.push((
            "origin bytes vs unprotected".to_string(),
            format!(
                "1/{:.0} (target <= 1/500)",
                1.0 / share.max(f64::MIN_POSITIVE)
            ),
            share <= 1.0 / 500.0,
        ));
    }
    let r = ratio(w.stampede().p99(), w.quiet().p99());
    out.push((
        "browser p99, stampede vs quiet".to_string(),
        format!("{r:.2}x (target <= 1.1x)"),
        r <= 1.1,
    ));
    out
}
/// The section for BENCHMARKS.md: `outcomes` holds every round of every
/// setup; counts show a range when rounds differ, browser latencies are
/// taken over all rounds together.
pub fn markdown(s: &Scenario, outcomes: &[Outcome]) -> String {
    let groups = group(outcomes);
    let rounds = groups.first().map_or(0, |g| g.all.len());
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
         the stampede. The site: {} workers, a page takes {:.0} ms to render \
         ({} KB), the image {:.0} ms ({} KB). {} rounds, the setups in turn in \
         each (a new site and nginx every time, the same schedule); counts are \
         per stampede, latencies over all rounds.\n",
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
        rounds,
    );
    let _ = writeln!(
        t,
        "| setup | origin requests (page + image) | origin bytes (fetchers) | \
         nginx sent to fetchers | complete previews | repeat fetches refused | \
         browsers p50 / p99 quiet | browsers p50 / p99 stampede | p99 ratio |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|---|---|");
    for g in &groups {
        let (quiet, stampede) = (g.quiet(), g.stampede());
        let instances = g.span(|o| o.instances, |n| n.to_string());
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} of {} ({}) | {} of {} | {:.2} / {:.2} ms | \
             {:.2} / {:.2} ms | {:.2}x |",
            g.setup,
            g.span(|o| o.origin_requests(), |n| n.to_string()),
            g.span(|o| o.origin_fetchers.bytes, mb),
            g.span(|o| o.sent_to_fetchers, mb),
            g.span(|o| o.previews, |n| n.to_string()),
            instances,
            g.span(|o| o.preview_share(), |x| format!("{:.1}%", x * 100.0)),
            g.span(|o| o.repeats_refused, |n| n.to_string()),
            g.span(|o| o.repeats, |n| n.to_string()),
            quiet.p50(),
            quiet.p99(),
            stampede.p50(),
            stampede.p99(),
            ratio(stampede.p99(), quiet.p99()),
        );
    }
    let _ = writeln!(t, "\nGoals for website.conf (the worst round):\n");
    let _ = writeln!(t, "| goal | result | met |");
    let _ = writeln!(t, "|---|---|---|");
    for (what, result, met) in goals(outcomes) {
        let _ = writeln!(
            t,
            "| {what} | {result} | {} |",
            if met { "yes" } else { "NO" }
        );
    }
    let _ = writeln!(
        t,
        "\nAnswers to the instances' requests, and browsers, per round:\n"
    );
    for (i, o) in outcomes.iter().enumerate() {
        let round = 1 + outcomes[..i].iter().filter(|p| p.setup == o.setup).count();
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
            "- round {round}, {}: {}; browsers {} + {} requests, {} not 200; {} browser \
             requests reached the site during the stampede; stampede phase {:.1} s",
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
