//! `$fediguard_*` variables, computed on demand so they work in every
//! location, also where fediguard is off.

use core::ptr::addr_of_mut;

use fediguard_core::limit::LimitStatus;
use fediguard_core::reason::Reason;
use fediguard_core::token::TokenClass;
use nginx_sys::{
    ngx_conf_t, ngx_http_add_variable, ngx_http_request_t, ngx_http_variable_t, ngx_int_t,
    ngx_str_t, ngx_variable_value_t, NGX_HTTP_VAR_NOCACHEABLE,
};
use ngx::core::Status;
use ngx::http::Request;
use ngx::ngx_string;

use crate::conf;
use crate::glue::{log, var_value};
use crate::request;
use crate::token::check as token_check;

const AGENT_CLASS: usize = 0;
const AGENT_HOST: usize = 1;
const REASON: usize = 2;
const TOKEN_CLASS: usize = 3;
const TOKEN_ID: usize = 4;
const APP_NAME: usize = 5;
const ACCOUNT: usize = 6;
const LIMIT_STATUS: usize = 7;

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

static mut VARIABLES: [ngx_http_variable_t; 8] = [
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
    for v in vars.iter_mut() {
        let var = unsafe { ngx_http_add_variable(cf, &mut v.name, v.flags) };
        let Some(var) = (unsafe { var.as_mut() }) else {
            return Status::NGX_ERROR;
        };
        var.get_handler = v.get_handler;
        var.data = v.data;
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
    let (Some(ctx), Some(mcf)) = (request::get(r), conf::main_conf(r)) else {
        return Status::NGX_ERROR.0;
    };
    if data == AGENT_CLASS || data == AGENT_HOST {
        ctx.agent.ensure(r, &mcf.agent, mcf.metrics.stats());
    }
    if (TOKEN_CLASS..=ACCOUNT).contains(&data) {
        token_check::peek(r, &mut ctx.token, mcf.token.zone.as_ref());
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
        _ => b"",
    };
    var_value::write(v, value.as_ptr(), value.len());
    Status::NGX_OK.0
}
