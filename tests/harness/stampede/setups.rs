//! The three nginx setups compared: the site unprotected, the site with
//! every fediverse agent blocked (what site owners do today), and
//! `nginx-conf/website.conf` as shipped, made runnable on loopback.

use std::fmt;
use std::path::Path;

use crate::nginx::{module_path, repo_conf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setup {
    Unprotected,
    BlockFediverse,
    Website,
}

impl Setup {
    pub const ALL: [Setup; 3] = [Setup::Unprotected, Setup::BlockFediverse, Setup::Website];

    /// Its short name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Setup::Unprotected => "unprotected",
            Setup::BlockFediverse => "block",
            Setup::Website => "website",
        }
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Setup::Unprotected => "unprotected",
            Setup::BlockFediverse => "block all fediverse agents",
            Setup::Website => "website.conf",
        })
    }
}

/// The whole nginx.conf of `setup` for nginx on `port` in `dir`, in front
/// of the site on `origin`, with time compressed `speed` times.
pub fn conf(setup: Setup, dir: &Path, port: u16, origin: u16, speed: u32) -> String {
    match setup {
        Setup::Unprotected => plain(dir, port, origin, ""),
        Setup::BlockFediverse => plain(
            dir,
            port,
            origin,
            "fediguard on;\n        fediguard_agent_deny fediverse;",
        ),
        Setup::Website => {
            let text = std::fs::read_to_string(repo_conf("website.conf")).expect("website.conf");
            website(&text, dir, port, origin, speed).unwrap_or_else(|e| panic!("{e}"))
        }
    }
}

/// The same site proxied as website.conf proxies browsers, with `extra` in
/// the server block.
fn plain(dir: &Path, port: u16, origin: u16, extra: &str) -> String {
    let dir = dir.display();
    format!(
        "load_module {module};
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    sendfile on;
    access_log {dir}/access.log;
    upstream website {{
        server 127.0.0.1:{origin};
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name www.example.org example.org;
        {extra}
        location / {{
            proxy_pass http://website;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
",
        module = module_path().display(),
    )
}

/// website.conf on loopback: the test's port, the simulated site, files in
/// `dir`, and every `rate=` multiplied by `speed`, so that its windows are
/// compressed as the simulated time is. Fails when a line it adapts is no
/// longer in the file.
pub fn website(
    text: &str,
    dir: &Path,
    port: u16,
    origin: u16,
    speed: u32,
) -> Result<String, String> {
    let dir = dir.display().to_string();
    let module = module_path().display().to_string();
    let edits = [
        ("modules/ngx_http_fediguard_module.so", module.as_str()),
        ("pid /run/nginx.pid;", &format!("pid {dir}/nginx.pid;")),
        ("/var/log/nginx", &dir),
        ("/var/cache/nginx", &dir),
        ("listen 80;", &format!("listen 127.0.0.1:{port};")),
        ("listen [::]:80;", ""),
        (
            "server 127.0.0.1:8081;",
            &format!("server 127.0.0.1:{origin};"),
        ),
    ];
    let mut text = text.to_string();
    for (from, to) in edits {
        if !text.contains(from) {
            return Err(format!("website.conf: \"{from}\" not found"));
        }
        text = text.replace(from, to);
    }
    scale_rates(&text, speed)
}

/// Every `rate=Nr/s` or `rate=Nr/m` with N multiplied by `speed`.
pub fn scale_rates(text: &str, speed: u32) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("rate=") {
        out.push_str(&rest[..i + 5]);
        rest = &rest[i + 5..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("unreadable rate at \"{}\"", &rest[..rest.len().min(20)]))?;
        out.push_str(&(n * speed.max(1) as u64).to_string());
        rest = &rest[digits..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::scale_rates;

    #[test]
    fn rates_scale() {
        assert_eq!(
            scale_rates("a rate=1r/m; b rate=30r/s;", 20).unwrap(),
            "a rate=20r/m; b rate=600r/s;"
        );
        assert!(scale_rates("rate=r/s", 2).is_err());
    }
}
