//! App watch: what fediguard reads of Mastodon's answers to app
//! registrations (`POST /api/v1/apps`) and token grants (`POST
//! /oauth/token`), and of the grant request itself. Secrets are never
//! returned: a registration's `client_secret` is not read at all, and the
//! raw access token only leaves `token_answer` to be fingerprinted.

mod request;

pub use request::{token_request, Conflict, TokenRequest};

use serde_json::{Map, Value};

/// Longest answer read; a longer one passes through unrecorded.
pub const MAX_ANSWER: usize = 16 * 1024;

/// What a registration answer says of the new app.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registration {
    pub name: String,
    pub website: String,
    /// Space-separated, as in OAuth.
    pub scopes: String,
    /// Space-separated when there are several.
    pub redirect_uri: String,
    pub client_id: String,
}

fn object(body: &[u8]) -> Option<Map<String, Value>> {
    if body.len() > MAX_ANSWER {
        return None;
    }
    match serde_json::from_slice::<Value>(body).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// A string, or the strings of an array joined by spaces (Mastodon 4.3
/// answers `scopes` and `redirect_uris` as arrays, older versions not).
/// Old versions separate several redirect URIs with newlines: they come
/// out separated by spaces.
fn words(v: Option<&Value>) -> String {
    let all: Vec<&str> = match v {
        Some(Value::String(s)) => s.split_whitespace().collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .flat_map(str::split_whitespace)
            .collect(),
        _ => Vec::new(),
    };
    all.join(" ")
}

/// The answer to `POST /api/v1/apps`: an Application with its client_id.
/// None for anything else (an error object, garbage, a truncated body).
pub fn registration(body: &[u8]) -> Option<Registration> {
    let m = object(body)?;
    let client_id = m.get("client_id")?.as_str()?.to_string();
    let name = m.get("name")?.as_str()?.to_string();
    if client_id.is_empty() {
        return None;
    }
    let mut redirect_uri = words(m.get("redirect_uris"));
    if redirect_uri.is_empty() {
        redirect_uri = words(m.get("redirect_uri"));
    }
    Some(Registration {
        name,
        website: words(m.get("website")),
        scopes: words(m.get("scopes")),
        redirect_uri,
        client_id,
    })
}

/// The access token of a successful `POST /oauth/token` answer (a bearer
/// token); None for an error object or anything unreadable.
pub fn token_answer(body: &[u8]) -> Option<String> {
    let m = object(body)?;
    let token = m.get("access_token")?.as_str()?;
    let bearer = match m.get("token_type") {
        None => true,
        Some(t) => t.as_str().is_some_and(|t| t.eq_ignore_ascii_case("bearer")),
    };
    if !bearer || token.is_empty() {
        return None;
    }
    Some(token.to_string())
}

/// `client_id` as written to a log: bare when it is made of URL-safe
/// characters (Doorkeeper's are), otherwise quoted and escaped.
pub fn log_client_id(id: &str) -> String {
    let plain = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if plain {
        id.to_string()
    } else {
        format!("\"{}\"", crate::escape::quote(id.as_bytes(), 128))
    }
}

#[cfg(test)]
mod tests;
