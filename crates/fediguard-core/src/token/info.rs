//! What Doorkeeper's `GET /oauth/token/info` says of a token: one call
//! tells a user token (`resource_owner_id` set) from an app-only one
//! (`null`), with the app's client_id (`application.uid`); 401 for an
//! invalid, revoked or expired token. A server without the endpoint answers
//! 404. It lies outside `/api`, so Mastodon's API throttles do not count it.

use serde_json::Value;

use super::verdict::{is_error_object, Answer};

/// Longest body read; a token/info answer is about 200 bytes.
pub const MAX_INFO_BODY: usize = 16 * 1024;
const MAX_BODY: usize = MAX_INFO_BODY;
/// Longest client_id kept (Mastodon's are 43 characters).
const MAX_CLIENT_ID: usize = 128;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Info {
    User {
        client_id: String,
    },
    App {
        client_id: String,
    },
    Invalid,
    /// 404: the server has no such endpoint; ask the two others.
    NoEndpoint,
    /// Anything else (5xx, 429, unreadable): could not tell.
    Unknown,
}

pub fn token_info(a: &Answer) -> Info {
    match a.status {
        200 => read(a.body).unwrap_or(Info::Unknown),
        // Doorkeeper's refusal is a JSON error; a 401 page of a proxy or a
        // CDN in front of it says nothing of the token.
        401 if is_error_object(a.body) => Info::Invalid,
        404 => Info::NoEndpoint,
        _ => Info::Unknown,
    }
}

fn read(body: &[u8]) -> Option<Info> {
    if body.len() > MAX_BODY {
        return None;
    }
    let Value::Object(m) = serde_json::from_slice::<Value>(body).ok()? else {
        return None;
    };
    let client_id = m
        .get("application")
        .and_then(|a| a.get("uid"))
        .and_then(Value::as_str)
        .filter(|id| id.len() <= MAX_CLIENT_ID && id.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("")
        .to_string();
    // The field must be there: a 200 without it is not Doorkeeper's.
    match m.get("resource_owner_id")? {
        Value::Null => Some(Info::App { client_id }),
        Value::Number(_) => Some(Info::User { client_id }),
        Value::String(s) if !s.is_empty() => Some(Info::User { client_id }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(status: u16, body: &str) -> Info {
        token_info(&Answer {
            status,
            body: body.as_bytes(),
        })
    }

    #[test]
    fn doorkeeper_answers() {
        let user = r#"{"resource_owner_id":109372,"scope":["read","write"],"expires_in":null,"application":{"uid":"abcDEF123"},"created_at":1763800000}"#;
        assert_eq!(
            info(200, user),
            Info::User {
                client_id: "abcDEF123".into()
            }
        );
        let app = r#"{"resource_owner_id":null,"scope":["read"],"expires_in":null,"application":{"uid":"xyz"},"created_at":1763800000}"#;
        assert_eq!(
            info(200, app),
            Info::App {
                client_id: "xyz".into()
            }
        );
        let invalid =
            r#"{"error":"invalid_token","error_description":"The access token is invalid"}"#;
        assert_eq!(info(401, invalid), Info::Invalid);
        assert_eq!(info(404, "<html>"), Info::NoEndpoint);
    }

    #[test]
    fn anything_else_is_unknown() {
        assert_eq!(info(200, "<html>oops</html>"), Info::Unknown);
        assert_eq!(info(200, r#"{"scope":["read"]}"#), Info::Unknown);
        assert_eq!(info(200, r#"{"resource_owner_id":true}"#), Info::Unknown);
        assert_eq!(info(200, "[]"), Info::Unknown);
        assert_eq!(info(429, r#"{"error":"Too many requests"}"#), Info::Unknown);
        assert_eq!(info(503, ""), Info::Unknown);
        // A 401 that is not Doorkeeper's JSON (a proxy's page, a cut or
        // unreadable answer) says nothing of the token.
        assert_eq!(
            info(401, "<html>401 Authorization Required</html>"),
            Info::Unknown
        );
        assert_eq!(info(401, ""), Info::Unknown);
        assert_eq!(info(401, r#"{"error":"invalid_tok"#), Info::Unknown);
        assert_eq!(info(0, ""), Info::Unknown);
        let huge = format!(
            r#"{{"resource_owner_id":1,"x":"{}"}}"#,
            "a".repeat(MAX_BODY)
        );
        assert_eq!(info(200, &huge), Info::Unknown);
    }

    #[test]
    fn a_hostile_client_id_is_dropped() {
        let body = format!(
            r#"{{"resource_owner_id":null,"application":{{"uid":"{}"}}}}"#,
            "a".repeat(500)
        );
        assert_eq!(
            info(200, &body),
            Info::App {
                client_id: String::new()
            }
        );
        let body = r#"{"resource_owner_id":null,"application":{"uid":"a b\n"}}"#;
        assert_eq!(
            info(200, body),
            Info::App {
                client_id: String::new()
            }
        );
    }
}
