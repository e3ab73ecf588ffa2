//! Build script for the fediguard nginx module.
//!
//! `nginx-sys` must be a direct dependency: cargo hands its build metadata
//! (`DEP_NGINX_*`) only to the build scripts of direct dependents.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    // This script reads only nginx-sys's metadata (the `rerun-if-env-changed`
    // lines below) and itself. Without a file named here cargo would re-run
    // it whenever any file of the package changed (the package is the whole
    // checkout), and would walk the checkout to find out, tmp/ among it.
    println!("cargo::rerun-if-changed=build.rs");
    detect_nginx_features();
    detect_nginx_version();
    record_nginx_build_dir();
    settle_vendored_nginx_mtimes();
}

/// nginx versions the module's code tells apart, named as ngx-rust names its
/// own (`nginx1_21_1`, `nginx1_25_1`): `cfg(nginx1_23_0)` holds when the nginx
/// built against is 1.23.0 or newer. The nginx versions built and tested
/// (1.22.1 of Debian 12, 1.26.3 of Debian 13, the vendored 1.28.3) need no
/// other: add a line here when one does.
const VERSION_CHECKS: &[(u64, &str)] = &[
    // `ngx_table_elt_t.next`: headers of one name linked into a list.
    (1_023_000, "nginx1_23_0"),
];

/// Generates a cfg for each version in `VERSION_CHECKS` that the nginx built
/// against (nginx-sys's `DEP_NGINX_VERSION_NUMBER`, e.g. 1022001) reaches.
fn detect_nginx_version() {
    for (_, name) in VERSION_CHECKS {
        println!("cargo::rustc-check-cfg=cfg({name})");
    }
    println!("cargo::rerun-if-env-changed=DEP_NGINX_VERSION_NUMBER");
    let version = env::var("DEP_NGINX_VERSION_NUMBER")
        .expect("nginx-sys reports DEP_NGINX_VERSION_NUMBER (it must be a direct dependency)");
    let version: u64 = version
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("DEP_NGINX_VERSION_NUMBER is not a number: {version:?}"));
    for (since, name) in VERSION_CHECKS {
        if version >= *since {
            println!("cargo::rustc-cfg={name}");
        }
    }
}

/// Generates the `ngx_os` and `ngx_feature` cfg values that ngx-rust code is
/// compiled against.
fn detect_nginx_features() {
    println!("cargo::rerun-if-env-changed=DEP_NGINX_FEATURES_CHECK");
    println!(
        "cargo::rustc-check-cfg=cfg(ngx_feature, values({}))",
        env::var("DEP_NGINX_FEATURES_CHECK").unwrap_or("any()".to_string())
    );
    println!("cargo::rerun-if-env-changed=DEP_NGINX_FEATURES");
    if let Ok(features) = env::var("DEP_NGINX_FEATURES") {
        for feature in features.split(',').map(str::trim) {
            println!("cargo::rustc-cfg=ngx_feature=\"{feature}\"");
        }
    }
    println!("cargo::rerun-if-env-changed=DEP_NGINX_OS_CHECK");
    println!(
        "cargo::rustc-check-cfg=cfg(ngx_os, values({}))",
        env::var("DEP_NGINX_OS_CHECK").unwrap_or("any()".to_string())
    );
    println!("cargo::rerun-if-env-changed=DEP_NGINX_OS");
    if let Ok(os) = env::var("DEP_NGINX_OS") {
        println!("cargo::rustc-cfg=ngx_os=\"{os}\"");
    }
}

/// Leaves the path of the nginx build directory (where a vendored build puts
/// the `nginx` binary) in `target/<profile>/nginx-build-dir`, so that
/// `make build` can copy the nginx the module was built against next to it.
fn record_nginx_build_dir() {
    println!("cargo::rerun-if-env-changed=DEP_NGINX_BUILD_DIR");
    let (Ok(build_dir), Ok(out_dir)) = (env::var("DEP_NGINX_BUILD_DIR"), env::var("OUT_DIR"))
    else {
        return;
    };
    // OUT_DIR is target/<profile>/build/<crate>-<hash>/out.
    let profile_dir: PathBuf = PathBuf::from(out_dir)
        .ancestors()
        .nth(3)
        .map(PathBuf::from)
        .unwrap_or_default();
    if profile_dir.as_os_str().is_empty() {
        return;
    }
    let _ = fs::write(profile_dir.join("nginx-build-dir"), build_dir);
}

/// Keeps a second `cargo build` from redoing nginx-sys, ngx and fediguard.
///
/// nginx-sys's build script asks cargo to re-run it when the nginx build
/// directory's `Makefile` or `ngx_auto_config.h` changes
/// (`cargo:rerun-if-changed`). With the `vendored` feature that directory is
/// nginx-sys's own `OUT_DIR/objs`, and the same run of the script writes both
/// files (nginx-src runs nginx's `configure` there). Cargo takes a watched
/// file newer than the start of the script's last run as changed, so the next
/// `cargo build` (a `make run` right after `make build`) re-ran the script
/// and recompiled ngx and fediguard, about a minute and a half for nothing.
/// (`CARGO_LOG=cargo::core::compiler::fingerprint=info` shows it: "stale:
/// changed .../out/objs/Makefile".)
///
/// This build script runs after nginx-sys's, in the same `cargo build`, and
/// cargo has by then given nginx-sys's `output` file the start time of its
/// run. A vendored build directory's two files are set back to that time
/// when they are newer: they are what that run made. A later change (a
/// configure done again by nginx-sys, a hand edit) still makes them newer and
/// re-runs the script. A build directory outside nginx-sys's `OUT_DIR`
/// (`NGINX_BUILD_DIR`, configured before cargo starts) is left alone.
fn settle_vendored_nginx_mtimes() {
    let Ok(build_dir) = env::var("DEP_NGINX_BUILD_DIR") else {
        return;
    };
    let build_dir = Path::new(&build_dir);
    // .../build/nginx-sys-<hash>/out/objs
    let Some(out) = build_dir.parent().filter(|p| p.ends_with("out")) else {
        return;
    };
    let Some(script_dir) = out.parent() else {
        return;
    };
    let is_nginx_sys = script_dir
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("nginx-sys-"));
    if !is_nginx_sys {
        return;
    }
    let Ok(reference) = fs::metadata(script_dir.join("output")).and_then(|m| m.modified()) else {
        return;
    };
    for name in ["Makefile", "ngx_auto_config.h"] {
        let path = build_dir.join(name);
        let newer = fs::metadata(&path)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t > reference);
        if newer {
            if let Err(e) = fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(reference))
            {
                println!(
                    "cargo::warning=could not set the time of {}: {e}",
                    path.display()
                );
            }
        }
    }
}
