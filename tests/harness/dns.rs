//! DNS servers for the verification tests, on loopback ports the tests
//! pick: Debian's `dnsmasq` (package `dnsmasq-base`) serving PTR and A/AAAA
//! records and logging every query (so tests count lookups), and a server
//! that reads queries and never answers.

use std::fs;
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub const DNSMASQ: &str = "/usr/sbin/dnsmasq";

/// A record dnsmasq serves.
pub enum Record<'a> {
    /// The PTR name of an address (`127.0.0.2`, `::1`).
    Ptr(&'a str, &'a str),
    /// A and/or AAAA records of a name.
    Host(&'a str, &'a [&'a str]),
}

pub struct Dnsmasq {
    pub port: u16,
    _dir: TempDir,
    log: PathBuf,
    child: Option<Child>,
}

/// A free UDP port on 127.0.0.1: bound and released.
fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The reverse name of an address (`2.0.0.127.in-addr.arpa`).
pub fn reverse_name(addr: &str) -> String {
    match addr.parse::<std::net::IpAddr>().expect("address") {
        std::net::IpAddr::V4(a) => {
            let o = a.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        std::net::IpAddr::V6(a) => {
            let hex: String = a.octets().iter().map(|b| format!("{b:02x}")).collect();
            let mut nibbles: Vec<String> = hex.chars().rev().map(|c| c.to_string()).collect();
            nibbles.push("ip6.arpa".into());
            nibbles.join(".")
        }
    }
}

impl Dnsmasq {
    /// Starts dnsmasq with `records`; every other name is NXDOMAIN (and a
    /// name with only A records has no AAAA: NODATA), as a real server
    /// answers. (Without `--local=/#/`, dnsmasq with no upstream refuses
    /// what it does not know, and nginx's resolver takes a refused AAAA
    /// query as a failed lookup.)
    pub fn start(records: &[Record]) -> Dnsmasq {
        let dir = tempfile::Builder::new()
            .prefix("fediguard-dns-")
            .tempdir()
            .expect("tempdir");
        let log = dir.path().join("queries.log");
        let mut args: Vec<String> = vec![
            "--keep-in-foreground".into(),
            "--conf-file=/dev/null".into(),
            "--no-resolv".into(),
            "--no-hosts".into(),
            "--listen-address=127.0.0.1".into(),
            "--bind-interfaces".into(),
            "--local=/#/".into(),
            "--pid-file".into(),
            "--log-queries".into(),
            format!("--log-facility={}", log.display()),
        ];
        // As root dnsmasq would switch to `nobody`, who cannot write the log
        // in the test's directory.
        // SAFETY: plain geteuid(2).
        if unsafe { libc::geteuid() } == 0 {
            args.push("--user=root".into());
        }
        for r in records {
            args.push(match r {
                Record::Ptr(addr, name) => format!("--ptr-record={},{name}", reverse_name(addr)),
                Record::Host(name, addrs) => format!("--host-record={name},{}", addrs.join(",")),
            });
        }
        for _ in 0..5 {
            let port = free_udp_port();
            let mut child = Command::new(DNSMASQ)
                .arg(format!("--port={port}"))
                .args(&args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn dnsmasq (tools/install-deps.sh test installs dnsmasq-base)");
            if wait_ready(&mut child, port) {
                return Dnsmasq {
                    port,
                    _dir: dir,
                    log,
                    child: Some(child),
                };
            }
            // A port taken meanwhile: try another.
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("dnsmasq did not start");
    }

    /// The query log.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many queries of `qtype` (`PTR`, `A`, `AAAA`) for `name` came in.
    pub fn queries(&self, qtype: &str, name: &str) -> usize {
        let want = format!("query[{qtype}] {name} from");
        self.log().lines().filter(|l| l.contains(&want)).count()
    }

    /// PTR queries for an address.
    pub fn ptr_queries(&self, addr: &str) -> usize {
        self.queries("PTR", &reverse_name(addr))
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Ready when it answers a query (any answer).
fn wait_ready(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    let sock = UdpSocket::bind("127.0.0.1:0").expect("udp");
    sock.set_read_timeout(Some(Duration::from_millis(50))).ok();
    let query = ready_query();
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        let _ = sock.send_to(&query, ("127.0.0.1", port));
        let mut buf = [0u8; 512];
        if sock.recv_from(&mut buf).is_ok() {
            return true;
        }
    }
    false
}

/// A query for `ready.invalid` A, id 1.
fn ready_query() -> Vec<u8> {
    let mut q = vec![0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in ["ready", "invalid"] {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// A UDP "DNS server" that reads queries and never answers.
pub struct SilentDns {
    pub port: u16,
    received: Arc<AtomicU64>,
    _thread: std::thread::JoinHandle<()>,
}

impl SilentDns {
    pub fn start() -> SilentDns {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("udp");
        let port = sock.local_addr().expect("addr").port();
        let received = Arc::new(AtomicU64::new(0));
        let counter = received.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            // Ends with the test process.
            while sock.recv_from(&mut buf).is_ok() {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        SilentDns {
            port,
            received,
            _thread: thread,
        }
    }

    /// Queries read so far.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}
