//! Mastodon API tokens: where a request presents one, and what the two
//! verification answers say of it.

mod extract;
mod verdict;

pub use extract::{find_token, find_token_unchecked, well_formed, Presented, MAX_TOKEN_LEN};
pub use verdict::{after_accounts, after_apps, Answer, Step, Verdict, MAX_NAME};

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
            _ => return None,
        })
    }
}
