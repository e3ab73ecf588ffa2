//! The link-preview stampede simulator at small scale (150 instances, time
//! 20x faster), against each setup. Counts only: what reached the site and
//! which instances got a complete preview; latencies are reported by
//! `make bench`, never asserted.

use fediguard_tests::stampede::{run, Outcome, Scenario, Setup};

fn statuses(o: &Outcome) -> Vec<(u16, usize)> {
    o.statuses.iter().map(|(s, n)| (*s, *n)).collect()
}

#[test]
fn website_conf_one_origin_fetch_per_url_and_every_preview() {
    let s = Scenario::small();
    let o = run(Setup::Website, &s);
    let n = s.instances + s.boost;
    assert_eq!(o.instances, n);
    // The cache lock lets one fetch of the page and one of the image reach
    // the site, whatever the agents and however many wait.
    assert_eq!(o.origin_page.requests, 1, "{o:#?}");
    assert_eq!(o.origin_image.requests, 1, "{o:#?}");
    assert_eq!(o.origin_fetchers.requests, 2, "{o:#?}");
    assert_eq!(o.previews, n, "every instance gets its preview: {o:#?}");
    // A second fetch by the same instance within the window is refused.
    assert!(o.repeats > 0, "the scenario has repeat fetches");
    assert_eq!(o.repeats_refused, o.repeats, "{o:#?}");
    assert_eq!(statuses(&o), vec![(200, 2 * n), (429, o.repeats)], "{o:#?}");
    // Browsers are untouched: every one reached the site, none failed.
    assert_eq!(o.browsers_quiet.failed + o.browsers_stampede.failed, 0);
    assert!(o.browsers_stampede.sent > 0);
    assert_eq!(o.origin_browser_requests, o.browsers_stampede.sent as u64);
}

#[test]
fn unprotected_every_fetch_reaches_the_site() {
    let s = Scenario::small();
    let o = run(Setup::Unprotected, &s);
    let n = s.instances + s.boost;
    assert_eq!(o.previews, n, "{o:#?}");
    let fetches = (n + o.repeats) as u64;
    assert_eq!(o.origin_page.requests, fetches, "{o:#?}");
    assert_eq!(o.origin_image.requests, fetches, "{o:#?}");
    assert_eq!(o.repeats_refused, 0);
    // About 100 KB per fetch on average, as in the seed story.
    let per_fetch = o.origin_fetchers.bytes / o.origin_fetchers.requests;
    assert!((90_000..110_000).contains(&per_fetch), "{per_fetch}");
}

#[test]
fn blocking_fediverse_agents_loses_every_preview() {
    let s = Scenario::small();
    let o = run(Setup::BlockFediverse, &s);
    assert_eq!(o.previews, 0, "{o:#?}");
    assert_eq!(o.origin_fetchers.requests, 0, "{o:#?}");
    let n = s.instances + s.boost;
    assert_eq!(statuses(&o), vec![(403, n + o.repeats)], "{o:#?}");
    assert_eq!(o.browsers_quiet.failed + o.browsers_stampede.failed, 0);
}
