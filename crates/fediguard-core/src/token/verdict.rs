//! What the two verification answers say of a token.
//!
//! `accounts/verify_credentials` answers 200 only for a token bound to a
//! user; `apps/verify_credentials` (Mastodon 4.3+) 200 for any valid token.
//! Real Mastodon answers 422 for an app-only token on the first, other
//! servers 401 or 403 with the same message: classify by both answers and
//! by the body, never by one status code.

use serde_json::Value;

/// Bytes kept of an acct, an app name or a website.
pub const MAX_NAME: usize = 128;
/// Longest body parsed; a longer one is unreadable.
pub const MAX_VERIFY_BODY: usize = 64 * 1024;
const MAX_BODY: usize = MAX_VERIFY_BODY;

const APP_ONLY: &str = "This method requires an authenticated user";
const INVALID: [&str; 3] = [
    "The access token is invalid",
    "The access token was revoked",
    "The access token expired",
];

/// One answer; status 0 means none (timeout, connection error).
#[derive(Clone, Copy, Debug)]
pub struct Answer<'a> {
    pub status: u16,
    pub body: &'a [u8],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub class: super::TokenClass,
    /// The acct (user) or the app's name (app).
    pub name: String,
    pub website: String,
}

pub enum Step {
    Done(Verdict),
    AskApps,
}

use super::TokenClass;

fn object(body: &[u8]) -> Option<serde_json::Map<String, Value>> {
    if body.len() > MAX_BODY {
        return None;
    }
    match serde_json::from_slice::<Value>(body).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// A string field, cut to MAX_NAME bytes, without control characters,
/// bidirectional controls and invisible format characters shown escaped
/// (`escape::push_visible`), as the status page shows them.
fn text(m: &serde_json::Map<String, Value>, field: &str) -> String {
    let Some(s) = m.get(field).and_then(Value::as_str) else {
        return String::new();
    };
    let mut out = String::new();
    for c in s.chars().filter(|c| !c.is_control()) {
        if out.len() + crate::escape::visible_len(c) > MAX_NAME {
            break;
        }
        crate::escape::push_visible(&mut out, c);
    }
    out
}

fn error_of(a: &Answer) -> Option<String> {
    object(a.body).map(|m| text(&m, "error"))
}

fn verdict(class: TokenClass, name: String, website: String) -> Verdict {
    Verdict {
        class,
        name,
        website,
    }
}

/// After `accounts/verify_credentials`: a user, or ask the apps endpoint.
pub fn after_accounts(accounts: &Answer) -> Step {
    if accounts.status == 200 {
        if let Some(m) = object(accounts.body) {
            let mut name = text(&m, "acct");
            if name.is_empty() {
                name = text(&m, "username");
            }
            return Step::Done(verdict(TokenClass::User, name, String::new()));
        }
    }
    Step::AskApps
}

/// An app's name and website from `apps/verify_credentials`, when asked
/// only for them (the class is known already).
pub fn app_name(apps: &Answer) -> (String, String) {
    match object(apps.body).filter(|_| apps.status == 200) {
        Some(m) => (text(&m, "name"), text(&m, "website")),
        None => (String::new(), String::new()),
    }
}

/// After both answers.
pub fn after_apps(accounts: &Answer, apps: &Answer) -> Verdict {
    if apps.status == 200 {
        if let Some(m) = object(apps.body) {
            return verdict(TokenClass::App, text(&m, "name"), text(&m, "website"));
        }
    }
    if apps.status == 401 && is_error_object(apps.body) {
        return verdict(TokenClass::Invalid, String::new(), String::new());
    }
    let accounts_error = error_of(accounts);
    let app_only = accounts.status == 422
        || (matches!(accounts.status, 401 | 403) && accounts_error.as_deref() == Some(APP_ONLY));
    if app_only {
        return verdict(TokenClass::App, String::new(), String::new());
    }
    let invalid = accounts.status == 401
        && matches!(apps.status, 403 | 404)
        && accounts_error
            .as_deref()
            .is_some_and(|e| INVALID.contains(&e));
    if invalid {
        return verdict(TokenClass::Invalid, String::new(), String::new());
    }
    verdict(TokenClass::Unknown, String::new(), String::new())
}

/// A JSON object with an `error` string, as Doorkeeper and Mastodon refuse
/// (a proxy's or CDN's error page is not one).
pub(super) fn is_error_object(body: &[u8]) -> bool {
    if body.len() > MAX_BODY {
        return false;
    }
    matches!(
        serde_json::from_slice::<Value>(body),
        Ok(Value::Object(m)) if m.get("error").is_some_and(Value::is_string)
    )
}
