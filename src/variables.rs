//! `$fediguard_*` variables, computed on demand so they work in every
//! location, also where fediguard is off.

use core::ptr::addr_of_mut;

use std::borrow::Cow;

use fediguard_core::limit::LimitStatus;
use fediguard_core::reason::Reason;
use fediguard_core::redact::redact_request_line;
use fediguard_core::token::TokenClass;
use fediguard_core::verify::Verified;
use nginx_sys::{
    ngx_conf_t, ngx_http_add_variable, ngx_http_request_t, ngx_http_variable_t, ngx_int_t,
    ngx_str_t, ngx_variable_value_t, NGX_HTTP_VAR_NOCACHEABLE,
};
use ngx::core::Status;
use ngx::http::Request;
use ngx::ngx_string;

use crate::conf;
use crate::glue::{log, pool, var_value};
use crate::request;
use crate::token::read as token_read;
use crate::token::state::TokenPhase;
use crate::verify::check as verify_check;

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

const fn variable(name: ngx_str_t, data: usize, flags: u32) -> ngx_http_variable_t {
    ngx_http_variable_t {
        name,
        set_handler: None,
        get_handler: Some(get),
        data,
        flags: flags as _,
        index: 0,
    }
}

static mut VARIABLES: [ngx_http_variable_t; 10] = [
    variable(ngx_string!("fediguard_agent_class"), AGENT_CLASS, 0),
    variable(ngx_string!("fediguard_agent_host"), AGENT_HOST, 0),
    // The reason changes when the access phase decides.
    variable(
        ngx_string!("fediguard_reason"),
        REASON,
        NGX_HTTP_VAR_NOCACHEABLE,
    ),
    // Token values are known only once the access phase has verified.
    variable(
        ngx_string!("fediguard_token_class"),
        TOKEN_CLASS,
        NGX_HTTP_VAR_NOCACHEABLE,
    ),
    variable(
        ngx_string!("fediguard_token_id"),
        TOKEN_ID,
        NGX_HTTP_VAR_NOCACHEABLE,
    ),
    variable(
        ngx_string!("fediguard_app_name"),
        APP_NAME,
        NGX_HTTP_VAR_NOCACHEABLE,
    ),
    variable(
        ngx_string!("fediguard_account"),
        ACCOUNT,
        NGX_HTTP_VAR_NOCACHEABLE,
    ),
    variable(
        ngx_string!("fediguard_limit_status"),
        LIMIT_STATUS,
        NGX_HTTP_VAR_NOCACHEABLE,
    ),
    // The request line with tokens and secrets redacted, for access logs.
    variable(ngx_string!("fediguard_request"), REQUEST, 0),
    // Known once the access phase has verified the claim.
    variable(
        ngx_string!("fediguard_agent_verified"),
        AGENT_VERIFIED,
        NGX_HTTP_VAR_NOCACHEABLE,
    ),
];

/// Registers the variables (preconfiguration).
///
/// # Safety
/// `cf` is the configuration nginx passes to preconfiguration.
pub unsafe fn add(cf: *mut ngx_conf_t) -> Status {
    // SAFETY: VARIABLES is only touched here, single-threaded, at
    // configuration time.
    if !var_value::layout_ok() {
        // SAFETY: cf is the configuration being parsed.
        log::write(
            unsafe { (*cf).log },
            nginx_sys::NGX_LOG_EMERG as usize,
            "fediguard: this platform lays out nginx variable values differently \
             from what the module was written for",
        );
        return Status::NGX_ERROR;
    }
    let vars = unsafe { &mut *addr_of_mut!(VARIABLES) };
    let Some(mcf) = (unsafe { conf::main_conf_of(cf) }) else {
        return Status::NGX_ERROR;
    };
    for v in vars.iter_mut() {
        let var = unsafe { ngx_http_add_variable(cf, &mut v.name, v.flags) };
        let Some(var_ref) = (unsafe { var.as_mut() }) else {
            return Status::NGX_ERROR;
        };
        var_ref.get_handler = v.get_handler;
        var_ref.data = v.data;
        // Whether the configuration shows names decides whether a
        // verification asks the backend for them.
        match v.data {
            ACCOUNT => mcf.token.name_vars.account = var,
            APP_NAME => mcf.token.name_vars.app = var,
            AGENT_VERIFIED => mcf.verify.var = var,
            _ => {}
        }
    }
    Status::NGX_OK
}

unsafe extern "C" fn get(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    data: usize,
) -> ngx_int_t {
    // SAFETY: nginx calls variable handlers with a live request and a value
    // to fill in.
    let (r, v) = unsafe { (Request::from_ngx_http_request(r), &mut *v) };
    if data == REQUEST {
        return request_line(r, v);
    }
    let (Some(ctx), Some(mcf)) = (request::get(r), conf::main_conf(r)) else {
        return Status::NGX_ERROR.0;
    };
    if data == AGENT_CLASS || data == AGENT_HOST || data == AGENT_VERIFIED {
        ctx.agent.ensure(r, &mcf.agent, mcf.metrics.stats());
    }
    if data == AGENT_VERIFIED {
        verify_check::peek(r, &mut ctx.verify, &ctx.agent, &mcf.verify);
    }
    if (TOKEN_CLASS..=ACCOUNT).contains(&data) {
        token_read::peek(r, &mut ctx.token, mcf.token.zone.as_ref());
        if ctx.token.phase != TokenPhase::Done {
            ctx.token.read_early = true;
        }
    }
    if data == TOKEN_ID {
        ctx.token.ensure_id();
    }
    let token = &ctx.token;
    let value: &[u8] = match data {
        AGENT_CLASS => mcf.agent.class_name(ctx.agent.class).as_bytes(),
        AGENT_HOST => ctx.agent.host.as_bytes(),
        REASON => ctx
            .decision
            .reason
            .map(Reason::as_str)
            .unwrap_or("")
            .as_bytes(),
        TOKEN_CLASS => token.class.map(TokenClass::as_str).unwrap_or("").as_bytes(),
        TOKEN_ID => token.id(),
        APP_NAME => token.name_if(TokenClass::App),
        ACCOUNT => token.name_if(TokenClass::User),
        LIMIT_STATUS => ctx
            .limit_status
            .map(LimitStatus::as_str)
            .unwrap_or("")
            .as_bytes(),
        AGENT_VERIFIED => ctx.verify.result.map_or("", Verified::as_str).as_bytes(),
        _ => b"",
    };
    var_value::write(v, value.as_ptr(), value.len());
    Status::NGX_OK.0
}

/// `$fediguard_request`: the request line, with the values of
/// `access_token`, `bearer_token`, `client_secret`, `refresh_token`,
/// `password` and `code` redacted (as in fediguard's own log lines).
fn request_line(r: &Request, v: &mut ngx_variable_value_t) -> ngx_int_t {
    let line = r.as_ref().request_line.as_bytes();
    let value = match redact_request_line(line) {
        Cow::Borrowed(b) => ngx_str_t {
            len: b.len(),
            data: b.as_ptr().cast_mut(),
        },
        Cow::Owned(o) => match pool::copy(r, &o) {
            Some(s) => s,
            None => return Status::NGX_ERROR.0,
        },
    };
    var_value::write(v, value.data, value.len);
    Status::NGX_OK.0
}
