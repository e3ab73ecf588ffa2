//! Cluster mode and verdicts: a client_credentials token granted through
//! one host is known as the app's on every host, with no verification; a
//! host takes shared verdicts only for as long as it would keep its own.

use fediguard_tests::cluster::{cluster, connected, eventually, verdict_known_on_the_others};
use fediguard_tests::mastodon::{Backend, Profile};
use fediguard_tests::redis_server::Redis;
use fediguard_tests::watch::{grant, register};
use fediguard_tests::Nginx;

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
    let (id, secret) = register(port, "Scraper");
    let auth = format!("Bearer {}", grant(port, &id, &secret));
    let headers = [("Authorization", auth.as_str())];
    verdict_known_on_the_others(&hosts, &headers, "app", ("X-App", "Scraper"));
    assert_eq!(backend.verification_calls(), 0, "verified on another host");
}

/// A host whose `user=0` caches no user verdict takes none from the
/// cluster either, while it does take the app verdicts it would cache.
#[test]
fn shared_verdicts_follow_the_local_lifetimes() {
    let redis = Redis::start(&[]);
    let backend = Backend::start(Profile::Mastodon);
    backend.add_user("UserTokenShared", "alice");
    backend.add_app_token("AppTokenShared", "Scraper", None);
    let b = backend.port();
    let host = |lifetimes: &str| {
        let h = Nginx::start(&format!(
            "fediguard_redis redis://127.0.0.1:{};
             fediguard_token_zone zone=tokens:1m sync {lifetimes};
             server {{ listen 127.0.0.1:{{PORT}};
               fediguard on;
               add_header X-Token-Class $fediguard_token_class always;
               location /api/ {{ fediguard_token_verify /_fediguard; try_files /x @ok; }}
               location /peek/ {{ try_files /x @ok; }}
               location /_fediguard/ {{ internal; proxy_pass http://127.0.0.1:{b}/; }}
               location @ok {{ default_type text/plain; return 200 ok; }}
             }}",
            redis.port
        ));
        assert!(eventually(20, || connected(&h) >= 1), "{}", h.error_log());
        h
    };
    let (a, no_users) = (host(""), host("user=0"));
    let bearer = |t: &str| format!("Bearer {t}");
    let (user, app) = (bearer("UserTokenShared"), bearer("AppTokenShared"));
    // Verified on the first host, user first, then app: one round's
    // verdicts go out in one script (atomic in Redis), so the user's is
    // never behind the app's in the stream.
    for t in [&user, &app] {
        let r = a.get("/api/v1/timelines/home", &[("Authorization", t)]);
        assert_eq!(r.status, 200);
    }
    // Once the app verdict has arrived, the user verdict before it was
    // read too, and left out.
    assert!(
        eventually(20, || no_users
            .get("/peek/", &[("Authorization", &app)])
            .header("X-Token-Class")
            == Some("app")),
        "{}",
        no_users.error_log()
    );
    let r = no_users.get("/peek/", &[("Authorization", &user)]);
    assert_eq!(r.header("X-Token-Class"), None, "not cached");
}
