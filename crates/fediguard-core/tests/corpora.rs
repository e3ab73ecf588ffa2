//! The built-in catalogue against real corpora, installed by
//! `tools/agent-corpora.sh` (never copied into the repository):
//! - crawler-user-agents: every agent string seen of a known bot must leave
//!   the class `other` (at least 99.5 % of them);
//! - fake-useragent: no real browser agent may leave `other`.
//!
//! The paths come from `FEDIGUARD_CRAWLER_AGENTS` and
//! `FEDIGUARD_BROWSER_AGENTS` (`eval "$(tools/agent-corpora.sh --env)"`).
//! Without them the test fails under CI (`CI` set) and is skipped, loudly,
//! elsewhere.

use std::collections::BTreeMap;

use fediguard_core::agent::{AgentMatcher, ClassId, ClassRegistry};
use serde_json::Value;

const CRAWLERS: &str = "FEDIGUARD_CRAWLER_AGENTS";
const BROWSERS: &str = "FEDIGUARD_BROWSER_AGENTS";

/// Share of crawler agents that must be told apart from browsers.
const MIN_CRAWLER_RECALL: f64 = 0.995;

/// The corpus file named by `var`, or `None` when the test is to be skipped.
fn corpus(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(path) if !path.is_empty() => Some(
            std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{var}={path}: cannot read: {e}")),
        ),
        _ => {
            let msg =
                format!("{var} is not set: run `eval \"$(tools/agent-corpora.sh --env)\"` first");
            if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
                panic!("{msg} (CI is set: the corpus tests must run)");
            }
            eprintln!("\n*** SKIPPED: {msg} ***\n");
            None
        }
    }
}

/// Every agent string of crawler-user-agents.json (its `instances`).
fn crawler_agents(json: &str) -> Vec<String> {
    let entries: Vec<Value> = serde_json::from_str(json).expect("crawler-user-agents.json");
    let agents: Vec<String> = entries
        .iter()
        .filter_map(|e| e.get("instances")?.as_array())
        .flatten()
        .filter_map(|i| i.as_str().map(str::to_string))
        .collect();
    assert!(agents.len() > 1000, "only {} crawler agents", agents.len());
    agents
}

/// The distinct browser agents of fake-useragent's browsers.jsonl.
fn browser_agents(jsonl: &str) -> Vec<String> {
    let mut agents: Vec<String> = jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("browsers.jsonl line");
            v["useragent"].as_str().expect("useragent").to_string()
        })
        .collect();
    agents.sort();
    agents.dedup();
    assert!(agents.len() > 100, "only {} browser agents", agents.len());
    agents
}

fn by_class(m: &AgentMatcher, agents: &[String]) -> BTreeMap<String, Vec<String>> {
    let reg = ClassRegistry::default();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in agents {
        let class = m.classify(Some(a.as_bytes())).class;
        out.entry(reg.name(class).to_string())
            .or_default()
            .push(a.clone());
    }
    out
}

fn print_counts(title: &str, classes: &BTreeMap<String, Vec<String>>, total: usize) {
    println!("{title}: {total} agents");
    for (class, agents) in classes {
        let pct = 100.0 * agents.len() as f64 / total as f64;
        println!("  {class:>10} {:>5} {pct:6.2} %", agents.len());
    }
}

#[test]
fn crawler_agents_leave_other() {
    let Some(json) = corpus(CRAWLERS) else { return };
    let agents = crawler_agents(&json);
    let m = AgentMatcher::build(&[], true).unwrap();
    let classes = by_class(&m, &agents);
    print_counts("crawler-user-agents", &classes, agents.len());
    let missed = classes.get("other").map_or(&[][..], Vec::as_slice);
    let recall = 1.0 - missed.len() as f64 / agents.len() as f64;
    println!("recall (not other): {:.2} %", 100.0 * recall);
    for a in missed {
        println!("  still other: {a}");
    }
    assert!(
        recall >= MIN_CRAWLER_RECALL,
        "crawler recall {:.2} % < {:.1} %",
        100.0 * recall,
        100.0 * MIN_CRAWLER_RECALL
    );
}

#[test]
fn browser_agents_stay_other() {
    let Some(jsonl) = corpus(BROWSERS) else {
        return;
    };
    let agents = browser_agents(&jsonl);
    let m = AgentMatcher::build(&[], true).unwrap();
    let classes = by_class(&m, &agents);
    print_counts("fake-useragent browsers", &classes, agents.len());
    let leaving: Vec<&String> = classes
        .iter()
        .filter(|(class, _)| class.as_str() != "other")
        .flat_map(|(_, a)| a)
        .collect();
    assert!(
        leaving.is_empty(),
        "{} browser agents leave other: {leaving:#?}",
        leaving.len()
    );
    assert_eq!(m.classify(Some(agents[0].as_bytes())).class, ClassId::OTHER);
}
