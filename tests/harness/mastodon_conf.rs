//! nginx-conf/mastodon.conf made runnable here, as tests/configs.rs does:
//! plain HTTP on the test's port for the instance, the metrics server on
//! `metrics_port`, the stand-in Mastodon as backend, files under the
//! test's directory.

use crate::repo_conf;

pub fn runnable(backend_port: u16, metrics_port: u16) -> String {
    let text = std::fs::read_to_string(repo_conf("mastodon.conf")).expect("mastodon.conf");
    let body: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("ssl_"))
        .map(|l| {
            l.replace("listen 443 ssl;", "listen 127.0.0.1:8080;")
                .replace("listen [::]:443 ssl;", "")
                .replace("listen 80;", "listen unix:{DIR}/http.sock;")
                .replace("listen [::]:80;", "")
                .replace(
                    "listen 127.0.0.1:8081;",
                    &format!("listen 127.0.0.1:{metrics_port};"),
                )
                .replace(
                    "server 127.0.0.1:3000",
                    &format!("server 127.0.0.1:{backend_port}"),
                )
                .replace("include mime.types;", "types { text/html html; }")
                .replace("/var/cache/nginx", "{DIR}/cache")
                .replace("/var/log/nginx", "{DIR}")
        })
        .collect::<Vec<_>>()
        .join("\n");
    format!("pid {{DIR}}/nginx.pid;\nworker_processes 2;\n{body}")
}

/// A free loopback port for the metrics server.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
