//! A master, its replica and three `redis-sentinel` processes (Debian's
//! `redis-sentinel` package) watching it under one name, on loopback
//! ports; a forced failover (`SENTINEL FAILOVER`) on demand. Readiness by
//! polling: the replica's link up, the sentinels knowing the replica.

use std::fs;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::{free_port, Redis};

pub struct Sentinel {
    pub port: u16,
    child: Child,
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct SentinelSet {
    pub name: String,
    /// The master's (and replica's) password and the sentinels' own.
    pub auth: Option<(String, String)>,
    pub master: Redis,
    pub replica: Redis,
    pub sentinels: Vec<Sentinel>,
    _dir: TempDir,
}

/// Polls `cond` every 20 ms until it holds; false after `secs`.
fn until(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

fn client(port: u16, password: Option<&str>) -> Option<redis::Connection> {
    let c = redis::Client::open(format!("redis://127.0.0.1:{port}/")).ok()?;
    let mut c = c.get_connection_with_timeout(Duration::from_secs(2)).ok()?;
    c.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    if let Some(p) = password {
        redis::cmd("AUTH").arg(p).query::<()>(&mut c).ok()?;
    }
    Some(c)
}

impl SentinelSet {
    /// Starts the master, the replica (once it is in sync) and three
    /// sentinels with a quorum of two, that take the master for down after
    /// `down_after_ms` without an answer; returns once the sentinels see
    /// the replica, so that a failover can pick it. With `auth`, the
    /// master and replica require the first password, the sentinels the
    /// second.
    pub fn start(name: &str, down_after_ms: u64, auth: Option<(&str, &str)>) -> SentinelSet {
        let (mut margs, mut sconf) = (Vec::new(), String::new());
        if let Some((m, s)) = auth {
            margs = vec!["--requirepass", m, "--masterauth", m];
            sconf = format!(
                "requirepass {s}\nsentinel auth-pass {name} {m}\nsentinel sentinel-pass {s}\n"
            );
        }
        let mut master = Redis::start(&margs);
        let mport = master.port.to_string();
        let mut rargs = vec!["--replicaof", "127.0.0.1", &mport];
        rargs.extend(&margs);
        let mut replica = Redis::start(&rargs);
        if let Some((m, _)) = auth {
            master.auth = Some((None, m.to_string()));
            replica.auth = Some((None, m.to_string()));
        }
        let spass = auth.map(|(_, s)| s);
        let link_up = until(20, || {
            replica
                .info("master_link_status")
                .is_some_and(|v| v == "up")
        });
        assert!(link_up, "the replica did not sync");
        let dir = tempfile::Builder::new()
            .prefix("fediguard-sentinel-")
            .tempdir()
            .expect("tempdir");
        let mut sentinels = Vec::new();
        for i in 0..3 {
            let conf = dir.path().join(format!("sentinel-{i}.conf"));
            let mut started = None;
            for _ in 0..5 {
                let port = free_port();
                fs::write(
                    &conf,
                    format!(
                        "port {port}\nbind 127.0.0.1\ndaemonize no\nlogfile \"\"\n\
                         dir {dir}\n\
                         sentinel monitor {name} 127.0.0.1 {mport} 2\n\
                         sentinel down-after-milliseconds {name} {down_after_ms}\n\
                         sentinel failover-timeout {name} 20000\n{sconf}",
                        dir = dir.path().display()
                    ),
                )
                .expect("write sentinel.conf");
                let child = Command::new("redis-sentinel")
                    .arg(&conf)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("spawn redis-sentinel (tools/install-deps.sh test installs it)");
                let mut s = Sentinel { port, child };
                let up = until(10, || {
                    if let Ok(Some(_)) = s.child.try_wait() {
                        return true;
                    }
                    client(port, spass)
                        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c).ok())
                        .is_some()
                });
                if up && s.child.try_wait().ok().flatten().is_none() {
                    started = Some(s);
                    break;
                }
            }
            sentinels.push(started.expect("redis-sentinel did not start"));
        }
        let set = SentinelSet {
            name: name.to_string(),
            auth: auth.map(|(m, s)| (m.to_string(), s.to_string())),
            master,
            replica,
            sentinels,
            _dir: dir,
        };
        let rport = set.replica.port.to_string();
        for s in &set.sentinels {
            let sees = until(20, || {
                let Some(mut c) = client(s.port, spass) else {
                    return false;
                };
                let replicas: Vec<Vec<String>> = redis::cmd("SENTINEL")
                    .arg("REPLICAS")
                    .arg(name)
                    .query(&mut c)
                    .unwrap_or_default();
                replicas.iter().any(|r| {
                    let field =
                        |k: &str| r.chunks_exact(2).find(|p| p[0] == k).map(|p| p[1].as_str());
                    field("port") == Some(rport.as_str()) && field("flags") == Some("slave")
                })
            });
            assert!(sees, "sentinel {} does not see the replica", s.port);
        }
        set
    }

    /// Waits until every sentinel knows the two others (they meet through
    /// the master's hello channel, every 2 s): needed for them to agree
    /// that a master is down and elect who fails over.
    pub fn wait_acquainted(&self) {
        for s in &self.sentinels {
            let met = until(20, || {
                let Some(mut c) = client(s.port, self.sentinel_pass()) else {
                    return false;
                };
                let others: Vec<redis::Value> = redis::cmd("SENTINEL")
                    .arg("SENTINELS")
                    .arg(&self.name)
                    .query(&mut c)
                    .unwrap_or_default();
                others.len() >= self.sentinels.len() - 1
            });
            assert!(met, "sentinel {} did not meet the others", s.port);
        }
    }

    /// `redis-sentinel://` for all three sentinels.
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .sentinels
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port))
            .collect();
        match &self.auth {
            None => format!("redis-sentinel://{}/{}", hosts.join(","), self.name),
            Some((m, s)) => format!(
                "redis-sentinel://:{m}@{}/{}?sentinel_password={s}",
                hosts.join(","),
                self.name
            ),
        }
    }

    fn sentinel_pass(&self) -> Option<&str> {
        self.auth.as_ref().map(|(_, s)| s.as_str())
    }

    /// The master's port as sentinel `i` says.
    pub fn master_port(&self, i: usize) -> Option<u16> {
        let mut c = client(self.sentinels[i].port, self.sentinel_pass())?;
        let addr: Vec<String> = redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(&self.name)
            .query(&mut c)
            .ok()?;
        addr.get(1)?.parse().ok()
    }

    /// `SENTINEL FAILOVER` on the first sentinel (the one the hosts ask
    /// first), retried while it has no good replica yet.
    pub fn failover(&self) {
        let mut last = String::new();
        let ok = until(20, || {
            let Some(mut c) = client(self.sentinels[0].port, self.sentinel_pass()) else {
                return false;
            };
            match redis::cmd("SENTINEL")
                .arg("FAILOVER")
                .arg(&self.name)
                .query::<String>(&mut c)
            {
                Ok(_) => true,
                Err(e) => {
                    last = e.to_string();
                    false
                }
            }
        });
        assert!(ok, "SENTINEL FAILOVER refused: {last}");
    }
}

/// A stand-in sentinel on a loopback port: to every
/// `SENTINEL get-master-addr-by-name` it names `127.0.0.1` and the port
/// the test last set, whatever the server there is (a replica, a master
/// about to be demoted): what real sentinels say between a failover and
/// their noticing it.
pub struct FakeSentinel {
    pub port: u16,
    target: std::sync::Arc<std::sync::atomic::AtomicU16>,
}

impl FakeSentinel {
    pub fn start(target: u16) -> FakeSentinel {
        use std::io::{Read, Write};
        use std::sync::atomic::{AtomicU16, Ordering};
        use std::sync::Arc;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("port").port();
        let target = Arc::new(AtomicU16::new(target));
        let t = target.clone();
        // Ends with the test's process.
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut c) = conn else { continue };
                let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
                let mut got = Vec::new();
                let mut buf = [0u8; 512];
                // *3 $8 SENTINEL $23 get-master-addr-by-name $n name: 7 lines.
                while got.windows(2).filter(|w| w == b"\r\n").count() < 7 {
                    match c.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let port = t.load(Ordering::SeqCst).to_string();
                let reply = format!("*2\r\n$9\r\n127.0.0.1\r\n${}\r\n{port}\r\n", port.len());
                let _ = c.write_all(reply.as_bytes());
            }
        });
        FakeSentinel { port, target }
    }

    /// The port named from now on.
    pub fn name(&self, port: u16) {
        self.target.store(port, std::sync::atomic::Ordering::SeqCst);
    }
}
