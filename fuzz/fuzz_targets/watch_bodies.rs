//! App watch: the registration answer (`registration`), the grant answer
//! (`token_answer`), the grant request (`token_request`: form or JSON body,
//! query string, HTTP Basic) and how a client_id is logged.
//!
//! Input: the Content-Type, the query string and the Authorization value,
//! one per line, then the body (also read as both answers).
#![no_main]

use fediguard_core::watch::{log_client_id, registration, token_answer, token_request, MAX_ANSWER};
use fediguard_fuzz::{json_object, split_once, str_field, unquote};
use libfuzzer_sys::fuzz_target;

const MAX_REQUEST: usize = 16 * 1024;

/// `words` of the watch: single spaces between non-empty words.
fn normalized(s: &str) -> bool {
    s.is_empty()
        || s.split(' ')
            .all(|w| !w.is_empty() && !w.contains(char::is_whitespace))
}

fn is_json(ct: &[u8]) -> bool {
    let ct = String::from_utf8_lossy(ct).to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim().to_string();
    essence == "application/json" || essence.ends_with("+json")
}

/// The first value of `name` in a form-encoded text.
fn form_first(text: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(text)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn check_logged(id: &str) {
    let q = log_client_id(id);
    assert!(!q.contains(|c: char| c.is_control()), "{q:?}");
    if q == id {
        assert!(!id.is_empty() && id.len() <= 128);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)));
    } else {
        let inner = q
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .expect("neither bare nor quoted");
        let raw = id.as_bytes();
        let bytes = unquote(inner, raw.len() > 128).expect("not quote()'s output");
        assert_eq!(bytes, &raw[..raw.len().min(128)]);
    }
}

fuzz_target!(|data: &[u8]| {
    let (ct, rest) = split_once(data, b"\n");
    let (query, rest) = split_once(rest.unwrap_or_default(), b"\n");
    let (auth, body) = match rest {
        Some(r) => {
            let (a, b) = split_once(r, b"\n");
            (Some(a), b.unwrap_or_default())
        }
        None => (None, &b""[..]),
    };
    let obj = json_object(body, MAX_ANSWER);

    // The registration answer.
    let reg = registration(body);
    let expected = obj.as_ref().and_then(|m| {
        let id = str_field(m, "client_id")?;
        let name = str_field(m, "name")?;
        (!id.is_empty()).then_some((id, name))
    });
    match (&reg, expected) {
        (Some(r), Some((id, name))) => {
            assert_eq!(r.client_id, id);
            assert_eq!(r.name, name);
            for w in [&r.website, &r.scopes, &r.redirect_uri] {
                assert!(normalized(w), "{w:?}");
            }
            check_logged(&r.client_id);
        }
        (None, None) => {}
        (r, e) => panic!("registration {r:?}, expected {e:?}"),
    }

    // The grant answer: a non-empty bearer token.
    let token = token_answer(body);
    let expected = obj.as_ref().and_then(|m| {
        let t = str_field(m, "access_token").filter(|t| !t.is_empty())?;
        let bearer = match m.get("token_type") {
            None => true,
            Some(v) => v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("bearer")),
        };
        bearer.then_some(t)
    });
    assert_eq!(token.as_deref(), expected);

    // The grant request: the body wins over the query string.
    let req = token_request(Some(ct), Some(body), query, auth);
    assert_eq!(
        req.is_client_credentials(),
        req.grant_type.as_deref() == Some("client_credentials")
    );
    let read_body = body.len() <= MAX_REQUEST;
    let (body_grant, body_id) = if !read_body {
        (None, None)
    } else if is_json(ct) {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(serde_json::Value::Object(m)) => (
                str_field(&m, "grant_type").map(str::to_string),
                str_field(&m, "client_id").map(str::to_string),
            ),
            _ => (None, None),
        }
    } else {
        (
            form_first(body, "grant_type"),
            form_first(body, "client_id"),
        )
    };
    let grant = body_grant.or_else(|| form_first(query, "grant_type"));
    assert_eq!(req.grant_type, grant);
    // The client is Basic's when the header is Basic (Doorkeeper's
    // `from_basic` first), the parameters' otherwise; when the two name
    // different clients, neither.
    let params_id = body_id
        .or_else(|| form_first(query, "client_id"))
        .filter(|p| !p.trim().is_empty());
    let is_basic = auth.is_some_and(|a| a.starts_with(b"Basic "));
    if !is_basic {
        assert_eq!(req.client_id, params_id);
        assert_eq!(req.conflict, None);
    }
    if let Some(c) = &req.conflict {
        assert!(is_basic);
        assert_eq!(req.client_id, None);
        assert_eq!(Some(&c.params), params_id.as_ref());
        assert_ne!(c.basic.as_ref(), Some(&c.params));
    }
    if let (Some(id), Some(p)) = (&req.client_id, &params_id) {
        assert_eq!(id, p, "a client_id the parameters contradict");
    }
    if let Some(id) = &req.client_id {
        assert!(!id.trim().is_empty());
    }
    if let Some(id) = &req.client_id {
        check_logged(id);
    }
    // Without a body the query string alone speaks.
    let bare = token_request(Some(ct), None, query, None);
    assert_eq!(bare.grant_type, form_first(query, "grant_type"));
    assert_eq!(
        bare.client_id,
        form_first(query, "client_id").filter(|p| !p.trim().is_empty())
    );
});
