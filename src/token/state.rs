//! What a request knows of its token, kept in the request context.

use fediguard_core::fingerprint::token_id;
use fediguard_core::token::TokenClass;
use nginx_sys::ngx_str_t;

/// What a step of token classification tells the access handler.
pub enum Classify {
    Classified,
    /// A new token: verification may start (`begin::verify`).
    Verify,
    /// A subrequest or a wait is under way; the access phase runs again.
    Again,
    Error,
}

/// One answer of a verification subrequest.
#[derive(Clone, Copy, Default)]
pub struct Answer {
    pub done: bool,
    /// 0 when there was no usable answer.
    pub status: u16,
    /// The body, in the request pool.
    pub body: ngx_str_t,
    /// For a 429 or a 5xx: the pause the backend asked for (msec), from
    /// Retry-After or X-RateLimit-Reset; 0 when it asked for none.
    pub retry_ms: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenPhase {
    #[default]
    Start,
    /// A new token, marked pending in the zone: the limits that need no
    /// token are checked before its verification starts.
    Ready,
    /// Waiting for /oauth/token/info.
    Info,
    /// Waiting for accounts/verify_credentials (a server without
    /// /oauth/token/info).
    Accounts,
    /// Waiting for apps/verify_credentials (likewise).
    Apps,
    /// A user token: waiting for its account's name.
    AccountName,
    /// An app token: waiting for its app's name.
    AppName,
    /// Another request is verifying the same token; polling the zone.
    Waiting,
    Done,
}

/// What is known of the request's token. The raw token is kept only here,
/// in the request's pool, for the second verification request.
#[derive(Clone, Copy, Default)]
pub struct TokenState {
    pub phase: TokenPhase,
    pub class: Option<TokenClass>,
    /// The token's keyed fingerprint, once `has_fingerprint`.
    fingerprint: [u8; 16],
    has_fingerprint: bool,
    /// Hex of the fingerprint, written on first use (`ensure_id`): most
    /// requests never show it. All zero bytes until then.
    id: [u8; 16],
    pub raw: ngx_str_t,
    /// The app's name (app tokens) or the account's acct (user tokens).
    pub name: ngx_str_t,
    pub website: ngx_str_t,
    pub info: Answer,
    pub accounts: Answer,
    pub apps: Answer,
    /// A limited token: try again in this many seconds.
    pub retry_secs: u64,
    /// This request's place among the worker's verifications in flight.
    pub place: super::inflight::Place,
    /// When to stop waiting for another request's verification (msec).
    pub wait_until: u64,
    /// When this request last asked whether the verifying worker is alive
    /// (msec).
    pub owner_checked: u64,
    /// The request releases the token's pending mark when it ends.
    pub release_set: bool,
    /// A variable looked at the token before the access phase did.
    pub peeked: bool,
    /// The token's class was counted in the metrics.
    pub counted: bool,
    /// The app the token was granted to, when fediguard saw the grant.
    pub app: fediguard_core::stats::AppRef,
}

impl TokenState {
    /// The token's class is known: classification is over.
    pub fn classified(&mut self, class: TokenClass) -> Classify {
        self.class = Some(class);
        self.phase = TokenPhase::Done;
        Classify::Classified
    }

    pub fn fingerprint(&self) -> [u8; 16] {
        self.fingerprint
    }

    pub fn set_fingerprint(&mut self, fp: [u8; 16]) {
        self.fingerprint = fp;
        self.has_fingerprint = true;
        self.id = [0; 16];
    }

    /// Writes the hex id of the fingerprint, if there is one, for `id`.
    pub fn ensure_id(&mut self) {
        if self.has_fingerprint && self.id[0] == 0 {
            self.id = token_id(&self.fingerprint);
        }
    }

    /// `$fediguard_token_id`: empty without a token, or before `ensure_id`.
    pub fn id(&self) -> &[u8] {
        if self.id[0] == 0 {
            &[]
        } else {
            &self.id
        }
    }

    /// The app's or the account's name, when the token is of `class`.
    pub fn name_if(&self, class: TokenClass) -> &[u8] {
        if self.class == Some(class) {
            self.name.as_bytes()
        } else {
            &[]
        }
    }
}
