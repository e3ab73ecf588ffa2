//! App watch through the real nginx (2 workers) and the stand-in Mastodon:
//! registrations and client_credentials grants are logged, listed and
//! counted; watched tokens need no verification; nothing secret shows
//! anywhere; watched answers reach the client byte for byte.

use fediguard_tests::mastodon::{Backend, Profile};
use fediguard_tests::watch::*;

struct App {
    client_id: String,
    secret: String,
    token: String,
}

/// The seed story, watched: two apps register (form and JSON), take
/// client_credentials tokens (secret in the body, and in Basic auth), and
/// read the API with them.
#[test]
fn registrations_and_grants_are_logged_listed_and_counted() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = watching_nginx(&backend);
    let port = ngx.port;

    let reg = post(
        port,
        "/api/v1/apps",
        FORM,
        "client_name=CDSC%20Reader&redirect_uris=urn:ietf:wg:oauth:2.0:oob&scopes=read&website=https://cdsc.example",
        &[],
    );
    assert_eq!(reg.status, 200, "{}", reg.text());
    let mut cdsc = App {
        client_id: field(&reg, "client_id"),
        secret: field(&reg, "client_secret"),
        token: String::new(),
    };
    let reg = post(
        port,
        "/api/v1/apps",
        JSON,
        r#"{"client_name":"Quiet \"App\"","redirect_uris":"urn:ietf:wg:oauth:2.0:oob","scopes":"read"}"#,
        &[],
    );
    assert_eq!(reg.status, 200, "{}", reg.text());
    let mut quiet = App {
        client_id: field(&reg, "client_id"),
        secret: field(&reg, "client_secret"),
        token: String::new(),
    };

    let lines = notice_lines(&ngx, "fediguard: app registered");
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[0].contains("[notice] "), "{}", lines[0]);
    assert!(
        lines[0].contains(&format!(
            "fediguard: app registered name=\"CDSC Reader\" website=\"https://cdsc.example\" scopes=\"read\" redirect_uri=\"urn:ietf:wg:oauth:2.0:oob\" client_id={} agent=\"{SCRAPER}\", client: 127.0.0.1,",
            cdsc.client_id
        )),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("name=\"Quiet \\\"App\\\"\" website=\"\""),
        "{}",
        lines[1]
    );

    // Tokens: form body with the secret; JSON body with Basic auth.
    let g = post(
        port,
        "/oauth/token",
        FORM,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope=read",
            cdsc.client_id, cdsc.secret
        ),
        &[],
    );
    assert_eq!(g.status, 200, "{}", g.text());
    cdsc.token = field(&g, "access_token");
    let basic = base64(&format!("{}:{}", quiet.client_id, quiet.secret));
    let g = post(
        port,
        "/oauth/token",
        JSON,
        r#"{"grant_type":"client_credentials","scope":"read"}"#,
        &[("Authorization", &format!("Basic {basic}"))],
    );
    assert_eq!(g.status, 200, "{}", g.text());
    quiet.token = field(&g, "access_token");

    let lines = notice_lines(&ngx, "fediguard: app token granted");
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[0].contains(&format!(
            "fediguard: app token granted grant_type=client_credentials client_id={} app=\"CDSC Reader\" token_id=",
            cdsc.client_id
        )),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(&format!("client_id={} app=\"Quiet", quiet.client_id)),
        "{}",
        lines[1]
    );

    // First use of a watched token: classified as the app's without any
    // verification round trip.
    let r = ngx.get(
        "/api/v1/timelines/public",
        &[
            ("Authorization", &format!("Bearer {}", cdsc.token)),
            ("User-Agent", SCRAPER),
        ],
    );
    assert_eq!(r.status, 403);
    for _ in 0..2 {
        let r = ngx.get(
            &format!("/api/v1/accounts/1?access_token={}", cdsc.token),
            &[("User-Agent", SCRAPER)],
        );
        assert_eq!(r.status, 200);
    }
    assert_eq!(backend.verification_calls(), 0, "a verification was made");
    assert_eq!(backend.hits(APPS), 0, "a verification was made");
    let deny = ngx.fediguard_lines();
    assert_eq!(deny.len(), 1, "{deny:#?}");
    assert!(
        deny[0].contains("reason=mastoapi-token-app-only")
            && deny[0]
                .contains("token_class=app app=\"CDSC Reader\" website=\"https://cdsc.example\""),
        "{}",
        deny[0]
    );

    // A password grant gives a user's token: not recorded, verified as a
    // user's when first used.
    let g = post(
        port,
        "/oauth/token",
        FORM,
        &format!(
            "grant_type=password&username=alice&password=pw&client_id={}",
            cdsc.client_id
        ),
        &[],
    );
    assert_eq!(g.status, 200, "{}", g.text());
    let user_token = field(&g, "access_token");
    assert_eq!(notice_lines(&ngx, "fediguard: app token granted").len(), 2);
    let r = ngx.get(
        "/api/v1/timelines/public",
        &[("Authorization", &format!("Bearer {user_token}"))],
    );
    assert_eq!(r.status, 200);
    // One call: /oauth/token/info tells a user token apart.
    assert_eq!(backend.verification_calls(), 1);

    // The JSON listing: newest first, with what each app's tokens did.
    let v = metrics_json(&ngx);
    assert_eq!(v["app_registrations"], 2);
    assert_eq!(v["client_credentials_grants"], 2);
    let apps = v["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 2, "{v:#}");
    assert_eq!(apps[0]["name"], "Quiet \"App\"");
    let a = &apps[1];
    assert_eq!(a["name"], "CDSC Reader");
    assert_eq!(a["website"], "https://cdsc.example");
    assert_eq!(a["scopes"], "read");
    assert_eq!(a["redirect_uri"], "urn:ietf:wg:oauth:2.0:oob");
    assert_eq!(a["client_id"], cdsc.client_id.as_str());
    assert_eq!(a["client"], "127.0.0.1");
    assert_eq!(a["agent"], SCRAPER);
    assert_eq!(a["registered"], true);
    assert!(a["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        (&a["tokens_granted"], &a["requests"], &a["denied"]),
        (&1.into(), &3.into(), &1.into()),
        "{a:#}"
    );
    assert_eq!(
        (&apps[0]["tokens_granted"], &apps[0]["requests"]),
        (&1.into(), &0.into())
    );
    assert_eq!(v["token_classes"]["app"], 3);
    assert_eq!(v["token_classes"]["user"], 1);
    assert_eq!(v["verifications"]["started"], 1);
    assert_eq!(v["verifications"]["outcomes"]["user"], 1);
    assert_eq!(v["decisions"]["mastoapi-token-app-only"]["deny"], 1);

    // Secrets and tokens: nowhere.
    let prom = ngx.get("/metrics", &[]).text();
    let json = v.to_string();
    let secrets = [
        &cdsc.secret,
        &quiet.secret,
        &cdsc.token,
        &quiet.token,
        &user_token,
    ];
    for (what, text) in [
        ("error log", ngx.error_log()),
        ("access log", ngx.read("access.log")),
        ("metrics", prom),
        ("json", json),
    ] {
        for s in secrets {
            assert!(!s.is_empty());
            // The access log's $request shows a query string as sent: the
            // token of ?access_token= is nginx's to log (docs/security.md:
            // "Raw tokens go nowhere"); fediguard's own lines never hold it.
            let text: String = text
                .lines()
                .filter(|l| !(what == "access log" && l.contains("access_token=")))
                .collect();
            assert!(!text.contains(s.as_str()), "{what} holds a secret or token");
        }
    }
}

/// A token's verdict expires and is verified again: it still counts for
/// the app fediguard saw it granted to (app=0 caches no app verdict, so
/// every use is verified).
#[test]
fn a_reverified_token_still_counts_for_its_app() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = watching_nginx_with(&backend, "app=0");
    let reg = post(
        ngx.port,
        "/api/v1/apps",
        FORM,
        "client_name=Again&redirect_uris=urn:ietf:wg:oauth:2.0:oob",
        &[],
    );
    let (id, secret) = (field(&reg, "client_id"), field(&reg, "client_secret"));
    let g = post(
        ngx.port,
        "/oauth/token",
        FORM,
        &format!("grant_type=client_credentials&client_id={id}&client_secret={secret}"),
        &[],
    );
    let token = field(&g, "access_token");
    for _ in 0..2 {
        let r = ngx.get(
            "/api/v1/accounts/1",
            &[("Authorization", &format!("Bearer {token}"))],
        );
        assert_eq!(r.status, 200);
    }
    // Verified each time, one call each: the app's name comes from its
    // record, not from the backend.
    assert_eq!(backend.verification_calls(), 2, "verified each time");
    assert_eq!(backend.hits(APPS), 0);
    let v = metrics_json(&ngx);
    let a = &v["apps"][0];
    assert_eq!(
        (&a["name"], &a["requests"], &a["denied"]),
        (&"Again".into(), &2.into(), &0.into()),
        "{v:#}"
    );
}

/// Answers sent as they are: watched and unwatched locations give the
/// client the same bytes, and nothing is recorded.
#[test]
fn garbage_truncated_and_huge_answers_pass_through_unchanged() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = watching_nginx(&backend);
    let huge_name = "x".repeat(40_000);
    let huge = format!(
        r#"{{"id":"1","name":"{huge_name}","client_id":"huge-id","client_secret":"huge-secret"}}"#
    );
    let valid = r#"{"id":"1","name":"Cut","client_id":"cut-id","client_secret":"cut-secret"}"#;
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        (
            "garbage",
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n\x00\xff{not json]\r\n".to_vec(),
            b"\x00\xff{not json]\r\n".to_vec(),
        ),
        (
            "truncated (Content-Length larger than what came)",
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}", valid.len(), &valid[..30]).into_bytes(),
            valid.as_bytes()[..30].to_vec(),
        ),
        (
            "truncated (no length, closed early)",
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}", &valid[..40]).into_bytes(),
            valid.as_bytes()[..40].to_vec(),
        ),
        (
            "huge",
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{huge}", huge.len()).into_bytes(),
            huge.as_bytes().to_vec(),
        ),
        (
            "huge, no length",
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{huge}").into_bytes(),
            huge.as_bytes().to_vec(),
        ),
    ];
    for (what, raw, body) in cases {
        backend.set_raw("/api/v1/apps", &raw);
        let watched = post(ngx.port, "/api/v1/apps", FORM, "client_name=x", &[]);
        let unwatched = post(
            ngx.port,
            "/unwatched/api/v1/apps",
            FORM,
            "client_name=x",
            &[],
        );
        assert_eq!(watched.status, 200, "{what}");
        assert_eq!(watched.body, body, "{what}: watched answer altered");
        assert_eq!(unwatched.body, body, "{what}: unwatched answer");
        assert_eq!(
            watched.header("Content-Length"),
            unwatched.header("Content-Length"),
            "{what}"
        );
    }
    // The garbage token answer, too.
    backend.set_raw(
        "/oauth/token",
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n{\"access_token\":\"abc\"",
    );
    let r = post(
        ngx.port,
        "/oauth/token",
        FORM,
        "grant_type=client_credentials&client_id=a",
        &[],
    );
    assert_eq!(r.body, b"{\"access_token\":\"abc\"");
    assert!(
        notice_lines(&ngx, "fediguard: app").is_empty(),
        "{}",
        ngx.error_log()
    );
    let v = metrics_json(&ngx);
    assert_eq!(v["app_registrations"], 0);
    assert_eq!(v["client_credentials_grants"], 0);
    assert_eq!(v["apps"].as_array().unwrap().len(), 0);
    // Workers are alive and well.
    assert_eq!(ngx.get("/metrics", &[]).status, 200);
    assert!(
        !ngx.error_log().contains("exited on signal"),
        "{}",
        ngx.error_log()
    );
}

/// Rails reads a grant's parameters from the query string too: a client
/// that sends its credentials there is recorded, and its secret does not
/// reach the log with nginx's `request:` context.
#[test]
fn credentials_in_the_query_string_stay_out_of_the_log() {
    let backend = Backend::start(Profile::Mastodon);
    let ngx = watching_nginx(&backend);
    let reg = post(
        ngx.port,
        "/api/v1/apps",
        FORM,
        "client_name=Q&redirect_uris=urn:ietf:wg:oauth:2.0:oob&scopes=read",
        &[],
    );
    assert_eq!(reg.status, 200, "{}", reg.text());
    let (id, secret) = (field(&reg, "client_id"), field(&reg, "client_secret"));
    let g = post(
        ngx.port,
        &format!(
            "/oauth/token?grant_type=client_credentials&client_id={id}&client_secret={secret}"
        ),
        FORM,
        "",
        &[],
    );
    assert_eq!(g.status, 200, "{}", g.text());
    let lines = notice_lines(&ngx, "fediguard: app token granted");
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].contains("client_secret=[redacted]"),
        "{}",
        lines[0]
    );
    let log = ngx.error_log();
    assert!(!log.contains(&secret), "{log}");
    assert!(!log.contains(&field(&g, "access_token")), "{log}");
}
