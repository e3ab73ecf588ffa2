//! Mastodon API tokens: where a request presents one, and what the
//! verification answers say of it (`/oauth/token/info`, or the two
//! verify_credentials endpoints of servers without it).

mod extract;
mod info;
mod throttle;
mod verdict;

pub use extract::{find_token, find_token_unchecked, well_formed, Presented, MAX_TOKEN_LEN};
pub use info::{token_info, Info, MAX_INFO_BODY};
pub use throttle::{backoff_ms, MAX_BACKOFF_MS, MIN_BACKOFF_MS};
pub use verdict::{
    after_accounts, after_apps, app_name, Answer, Step, Verdict, MAX_NAME, MAX_VERIFY_BODY,
};

/// The token class of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TokenClass {
    /// No token presented.
    None = 0,
    /// A token that cannot be read: empty, bad characters, two different.
    Malformed = 1,
    /// The backend does not know the token.
    Invalid = 2,
    /// Valid, bound to an app alone (`client_credentials`).
    App = 3,
    /// Valid, bound to a user.
    User = 4,
    /// Verification could not complete.
    Unknown = 5,
    /// Not verified: the client's verification budget is spent, or the
    /// backend throttles this client or token.
    Limited = 6,
}

impl TokenClass {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenClass::None => "none",
            TokenClass::Malformed => "malformed",
            TokenClass::Invalid => "invalid",
            TokenClass::App => "app",
            TokenClass::User => "user",
            TokenClass::Unknown => "unknown",
            TokenClass::Limited => "limited",
        }
    }

    pub fn from_u8(v: u8) -> Option<TokenClass> {
        Some(match v {
            0 => TokenClass::None,
            1 => TokenClass::Malformed,
            2 => TokenClass::Invalid,
            3 => TokenClass::App,
            4 => TokenClass::User,
            5 => TokenClass::Unknown,
            6 => TokenClass::Limited,
            _ => return None,
        })
    }
}
