//! What the page calls things: reason codes, token and agent classes in the
//! words an admin uses. The page's script carries the same table (it reads
//! it from the page, `data-words`), so a refresh says the same.

/// (reason code, label, what it means)
pub const REASONS: &[(&str, &str, &str)] = &[
    (
        "agent-denied",
        "Agent class denied",
        "a User-Agent of a class denied here (AI crawlers, SEO bots, ...)",
    ),
    (
        "mastoapi-no-auth",
        "No token",
        "an API request without a token where one is required",
    ),
    (
        "mastoapi-token-malformed",
        "Unreadable token",
        "a token that cannot be read, or two different tokens",
    ),
    (
        "mastoapi-token-invalid",
        "Invalid token",
        "Mastodon does not know the token",
    ),
    (
        "mastoapi-token-app-only",
        "App-only token",
        "a self-registered app's token where a user's is required",
    ),
    (
        "mastoapi-verify-unavailable",
        "Could not verify",
        "Mastodon did not answer the verification (fail closed)",
    ),
    (
        "rate-limited",
        "Over a rate limit",
        "more requests than a fediguard_limit allows",
    ),
    (
        "mastoapi-verify-limited",
        "Verification budget spent",
        "too many new tokens from one client, or Mastodon asked to slow down",
    ),
    (
        "agent-unverified",
        "Claim not verified",
        "an agent of a class that must prove who it is, from an address that is not its operator's",
    ),
    (
        "signature-missing",
        "Unsigned delivery",
        "a request without an HTTP signature where one is required",
    ),
    (
        "signature-invalid",
        "Bad signature",
        "an HTTP signature that does not verify (the log line says why)",
    ),
    (
        "signature-unavailable",
        "Signer's key unavailable",
        "the signer's key could not be fetched for now (503, retried later)",
    ),
];

/// (token class, label, what it means)
pub const TOKEN_CLASSES: &[(&str, &str, &str)] = &[
    ("none", "No token", "no token presented"),
    ("malformed", "Unreadable", "a token that cannot be read"),
    ("invalid", "Invalid", "Mastodon does not know it"),
    ("app", "App only", "valid, bound to an app and no user"),
    ("user", "User", "valid, bound to a user"),
    ("unknown", "Not verified", "Mastodon did not answer"),
    (
        "limited",
        "Held back",
        "not verified: budget spent or throttled",
    ),
];

/// (agent class, what it is)
pub const AGENT_CLASSES: &[(&str, &str)] = &[
    ("fediverse", "fediverse servers"),
    ("ai", "AI crawlers and assistants"),
    ("search", "search engines, web archives"),
    ("seo", "SEO and marketing crawlers"),
    ("preview", "link unfurlers of chat apps"),
    ("tool", "HTTP libraries and tools"),
    ("monitor", "uptime checkers"),
    ("feed", "feed readers"),
    ("bot", "other declared bots"),
    ("empty", "no User-Agent"),
    ("other", "browsers and people's apps"),
];

/// (verification outcome, label)
pub const OUTCOMES: &[(&str, &str)] = &[
    ("user", "a user's token"),
    ("app", "an app's token"),
    ("invalid", "invalid"),
    ("unknown", "no answer"),
];

fn find<'a>(table: &'a [(&str, &'a str, &'a str)], key: &str) -> Option<(&'a str, &'a str)> {
    table
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, l, m)| (*l, *m))
}

/// A reason's label and meaning; an unknown code is shown as it is.
pub fn reason(code: &str) -> (&str, &str) {
    find(REASONS, code).unwrap_or((code, ""))
}

pub fn token_class(class: &str) -> (&str, &str) {
    find(TOKEN_CLASSES, class).unwrap_or((class, ""))
}

/// A built-in agent class's description; an admin's own class has none.
pub fn agent_class(class: &str) -> &'static str {
    AGENT_CLASSES
        .iter()
        .find(|(k, _)| *k == class)
        .map_or("your own class", |(_, d)| d)
}

pub fn outcome(o: &str) -> &str {
    OUTCOMES.iter().find(|(k, _)| *k == o).map_or(o, |(_, l)| l)
}

/// The table as JSON, for the script (`data-words` of the page).
pub fn as_json() -> String {
    use serde_json::{json, Map, Value};
    let three = |t: &[(&str, &str, &str)]| -> Value {
        Value::Object(
            t.iter()
                .map(|(k, l, m)| (k.to_string(), json!([l, m])))
                .collect::<Map<_, _>>(),
        )
    };
    let two = |t: &[(&str, &str)]| -> Value {
        Value::Object(
            t.iter()
                .map(|(k, d)| (k.to_string(), json!(d)))
                .collect::<Map<_, _>>(),
        )
    };
    json!({
        "reasons": three(REASONS),
        "tokens": three(TOKEN_CLASSES),
        "agents": two(AGENT_CLASSES),
        "outcomes": two(OUTCOMES),
    })
    .to_string()
}
