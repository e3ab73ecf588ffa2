//! Cluster mode and app watch: a client_credentials token granted through
//! one host is known as the app's on every host, with no verification.

use fediguard_tests::cluster::{cluster, verdict_known_on_the_others};
use fediguard_tests::mastodon::{Backend, Profile};
use fediguard_tests::redis_server::Redis;
use fediguard_tests::watch::{field, post, ACCOUNTS, APPS, FORM};

#[test]
fn granted_token_is_known_on_all_hosts() {
    let redis = Redis::start(&[]);
    let backend = Backend::start(Profile::Mastodon);
    let b = backend.port();
    let hosts = cluster(
        &format!("redis://127.0.0.1:{}", redis.port),
        &format!(
            "fediguard_token_zone zone=tokens:1m sync;
             fediguard_metrics_zone zone=stats:1m;
             server {{ listen 127.0.0.1:{{PORT}};
               fediguard on;
               add_header X-Token-Class $fediguard_token_class always;
               add_header X-App $fediguard_app_name always;
               location = /api/v1/apps {{ fediguard_app_watch on; proxy_pass http://127.0.0.1:{b}; }}
               location = /oauth/token {{ fediguard_app_watch on; proxy_pass http://127.0.0.1:{b}; }}
               location /api/ {{ fediguard_token_verify /_fediguard; try_files /x @ok; }}
               location /peek/ {{ try_files /x @ok; }}
               location /_fediguard/ {{ internal; proxy_pass http://127.0.0.1:{b}/; }}
               location @ok {{ default_type text/plain; return 200 ok; }}
             }}"
        ),
    );
    let port = hosts[0].port;
    let reg = post(
        port,
        "/api/v1/apps",
        FORM,
        "client_name=Scraper&redirect_uris=urn:ietf:wg:oauth:2.0:oob&scopes=read",
        &[],
    );
    assert_eq!(reg.status, 200, "{}", reg.text());
    let grant = post(
        port,
        "/oauth/token",
        FORM,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope=read",
            field(&reg, "client_id"),
            field(&reg, "client_secret")
        ),
        &[],
    );
    assert_eq!(grant.status, 200, "{}", grant.text());
    let auth = format!("Bearer {}", field(&grant, "access_token"));
    let headers = [("Authorization", auth.as_str())];
    verdict_known_on_the_others(&hosts, &headers, "app", ("X-App", "Scraper"));
    assert_eq!(backend.hits(ACCOUNTS), 0, "verified on another host");
    assert_eq!(backend.hits(APPS), 0, "verified on another host");
}
