//! Per-request state: the agent classification (computed once, on demand,
//! by the access handler or by the first variable read) and the decision.

use core::ffi::c_void;
use core::mem;
use core::ptr;

use fediguard_core::agent::ClassId;
use fediguard_core::fingerprint::token_id;
use fediguard_core::limit::LimitStatus;
use fediguard_core::reason::Reason;
use fediguard_core::token::TokenClass;
use nginx_sys::{ngx_http_request_t, ngx_pool_cleanup_add, ngx_str_t};
use ngx::http::{HttpModule, HttpModuleMainConf, Request};

use crate::Module;

/// Tells our context apart when it is looked up in the pool's cleanup list.
const MAGIC: u64 = 0x6665_6469_6775_6172; // "fediguar"

#[derive(Clone, Copy)]
#[repr(C)]
pub struct RequestCtx {
    magic: u64,
    /// The agent is classified on first use (`ensure_agent`): token- or
    /// limit-only locations never pay for it.
    agent_done: bool,
    pub agent_class: ClassId,
    /// The instance host named by a fediverse agent, lower-cased; empty
    /// otherwise. Points into the request's header or pool memory.
    pub agent_host: ngx_str_t,
    /// The decision's reason; set in dry_run too, so access logs show what
    /// would have been denied.
    pub reason: Option<Reason>,
    /// A decision line was written for the agent / the token: the access
    /// phase can run several times for one request (internal redirects,
    /// resumption after a verification), the line is written once.
    pub logged_agent: bool,
    pub logged_token: bool,
    pub token: TokenCtx,
    /// Set once the limits of the request were applied (they charge once,
    /// whatever internal redirects follow).
    pub limit_status: Option<LimitStatus>,
    /// The request was denied (not in dry_run).
    pub denied: bool,
    /// `fediguard_app_watch`: the copy of the answer being read.
    pub watch: crate::app_watch::Watch,
}

/// One answer of a verification subrequest.
#[derive(Clone, Copy, Default)]
pub struct Answer {
    pub done: bool,
    /// 0 when there was no usable answer.
    pub status: u16,
    /// The body, in the request pool.
    pub body: ngx_str_t,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenPhase {
    #[default]
    Start,
    /// Waiting for accounts/verify_credentials.
    Accounts,
    /// Waiting for apps/verify_credentials.
    Apps,
    /// Another request is verifying the same token; polling the zone.
    Waiting,
    Done,
}

/// What is known of the request's token. The raw token is kept only here,
/// in the request's pool, for the second verification request.
#[derive(Clone, Copy, Default)]
pub struct TokenCtx {
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
    pub accounts: Answer,
    pub apps: Answer,
    /// When to stop waiting for another request's verification (msec).
    pub wait_until: u64,
    /// A variable looked at the token before the access phase did.
    pub peeked: bool,
    /// The token's class was counted in the metrics.
    pub counted: bool,
    /// The app the token was granted to, when fediguard saw the grant.
    pub app: fediguard_core::stats::AppRef,
}

impl TokenCtx {
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
}

/// Marks our context in the request pool's cleanup list; it frees nothing
/// (the pool owns the memory). Its body is unique so that the linker cannot
/// fold it with another empty function.
unsafe extern "C" fn ctx_marker(data: *mut c_void) {
    if let Some(ctx) = data.cast::<RequestCtx>().as_mut() {
        ctx.magic = 0;
    }
}

/// The request's context, created on first use.
///
/// nginx clears module contexts on an internal redirect (`error_page`,
/// `try_files`, `rewrite ... last`); like the realip module, the context is
/// then found again through the pool's cleanup list, so `$fediguard_reason`
/// still names the decision when the deny page is logged.
pub fn get(r: &Request) -> Option<&'static mut RequestCtx> {
    if let Some(ctx) = find(r) {
        return Some(ctx);
    }
    let module = Module::module();
    let raw: *mut ngx_http_request_t = (r as *const Request).cast_mut().cast();
    // SAFETY: as in find; the new context is allocated from r->pool.
    unsafe {
        let slot = (*raw).ctx.add(module.ctx_index);
        let cln = ngx_pool_cleanup_add((*raw).pool, mem::size_of::<RequestCtx>());
        if cln.is_null() {
            return None;
        }
        let ctx = (*cln).data.cast::<RequestCtx>();
        ptr::write(ctx, RequestCtx::new());
        (*cln).handler = Some(ctx_marker);
        *slot = ctx.cast();
        ctx.as_mut()
    }
}

/// The request's context if it has one (never creates it).
pub fn find(r: &Request) -> Option<&'static mut RequestCtx> {
    let module = Module::module();
    let raw: *mut ngx_http_request_t = (r as *const Request).cast_mut().cast();
    // SAFETY: r is a live request; ctx has a slot for every module, and our
    // slot holds either NULL or a RequestCtx allocated by `get` from
    // r->pool, which outlives every use of the reference during the request.
    unsafe {
        let slot = (*raw).ctx.add(module.ctx_index);
        if let Some(ctx) = (*slot).cast::<RequestCtx>().as_mut() {
            return Some(ctx);
        }
        let mut c = (*(*raw).pool).cleanup;
        while let Some(cln) = c.as_ref() {
            if cln.handler.map(|h| h as *const () as usize)
                == Some(ctx_marker as *const () as usize)
            {
                let ctx = cln.data.cast::<RequestCtx>();
                if (*ctx).magic == MAGIC {
                    *slot = ctx.cast();
                    return ctx.as_mut();
                }
            }
            c = cln.next;
        }
        None
    }
}

impl RequestCtx {
    fn new() -> RequestCtx {
        RequestCtx {
            magic: MAGIC,
            agent_done: false,
            agent_class: ClassId::OTHER,
            agent_host: ngx_str_t::default(),
            reason: None,
            logged_agent: false,
            logged_token: false,
            token: TokenCtx::default(),
            limit_status: None,
            denied: false,
            watch: Default::default(),
        }
    }

    /// Classifies the request's agent, once.
    pub fn ensure_agent(&mut self, r: &Request) {
        if self.agent_done {
            return;
        }
        self.agent_done = true;
        let Some(mcf) = Module::main_conf(r) else {
            return;
        };
        let Some(matcher) = mcf.matcher.as_ref() else {
            return;
        };
        let agent = r.user_agent().map(|a| a.as_bytes());
        let class = mcf.recent_agents.classify(matcher, agent);
        self.agent_class = class.class;
        crate::count::agent(r, class.class);
        if let (Some((start, end)), Some(agent)) = (class.host, agent) {
            self.agent_host = lowercase_in_pool(r, &agent[start..end]);
        }
    }
}

/// Host names are compared and used as keys lower-cased; most agents already
/// write them so, and then no copy is made.
fn lowercase_in_pool(r: &Request, host: &[u8]) -> ngx_str_t {
    if !host.iter().any(u8::is_ascii_uppercase) {
        return ngx_str_t {
            len: host.len(),
            data: host.as_ptr().cast_mut(),
        };
    }
    let p = r.pool().alloc_unaligned(host.len()).cast::<u8>();
    if p.is_null() {
        return ngx_str_t::default();
    }
    // SAFETY: p has room for host.len() bytes.
    let out = unsafe { core::slice::from_raw_parts_mut(p, host.len()) };
    for (o, b) in out.iter_mut().zip(host) {
        *o = b.to_ascii_lowercase();
    }
    ngx_str_t {
        len: host.len(),
        data: p,
    }
}
