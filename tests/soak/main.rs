//! The fault soak (`make soak`): nginx with every fediguard capability on,
//! under steady load from several client threads, while the soak reloads
//! nginx, SIGKILLs workers, kills and restarts Redis, and makes the
//! Mastodon backend slow, failing, hanging, unreadable or unreachable in
//! turn. Then it checks that every request got the answer the policy
//! gives (connections cut by a killed worker counted apart), that no
//! worker died or alerted but those it killed, that worker memory did not
//! grow, and that the metrics stayed consistent.
//!
//!   soak [--seconds N] [--clients N] [--rate N]
//!
//! `--seconds` (or SOAK_SECONDS) defaults to 600, `--clients` to 4 threads,
//! `--rate` to 300 requests a second among them.
//!
//! Everything is on loopback; every loop is bounded by the deadline.
//! Exits 1 if a check fails; the report and nginx's error log are left in
//! tmp/soak/.

mod checks;
mod gate;
mod load;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use fediguard_tests::http::request_sized;
use fediguard_tests::mastodon::{Backend, Behaviour, Profile};
use fediguard_tests::nginx::module_path;
use fediguard_tests::redis_server::Redis;
use fediguard_tests::Nginx;

use checks::{FaultSpan, Kill, Mem, Verdict};
use gate::{Gate, Mode};
use load::{Load, Rng};

const WORKERS: u32 = 2;

/// The faults of the backend, in the order they come (each followed by a
/// phase without fault).
#[derive(Clone, Copy, Debug)]
enum Fault {
    Slow,
    ServerError,
    Hang,
    NotJson,
    Unavailable,
    Garbage,
    Truncated,
    Reset,
}

const FAULTS: [Fault; 8] = [
    Fault::Slow,
    Fault::ServerError,
    Fault::Hang,
    Fault::NotJson,
    Fault::Unavailable,
    Fault::Garbage,
    Fault::Truncated,
    Fault::Reset,
];

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::Slow => "slow (300 ms)",
            Fault::ServerError => "500",
            Fault::Hang => "hang",
            Fault::NotJson => "200 not JSON",
            Fault::Unavailable => "503 Retry-After: 2",
            Fault::Garbage => "garbage bytes",
            Fault::Truncated => "answer cut short",
            Fault::Reset => "connection reset",
        }
    }

    fn apply(self, backend: &Backend, gate: &Gate) {
        match self {
            Fault::Slow => backend.set_behaviour(Behaviour::Slow(Duration::from_millis(300))),
            Fault::ServerError => backend.set_behaviour(Behaviour::ServerError),
            Fault::Hang => backend.set_behaviour(Behaviour::Hang),
            Fault::NotJson => backend.set_behaviour(Behaviour::NotJson),
            Fault::Unavailable => backend.set_behaviour(Behaviour::Unavailable(2)),
            Fault::Garbage => gate.set(Mode::Garbage),
            Fault::Truncated => gate.set(Mode::Truncated),
            Fault::Reset => gate.set(Mode::Reset),
        }
    }
}

fn heal(backend: &Backend, gate: &Gate) {
    backend.set_behaviour(Behaviour::Normal);
    gate.set(Mode::Pass);
}

/// nginx.conf: every capability on. Agent rules (built-in catalogue, a
/// `fediguard_agent` rule, a list file), token verification through the
/// gate to the backend with a `sync` verdict zone, limits (one `sync`),
/// app watch, metrics, Redis. Decisions are logged at info, below the
/// error log's level: the log keeps what the soak checks.
fn conf(dir: &Path, port: u16, redis: u16, gate: u16) -> String {
    std::fs::write(
        dir.join("agents.txt"),
        "# agents of the soak's list\nListedBot\nOther Listed Bot\n",
    )
    .expect("write the list file");
    format!(
        r#"load_module {module};
worker_processes {WORKERS};
error_log {dir}/error.log notice;
pid {dir}/nginx.pid;
events {{ worker_connections 2048; }}
http {{
    access_log off;
    fediguard_redis redis://127.0.0.1:{redis} sync=100ms timeout=300ms;
    fediguard_token_zone zone=soak_tokens:1m user=2m app=2m invalid=30s unknown=1s
                         verify_rate=6000r/m verify_burst=50 verify_key=$http_x_client sync;
    fediguard_metrics_zone zone=soak_stats:64k;
    fediguard_agent soakbot SoakBot;
    fediguard_agent_list listed {dir}/agents.txt;
    fediguard_limit_zone $http_x_client zone=per_client:1m rate=20r/s sync;
    fediguard_limit_zone $fediguard_token_id zone=per_token:1m rate=1000r/s;
    map $status $soak_failure_cost {{ ~^5 4; default 0; }}
    fediguard_log_level info;

    server {{
        listen 127.0.0.1:{port};
        fediguard on;
        fediguard_agent_deny ai soakbot listed;

        location /static/ {{ try_files /nonexistent @ok; }}
        location /api/ {{ fediguard_token_verify /_fediguard; try_files /nonexistent @ok; }}
        location = /api/v1/timelines/public {{
            fediguard_token_verify /_fediguard;
            fediguard_token_require user;
            fediguard_token_fail closed;
            fediguard_limit zone=per_token burst=1000 nodelay;
            try_files /nonexistent @ok;
        }}
        location /limited/ {{
            fediguard_limit zone=per_client burst=5 nodelay;
            fediguard_limit_after zone=per_client cost=$soak_failure_cost;
            try_files /nonexistent @ok;
        }}
        location = /api/v1/apps {{
            fediguard_token_verify /_fediguard;
            fediguard_app_watch on;
            proxy_set_header Accept-Encoding "";
            proxy_read_timeout 2s;
            proxy_pass http://127.0.0.1:{gate};
        }}
        location = /oauth/token {{
            fediguard_app_watch on;
            proxy_set_header Accept-Encoding "";
            proxy_read_timeout 2s;
            proxy_pass http://127.0.0.1:{gate};
        }}
        location /_fediguard/ {{
            internal;
            proxy_pass http://127.0.0.1:{gate}/;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_connect_timeout 1s;
            proxy_read_timeout 1s;
            subrequest_output_buffer_size 64k;
        }}
        location = /fediguard/metrics {{ fediguard_metrics; }}
        location @ok {{ default_type application/json; return 200 '[]'; }}
    }}
}}
"#,
        module = module_path().display(),
        dir = dir.display(),
    )
}

fn metrics(port: u16) -> Option<serde_json::Value> {
    let raw =
        b"GET /fediguard/metrics?format=json HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n";
    let (r, _) = request_sized(port, raw, Duration::from_secs(10)).ok()?;
    (r.status == 200)
        .then(|| serde_json::from_slice(&r.body).ok())
        .flatten()
}

fn master_pid(ngx: &Nginx) -> Option<i32> {
    std::fs::read_to_string(ngx.path("nginx.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

struct Args {
    seconds: u64,
    clients: usize,
    rate: u32,
}

fn args() -> Args {
    let mut a = Args {
        seconds: std::env::var("SOAK_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(600),
        clients: 4,
        rate: 300,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || -> u64 {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{arg} needs a number"))
        };
        match arg.as_str() {
            "--seconds" => a.seconds = value(),
            "--clients" => a.clients = value().max(1) as usize,
            "--rate" => a.rate = value().max(1) as u32,
            _ => panic!("usage: soak [--seconds N] [--clients N] [--rate N]"),
        }
    }
    assert!(a.seconds >= 45, "a soak takes at least 45 seconds");
    a
}

fn out_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tmp/soak")
}

/// The stand-in backend keeps a handle on every connection it served
/// (to close them when it stops): thousands over a soak. Raise the limit of
/// open files to the hard limit.
fn raise_nofile() {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit on this process with a valid struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 {
            l.rlim_cur = l.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
}

/// What a panic must stop: the release profile aborts on panic, so the
/// nginx and Redis the soak started would outlive it.
static NGINX_MASTER: AtomicI32 = AtomicI32::new(0);
static REDIS_PORT: AtomicI32 = AtomicI32::new(0);

fn stop_children_on_panic() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        let master = NGINX_MASTER.load(Ordering::SeqCst);
        if master > 0 {
            // SAFETY: kill(2) on the nginx master the soak started.
            unsafe { libc::kill(master, libc::SIGTERM) };
        }
        // redis-server names itself "redis-server 127.0.0.1:<port>".
        let port = format!("127.0.0.1:{}\0", REDIS_PORT.load(Ordering::SeqCst));
        for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd);
            if cmd.starts_with("redis-server") && cmd.contains(&port) {
                // SAFETY: kill(2) on the redis-server the soak started.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }));
}

fn main() {
    let a = args();
    raise_nofile();
    stop_children_on_panic();
    let total = Duration::from_secs(a.seconds);
    let reload_every = Duration::from_secs(4);
    let kill_every = Duration::from_secs(7);
    let redis_every = Duration::from_secs(20);
    let redis_down = Duration::from_secs(4);
    // The last part is quiet: no fault, no reload, no kill; the same two
    // workers serve the load throughout, and their memory must not grow.
    let quiet = Duration::from_secs((a.seconds / 10).clamp(15, 60));
    let faulted = total - quiet;
    // Warm-up: the master holds its configurations in steady state (it
    // frees an old one with its 30 s cleaner); 15 % of the faulted part,
    // at least 20 s.
    let warm = Duration::from_millis((a.seconds * 150).max(20_000));
    // Fault phases: long enough for the faults to bite, short enough that
    // a short soak sees each of them (each fault, then as long without).
    let phase = Duration::from_millis(
        (faulted.as_millis() as u64 / (2 * FAULTS.len() as u64)).clamp(2_000, 5_000),
    );

    let mut redis = Redis::start(&[]);
    REDIS_PORT.store(redis.port as i32, Ordering::SeqCst);
    let backend = Backend::start(Profile::Mastodon);
    backend.set_throttles(None);
    for i in 0..load::USERS {
        backend.add_user(&load::user_token(i), &format!("soaker{i}"));
    }
    for i in 0..load::APPS {
        backend.add_app_token(
            &load::app_token(i),
            &format!("Soak Scraper {i}"),
            Some("https://scraper.example"),
        );
    }
    let gate = Gate::start(backend.port());
    let (redis_port, gate_port) = (redis.port, gate.port);
    let ngx = Nginx::start_text(WORKERS, move |dir, port| {
        conf(dir, port, redis_port, gate_port)
    });
    let port = ngx.port;
    NGINX_MASTER.store(master_pid(&ngx).unwrap_or(0), Ordering::SeqCst);
    let asan = master_pid(&ngx)
        .and_then(|p| std::fs::read_to_string(format!("/proc/{p}/maps")).ok())
        .is_some_and(|maps| maps.contains("libasan"));
    println!(
        "soak: {} s, {} clients at {} requests/s, nginx on 127.0.0.1:{port} ({} workers), {}{}; \
         reload every {} s, SIGKILL a worker every {} s, Redis killed every {} s for {} s, \
         backend faults of {:.1} s in turn",
        a.seconds,
        a.clients,
        a.rate,
        WORKERS,
        fediguard_tests::nginx::nginx_binary().display(),
        if asan { " (AddressSanitizer)" } else { "" },
        reload_every.as_secs(),
        kill_every.as_secs(),
        redis_every.as_secs(),
        redis_down.as_secs(),
        phase.as_secs_f64()
    );

    let start = Instant::now();
    let deadline = start + total;
    let faults_end = start + faulted;
    let ms = |i: Instant| i.duration_since(start).as_millis() as u32;
    let load = Load::start(port, a.clients, a.rate, start, deadline);

    let mut rng = Rng::new(7);
    let mut faults: Vec<FaultSpan> = Vec::new();
    let mut current: Option<(Fault, u32)> = None;
    let mut fault_i = 0;
    let mut kills: Vec<Kill> = Vec::new();
    let (mut reloads, mut redis_kills) = (0, 0);
    let mut redis_back_at: Option<Instant> = None;
    let mut workers_mem: Vec<Mem> = Vec::new();
    let mut master_mem: Vec<Mem> = Vec::new();
    let mut samples: Vec<(u32, serde_json::Value)> = Vec::new();
    let mut next_reload = start + reload_every;
    let mut next_kill = start + Duration::from_secs(2) + kill_every;
    let mut next_redis = start + Duration::from_secs(10);
    let mut next_phase = start + phase;
    let mut next_sample = start;
    let mut last_report = start;
    let mut quiet_since: Option<u32> = None;

    // The schedule, until the deadline (each step is short).
    while Instant::now() < deadline {
        let now = Instant::now();
        if now >= faults_end && quiet_since.is_none() {
            // The quiet part: every fault healed; nothing more is done.
            quiet_since = Some(ms(now));
            if let Some((f, since)) = current.take() {
                faults.push(FaultSpan {
                    name: f.name(),
                    start: since,
                    end: ms(now),
                });
            }
            heal(&backend, &gate);
            if redis_back_at.take().is_some() {
                redis.restart();
            }
            println!("soak: {:.0} s: quiet from here", ms(now) as f64 / 1000.0);
        }
        let faulty = quiet_since.is_none();
        if faulty && now >= next_phase {
            next_phase += phase;
            match current.take() {
                Some((f, since)) => {
                    heal(&backend, &gate);
                    faults.push(FaultSpan {
                        name: f.name(),
                        start: since,
                        end: ms(now),
                    });
                }
                None => {
                    let f = FAULTS[fault_i % FAULTS.len()];
                    fault_i += 1;
                    f.apply(&backend, &gate);
                    current = Some((f, ms(now)));
                }
            }
        }
        if faulty && now >= next_reload {
            next_reload += reload_every;
            ngx.send_reload();
            reloads += 1;
        }
        if faulty && now >= next_kill {
            next_kill += kill_every;
            let pids = ngx.worker_pids();
            if !pids.is_empty() {
                let pid = pids[rng.below(pids.len() as u64) as usize];
                // SAFETY: kill(2) on a child of the nginx the soak started.
                if unsafe { libc::kill(pid, libc::SIGKILL) } == 0 {
                    kills.push(Kill { pid, at: ms(now) });
                }
            }
        }
        if faulty && now >= next_redis && redis_back_at.is_none() {
            next_redis += redis_every;
            redis.kill();
            redis_kills += 1;
            redis_back_at = Some(now + redis_down);
        }
        if faulty && redis_back_at.is_some_and(|t| now >= t) {
            redis.restart();
            redis_back_at = None;
        }
        if now >= next_sample {
            next_sample += Duration::from_secs(1);
            let at = ms(now);
            for pid in ngx.worker_pids() {
                if let Some(m) = checks::read_mem(pid, at) {
                    workers_mem.push(m);
                }
            }
            if let Some(m) = master_pid(&ngx).and_then(|p| checks::read_mem(p, at)) {
                master_mem.push(m);
            }
            if let Some(v) = metrics(port) {
                samples.push((at, v));
            }
        }
        if now.duration_since(last_report) >= Duration::from_secs(30) {
            last_report = now;
            println!(
                "soak: {:.0} s: {reloads} reloads, {} kills, {redis_kills} Redis kills, {} faults",
                now.duration_since(start).as_secs_f64(),
                kills.len(),
                faults.len() + usize::from(current.is_some())
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut records = load.finish();
    let end = ms(Instant::now());
    if let Some((f, since)) = current.take() {
        faults.push(FaultSpan {
            name: f.name(),
            start: since,
            end,
        });
    }
    heal(&backend, &gate);
    if redis_back_at.is_some() {
        redis.restart();
    }

    // After the faults: once their effects are over, every kind of
    // request gets its healthy answer, and Redis is shared again.
    std::thread::sleep(Duration::from_millis(checks::GRACE_MS as u64 + 1_000));
    let after = load::one_of_each(port, start);
    let mut v = Verdict::default();
    for r in &after {
        let healthy = checks::healthy(r, &faults);
        let ok = matches!(r.outcome, load::Outcome::Status(s) if checks::allowed(r.kind, true).contains(&s));
        if !healthy || !ok {
            v.fail(format!(
                "after the faults: {:?} got {:?}",
                r.kind, r.outcome
            ));
        }
    }
    records.extend(after);
    if let Some(m) = metrics(port) {
        samples.push((ms(Instant::now()), m));
    }

    let log = ngx.error_log();
    let connected = log
        .lines()
        .filter(|l| l.contains("fediguard: redis") && l.contains("connected"))
        .count();
    let unavailable = log
        .lines()
        .filter(|l| l.contains("fediguard: redis") && l.contains("unavailable"))
        .count();
    let last_redis = log
        .lines()
        .rev()
        .find(|l| l.contains("fediguard: redis"))
        .unwrap_or("");

    v.say(format!(
        "soak: {:.0} s, {} clients; {reloads} reloads, {} workers SIGKILLed, Redis killed {redis_kills} times \
         ({connected} connected / {unavailable} unavailable lines), {} backend faults: {}",
        end as f64 / 1000.0,
        a.clients,
        kills.len(),
        faults.len(),
        {
            let mut names: Vec<&str> = faults.iter().map(|f| f.name).collect();
            names.dedup();
            names.join(", ")
        }
    ));
    if !last_redis.contains("connected") {
        v.fail(format!("Redis not connected at the end: {last_redis:?}"));
    }
    checks::statuses(&mut v, &records, &faults, &kills);
    checks::alerts(&mut v, &log, &kills);
    // Under AddressSanitizer, freed memory waits in its quarantine (256 MB)
    // and every process grows: memory is reported, not checked.
    let mut mem = Verdict::default();
    checks::memory(
        &mut mem,
        &workers_mem,
        &master_mem,
        ms(start + warm),
        ms(faults_end),
        (quiet_since.unwrap_or(end), end),
    );
    v.lines.extend(mem.lines);
    if asan {
        for f in mem.failures {
            v.say(format!("  not checked under AddressSanitizer: {f}"));
        }
    } else {
        v.failures.extend(mem.failures);
    }
    checks::metrics(&mut v, &samples, &records);
    let fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count());
    let registered = backend.hits("/api/v1/apps");
    v.say(format!(
        "backend: {} verification calls, {registered} registrations; the soak holds {fds} open files",
        backend.verification_calls()
    ));

    let dir = out_dir();
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("error.log"), &log);
    let csv: String = workers_mem
        .iter()
        .map(|m| ("worker", m))
        .chain(master_mem.iter().map(|m| ("master", m)))
        .map(|(p, m)| format!("{p},{},{},{},{}\n", m.at, m.rss, m.shmem, m.own))
        .collect();
    let _ = std::fs::write(
        dir.join("memory.csv"),
        format!("process,ms,rss_kb,shmem_kb,own_kb\n{csv}"),
    );
    let mut report = v.lines.join("\n");
    report.push('\n');
    if v.failures.is_empty() {
        report.push_str("soak: PASSED\n");
    } else {
        for f in &v.failures {
            report.push_str(&format!("FAILED: {f}\n"));
        }
    }
    let _ = std::fs::write(dir.join("report.txt"), &report);
    drop(ngx);
    drop(redis);
    if v.failures.is_empty() {
        println!("soak: PASSED (report and error log in {})", dir.display());
    } else {
        for f in &v.failures {
            println!("FAILED: {f}");
        }
        println!("soak: FAILED (report and error log in {})", dir.display());
        std::process::exit(1);
    }
}
