//! `rediss://` without `ssl_trusted_certificate`: the server's chain is
//! checked against OpenSSL's default paths, which `SSL_CERT_FILE` in
//! nginx's environment (when it starts) names. A test binary of its own:
//! the variable is set for the whole process.

use fediguard_tests::cluster::{connected, eventually, log_has, sharing_body, unavailable};
use fediguard_tests::redis_server::certs::Certs;
use fediguard_tests::redis_server::Redis;
use fediguard_tests::Nginx;

#[test]
fn system_trust_store_from_ssl_cert_file() {
    let certs = Certs::make();
    let redis = Redis::start_tls(&certs, &[]);
    // Before nginx starts: its master reads the configuration, and the
    // trusted certificates with it.
    std::env::set_var("SSL_CERT_FILE", certs.path("ca.pem"));
    let h = Nginx::start(&format!(
        "fediguard_redis rediss://localhost:{} ssl_certificate={} ssl_certificate_key={};\n{}",
        redis.tls_port.unwrap(),
        certs.file("client.pem"),
        certs.file("client.key"),
        sharing_body()
    ));
    assert!(eventually(20, || connected(&h) >= 1), "{}", h.error_log());
    assert!(log_has(&h, &["redis localhost:", "connected"]));
    assert_eq!(unavailable(&h), 0, "{}", h.error_log());
}
