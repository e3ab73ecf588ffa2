//! The per-request context: each capability's own state, plus the
//! decision. Stored in the request's pool by `glue::ctx`.

use fediguard_core::limit::LimitStatus;
use fediguard_core::reason::Reason;
use ngx::http::Request;

use crate::agent::state::AgentState;
use crate::glue::ctx;
use crate::token::state::TokenState;
use crate::verify::state::VerifyState;
use crate::watch::filter::Watch;

#[derive(Clone, Copy, Default)]
pub struct RequestCtx {
    pub agent: AgentState,
    pub token: TokenState,
    /// Whether the agent's claim is borne out.
    pub verify: VerifyState,
    /// The limits' outcome, for `$fediguard_limit_status`.
    pub limit_status: Option<LimitStatus>,
    /// The limits still to apply (bits of the location's list), once
    /// started; they charge once, whatever internal redirects follow.
    pub limits_pending: Option<u16>,
    /// Which location's list the bits name.
    pub limits_of: usize,
    /// `fediguard_app_watch`: the copy of the answer being read.
    pub watch: Watch,
    pub decision: Decision,
}

/// What fediguard decided for the request.
#[derive(Clone, Copy, Default)]
pub struct Decision {
    /// The reason; set in dry_run too, so access logs show what would have
    /// been denied.
    pub reason: Option<Reason>,
    /// A decision line was written for the agent / the token: the access
    /// phase can run several times for one request (internal redirects,
    /// resumption after a verification), the line is written once.
    pub logged_agent: bool,
    pub logged_token: bool,
    /// The request was denied (not in dry_run).
    pub denied: bool,
}

/// The request's context, created on first use.
pub fn get(r: &Request) -> Option<&'static mut RequestCtx> {
    ctx::get::<RequestCtx>(r)
}

/// The request's context if it has one.
pub fn find(r: &Request) -> Option<&'static mut RequestCtx> {
    ctx::find::<RequestCtx>(r)
}
