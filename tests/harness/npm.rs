//! npm packages the tests drive (a browser's driver, fediverse servers'
//! signers), installed from the npm registry at pinned versions into
//! `tmp/<dir>/node_modules` the first time a test needs them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::browser::repo;

/// The version of `package` installed under `modules`, if any.
fn installed_version(modules: &Path, package: &str) -> Option<String> {
    let text = std::fs::read_to_string(modules.join(package).join("package.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["version"].as_str().map(str::to_string)
}

/// `tmp/<dir>/node_modules` with `package` at `version` (installed with
/// npm when it is not there yet; one install at a time).
pub fn package(dir: &str, package: &str, version: &str) -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _one = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let prefix = repo().join("tmp").join(dir);
    let modules = prefix.join("node_modules");
    if installed_version(&modules, package).as_deref() == Some(version) {
        return modules;
    }
    std::fs::create_dir_all(&prefix).expect("tmp/ directory for npm");
    let out = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(format!("{package}@{version}"))
        .output()
        .expect("run npm (Node.js and npm: tools/install-deps.sh test)");
    assert!(
        out.status.success(),
        "npm install {package}@{version} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        installed_version(&modules, package).as_deref(),
        Some(version)
    );
    modules
}
