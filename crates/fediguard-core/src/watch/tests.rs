use super::*;

const MASTODON_APP: &str = r#"{"id":"563419","name":"CDSC Reader","website":"https://cdsc.example","scopes":["read","write"],"redirect_uri":"urn:ietf:wg:oauth:2.0:oob","redirect_uris":["urn:ietf:wg:oauth:2.0:oob"],"vapid_key":"BCk","client_id":"TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM","client_secret":"ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw","client_secret_expires_at":0}"#;

#[test]
fn reads_a_mastodon_registration_and_never_its_secret() {
    let r = registration(MASTODON_APP.as_bytes()).unwrap();
    assert_eq!(r.name, "CDSC Reader");
    assert_eq!(r.website, "https://cdsc.example");
    assert_eq!(r.scopes, "read write");
    assert_eq!(r.redirect_uri, "urn:ietf:wg:oauth:2.0:oob");
    assert_eq!(r.client_id, "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM");
    assert!(!format!("{r:?}").contains("ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw"));
}

#[test]
fn reads_older_registrations() {
    // Before 4.3: no scopes, redirect_uri a string, website null.
    let r = registration(
        br#"{"id":"1","name":"Old","website":null,"redirect_uri":"https://a.example/cb\nhttps://b.example/cb","client_id":"abc","client_secret":"s"}"#,
    )
    .unwrap();
    assert_eq!(r.website, "");
    assert_eq!(r.scopes, "");
    assert_eq!(r.redirect_uri, "https://a.example/cb https://b.example/cb");
}

#[test]
fn refuses_what_is_not_a_registration() {
    for body in [
        &br#"{"error":"Validation failed: Application name can't be blank"}"#[..],
        b"<html>oops</html>",
        b"",
        b"[]",
        br#"{"name":"x","client_id":""}"#,
        br#"{"name":"x","client_id":12}"#,
        &MASTODON_APP.as_bytes()[..100],
    ] {
        assert_eq!(
            registration(body),
            None,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let mut huge = br#"{"name":"x","client_id":"y","pad":""#.to_vec();
    huge.resize(MAX_ANSWER + 10, b'a');
    huge.extend_from_slice(b"\"}");
    assert_eq!(registration(&huge), None);
}

#[test]
fn reads_token_answers() {
    let ok = br#"{"access_token":"ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0","token_type":"Bearer","scope":"read","created_at":1573979017}"#;
    assert_eq!(
        token_answer(ok).as_deref(),
        Some("ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0")
    );
    assert_eq!(
        token_answer(br#"{"access_token":"t"}"#).as_deref(),
        Some("t")
    );
    for bad in [
        &br#"{"error":"invalid_client"}"#[..],
        br#"{"access_token":"t","token_type":"mac"}"#,
        br#"{"access_token":""}"#,
        br#"{"access_token":5}"#,
        b"garbage",
        br#"{"access_token":"ZA-Yj3aBD8U8Cm7l"#,
    ] {
        assert_eq!(token_answer(bad), None, "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn reads_form_grant_requests() {
    let r = token_request(
        Some(b"application/x-www-form-urlencoded"),
        Some(b"grant_type=client_credentials&client_id=abc%2Bd&client_secret=s&scope=read+write"),
        b"",
        None,
    );
    assert!(r.is_client_credentials());
    assert_eq!(r.client_id.as_deref(), Some("abc+d"));
    // Another grant is not client_credentials.
    let r = token_request(
        None,
        Some(b"grant_type=authorization_code&code=x"),
        b"",
        None,
    );
    assert!(!r.is_client_credentials());
}

#[test]
fn reads_json_grant_requests() {
    let r = token_request(
        Some(b"application/json; charset=utf-8"),
        Some(br#"{"grant_type":"client_credentials","client_id":"abc","client_secret":"s"}"#),
        b"",
        None,
    );
    assert!(r.is_client_credentials());
    assert_eq!(r.client_id.as_deref(), Some("abc"));
    // JSON declared but garbage sent: nothing read, nothing guessed.
    let r = token_request(Some(b"application/json"), Some(b"{grant_type="), b"", None);
    assert_eq!(r, TokenRequest::default());
}

#[test]
fn reads_basic_auth_and_query() {
    // base64("my%20id:secret")
    let r = token_request(
        None,
        Some(b"grant_type=client_credentials"),
        b"",
        Some(b"Basic bXklMjBpZDpzZWNyZXQ="),
    );
    assert!(r.is_client_credentials());
    assert_eq!(r.client_id.as_deref(), Some("my id"));
    // Body wins over the query; the query fills what the body lacks.
    let r = token_request(
        None,
        Some(b"grant_type=client_credentials"),
        b"grant_type=password&client_id=q",
        None,
    );
    assert!(r.is_client_credentials());
    assert_eq!(r.client_id.as_deref(), Some("q"));
    // Unreadable body: the query alone.
    let r = token_request(None, None, b"grant_type=client_credentials", None);
    assert!(r.is_client_credentials());
    // Not Basic (Doorkeeper's match is case-sensitive), bad base64, a
    // blank id: no client_id.
    for auth in [
        &b"Bearer abc"[..],
        b"basic YWJjOnM=",
        b"Basic !!!",
        b"Basic OnM=",
    ] {
        assert_eq!(token_request(None, None, b"", Some(auth)).client_id, None);
    }
    // No colon: the whole is the id (Doorkeeper's split).
    assert_eq!(
        token_request(None, None, b"", Some(b"Basic YWJj"))
            .client_id
            .as_deref(),
        Some("abc")
    );
}

#[test]
fn basic_wins_as_in_doorkeeper() {
    // base64("A:secret")
    let basic_a = Some(&b"Basic QTpzZWNyZXQ="[..]);
    // Basic names the client; the same client_id in the body agrees.
    let r = token_request(
        None,
        Some(b"grant_type=client_credentials&client_id=A"),
        b"",
        basic_a,
    );
    assert_eq!(r.client_id.as_deref(), Some("A"));
    assert_eq!(r.conflict, None);
    // Another client_id in the body or the query: Mastodon grants to A;
    // the grant is recorded under neither.
    for (body, query) in [
        (&b"grant_type=client_credentials&client_id=V"[..], &b""[..]),
        (b"grant_type=client_credentials", b"client_id=V"),
    ] {
        let r = token_request(None, Some(body), query, basic_a);
        assert!(r.is_client_credentials());
        assert_eq!(r.client_id, None);
        assert_eq!(
            r.conflict,
            Some(Conflict {
                basic: Some("A".into()),
                params: "V".into()
            })
        );
    }
    let r = token_request(
        Some(b"application/json"),
        Some(br#"{"grant_type":"client_credentials","client_id":"V"}"#),
        b"",
        basic_a,
    );
    assert_eq!(r.client_id, None);
    assert!(r.conflict.is_some());
    // A Basic header read differently by Ruby's lenient decoder: unsure.
    let r = token_request(None, Some(b"client_id=V"), b"", Some(b"Basic QTpz!!"));
    assert_eq!(r.client_id, None);
    assert_eq!(
        r.conflict,
        Some(Conflict {
            basic: None,
            params: "V".into()
        })
    );
    // A blank id in Basic: Doorkeeper reads the parameters.
    let r = token_request(None, Some(b"client_id=V"), b"", Some(b"Basic OnM="));
    assert_eq!(r.client_id.as_deref(), Some("V"));
}

#[test]
fn client_ids_are_logged_safely() {
    assert_eq!(log_client_id("TWhM-tNSun_cn"), "TWhM-tNSun_cn");
    assert_eq!(log_client_id("a b\"c"), "\"a b\\\"c\"");
    assert_eq!(log_client_id(""), "\"\"");
}
