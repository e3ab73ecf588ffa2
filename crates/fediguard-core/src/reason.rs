//! Reason codes of decisions: what `$fediguard_reason` holds and what the
//! deny line starts with. Admins grep and alert on these; keep them stable.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The agent's class is denied in this location.
    AgentDenied,
    /// A token is required and none was presented.
    NoAuth,
    /// The token could not be read (empty, bad characters, two different).
    TokenMalformed,
    /// The backend says the token is not valid.
    TokenInvalid,
    /// A user is required; the token belongs to an app alone
    /// (`client_credentials`).
    TokenAppOnly,
    /// The token could not be verified and the policy is fail-closed.
    VerifyUnavailable,
    /// Over a `fediguard_limit`.
    RateLimited,
    /// The token was not verified: the client's verification budget is
    /// spent, too many verifications are in flight, or the backend
    /// throttles this client or token (429). Never let through by
    /// `fediguard_token_fail open`.
    VerifyLimited,
    /// The agent claims to be of a class whose claimants this location
    /// denies when they fail verification, and it failed
    /// (`fediguard_agent_deny_unverified`).
    AgentUnverified,
    /// `fediguard_signature require` and the request is not signed.
    SignatureMissing,
    /// The signature does not verify (the log line says why).
    SignatureInvalid,
    /// The signer's key could not be fetched for now (503, Retry-After):
    /// never a 401, which makes senders give the delivery up.
    SignatureUnavailable,
}

impl Reason {
    /// Every reason, in declaration order (the order of metrics).
    pub const ALL: [Reason; 12] = [
        Reason::AgentDenied,
        Reason::NoAuth,
        Reason::TokenMalformed,
        Reason::TokenInvalid,
        Reason::TokenAppOnly,
        Reason::VerifyUnavailable,
        Reason::RateLimited,
        Reason::VerifyLimited,
        Reason::AgentUnverified,
        Reason::SignatureMissing,
        Reason::SignatureInvalid,
        Reason::SignatureUnavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::AgentDenied => "agent-denied",
            Reason::NoAuth => "mastoapi-no-auth",
            Reason::TokenMalformed => "mastoapi-token-malformed",
            Reason::TokenInvalid => "mastoapi-token-invalid",
            Reason::TokenAppOnly => "mastoapi-token-app-only",
            Reason::VerifyUnavailable => "mastoapi-verify-unavailable",
            Reason::RateLimited => "rate-limited",
            Reason::VerifyLimited => "mastoapi-verify-limited",
            Reason::AgentUnverified => "agent-unverified",
            Reason::SignatureMissing => "signature-missing",
            Reason::SignatureInvalid => "signature-invalid",
            Reason::SignatureUnavailable => "signature-unavailable",
        }
    }
}
