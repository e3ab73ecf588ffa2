//! `$fediguard_*` variables, computed on demand so they work in every
//! location, also where fediguard is off.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv6Addr};

use fediguard_core::claim::Verified;
use fediguard_core::limit::LimitStatus;
use fediguard_core::reason::Reason;
use fediguard_core::redact::redact_request_line;
use fediguard_core::token::TokenClass;
use nginx_sys::ngx_conf_t;
use ngx::http::Request;

use crate::claim::confirm;
use crate::claim::state::ClaimPhase;
use crate::conf::{self, MainConf};
use crate::glue::addr::client_ip;
use crate::glue::var_value::{self, VarOut};
use crate::glue::variable::{self, Getter, VarDef};
use crate::request::{self, RequestCtx};
use crate::signature::state::{Phase as SignaturePhase, Verdict};
use crate::token::read as token_read;
use crate::token::state::TokenPhase;

const AGENT_CLASS: usize = 0;
const AGENT_HOST: usize = 1;
const REASON: usize = 2;
const TOKEN_CLASS: usize = 3;
const TOKEN_ID: usize = 4;
const APP_NAME: usize = 5;
const ACCOUNT: usize = 6;
const LIMIT_STATUS: usize = 7;
const REQUEST: usize = 8;
const AGENT_VERIFIED: usize = 9;
const CLIENT_NET: usize = 10;
const SIGNATURE: usize = 11;
const SIGNER: usize = 12;
const SIGNATURE_KEYID: usize = 13;
const SIGNATURE_KEY_URL: usize = 14;

const fn def(name: &'static str, data: usize, cacheable: bool) -> VarDef {
    VarDef {
        name,
        cacheable,
        data,
    }
}

const VARIABLES: [VarDef; 15] = [
    def("fediguard_agent_class", AGENT_CLASS, true),
    def("fediguard_agent_host", AGENT_HOST, true),
    // The reason changes when the access phase decides.
    def("fediguard_reason", REASON, false),
    // Token values are known only once the access phase has verified.
    def("fediguard_token_class", TOKEN_CLASS, false),
    def("fediguard_token_id", TOKEN_ID, false),
    def("fediguard_app_name", APP_NAME, false),
    def("fediguard_account", ACCOUNT, false),
    def("fediguard_limit_status", LIMIT_STATUS, false),
    // The request line with tokens and secrets redacted, for access logs.
    def("fediguard_request", REQUEST, true),
    // Known once the access phase has verified the claim.
    def("fediguard_agent_verified", AGENT_VERIFIED, false),
    // The client as Mastodon's throttles key it: an IPv6 address's /64.
    def("fediguard_client_net", CLIENT_NET, true),
    // Known once the access phase has checked the signature.
    def("fediguard_signature", SIGNATURE, false),
    def("fediguard_signer", SIGNER, false),
    def("fediguard_signature_keyid", SIGNATURE_KEYID, false),
    // Read by the key fetch's proxy_pass, in its subrequest.
    def("fediguard_signature_key_url", SIGNATURE_KEY_URL, false),
];

/// Registers the variables (preconfiguration).
pub fn add(cf: &mut ngx_conf_t, mcf: &mut MainConf) -> Result<(), String> {
    if !var_value::layout_ok() {
        return Err(
            "fediguard: this platform lays out nginx variable values differently \
                    from what the module was written for"
                .into(),
        );
    }
    let refs = variable::add::<Variables>(cf, &VARIABLES)?;
    for (d, var) in VARIABLES.iter().zip(refs) {
        // Whether the configuration shows names decides whether a
        // verification asks the backend for them.
        match d.data {
            ACCOUNT => mcf.token.name_vars.account = var,
            APP_NAME => mcf.token.name_vars.app = var,
            AGENT_VERIFIED => mcf.claim.var = var,
            SIGNER => mcf.signature.signer_var = var,
            _ => {}
        }
    }
    Ok(())
}

struct Variables;

impl Getter for Variables {
    fn get(r: &Request, data: usize, out: &mut VarOut) -> Option<()> {
        if data == REQUEST {
            return request_line(r, out);
        }
        if data == CLIENT_NET {
            return client_net(r, out);
        }
        if data == SIGNATURE_KEY_URL {
            let ctx = request::find_main(r)?;
            let s = ctx.signature.get()?.try_borrow().ok()?;
            return out.set_copy(r, s.url.as_bytes());
        }
        let (ctx, mcf) = (request::get(r)?, conf::main_conf(r)?);
        value(r, ctx, mcf, data, out)
    }
}

/// Writes variable `data`'s value: a class name (static), or bytes of the
/// request's state copied into its pool.
fn value(
    r: &Request,
    ctx: &RequestCtx,
    mcf: &'static MainConf,
    data: usize,
    out: &mut VarOut,
) -> Option<()> {
    let agent = match data {
        AGENT_CLASS | AGENT_HOST | AGENT_VERIFIED => ctx.agent(r, mcf),
        _ => ctx.agent.get(),
    };
    match data {
        AGENT_CLASS => out.set_static(mcf.agent.class_name(agent.class).as_bytes()),
        AGENT_HOST => out.set_copy(r, agent.host.as_bytes())?,
        AGENT_VERIFIED => {
            let mut claim = ctx.claim.get();
            confirm::peek(r, &mut claim, &agent, &mcf.claim);
            ctx.claim.set(claim);
            if claim.phase != ClaimPhase::Done {
                ctx.claim_read.set(true);
            }
            out.set_static(claim.result.map_or("", Verified::as_str).as_bytes())
        }
        REASON => out.set_static(
            ctx.decision
                .get()
                .reason
                .map_or("", Reason::as_str)
                .as_bytes(),
        ),
        TOKEN_CLASS..=ACCOUNT => {
            let mut token = ctx.token.try_borrow_mut().ok()?;
            token_read::peek(r, &mut token, mcf.token.zone.as_ref());
            if token.phase != TokenPhase::Done {
                ctx.token_read.set(true);
            }
            match data {
                TOKEN_CLASS => {
                    out.set_static(token.class.map_or("", TokenClass::as_str).as_bytes())
                }
                TOKEN_ID => {
                    token.ensure_id();
                    out.set_copy(r, token.id())?
                }
                APP_NAME => out.set_copy(r, token.name_if(TokenClass::App))?,
                _ => out.set_copy(r, token.name_if(TokenClass::User))?,
            }
        }
        // Not found where no fediguard_limit applied, as $limit_req_status.
        LIMIT_STATUS => match ctx.limits.get().status {
            Some(s) => out.set_static(LimitStatus::as_str(s).as_bytes()),
            None => out.set_not_found(),
        },
        SIGNATURE..=SIGNATURE_KEYID => signature_value(r, ctx, data, out)?,
        _ => out.set_static(b""),
    }
    Some(())
}

/// `$fediguard_client_net`: the client's address (after realip) as
/// Mastodon's Rack::Attack keys it: an IPv4 address as it is, an IPv6
/// address's /64 (`2001:db8:1:2::/64`); empty for a Unix socket.
fn client_net(r: &Request, out: &mut VarOut) -> Option<()> {
    let text = match client_ip(r) {
        Some(IpAddr::V4(a)) => a.to_string(),
        Some(IpAddr::V6(a)) => {
            let s = a.segments();
            let net = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
        None => {
            out.set_static(b"");
            return Some(());
        }
    };
    out.set_copy(r, text.as_bytes())
}

/// `$fediguard_signature`, `$fediguard_signer`, `$fediguard_signature_keyid`.
fn signature_value(r: &Request, ctx: &RequestCtx, data: usize, out: &mut VarOut) -> Option<()> {
    let Some(cell) = ctx.signature.get() else {
        // Not checked (yet): empty.
        ctx.signer_read.set(true);
        out.set_static(b"");
        return Some(());
    };
    let s = cell.try_borrow().ok()?;
    if s.phase != SignaturePhase::Done {
        ctx.signer_read.set(true);
    }
    match data {
        SIGNATURE => out.set_static(s.verdict.map_or("", Verdict::as_str).as_bytes()),
        SIGNER => out.set_copy(r, s.signer.as_bytes())?,
        _ => out.set_copy(r, s.key_id.as_bytes())?,
    }
    Some(())
}

/// `$fediguard_request`: the request line, with the values of
/// `access_token`, `bearer_token`, `client_secret`, `refresh_token`,
/// `password` and `code` redacted (as in fediguard's own log lines).
fn request_line(r: &Request, out: &mut VarOut) -> Option<()> {
    let line = r.as_ref().request_line.as_bytes();
    match redact_request_line(line) {
        Cow::Borrowed(_) => out.set_request_line(r),
        Cow::Owned(o) => out.set_copy(r, &o)?,
    }
    Some(())
}
