//! Test harness: starts `objs/nginx` with `objs/ngx_http_fediguard_module.so`
//! (built by `make build`), or the nginx and module named by
//! `FEDIGUARD_NGINX` and `FEDIGUARD_MODULE` (`make test-debian`), on a
//! loopback port it picks, and talks HTTP/1.1
//! to it over plain sockets, so tests can send any bytes they like.
//! `stampede` is the link-preview stampede simulator (tests and `make bench`).

pub mod exposition;
pub mod http;
pub mod nginx;
pub mod stampede;

pub use http::{get, get_from, request, request_from, Response};
pub use nginx::{nginx_test, nginx_test_text, repo_conf, ConfTest, Nginx};
pub mod browser;
pub mod cluster;
pub mod dns;
pub mod mastodon;
pub mod mastodon_conf;
pub mod npm;
pub mod redis_server;
pub mod watch;
