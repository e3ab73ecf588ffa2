//! The grant request: which grant, and for which client. OAuth clients
//! send `POST /oauth/token` form-encoded or as JSON, with the client's
//! credentials in the body or as HTTP Basic authentication (RFC 6749
//! 2.3.1: the id and secret form-encoded, then base64); Rails also reads
//! parameters from the query string, the body winning.

use base64::Engine;
use serde_json::Value;

/// Longest request body read.
pub const MAX_REQUEST: usize = 16 * 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
}

impl TokenRequest {
    pub fn is_client_credentials(&self) -> bool {
        self.grant_type.as_deref() == Some("client_credentials")
    }
}

fn is_json(content_type: Option<&[u8]>) -> bool {
    let Some(ct) = content_type else { return false };
    let ct = String::from_utf8_lossy(ct).to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    essence == "application/json" || essence.ends_with("+json")
}

fn from_form(body: &[u8], out: &mut TokenRequest) {
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "grant_type" if out.grant_type.is_none() => out.grant_type = Some(v.into_owned()),
            "client_id" if out.client_id.is_none() => out.client_id = Some(v.into_owned()),
            _ => {}
        }
    }
}

fn from_json(body: &[u8], out: &mut TokenRequest) {
    let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let text = |f: &str| m.get(f).and_then(Value::as_str).map(str::to_string);
    if out.grant_type.is_none() {
        out.grant_type = text("grant_type");
    }
    if out.client_id.is_none() {
        out.client_id = text("client_id");
    }
}

/// The client_id of `Authorization: Basic ...`.
fn basic_client_id(authorization: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(authorization).ok()?.trim();
    let (scheme, creds) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(creds.trim())
        .ok()?;
    let colon = raw.iter().position(|&b| b == b':')?;
    let id: String = form_urlencoded::parse(&raw[..colon])
        .map(|(k, v)| {
            if v.is_empty() {
                k
            } else {
                format!("{k}={v}").into()
            }
        })
        .collect();
    (!id.is_empty()).then_some(id)
}

/// Reads a grant request. `body` is None when it could not be read (kept
/// in a file, too long): the grant type is then unknown.
pub fn token_request(
    content_type: Option<&[u8]>,
    body: Option<&[u8]>,
    query: &[u8],
    authorization: Option<&[u8]>,
) -> TokenRequest {
    let mut out = TokenRequest::default();
    if let Some(body) = body.filter(|b| b.len() <= MAX_REQUEST) {
        if is_json(content_type) {
            from_json(body, &mut out);
        } else {
            from_form(body, &mut out);
        }
    }
    from_form(query, &mut out);
    if out.client_id.is_none() {
        out.client_id = authorization.and_then(basic_client_id);
    }
    out
}
