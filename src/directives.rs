//! The directive table. Each entry points at its capability's handler,
//! which is handed only its own part of the configuration; the shared
//! settings (`fediguard`, `fediguard_deny_status`, `fediguard_log_level`)
//! are handled here.

use core::ffi::{c_char, c_void};
use core::ptr;

use fediguard_core::conf_value::{parse_log_level, parse_mode, parse_status};
use nginx_sys::{
    ngx_command_t, ngx_conf_t, ngx_str_t, ngx_uint_t, NGX_CONF_1MORE, NGX_CONF_2MORE,
    NGX_CONF_FLAG, NGX_CONF_NOARGS, NGX_CONF_TAKE1, NGX_CONF_TAKE2, NGX_CONF_TAKE3, NGX_CONF_TAKE4,
    NGX_HTTP_LOC_CONF, NGX_HTTP_LOC_CONF_OFFSET, NGX_HTTP_MAIN_CONF, NGX_HTTP_MAIN_CONF_OFFSET,
    NGX_HTTP_SRV_CONF,
};
use ngx::ngx_string;

use crate::conf::{main_conf_of, Common, LocConf, MainConf};
use crate::glue::directive::{once, run, Directive};
use crate::{agent, cluster, limit, metrics, token, verify, watch};

const ANY_LEVEL: u32 = NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF;
const HTTP: u32 = NGX_HTTP_MAIN_CONF;
const LOC: u32 = NGX_HTTP_LOC_CONF;

type Set = unsafe extern "C" fn(*mut ngx_conf_t, *mut ngx_command_t, *mut c_void) -> *mut c_char;

const fn command(name: ngx_str_t, type_: u32, set: Set, conf: usize) -> ngx_command_t {
    ngx_command_t {
        name,
        type_: type_ as ngx_uint_t,
        set: Some(set),
        conf,
        offset: 0,
        post: ptr::null_mut(),
    }
}

/// An `http`-level directive whose handler takes `MainConf.$part`.
macro_rules! main_cmd {
    ($name:literal, $args:expr, $part:ident, $handler:path) => {{
        unsafe extern "C" fn set(
            cf: *mut ngx_conf_t,
            _cmd: *mut ngx_command_t,
            conf: *mut c_void,
        ) -> *mut c_char {
            run(cf, |d| match conf.cast::<MainConf>().as_mut() {
                Some(mcf) => $handler(d, &mut mcf.$part),
                None => Err("no fediguard configuration here".into()),
            })
        }
        command(
            ngx_string!($name),
            HTTP | $args,
            set,
            NGX_HTTP_MAIN_CONF_OFFSET,
        )
    }};
}

/// A directive of any level (or `$levels`) whose handler takes
/// `MainConf.$part` and `LocConf.$part`.
macro_rules! loc_cmd {
    ($name:literal, $levels:expr, $part:ident, $handler:path) => {{
        unsafe extern "C" fn set(
            cf: *mut ngx_conf_t,
            _cmd: *mut ngx_command_t,
            conf: *mut c_void,
        ) -> *mut c_char {
            run(cf, |d| {
                match (main_conf_of(cf), conf.cast::<LocConf>().as_mut()) {
                    (Some(mcf), Some(lcf)) => $handler(d, &mut mcf.$part, &mut lcf.$part),
                    _ => Err("no fediguard configuration here".into()),
                }
            })
        }
        command(ngx_string!($name), $levels, set, NGX_HTTP_LOC_CONF_OFFSET)
    }};
}

/// A shared setting, once per level.
macro_rules! common_cmd {
    ($name:literal, $field:ident, $parse:expr) => {{
        fn set_common(d: &Directive, _m: &mut (), c: &mut Common) -> Result<(), String> {
            once(&mut c.$field, $name, $parse(d.args[0]))
        }
        unsafe extern "C" fn set(
            cf: *mut ngx_conf_t,
            _cmd: *mut ngx_command_t,
            conf: *mut c_void,
        ) -> *mut c_char {
            run(cf, |d| match conf.cast::<LocConf>().as_mut() {
                Some(lcf) => set_common(d, &mut (), &mut lcf.common),
                None => Err("no fediguard configuration here".into()),
            })
        }
        command(
            ngx_string!($name),
            ANY_LEVEL | NGX_CONF_TAKE1,
            set,
            NGX_HTTP_LOC_CONF_OFFSET,
        )
    }};
}

/// `fediguard_metrics` sets the location's content handler: the one that
/// hands the page what it shows of every capability.
fn set_metrics(
    d: &Directive,
    main: &mut metrics::conf::MetricsMain,
    _loc: &mut (),
) -> Result<(), String> {
    metrics::directives::set_metrics(d, main, Some(crate::metrics_handler::handler))
}

/// `fediguard_metrics` has no location part of its own.
unsafe extern "C" fn set_metrics_cmd(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    _conf: *mut c_void,
) -> *mut c_char {
    run(cf, |d| match main_conf_of(cf) {
        Some(mcf) => set_metrics(d, &mut mcf.metrics, &mut ()),
        None => Err("no fediguard main configuration".into()),
    })
}

pub static mut COMMANDS: [ngx_command_t; 25] = [
    common_cmd!("fediguard", mode, parse_mode),
    main_cmd!(
        "fediguard_agent",
        NGX_CONF_TAKE2,
        agent,
        agent::directives::set_agent
    ),
    main_cmd!(
        "fediguard_agent_list",
        NGX_CONF_TAKE2,
        agent,
        agent::directives::set_agent_list
    ),
    main_cmd!(
        "fediguard_agent_catalog",
        NGX_CONF_FLAG,
        agent,
        agent::directives::set_agent_catalog
    ),
    loc_cmd!(
        "fediguard_agent_deny",
        ANY_LEVEL | NGX_CONF_1MORE,
        agent,
        agent::directives::set_agent_deny
    ),
    common_cmd!("fediguard_deny_status", deny_status, parse_status),
    common_cmd!("fediguard_log_level", log_level, parse_log_level),
    main_cmd!(
        "fediguard_token_zone",
        NGX_CONF_1MORE,
        token,
        token::directives::set_token_zone
    ),
    loc_cmd!(
        "fediguard_token_verify",
        ANY_LEVEL | NGX_CONF_TAKE1,
        token,
        token::directives::set_token_verify
    ),
    loc_cmd!(
        "fediguard_token_require",
        ANY_LEVEL | NGX_CONF_TAKE1,
        token,
        token::directives::set_token_require
    ),
    loc_cmd!(
        "fediguard_token_fail",
        ANY_LEVEL | NGX_CONF_TAKE1,
        token,
        token::directives::set_token_fail
    ),
    main_cmd!(
        "fediguard_limit_zone",
        NGX_CONF_TAKE3 | NGX_CONF_TAKE4,
        limit,
        limit::directives::set_limit_zone
    ),
    loc_cmd!(
        "fediguard_limit",
        ANY_LEVEL | NGX_CONF_1MORE,
        limit,
        limit::directives::set_limit
    ),
    loc_cmd!(
        "fediguard_limit_after",
        ANY_LEVEL | NGX_CONF_TAKE2,
        limit,
        limit::directives::set_limit_after
    ),
    loc_cmd!(
        "fediguard_limit_status",
        ANY_LEVEL | NGX_CONF_TAKE1,
        limit,
        limit::directives::set_limit_status
    ),
    main_cmd!(
        "fediguard_metrics_zone",
        NGX_CONF_TAKE1,
        metrics,
        metrics::directives::set_metrics_zone
    ),
    command(
        ngx_string!("fediguard_metrics"),
        LOC | NGX_CONF_NOARGS,
        set_metrics_cmd,
        NGX_HTTP_LOC_CONF_OFFSET,
    ),
    loc_cmd!(
        "fediguard_app_watch",
        LOC | NGX_CONF_FLAG,
        watch,
        watch::conf::set_app_watch
    ),
    main_cmd!(
        "fediguard_redis",
        NGX_CONF_1MORE,
        cluster,
        cluster::conf::set_redis
    ),
    main_cmd!(
        "fediguard_verify_zone",
        NGX_CONF_TAKE1 | NGX_CONF_TAKE2 | NGX_CONF_TAKE3,
        verify,
        verify::directives::set_verify_zone
    ),
    loc_cmd!(
        "fediguard_verify_timeout",
        ANY_LEVEL | NGX_CONF_TAKE1,
        verify,
        verify::directives::set_verify_timeout
    ),
    main_cmd!(
        "fediguard_agent_ranges",
        NGX_CONF_TAKE2,
        verify,
        verify::directives::set_agent_ranges
    ),
    main_cmd!(
        "fediguard_agent_verify",
        NGX_CONF_2MORE,
        verify,
        verify::directives::set_agent_verify
    ),
    loc_cmd!(
        "fediguard_agent_deny_unverified",
        ANY_LEVEL | NGX_CONF_1MORE,
        verify,
        verify::directives::set_deny_unverified
    ),
    ngx_command_t::empty(),
];
