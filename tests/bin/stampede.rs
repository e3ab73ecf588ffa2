//! `stampede`: runs the link-preview stampede simulator at full scale
//! against the three setups (unprotected, every fediverse agent blocked,
//! nginx-conf/website.conf) and prints the Markdown section that `make
//! bench` writes into BENCHMARKS.md.
//!
//! Usage: stampede [--instances N] [--boost N] [--speed X] [--rounds R]
//!                 [--setup unprotected|block|website ...] [--out FILE]
//! (needs `make build`: objs/nginx and the module).

use std::process::ExitCode;

use fediguard_tests::stampede::{report, run, Scenario, Setup};

fn main() -> ExitCode {
    let mut s = Scenario::full();
    let mut out = None;
    // Two rounds, setups in turn: the machine's load drifts over a run;
    // both rounds' browsers together give a steadier p99.
    let mut rounds: usize = 2;
    let mut setups: Vec<Setup> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        let ok = match a.as_str() {
            "--instances" => value().parse().map(|n| s.instances = n).is_ok(),
            "--boost" => value().parse().map(|n| s.boost = n).is_ok(),
            "--speed" => value().parse().map(|n| s.speed = n).is_ok(),
            "--rounds" => value().parse().map(|n| rounds = n).is_ok(),
            "--setup" => {
                let name = value();
                let found = Setup::ALL.into_iter().find(|s| s.name() == name);
                found.map(|s| setups.push(s)).is_some()
            }
            "--out" => {
                out = Some(value());
                true
            }
            _ => false,
        };
        if !ok {
            eprintln!(
                "usage: stampede [--instances N] [--boost N] [--speed X] [--rounds R] \
                 [--setup unprotected|block|website ...] [--out FILE]"
            );
            return ExitCode::from(2);
        }
    }
    if setups.is_empty() {
        setups = Setup::ALL.to_vec();
    }
    let load_before = load_average();
    let mut outcomes = Vec::new();
    let runs = (1..=rounds.max(1)).flat_map(|r| setups.iter().map(move |&s| (r, s)));
    for (round, setup) in runs {
        eprintln!("stampede: round {round}, {setup} ...");
        let o = run(setup, &s);
        eprintln!(
            "stampede: {setup}: {} origin requests, {} of {} previews, {:.1} s",
            o.origin_requests(),
            o.previews,
            o.instances,
            o.seconds
        );
        outcomes.push(o);
    }
    let mut text = report::markdown(&s, &outcomes);
    // Latencies on a shared machine move with what else runs on it.
    text.push_str(&format!(
        "\nThe machine's load average (1 min) was {load_before} when the run \
         started and {} when it ended, on {} cores.\n",
        load_average(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    ));
    print!("{text}");
    if let Some(path) = out {
        if let Err(e) = std::fs::write(&path, &text) {
            eprintln!("stampede: cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// The 1-minute load average, as /proc/loadavg has it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}
