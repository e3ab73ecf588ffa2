//! The Mastodon drop-in (nginx-conf/mastodon/) made runnable here, in
//! Debian's layout: an nginx.conf like Debian's stock one (its
//! `error_log` line without a level, `include modules-enabled/*.conf`,
//! `include conf.d/*.conf` and `include sites-enabled/*` in `http`), the
//! module's `load_module` line in modules-enabled/, the drop-in's files in
//! conf.d/ and snippets/ as shipped, and the tests' own Mastodon site file
//! (tests/harness/mastodon/site.conf: Mastodon's layout with the two
//! include lines) in sites-enabled/. Plain HTTP on the test's port for the
//! instance, the metrics server on `metrics`, the stand-in Mastodon as
//! backend, nginx's resolver at `dns`, files under the test's directory.

use std::fs;
use std::path::Path;

use crate::dns::Dnsmasq;
use crate::nginx::module_path;
use crate::{repo_conf, ConfTest, Nginx};

/// What the test changes around the shipped files.
#[derive(Clone, Debug)]
pub struct Site {
    pub backend: u16,
    pub metrics: u16,
    /// The resolver's port on 127.0.0.1 (dnsmasq); None: a dnsmasq of the
    /// harness's, which knows no name (a lookup fails at once, as with a
    /// real resolver and a name nobody publishes).
    pub dns: Option<u16>,
    /// `fediguard on;` instead of the shipped `fediguard dry_run;`.
    pub enforce: bool,
    /// The level of nginx.conf's `error_log` line; None is Debian's stock
    /// line (no level: from `error` up).
    pub log_level: Option<&'static str>,
}

impl Site {
    pub fn new(backend: u16) -> Site {
        Site {
            backend,
            metrics: free_port(),
            dns: None,
            enforce: true,
            log_level: Some("info"),
        }
    }
}

/// The shipped drop-in files, by their place under /etc/nginx.
pub const DROP_IN: [&str; 3] = [
    "conf.d/fediguard-mastodon.conf",
    "snippets/fediguard-mastodon.conf",
    "snippets/fediguard-mastodon-previews.conf",
];

/// The tests' Mastodon site file (Mastodon's layout with fediguard's two
/// include lines).
pub fn site_file() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("harness/mastodon/site.conf"))
        .expect("site.conf")
}

/// A shipped drop-in file, as the test places it.
fn adapted(name: &str, dir: &Path, s: &Site) -> String {
    let text = fs::read_to_string(repo_conf(&format!("mastodon/{name}"))).expect("drop-in file");
    let dns = s.dns.unwrap_or(9);
    let text = text
        .replace("/var/log/nginx", &dir.display().to_string())
        .replace("resolver 127.0.0.53", &format!("resolver 127.0.0.1:{dns}"))
        .replace("resolver_timeout 5s", "resolver_timeout 1s")
        .replace(
            "listen 127.0.0.1:8081;",
            &format!("listen 127.0.0.1:{};", s.metrics),
        );
    if s.enforce {
        text.replace("\nfediguard dry_run;", "\nfediguard on;")
    } else {
        text
    }
}

/// Writes Debian's layout into `dir` and returns nginx.conf's text.
pub fn write_tree(dir: &Path, port: u16, s: &Site) -> String {
    for sub in [
        "modules-enabled",
        "conf.d",
        "snippets",
        "sites-enabled",
        "public",
        "cache",
    ] {
        fs::create_dir_all(dir.join(sub)).expect("mkdir");
    }
    fs::write(
        dir.join("modules-enabled/50-mod-http-fediguard.conf"),
        format!("load_module {};\n", module_path().display()),
    )
    .expect("module conf");
    fs::write(dir.join("mime.types"), "types { text/html html; }\n").expect("mime");
    for name in DROP_IN {
        fs::write(dir.join(name), adapted(name, dir, s)).expect("drop-in");
    }
    let site = site_file()
        .replace("{BACKEND}", &s.backend.to_string())
        .replace("{STREAMING}", &s.backend.to_string())
        .replace("{PORT}", &port.to_string())
        .replace("{DIR}", &dir.display().to_string());
    fs::write(dir.join("sites-enabled/mastodon"), site).expect("site");
    let level = s.log_level.map(|l| format!(" {l}")).unwrap_or_default();
    let d = dir.display();
    // Debian's stock nginx.conf, as far as these tests go (no user: the
    // tests' nginx runs as the test's user).
    format!(
        "worker_processes 2;\n\
         pid {d}/nginx.pid;\n\
         error_log {d}/error.log{level};\n\
         include {d}/modules-enabled/*.conf;\n\
         events {{ worker_connections 768; }}\n\
         http {{\n\
         \tsendfile on;\n\
         \ttcp_nopush on;\n\
         \ttypes_hash_max_size 2048;\n\
         \tinclude {d}/mime.types;\n\
         \tdefault_type application/octet-stream;\n\
         \taccess_log {d}/access.log;\n\
         \tgzip on;\n\
         \tinclude {d}/conf.d/*.conf;\n\
         \tinclude {d}/sites-enabled/*;\n\
         }}\n"
    )
}

/// nginx with the drop-in, and the DNS server it asks when the test
/// brought none (dropped with it).
pub struct DropIn {
    pub ngx: Nginx,
    _dns: Option<Dnsmasq>,
}

impl std::ops::Deref for DropIn {
    type Target = Nginx;
    fn deref(&self) -> &Nginx {
        &self.ngx
    }
}

/// nginx with the drop-in in front of the stand-in.
pub fn start(s: &Site) -> DropIn {
    let mut s = s.clone();
    let dns = match s.dns {
        Some(_) => None,
        None => {
            let d = Dnsmasq::start(&[]);
            s.dns = Some(d.port);
            Some(d)
        }
    };
    let ngx = Nginx::start_text(2, move |dir, port| write_tree(dir, port, &s));
    DropIn { ngx, _dns: dns }
}

/// `nginx -t` on the drop-in's tree.
pub fn test(s: &Site) -> ConfTest {
    crate::nginx::nginx_test_tree(|dir| write_tree(dir, free_port(), s))
}

/// A free loopback port for the metrics server.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
