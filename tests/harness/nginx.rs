//! One nginx instance per test, in its own temporary prefix.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// `objs/` of the workspace, or `$FEDIGUARD_OBJS`.
fn objs() -> PathBuf {
    std::env::var_os("FEDIGUARD_OBJS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../objs"))
}

/// A path from the environment variable `var` when it is set and not empty.
fn from_env(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The nginx the tests run: `$FEDIGUARD_NGINX` (e.g. Debian's
/// `/usr/sbin/nginx`), or `nginx` in `objs()`.
pub fn nginx_binary() -> PathBuf {
    let p = from_env("FEDIGUARD_NGINX").unwrap_or_else(|| objs().join("nginx"));
    assert!(
        p.exists(),
        "{} missing: run `make build` first",
        p.display()
    );
    p
}

/// The module the tests load: `$FEDIGUARD_MODULE` (built for the nginx of
/// `FEDIGUARD_NGINX`), or `ngx_http_fediguard_module.so` in `objs()`.
pub fn module_path() -> PathBuf {
    let p =
        from_env("FEDIGUARD_MODULE").unwrap_or_else(|| objs().join("ngx_http_fediguard_module.so"));
    assert!(
        p.exists(),
        "{} missing: run `make build` first",
        p.display()
    );
    fs::canonicalize(p).expect("module path")
}

/// The version of `nginx_binary()`, as (major, minor, patch), from `nginx -v`.
pub fn nginx_version() -> (u32, u32, u32) {
    static VERSION: OnceLock<(u32, u32, u32)> = OnceLock::new();
    *VERSION.get_or_init(|| {
        let out = Command::new(nginx_binary())
            .arg("-v")
            .output()
            .expect("run nginx -v");
        // "nginx version: nginx/1.22.1" (on stderr), maybe with " (Debian)".
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        let parse = || -> Option<(u32, u32, u32)> {
            let v = text.split("nginx/").nth(1)?.split_whitespace().next()?;
            let mut n = v.split('.').map(|p| p.parse::<u32>().ok());
            Some((n.next()??, n.next()??, n.next()??))
        };
        parse().unwrap_or_else(|| panic!("no version in `nginx -v`: {text:?}"))
    })
}

/// Writes the configuration file `conf` of a test in `dir`, made for the
/// nginx that runs it:
/// - the temporary files' paths are in `dir`. The vendored nginx has them
///   under its prefix (`-p dir`), but Debian's has compiled-in paths under
///   /var/lib/nginx, which tests must neither need nor leave files in. They
///   are added on the line of `http {`, so that every other line keeps its
///   number for `nginx -t` messages.
/// - `http2 on;` (nginx 1.25.1's spelling of `listen ... http2`) is left out
///   before 1.25.1: the tests speak HTTP/1.1 on plain-text ports.
fn write_conf(conf: &Path, dir: &Path, text: &str) {
    let temp: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .iter()
        .map(|t| format!(" {t}_temp_path {}/{t}_temp;", dir.display()))
        .collect();
    let old_http2 = nginx_version() < (1, 25, 1);
    let mut temp_added = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let trimmed = line.trim_start();
            if !temp_added && (trimmed.starts_with("http {") || trimmed == "http{") {
                temp_added = true;
                let at = line.find('{').expect("brace") + 1;
                return format!("{}{temp}{}", &line[..at], &line[at..]);
            }
            if old_http2 && trimmed.starts_with("http2 on;") {
                return String::new();
            }
            line.to_string()
        })
        .collect();
    fs::write(conf, lines.join("\n") + "\n").expect("write conf");
}

/// A free loopback port: bound and released; nginx binds it right after.
/// A clash with another test is caught by the retry in `Nginx::start`.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The whole nginx.conf around an `http { ... }` body. In `body`, `{PORT}`
/// stands for the test's port and `{DIR}` for its prefix directory.
fn render(dir: &Path, port: u16, workers: u32, body: &str) -> String {
    let body = body
        .replace("{PORT}", &port.to_string())
        .replace("{DIR}", &dir.display().to_string());
    format!(
        "load_module {module};\n\
         worker_processes {workers};\n\
         error_log {dir}/error.log info;\n\
         pid {dir}/nginx.pid;\n\
         events {{ worker_connections 512; }}\n\
         http {{\n\
         access_log {dir}/access.log;\n\
         {body}\n\
         }}\n",
        module = module_path().display(),
        dir = dir.display(),
    )
}

/// The path of the readiness probe; tests' logs leave it out.
pub const READY_PATH: &str = "/__fediguard_ready";

pub struct Nginx {
    pub dir: TempDir,
    pub port: u16,
    workers: u32,
    child: Option<Child>,
}

impl Nginx {
    /// Starts nginx with 2 workers and the given `http` block body.
    pub fn start(body: &str) -> Nginx {
        Nginx::start_with(2, body)
    }

    /// Starts nginx with a whole configuration file of the repository
    /// (`nginx-conf/NAME`), on the test's port and with the built module.
    pub fn start_conf_file(name: &str) -> Nginx {
        let text = fs::read_to_string(repo_conf(name)).expect("read config");
        Nginx::launch(2, |dir, port| adapt_conf(&text, dir, port))
    }

    /// Starts nginx with a whole configuration text, adapted as
    /// `start_conf_file` does; `{DIR}` stands for the test's directory.
    pub fn start_conf_text(workers: u32, text: &str) -> Nginx {
        Nginx::launch(workers, |dir, port| {
            adapt_conf(text, dir, port).replace("{DIR}", &dir.display().to_string())
        })
    }

    pub fn start_with(workers: u32, body: &str) -> Nginx {
        Nginx::launch(workers, |dir, port| render(dir, port, workers, body))
    }

    /// Starts nginx with a whole configuration text, made by `conf_text`
    /// from the test's directory and port; `workers` as that text says.
    pub fn start_text(workers: u32, conf_text: impl Fn(&Path, u16) -> String) -> Nginx {
        Nginx::launch(workers, conf_text)
    }

    fn launch(workers: u32, conf_text: impl Fn(&Path, u16) -> String) -> Nginx {
        let mut last_log = String::new();
        for _ in 0..5 {
            let dir = tempfile::Builder::new()
                .prefix("fediguard-test-")
                .tempdir()
                .expect("tempdir");
            // Workers run as nobody when the master is root: they need to
            // reach proxy_temp and cache directories under the prefix.
            let _ = fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755));
            let port = free_port();
            let conf = dir.path().join("nginx.conf");
            write_conf(&conf, dir.path(), &conf_text(dir.path(), port));
            let child = Command::new(nginx_binary())
                .arg("-p")
                .arg(dir.path())
                .arg("-c")
                .arg(&conf)
                .arg("-e")
                .arg(dir.path().join("error.log"))
                .args(["-g", "daemon off;"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn nginx");
            let mut nginx = Nginx {
                dir,
                port,
                workers,
                child: Some(child),
            };
            if nginx.wait_ready() {
                return nginx;
            }
            last_log = nginx.error_log();
            // A port taken by a parallel test: try another one.
            if !last_log.contains("Address already in use") {
                break;
            }
        }
        panic!("nginx did not start:\n{last_log}");
    }

    /// Ready when a worker answers HTTP (any status): a connect alone would
    /// only reach the socket the master opened.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(_)) = child.try_wait() {
                    return false;
                }
            }
            let probe =
                format!("GET {READY_PATH} HTTP/1.1\r\nHost: ready\r\nConnection: close\r\n\r\n");
            if crate::http::request(self.port, probe.as_bytes()).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// `nginx -s reload`: SIGHUP to the master; returns once the new
    /// workers have started (the old ones stop accepting at that point).
    pub fn reload(&self) {
        let started = |log: &str| log.matches("start worker process").count();
        let before = started(&self.error_log());
        self.send_reload();
        let deadline = Instant::now() + Duration::from_secs(20);
        while started(&self.error_log()) < before + self.workers as usize {
            assert!(
                Instant::now() < deadline,
                "reload did not finish:\n{}",
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGHUP to the master, without waiting: for a reload that is
    /// expected to fail (the old workers then go on).
    pub fn send_reload(&self) {
        let pid = self.child.as_ref().map(|c| c.id()).expect("running");
        // SAFETY: plain kill(2) on our own child.
        unsafe { libc::kill(pid as i32, libc::SIGHUP) };
    }

    /// The worker processes' pids (children of the master).
    pub fn worker_pids(&self) -> Vec<i32> {
        let Some(pid) = self.child.as_ref().map(|c| c.id()) else {
            return Vec::new();
        };
        fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn read(&self, name: &str) -> String {
        fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    pub fn error_log(&self) -> String {
        self.read("error.log")
    }

    /// Lines of an access log, without the harness's own readiness probes.
    pub fn access_lines(&self, name: &str) -> Vec<String> {
        self.read(name)
            .lines()
            .filter(|l| !l.contains(READY_PATH))
            .map(str::to_string)
            .collect()
    }

    /// fediguard's decision lines in the error log.
    pub fn fediguard_lines(&self) -> Vec<String> {
        self.error_log()
            .lines()
            .filter(|l| l.contains("fediguard: deny") || l.contains("fediguard: would deny"))
            .map(str::to_string)
            .collect()
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> crate::Response {
        crate::http::get(self.port, path, headers)
    }

    /// GET with only a User-Agent header.
    pub fn get_as(&self, path: &str, agent: &str) -> crate::Response {
        self.get(path, &[("User-Agent", agent)])
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: plain kill(2) on our own child.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A configuration file of the repository.
pub fn repo_conf(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../nginx-conf")
        .join(name)
}

/// A repository configuration made runnable here: the test's port instead
/// of 8080, the built module, logs in the test's directory.
fn adapt_conf(text: &str, dir: &Path, port: u16) -> String {
    text.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
        .replace(
            "modules/ngx_http_fediguard_module.so",
            &module_path().display().to_string(),
        )
        .replace(
            "error_log stderr",
            &format!("error_log {}/error.log", dir.display()),
        )
        .replace("/dev/stdout", &format!("{}/access.log", dir.display()))
        .replace(
            "pid logs/nginx.pid",
            &format!("pid {}/nginx.pid", dir.display()),
        )
}

/// `nginx -t` on a whole configuration text (placeholders as in `render`).
pub fn nginx_test_text(text: &str) -> ConfTest {
    let dir = tempfile::Builder::new()
        .prefix("fediguard-conf-")
        .tempdir()
        .expect("tempdir");
    let conf = dir.path().join("nginx.conf");
    let text = text
        .replace("{DIR}", &dir.path().display().to_string())
        .replace(
            "modules/ngx_http_fediguard_module.so",
            &module_path().display().to_string(),
        );
    write_conf(&conf, dir.path(), &text);
    fs::write(dir.path().join("mime.types"), "types { text/html html; }\n").expect("mime");
    fs::create_dir_all(dir.path().join("logs")).expect("logs dir");
    run_test(dir, conf)
}

/// `nginx -t` on a tree of files: `write` lays them out in the directory
/// and returns nginx.conf's text.
pub fn nginx_test_tree(write: impl FnOnce(&Path) -> String) -> ConfTest {
    let dir = tempfile::Builder::new()
        .prefix("fediguard-conf-")
        .tempdir()
        .expect("tempdir");
    let conf = dir.path().join("nginx.conf");
    let text = write(dir.path());
    write_conf(&conf, dir.path(), &text);
    run_test(dir, conf)
}

/// `nginx -t` on the configuration file `conf` in `dir`.
fn run_test(dir: TempDir, conf: PathBuf) -> ConfTest {
    let out: Output = Command::new(nginx_binary())
        .arg("-t")
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(dir.path().join("error.log"))
        .output()
        .expect("run nginx -t");
    ConfTest {
        ok: out.status.success(),
        output: String::from_utf8_lossy(&out.stderr).into_owned(),
        conf,
        _dir: dir,
    }
}

/// The result of `nginx -t` on a configuration.
pub struct ConfTest {
    pub ok: bool,
    /// What nginx printed (it reports on stderr).
    pub output: String,
    /// The configuration file, for "in file:line" checks.
    pub conf: PathBuf,
    _dir: TempDir,
}

impl ConfTest {
    /// "in /path/nginx.conf:LINE" for the line of the file that contains
    /// `needle` (1-based, as nginx counts).
    pub fn place_of(&self, needle: &str) -> String {
        let text = fs::read_to_string(&self.conf).unwrap_or_default();
        let line = text
            .lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} not in the configuration"));
        format!("in {}:{}", self.conf.display(), line + 1)
    }
}

/// Runs `nginx -t` on a configuration with the given `http` block body.
pub fn nginx_test(body: &str) -> ConfTest {
    let dir = tempfile::Builder::new()
        .prefix("fediguard-conf-")
        .tempdir()
        .expect("tempdir");
    let conf = dir.path().join("nginx.conf");
    write_conf(&conf, dir.path(), &render(dir.path(), free_port(), 1, body));
    run_test(dir, conf)
}
