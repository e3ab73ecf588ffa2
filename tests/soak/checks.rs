//! What the soak checks once the load has stopped: the statuses against the
//! policy, connections cut only by the soak's own kills, the error log's
//! alerts, worker memory, and the metrics' counts.

use std::collections::{BTreeMap, HashSet};

use crate::load::{Kind, Outcome, Record};

/// After a fault ends, how long its effects may last: an `unknown`
/// verdict is cached 1 s, a backend's Retry-After pauses verification up
/// to 2 s more, a verification under way finishes within its 1 s timeout.
pub const GRACE_MS: u32 = 4_000;

/// The statuses the configuration gives each kind of request: `healthy`
/// when no fault of the backend was on (or just over) during the request.
pub fn allowed(kind: Kind, healthy: bool) -> &'static [u16] {
    use Kind::*;
    match (kind, healthy) {
        (Browser | Fediverse, _) => &[200],
        (Ai | Listed | NoToken | Malformed, _) => &[403],
        (Limited, _) => &[200, 429],
        (User, true) => &[200],
        (App | Invalid, true) => &[403],
        // A new token may find its client's verification budget spent.
        (Fresh, true) => &[403, 429],
        (Register | Grant, true) => &[200],
        // The backend failing: a token that must be verified is unknown
        // (503, fail closed) or waits for a pause (429); a proxied request
        // gets nginx's 502 or 504, or a 200 cut short (it started well).
        (User, false) => &[200, 429, 503],
        (App | Invalid | Fresh, false) => &[403, 429, 503],
        (Register | Grant, false) => &[200, 502, 504],
    }
}

/// A connection cut that is no failure: a proxied request while the
/// backend's answers are cut short or reset (nginx cannot finish an
/// answer it has begun, and resets the client's connection).
fn cut_by_fault(kind: Kind, healthy: bool) -> bool {
    matches!(kind, Kind::Register | Kind::Grant) && !healthy
}

/// A fault of the backend, from `start` to `end` (msec since the start).
#[derive(Clone, Debug)]
pub struct FaultSpan {
    pub name: &'static str,
    pub start: u32,
    pub end: u32,
}

pub fn healthy(r: &Record, faults: &[FaultSpan]) -> bool {
    !faults
        .iter()
        .any(|f| r.start <= f.end.saturating_add(GRACE_MS) && r.end >= f.start)
}

/// A worker the soak killed, and when.
#[derive(Clone, Copy, Debug)]
pub struct Kill {
    pub pid: i32,
    pub at: u32,
}

#[derive(Default)]
pub struct Verdict {
    pub failures: Vec<String>,
    pub lines: Vec<String>,
}

impl Verdict {
    pub fn fail(&mut self, what: String) {
        self.failures.push(what);
    }

    pub fn say(&mut self, line: String) {
        println!("{line}");
        self.lines.push(line);
    }
}

/// Statuses per kind, policy violations, cuts outside kills.
pub fn statuses(v: &mut Verdict, records: &[Record], faults: &[FaultSpan], kills: &[Kill]) {
    let mut table: BTreeMap<Kind, BTreeMap<String, usize>> = BTreeMap::new();
    let mut wrong: BTreeMap<(Kind, String, bool), (usize, u32)> = BTreeMap::new();
    let (mut cut, mut cut_unexplained, mut unanswered) = (0, 0, 0);
    let mut cut_by_backend = 0;
    for r in records {
        let ok = healthy(r, faults);
        let label = match r.outcome {
            Outcome::Status(s) => s.to_string(),
            Outcome::Cut => "cut".into(),
            Outcome::Timeout => "timeout".into(),
            Outcome::Error => "error".into(),
        };
        *table
            .entry(r.kind)
            .or_default()
            .entry(label.clone())
            .or_default() += 1;
        match r.outcome {
            Outcome::Status(s) if allowed(r.kind, ok).contains(&s) => {}
            Outcome::Cut if cut_by_fault(r.kind, ok) => cut_by_backend += 1,
            Outcome::Cut => {
                cut += 1;
                // Cut by a worker the soak killed while it held the request.
                let by_kill = kills
                    .iter()
                    .any(|k| k.at + 200 >= r.start && k.at <= r.end + 200);
                if !by_kill {
                    cut_unexplained += 1;
                    wrong.entry((r.kind, label, ok)).or_insert((0, r.start)).0 += 1;
                }
            }
            Outcome::Timeout | Outcome::Error => {
                unanswered += 1;
                wrong.entry((r.kind, label, ok)).or_insert((0, r.start)).0 += 1;
            }
            Outcome::Status(_) => {
                wrong.entry((r.kind, label, ok)).or_insert((0, r.start)).0 += 1;
            }
        }
    }
    v.say(format!(
        "requests: {} ({} cut by killed workers, {} proxied ones cut by the backend's fault, {} cut otherwise, {} unanswered)",
        records.len(),
        cut - cut_unexplained,
        cut_by_backend,
        cut_unexplained,
        unanswered
    ));
    for (kind, counts) in &table {
        let row: Vec<String> = counts.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        v.say(format!("  {kind:?}: {}", row.join(", ")));
    }
    for ((kind, label, ok), (n, first)) in wrong {
        let phase = if ok { "healthy" } else { "faulty" };
        v.fail(format!(
            "{n} {kind:?} request(s) got {label} in a {phase} phase (first at {:.1} s; allowed {:?})",
            first as f64 / 1000.0,
            allowed(kind, ok)
        ));
    }
}

/// The error log's `[alert]`, `[crit]` and `[emerg]` lines: each must be
/// the master's note of a worker the soak killed (`exited on signal 9`),
/// or of a lock such a worker held.
pub fn alerts(v: &mut Verdict, log: &str, kills: &[Kill]) {
    let killed: HashSet<i32> = kills.iter().map(|k| k.pid).collect();
    let pid_after = |line: &str, marker: &str| -> Option<i32> {
        let rest = &line[line.find(marker)? + marker.len()..];
        rest.split(|c: char| !c.is_ascii_digit())
            .find(|s| !s.is_empty())?
            .parse()
            .ok()
    };
    let (mut caused, mut exits) = (0, 0);
    let mut others = Vec::new();
    for line in log.lines() {
        if !(line.contains("[alert]") || line.contains("[crit]") || line.contains("[emerg]")) {
            continue;
        }
        let ours = if line.contains("exited on signal 9") {
            exits += 1;
            pid_after(line, "worker process ").is_some_and(|p| killed.contains(&p))
        } else if line.contains("was locked by") {
            pid_after(line, "was locked by ").is_some_and(|p| killed.contains(&p))
        } else {
            false
        };
        if ours {
            caused += 1;
        } else {
            others.push(line.to_string());
        }
    }
    let crashes = log
        .lines()
        .filter(|l| l.contains("exited on signal") && !l.contains("exited on signal 9"))
        .count();
    v.say(format!(
        "alerts: {caused} caused by the soak ({exits} workers exited on SIGKILL, {} sent), {} other",
        kills.len(),
        others.len()
    ));
    if exits != kills.len() {
        v.fail(format!(
            "{} SIGKILLs sent, {exits} workers exited on signal 9",
            kills.len()
        ));
    }
    if crashes > 0 {
        v.fail(format!("{crashes} worker(s) died of another signal"));
    }
    for l in others.iter().take(10) {
        v.fail(format!("unexpected: {l}"));
    }
    // The rest of the log, summed up by message.
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for line in log.lines().filter(|l| l.contains("[error]")) {
        let msg = line.split("[error]").nth(1).unwrap_or("");
        let msg = msg.split_once(": ").map_or(msg, |(_, m)| m);
        let msg = msg.split(", client:").next().unwrap_or(msg);
        let short: String = msg
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .take(90)
            .collect();
        *errors.entry(short).or_default() += 1;
    }
    let mut errors: Vec<(String, usize)> = errors.into_iter().collect();
    errors.sort_by_key(|e| std::cmp::Reverse(e.1));
    for (m, n) in errors.iter().take(8) {
        v.say(format!("  [error] x{n}: {}", m.trim()));
    }
}

/// One reading of a process's memory (kB).
#[derive(Clone, Copy, Debug)]
pub struct Mem {
    pub at: u32,
    pub pid: i32,
    /// VmRSS: everything resident, pages shared with the master and the
    /// shared zones' pages included.
    pub rss: u64,
    /// RssShmem: the shared zones' pages this process has touched.
    pub shmem: u64,
    /// Private anonymous memory: the process's own heap and stacks, not
    /// what it shares with the master (the configuration it inherited) nor
    /// shared zones. What a leak would grow.
    pub own: u64,
}

pub fn read_mem(pid: i32, at: u32) -> Option<Mem> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    // Private pages of anonymous private mappings: those without a path
    // (the heap, mmap'ed arenas) or `[heap]`/`[stack]`; nginx's shared
    // zones show as `/dev/zero (deleted)` and are left out.
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).ok()?;
    let mut own = 0;
    let mut counting = false;
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            // A mapping's head: range perms offset dev inode [path].
            let perms = words.next().unwrap_or("");
            let path = words.nth(3).unwrap_or("");
            counting =
                perms.ends_with('p') && (path.is_empty() || path == "[heap]" || path == "[stack]");
        } else if counting && (first == "Private_Dirty:" || first == "Private_Clean:") {
            own += words
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Some(Mem {
        at,
        pid,
        rss: field("VmRSS:")?,
        shmem: field("RssShmem:")?,
        own,
    })
}

/// Memory at the end against after warm-up. Workers are replaced by
/// reloads and kills: a window's figure is its largest worker (one that
/// has served a while). The check is on the workers' own memory (what
/// they allocated themselves). VmRSS is reported: it also counts the
/// pages inherited from the master, whose size at the fork depends on how
/// many configurations it held (an old one stays until the master's 30 s
/// cleaner frees it: about 4 MB more or less, mostly the catalogue's
/// automaton), and the shared zones as they fill. The master's VmRSS is
/// reported, its smallest reading in each window (one configuration).
///
/// In the quiet part (no reload, no kill) the same workers serve until the
/// end: their own memory after its first 5 s against at the end, which
/// shows a leak per request that short-lived workers would hide.
pub fn memory(
    v: &mut Verdict,
    workers: &[Mem],
    master: &[Mem],
    warm: u32,
    end: u32,
    (quiet, quiet_end): (u32, u32),
) {
    let window = 5_000;
    let max_in = |from: u32, to: u32, f: fn(&Mem) -> u64| {
        workers
            .iter()
            .filter(|m| m.at >= from && m.at <= to)
            .map(f)
            .max()
            .unwrap_or(0)
    };
    let at_warm = |f: fn(&Mem) -> u64| max_in(warm.saturating_sub(window), warm, f);
    let at_end = |f: fn(&Mem) -> u64| max_in(end.saturating_sub(window), end, f);
    let (rss0, rss1) = (at_warm(|m| m.rss), at_end(|m| m.rss));
    let (own0, own1) = (at_warm(|m| m.own), at_end(|m| m.own));
    let (shm0, shm1) = (at_warm(|m| m.shmem), at_end(|m| m.shmem));
    // The master: its smallest reading in the windows before warm-up's end
    // and before the end, each as long as half the warm-up (up to 30 s).
    let mwin = (warm / 2).min(30_000);
    let master_min = |from: u32, to: u32| {
        master
            .iter()
            .filter(|m| m.at >= from && m.at <= to)
            .map(|m| m.rss)
            .min()
            .unwrap_or(0)
    };
    let (m0, m1) = (
        master_min(warm.saturating_sub(mwin), warm),
        master_min(end.saturating_sub(mwin), end),
    );
    let pct = |a: u64, b: u64| {
        if a == 0 {
            0.0
        } else {
            (b as f64 / a as f64 - 1.0) * 100.0
        }
    };
    v.say(format!(
        "worker memory after warm-up ({:.0} s) -> at the end: own {own0} -> {own1} kB ({:+.1} %), \
         VmRSS {rss0} -> {rss1} kB ({:+.1} %), shared zones {shm0} -> {shm1} kB; master VmRSS {m0} -> {m1} kB ({:+.1} %)",
        warm as f64 / 1000.0,
        pct(own0, own1),
        pct(rss0, rss1),
        pct(m0, m1),
    ));
    // The quiet part, worker by worker.
    let mut pids: Vec<i32> = workers
        .iter()
        .filter(|m| m.at >= quiet)
        .map(|m| m.pid)
        .collect();
    pids.sort_unstable();
    pids.dedup();
    for pid in pids {
        let life: Vec<&Mem> = workers
            .iter()
            .filter(|m| m.pid == pid && m.at >= quiet + 5_000 && m.at <= quiet_end)
            .collect();
        let (Some(first), Some(last)) = (life.first(), life.last()) else {
            continue;
        };
        if last.at < first.at + 5_000 {
            continue;
        }
        v.say(format!(
            "worker {pid} in the quiet part, {:.0} s to {:.0} s: own {} -> {} kB ({:+.1} %), VmRSS {} -> {} kB",
            first.at as f64 / 1000.0,
            last.at as f64 / 1000.0,
            first.own,
            last.own,
            pct(first.own, last.own),
            first.rss,
            last.rss
        ));
        if last.own as f64 > first.own as f64 * 1.10 {
            v.fail(format!(
                "worker {pid}'s own memory grew {:.1} % in the quiet part",
                pct(first.own, last.own)
            ));
        }
    }
    if own0 == 0 || own1 == 0 {
        v.fail("no worker memory readings".into());
    } else if own1 as f64 > own0 as f64 * 1.10 {
        v.fail(format!(
            "workers' own memory grew {:.1} % (more than 10 %)",
            pct(own0, own1)
        ));
    }
}

/// Numeric leaves of the metrics JSON, by path (the apps list left out:
/// its records are overwritten when the ring is full).
fn leaves(v: &serde_json::Value, path: String, out: &mut BTreeMap<String, u64>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if path.is_empty() && k == "apps" {
                    continue;
                }
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(x, p, out);
            }
        }
        serde_json::Value::Number(n) => {
            if let Some(n) = n.as_u64() {
                out.insert(path, n);
            }
        }
        _ => {}
    }
}

/// A gauge: may go down.
fn gauge(path: &str) -> bool {
    path.ends_with(".entries")
        || path.ends_with(".nodes")
        || path.ends_with("capacity")
        || path.ends_with("unix_time")
}

/// The metrics read during the soak: counters never go down (across
/// reloads, kills and Redis restarts), gauges stay within capacity; and at
/// the end, each reason's decisions against what the clients saw.
pub fn metrics(v: &mut Verdict, samples: &[(u32, serde_json::Value)], records: &[Record]) {
    let mut prev: Option<(u32, BTreeMap<String, u64>)> = None;
    let mut went_down = 0;
    for (at, s) in samples {
        let mut now = BTreeMap::new();
        leaves(s, String::new(), &mut now);
        if let Some((pat, p)) = &prev {
            for (k, &x) in &now {
                if gauge(k) {
                    continue;
                }
                if let Some(&old) = p.get(k) {
                    if x < old {
                        went_down += 1;
                        if went_down <= 5 {
                            v.fail(format!(
                                "counter {k} went down from {old} ({:.1} s) to {x} ({:.1} s)",
                                *pat as f64 / 1000.0,
                                *at as f64 / 1000.0
                            ));
                        }
                    }
                }
            }
        }
        let cache = &s["verdict_cache"];
        if cache["entries"].as_u64() > cache["capacity"].as_u64() {
            v.fail(format!("verdict cache over capacity: {cache}"));
        }
        if let Some(zones) = s["limit_zones"].as_object() {
            for (name, z) in zones {
                if z["nodes"].as_u64() > z["capacity"].as_u64() {
                    v.fail(format!("limit zone {name} over capacity: {z}"));
                }
            }
        }
        let apps = s["apps"].as_array().map_or(0, Vec::len) as u64;
        if Some(apps) > s["apps_capacity"].as_u64() {
            v.fail(format!("{apps} apps listed, more than the ring's capacity"));
        }
        prev = Some((*at, now));
    }
    let Some((_, last)) = samples.last() else {
        v.fail("no metrics read".into());
        return;
    };
    let c = &last["verdict_cache"];
    v.say(format!(
        "metrics: {} samples; verdict cache {} of {} entries, {} evictions; counters went down {went_down} times",
        samples.len(),
        c["entries"],
        c["capacity"],
        c["evictions"]
    ));
    if let Some(zones) = last["limit_zones"].as_object() {
        for (name, z) in zones {
            v.say(format!(
                "  limit zone {name}: {} of {} keys, passed {}, rejected {}",
                z["nodes"], z["capacity"], z["passed"], z["rejected"]
            ));
        }
    }
    // Every decision a client saw was counted; a decision whose answer a
    // killed worker never sent was counted too.
    let seen = |kinds: &[Kind], status: u16| {
        records
            .iter()
            .filter(|r| kinds.contains(&r.kind) && r.outcome == Outcome::Status(status))
            .count() as u64
    };
    let cut = |kinds: &[Kind]| {
        records
            .iter()
            .filter(|r| kinds.contains(&r.kind) && r.outcome == Outcome::Cut)
            .count() as u64
    };
    use Kind::*;
    let all = [
        Ai, Listed, NoToken, Malformed, User, App, Invalid, Fresh, Limited,
    ];
    let checks: [(&str, &[Kind], u16); 8] = [
        ("agent-denied", &[Ai, Listed], 403),
        ("mastoapi-no-auth", &[NoToken], 403),
        ("mastoapi-token-malformed", &[Malformed], 403),
        ("mastoapi-token-app-only", &[App], 403),
        ("mastoapi-token-invalid", &[Invalid, Fresh], 403),
        ("rate-limited", &[Limited], 429),
        ("mastoapi-verify-unavailable", &all, 503),
        ("mastoapi-verify-limited", &all, 429),
    ];
    for (reason, kinds, status) in checks {
        let counted = last["decisions"][reason]["deny"].as_u64().unwrap_or(0);
        let mut saw = seen(kinds, status);
        if reason == "mastoapi-verify-limited" {
            saw -= seen(&[Limited], 429);
        }
        let upper = saw + cut(kinds);
        v.say(format!(
            "  decisions {reason}: {counted} counted, {saw} seen by clients"
        ));
        if counted < saw || counted > upper {
            v.fail(format!(
                "decisions {reason}: {counted} counted, clients saw {saw} (and {} were cut)",
                upper - saw
            ));
        }
    }
}
