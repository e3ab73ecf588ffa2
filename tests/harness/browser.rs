//! Headless Chromium for the status page's test: Debian's `chromium`
//! (installed by `tools/install-deps.sh test`), driven by a Node script of
//! `tests/browser/` through playwright-core, which the first test to need
//! it installs from npm, pinned, into the gitignored `tmp/browser/`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use std::time::{Duration, Instant};

/// The playwright-core release the script is written for. It drives the
/// machine's Chromium over the DevTools protocol and downloads nothing.
pub const PLAYWRIGHT_CORE: &str = "1.65.1";

/// The repository's top directory.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repository")
}

/// The browser the tests drive: `$FEDIGUARD_CHROMIUM` or Debian's.
pub fn chromium() -> PathBuf {
    let p = std::env::var_os("FEDIGUARD_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        p.exists(),
        "{} missing: run `tools/install-deps.sh test` (Debian's chromium package)",
        p.display()
    );
    p
}

/// `tmp/browser/node_modules`, with playwright-core at the pinned version
/// (installed with npm when it is not there yet).
pub fn playwright_modules() -> PathBuf {
    crate::npm::package("browser", "playwright-core", PLAYWRIGHT_CORE)
}

/// A Node script of `tests/browser/` running, talking in lines: it prints
/// `<tag> <json>`, reads plain lines.
pub struct Script {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Script {
    pub fn start(name: &str, args: &[&str]) -> Script {
        let modules = playwright_modules();
        let mut child = Command::new("node")
            .arg(repo().join("tests/browser").join(name))
            .args(args)
            .env("FEDIGUARD_BROWSER_MODULES", &modules)
            .env("FEDIGUARD_CHROMIUM", chromium())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run node");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Script {
            child,
            stdin,
            stdout,
        }
    }

    /// The next line, which must be `<tag> <json>`; the script's own
    /// timeouts bound the wait.
    pub fn expect(&mut self, tag: &str) -> serde_json::Value {
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).expect("read the script");
        assert!(n > 0, "the browser script ended before \"{tag}\"");
        let (got, json) = line
            .trim_end()
            .split_once(' ')
            .unwrap_or((line.trim_end(), ""));
        assert_eq!(got, tag, "{line}");
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"))
    }

    pub fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("write to the script");
        self.stdin.flush().expect("flush");
    }

    /// Waits for the script to exit on its own.
    pub fn finish(mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
