//! The grant request: which grant, and for which client. OAuth clients
//! send `POST /oauth/token` form-encoded or as JSON, with the client's
//! credentials in the body or as HTTP Basic authentication (RFC 6749
//! 2.3.1: the id and secret form-encoded, then base64); Rails also reads
//! parameters from the query string, the body winning.
//!
//! The client is the one Mastodon authenticates. Doorkeeper's
//! `client_credentials_methods` are `from_basic` then `from_params`: an
//! `Authorization: Basic` header whose id is not blank wins, and only
//! without one is the `client_id` parameter read. A request whose Basic
//! header and parameters name different clients (or whose Basic header
//! cannot be read here while the parameters name a client) is a
//! `Conflict`: the grant went to Basic's client, and a record under the
//! parameter's name would be a lie a client can tell at will.

use base64::Engine;
use serde_json::Value;

/// Longest request body read.
pub const MAX_REQUEST: usize = 16 * 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    /// The client Mastodon authenticates; None when it cannot be told.
    pub client_id: Option<String>,
    /// HTTP Basic and the parameters disagree: `client_id` is None.
    pub conflict: Option<Conflict>,
}

/// HTTP Basic and the `client_id` parameter name different clients.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conflict {
    /// Basic's client_id; None when the header could not be read.
    pub basic: Option<String>,
    pub params: String,
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

/// What an `Authorization` header says of the client, as Doorkeeper reads it.
#[derive(Debug, PartialEq, Eq)]
enum Basic {
    /// Not Basic authentication, or a blank id: the parameters speak.
    Absent,
    Id(String),
    /// Basic, but not readable here (Ruby's base64 decoder is lenient:
    /// Doorkeeper may read a client where this one reads nothing).
    Unreadable,
}

/// Doorkeeper's `from_basic`: `Authorization` matching `^Basic (.*)`, the
/// id before the first colon of the decoded credentials.
fn basic_client_id(authorization: &[u8]) -> Basic {
    let Some(creds) = authorization.strip_prefix(b"Basic ") else {
        return Basic::Absent;
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(creds.trim_ascii()) else {
        return Basic::Unreadable;
    };
    let colon = raw.iter().position(|&b| b == b':').unwrap_or(raw.len());
    let id: String = form_urlencoded::parse(&raw[..colon])
        .map(|(k, v)| {
            if v.is_empty() {
                k
            } else {
                format!("{k}={v}").into()
            }
        })
        .collect();
    if id.trim().is_empty() {
        // Blank: Doorkeeper reads the parameters.
        Basic::Absent
    } else {
        Basic::Id(id)
    }
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
    // A blank parameter is none (Doorkeeper's `blank?`).
    let params = out.client_id.take().filter(|p| !p.trim().is_empty());
    let basic = authorization.map_or(Basic::Absent, basic_client_id);
    match (basic, params) {
        (Basic::Absent, params) => out.client_id = params,
        (Basic::Id(id), Some(p)) if p != id => {
            out.conflict = Some(Conflict {
                basic: Some(id),
                params: p,
            })
        }
        (Basic::Id(id), _) => out.client_id = Some(id),
        (Basic::Unreadable, Some(p)) => {
            out.conflict = Some(Conflict {
                basic: None,
                params: p,
            })
        }
        (Basic::Unreadable, None) => {}
    }
    out
}
