//! A real `redis-server` per test, on a loopback port the test picks, with
//! no persistence; killed (SIGKILL) and restarted on the same port at will.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Redis {
    pub port: u16,
    extra: Vec<String>,
    child: Option<Child>,
    /// AUTH for the test's own client (user, password).
    pub auth: Option<(Option<String>, String)>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Redis {
    /// Starts `redis-server` with extra arguments (`--requirepass`, ...).
    pub fn start(extra: &[&str]) -> Redis {
        let mut r = Redis {
            port: 0,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            child: None,
            auth: None,
        };
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
