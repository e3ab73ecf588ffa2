//! The per-request context: each capability's own state, plus the
//! decision and where the access handler resumes. Stored in the request's
//! pool by `glue::ctx`, which hands it out only as a shared reference tied
//! to the request's borrow: the state changes through cells, so that a
//! variable handler that nginx calls while a step evaluates a limit's key
//! reads the same context without a second `&mut` to it.

use core::cell::{Cell, RefCell};

use fediguard_core::limit::LimitStatus;
use fediguard_core::reason::Reason;
use ngx::http::Request;

use crate::agent::state::AgentState;
use crate::claim::state::ClaimState;
use crate::conf::{LocConf, MainConf};
use crate::glue::answer_copy::Watch;
use crate::glue::ctx;
use crate::limit::conf::LimitLoc;
use crate::signature::inflight as signature_inflight;
use crate::signature::state::SignatureState;
use crate::token::inflight;
use crate::token::state::TokenState;

#[derive(Default)]
pub struct RequestCtx {
    /// The agent's class, once classified.
    pub agent: Cell<AgentState>,
    /// Whether the agent's claim is borne out.
    pub claim: Cell<ClaimState>,
    /// `$fediguard_agent_verified` was read while the claim was not
    /// checked yet (a limit checked before the claim finds its key reads
    /// it).
    pub claim_read: Cell<bool>,
    /// What is known of the token; the verification subrequests write
    /// their answers into it.
    pub token: RefCell<TokenState>,
    /// A token variable was read while the token was not classified yet
    /// (a limit checked before the token finds that its key reads one).
    pub token_read: Cell<bool>,
    /// What is known of the request's HTTP signature.
    /// (Made only where a signature is checked: it is large.)
    pub signature: ctx::Lazy<SignatureState>,
    /// `$fediguard_signer` was read while the signature was not checked
    /// yet (a limit checked before the signature finds its key reads it).
    pub signer_read: Cell<bool>,
    pub limits: Cell<LimitsState>,
    /// `fediguard_app_watch`: the copy of the answer being read.
    pub watch: RefCell<Watch>,
    pub decision: Cell<Decision>,
    /// The access step to run next: where a request that waited (a
    /// subrequest, a DNS answer, a delay) resumes.
    pub cursor: Cell<u8>,
    /// The location whose steps all went through: an internal redirect to
    /// a location of the same configuration (`index`, `try_files` to a
    /// file) has nothing new to decide.
    pub passed: Cell<Option<&'static LocConf>>,
}

/// What the limits did for the request.
#[derive(Clone, Copy, Default)]
pub struct LimitsState {
    /// The limits' outcome, for `$fediguard_limit_status`.
    pub status: Option<LimitStatus>,
    /// The limits still to apply (bits of the location's list), once
    /// started; they charge once, whatever internal redirects follow.
    pub pending: Option<u16>,
    /// Whose list the bits name: after an internal redirect to another
    /// location, that location's limits are not started.
    pub of: Option<&'static LimitLoc>,
    /// The limit that refused the request: its zone (index into
    /// `LimitMain::zones`) and the excess, for the log line and the
    /// RateLimit headers. (Small: the context is in every request's pool.)
    pub rejected: Option<(u16, u64)>,
}

/// What fediguard decided for the request.
#[derive(Clone, Copy, Default)]
pub struct Decision {
    /// The reason; set in dry_run too, so access logs show what would have
    /// been denied.
    pub reason: Option<Reason>,
    /// The kinds of denial already logged (`Reason::group` bits): the
    /// access phase can run several times for one request (internal
    /// redirects), a line is written once.
    pub logged: u8,
    /// The request was denied (not in dry_run).
    pub denied: bool,
}

impl RequestCtx {
    /// The request's agent, classified on first use.
    pub fn agent(&self, r: &Request, mcf: &MainConf) -> AgentState {
        let mut a = self.agent.get();
        if !a.is_classified() {
            a.ensure(r, &mcf.agent, mcf.metrics.stats());
            self.agent.set(a);
        }
        a
    }
}

/// Gives back the request's place among the worker's verifications in
/// flight when the request ends, however it ends.
pub fn give_back_at_end(r: &Request) -> bool {
    ctx::on_end::<RequestCtx>(r, |c| {
        if let Ok(mut t) = c.token.try_borrow_mut() {
            inflight::leave(&mut t.place);
        }
    })
}

/// Gives back the request's place among the worker's key fetches when
/// the request ends, however it ends.
pub fn give_back_fetch_at_end(r: &Request) -> bool {
    ctx::on_end::<RequestCtx>(r, |c| {
        if let Some(Ok(mut s)) = c.signature.get().map(RefCell::try_borrow_mut) {
            signature_inflight::leave(&mut s.place);
        }
    })
}

/// The main request's context, for a variable read in a subrequest (the
/// key fetch's `proxy_pass`).
pub fn find_main(r: &Request) -> Option<&RequestCtx> {
    ctx::find_main::<RequestCtx>(r)
}

/// The request's context, created on first use.
pub fn get(r: &Request) -> Option<&RequestCtx> {
    ctx::get::<RequestCtx>(r)
}

/// The request's context beside the request, for the access handler.
pub fn split(r: &mut Request) -> Option<(&mut Request, &RequestCtx)> {
    ctx::split::<RequestCtx>(r)
}

/// The request's context if it has one.
pub fn find(r: &Request) -> Option<&RequestCtx> {
    ctx::find::<RequestCtx>(r)
}
