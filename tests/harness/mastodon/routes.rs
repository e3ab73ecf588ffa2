//! The endpoints and their answers, as Mastodon gives them.

use super::{App, Profile, Recorded, State};

const INVALID: &str = r#"{"error":"The access token is invalid"}"#;
const APP_ONLY: &str = r#"{"error":"This method requires an authenticated user"}"#;

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

pub fn html(text: &str) -> String {
    format!("<html><body><h1>{text}</h1></body></html>")
}

/// A 43-character base64url-looking secret, like Doorkeeper's.
fn secret(st: &mut State, tag: &str) -> String {
    st.serial += 1;
    let seed = format!("{tag}{}{:?}", st.serial, std::time::SystemTime::now());
    let mut out = String::new();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut h: u64 = 0xcbf29ce484222325;
    while out.len() < 43 {
        for b in seed.bytes().chain(out.clone().bytes()) {
            h = (h ^ b as u64).wrapping_mul(0x100000001b3);
        }
        out.push(alphabet[(h % 64) as usize] as char);
    }
    out
}

pub fn new_app(st: &mut State, name: &str, website: Option<&str>) -> App {
    App {
        name: name.to_string(),
        website: website.map(str::to_string),
        client_id: secret(st, "id"),
        client_secret: secret(st, "secret"),
        token: None,
    }
}

fn app_json(i: usize, app: &App) -> serde_json::Value {
    serde_json::json!({
        "id": (i + 1).to_string(),
        "name": app.name,
        "website": app.website,
        "scopes": ["read"],
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        "redirect_uris": ["urn:ietf:wg:oauth:2.0:oob"],
        "vapid_key": "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpaZwozy0TzdZ2M="
    })
}

fn account_json(acct: &str) -> serde_json::Value {
    serde_json::json!({
        "id": "109364485627285416",
        "username": acct,
        "acct": acct,
        "display_name": acct,
        "locked": false,
        "bot": false,
        "discoverable": true,
        "group": false,
        "created_at": "2022-11-18T00:00:00.000Z",
        "note": "<p>hello</p>",
        "url": format!("https://example.social/@{acct}"),
        "avatar": "https://example.social/avatars/original/missing.png",
        "header": "https://example.social/headers/original/missing.png",
        "followers_count": 12,
        "following_count": 34,
        "statuses_count": 56,
        "last_status_at": "2026-11-20",
        "emojis": [],
        "fields": [],
        "source": {"privacy": "public", "sensitive": false, "language": "en", "note": "hello", "fields": []}
    })
}

/// The bearer token of a request (header, or the access_token parameter).
pub fn token(req: &Recorded) -> Option<String> {
    if let Some(v) = req.header("authorization") {
        if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") {
            return Some(v[7..].trim().to_string());
        }
    }
    query(req)
        .into_iter()
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v)
}

fn query(req: &Recorded) -> Vec<(String, String)> {
    form(req.query.as_deref().unwrap_or("").as_bytes())
}

/// A form-encoded body or query string.
fn form(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body).replace('+', " ");
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parameters from a form or JSON body.
pub fn params(req: &Recorded) -> Vec<(String, String)> {
    let json = req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json"));
    if json {
        let Ok(serde_json::Value::Object(m)) = serde_json::from_slice(&req.body) else {
            return Vec::new();
        };
        let mut p: Vec<(String, String)> = m
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect();
        p.extend(query(req));
        return p;
    }
    // Rails merges the query string's parameters, the body's winning
    // (`param` takes the first).
    let mut p = form(&req.body);
    p.extend(query(req));
    p
}

fn param(p: &[(String, String)], name: &str) -> Option<String> {
    p.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// Doorkeeper's `GET /oauth/token/info` (outside `/api`: no API throttle).
fn token_info(st: &State, req: &Recorded) -> (u16, String) {
    let t = token(req).unwrap_or_default();
    let (owner, uid) = if st.users.contains_key(&t) {
        (
            serde_json::json!(109364485627285416u64),
            "web-client-id".to_string(),
        )
    } else if let Some(&i) = st.app_tokens.get(&t) {
        (serde_json::Value::Null, st.apps[i].client_id.clone())
    } else {
        return (
            401,
            r#"{"error":"invalid_token","error_description":"The access token is invalid"}"#.into(),
        );
    };
    let v = serde_json::json!({
        "resource_owner_id": owner, "scope": ["read"], "expires_in": null,
        "application": {"uid": uid}, "created_at": 1763800000
    });
    (200, v.to_string())
}

pub fn answer(st: &mut State, req: &Recorded) -> (u16, String) {
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/oauth/token/info") if st.token_info => token_info(st, req),
        ("GET", "/api/v1/accounts/verify_credentials") => {
            let t = token(req).unwrap_or_default();
            if let Some(acct) = st.users.get(&t) {
                return (200, account_json(acct).to_string());
            }
            if st.app_tokens.contains_key(&t) {
                return match st.profile {
                    Profile::Mastodon => (422, APP_ONLY.into()),
                    Profile::Strict401 => (401, APP_ONLY.into()),
                };
            }
            (401, INVALID.into())
        }
        ("GET", "/api/v1/apps/verify_credentials") => {
            let t = token(req).unwrap_or_default();
            if st.users.contains_key(&t) {
                let web = App {
                    name: "Web".into(),
                    website: None,
                    client_id: String::new(),
                    client_secret: String::new(),
                    token: None,
                };
                return (200, app_json(0, &web).to_string());
            }
            if let Some(&i) = st.app_tokens.get(&t) {
                return (200, app_json(i, &st.apps[i]).to_string());
            }
            (401, INVALID.into())
        }
        ("POST", "/api/v1/apps") => {
            let p = params(req);
            let Some(name) = param(&p, "client_name").filter(|n| !n.trim().is_empty()) else {
                return (
                    422,
                    r#"{"error":"Validation failed: Application name can't be blank"}"#.into(),
                );
            };
            let website = param(&p, "website").filter(|w| !w.is_empty());
            let app = new_app(st, &name, website.as_deref());
            st.apps.push(app.clone());
            let mut v = app_json(st.apps.len() - 1, &app);
            v["client_id"] = app.client_id.clone().into();
            v["client_secret"] = app.client_secret.clone().into();
            v["client_secret_expires_at"] = 0.into();
            (200, v.to_string())
        }
        ("POST", "/oauth/token") => oauth_token(st, req),
        // A post's or profile's page, as a browser or a preview fetcher
        // reads it.
        ("GET" | "HEAD", p) if p.starts_with("/@") => (
            200,
            format!(
                "<html><head><meta property=\"og:title\" content=\"{p}\"></head><body>{p}</body></html>"
            ),
        ),
        (_, p) if p.starts_with("/api/") => (200, "[]".into()),
        // The media proxy redirects to the file; the forms (sign-up,
        // sign-in, password, confirmation) redirect back to a page.
        ("GET" | "HEAD", p) if p.starts_with("/media_proxy/") => (302, html("Found")),
        ("POST" | "PUT" | "PATCH", p) if p == "/auth" || p.starts_with("/auth/") => {
            (302, html("Found"))
        }
        _ => (404, r#"{"error":"Record not found"}"#.into()),
    }
}

fn oauth_token(st: &mut State, req: &Recorded) -> (u16, String) {
    let p = params(req);
    let (mut id, mut secret) = (param(&p, "client_id"), param(&p, "client_secret"));
    if let Some(basic) = req
        .header("authorization")
        .and_then(|v| v.strip_prefix("Basic "))
    {
        if let Some((i, s)) = decode_basic(basic.trim()) {
            id = Some(i);
            secret = Some(s);
        }
    }
    // The password grant (Doorkeeper's resource owner credentials): a
    // token bound to a user, which must never be taken for an app's.
    if param(&p, "grant_type").as_deref() == Some("password") {
        let Some(user) = param(&p, "username") else {
            return (400, r#"{"error":"invalid_request"}"#.into());
        };
        let t = secret_token(st);
        st.users.insert(t.clone(), user);
        let v = serde_json::json!({
            "access_token": t, "token_type": "Bearer", "scope": "read", "created_at": 1763800000
        });
        return (200, v.to_string());
    }
    let found = st.apps.iter().position(|a| {
        Some(&a.client_id) == id.as_ref() && Some(&a.client_secret) == secret.as_ref()
    });
    let Some(i) = found else {
        return (
            401,
            r#"{"error":"invalid_client","error_description":"Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."}"#.into(),
        );
    };
    if param(&p, "grant_type").as_deref() != Some("client_credentials") {
        return (400, r#"{"error":"unsupported_grant_type"}"#.into());
    }
    // Doorkeeper's reuse_access_token: the same app gets the same token.
    let token = match st.apps[i].token.clone() {
        Some(t) => t,
        None => {
            let t = secret_token(st);
            st.apps[i].token = Some(t.clone());
            st.app_tokens.insert(t.clone(), i);
            t
        }
    };
    let v = serde_json::json!({
        "access_token": token, "token_type": "Bearer", "scope": "read", "created_at": 1763800000
    });
    (200, v.to_string())
}

fn secret_token(st: &mut State) -> String {
    secret(st, "token")
}

fn decode_basic(b64: &str) -> Option<(String, String)> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in b64.bytes().filter(|&c| c != b'=') {
        let v = A.iter().position(|&a| a == c)? as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    let text = String::from_utf8(out).ok()?;
    let (i, s) = text.split_once(':')?;
    Some((i.to_string(), s.to_string()))
}
