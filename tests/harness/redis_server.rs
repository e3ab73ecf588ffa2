//! A real `redis-server` per test, on a loopback port the test picks, with
//! no persistence; killed (SIGKILL) and restarted on the same port at will.
//! Also on a TLS port (`start_tls`, with `certs`), on a Unix socket
//! (`start_unix`), and as a master, a replica and sentinels (`sentinel`).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub mod certs;
pub mod sentinel;

pub struct Redis {
    /// The plain TCP port (the test's own client, readiness).
    pub port: u16,
    /// `start_tls`: the TLS port.
    pub tls_port: Option<u16>,
    /// `start_unix`: the socket's path.
    pub socket: Option<PathBuf>,
    extra: Vec<String>,
    child: Option<Child>,
    /// AUTH for the test's own client (user, password).
    pub auth: Option<(Option<String>, String)>,
    _dir: Option<TempDir>,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Redis {
    /// Starts `redis-server` with extra arguments (`--requirepass`, ...).
    pub fn start(extra: &[&str]) -> Redis {
        Redis::start_with(extra.iter().map(|s| s.to_string()).collect(), |_| {})
    }

    /// Also on a TLS port, with the test CA's server certificate; clients
    /// must show a certificate of that CA.
    pub fn start_tls(certs: &certs::Certs, extra: &[&str]) -> Redis {
        let tls_port = free_port();
        let mut args = certs.redis_args(tls_port);
        args.extend(extra.iter().map(|s| s.to_string()));
        Redis::start_with(args, |r| r.tls_port = Some(tls_port))
    }

    /// Also on a Unix socket (`redis.sock` in a directory of its own, open
    /// to nginx's workers, which run as nobody under a root master).
    pub fn start_unix(extra: &[&str]) -> Redis {
        let dir = tempfile::Builder::new()
            .prefix("fediguard-redis-")
            .tempdir()
            .expect("tempdir");
        let _ = fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755));
        let socket = dir.path().join("redis.sock");
        let mut args: Vec<String> = vec![
            "--unixsocket".into(),
            socket.display().to_string(),
            "--unixsocketperm".into(),
            "777".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Redis::start_with(args, |r| {
            r.socket = Some(socket);
            r._dir = Some(dir);
        })
    }

    fn start_with(extra: Vec<String>, set: impl FnOnce(&mut Redis)) -> Redis {
        let mut r = Redis {
            port: 0,
            tls_port: None,
            socket: None,
            extra,
            child: None,
            auth: None,
            _dir: None,
        };
        set(&mut r);
        for _ in 0..5 {
            r.port = free_port();
            if r.spawn() {
                return r;
            }
        }
        panic!("redis-server did not start");
    }

    fn spawn(&mut self) -> bool {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server (tools/install-deps.sh test installs it)");
        self.child = Some(child);
        self.wait_ready()
    }

    /// Ready when it answers PING (NOAUTH counts: it is up).
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(|c| c.try_wait()) {
                return false;
            }
            if let Ok(mut c) = self.raw_connection() {
                match redis::cmd("PING").query::<String>(&mut c) {
                    Ok(_) => return true,
                    Err(e) if e.code() == Some("NOAUTH") => return true,
                    Err(_) => {}
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    fn raw_connection(&self) -> redis::RedisResult<redis::Connection> {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))?;
        client.get_connection_with_timeout(Duration::from_secs(5))
    }

    /// A client connection, authenticated as the test said, on database `db`.
    pub fn client(&self, db: i64) -> redis::Connection {
        let mut c = self.raw_connection().expect("connect to redis");
        c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        if let Some((user, pass)) = &self.auth {
            let mut auth = redis::cmd("AUTH");
            if let Some(u) = user {
                auth.arg(u);
            }
            auth.arg(pass);
            auth.query::<()>(&mut c).expect("AUTH");
        }
        redis::cmd("SELECT")
            .arg(db)
            .query::<()>(&mut c)
            .expect("SELECT");
        c
    }

    /// A field of `INFO` (e.g. `total_connections_received`).
    pub fn info(&self, field: &str) -> Option<String> {
        let text: String = redis::cmd("INFO").query(&mut self.client(0)).ok()?;
        text.lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .map(|v| v.trim().to_string())
    }

    /// SIGKILL: no goodbye to the clients.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts again on the same port, empty.
    pub fn restart(&mut self) {
        self.kill();
        assert!(self.spawn(), "redis-server did not restart");
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A TCP forwarder on a loopback port of its own to `127.0.0.1:to`, that
/// counts the connections it accepted: how many times a host tried.
pub struct Forward {
    pub port: u16,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Forward {
    pub fn to(to: u16) -> Forward {
        use std::net::{TcpListener, TcpStream};
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        use std::sync::Arc;
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind forwarder");
        let port = listener.local_addr().expect("forwarder port").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (n, done) = (accepted.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if done.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(a) = conn else { continue };
                n.fetch_add(1, Ordering::SeqCst);
                let Ok(b) = TcpStream::connect(("127.0.0.1", to)) else {
                    continue;
                };
                let pipe = |mut from: TcpStream, mut to: TcpStream| {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                };
                if let (Ok(a2), Ok(b2)) = (a.try_clone(), b.try_clone()) {
                    pipe(a, b2);
                    pipe(b, a2);
                }
            }
        });
        Forward {
            port,
            accepted,
            stop,
        }
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Forward {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wakes the accept loop, which sees `stop`.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}
