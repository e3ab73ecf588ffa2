//! The directive table. Each entry points at its capability's handler,
//! which is handed only its own part of the configuration; the shared
//! settings (`fediguard`, `fediguard_deny_status`, `fediguard_log_level`)
//! are handled here.

use core::ptr;

use fediguard_core::conf_value::{parse_log_level, parse_mode, parse_status};
use nginx_sys::{
    ngx_command_t, ngx_str_t, ngx_uint_t, NGX_CONF_1MORE, NGX_CONF_2MORE, NGX_CONF_FLAG,
    NGX_CONF_NOARGS, NGX_CONF_TAKE1, NGX_CONF_TAKE2, NGX_CONF_TAKE3, NGX_CONF_TAKE4,
    NGX_HTTP_LOC_CONF, NGX_HTTP_LOC_CONF_OFFSET, NGX_HTTP_MAIN_CONF, NGX_HTTP_MAIN_CONF_OFFSET,
    NGX_HTTP_SRV_CONF,
};
use ngx::ngx_string;

use crate::conf::{LocConf, MainConf};
use crate::glue::directive::{once, set_loc, set_main, Directive, SetFn, SetLoc, SetMain};
use crate::{agent, claim, cluster, limit, metrics, signature, token, watch};

const ANY_LEVEL: u32 = NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF;
const HTTP: u32 = NGX_HTTP_MAIN_CONF;
const LOC: u32 = NGX_HTTP_LOC_CONF;

const fn command(name: ngx_str_t, type_: u32, set: SetFn, conf: usize) -> ngx_command_t {
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
        struct Cmd;
        impl SetMain for Cmd {
            type Main = MainConf;
            fn set(d: &Directive, mcf: &mut MainConf) -> Result<(), String> {
                $handler(d, &mut mcf.$part)
            }
        }
        command(
            ngx_string!($name),
            HTTP | $args,
            set_main::<Cmd>,
            NGX_HTTP_MAIN_CONF_OFFSET,
        )
    }};
}

/// A directive of any level (or `$levels`) whose handler takes
/// `MainConf.$part` and `LocConf.$part`.
macro_rules! loc_cmd {
    ($name:literal, $levels:expr, $part:ident, $handler:path) => {{
        struct Cmd;
        impl SetLoc for Cmd {
            type Main = MainConf;
            type Loc = LocConf;
            fn set(d: &Directive, mcf: &mut MainConf, lcf: &mut LocConf) -> Result<(), String> {
                $handler(d, &mut mcf.$part, &mut lcf.$part)
            }
        }
        command(
            ngx_string!($name),
            $levels,
            set_loc::<Cmd>,
            NGX_HTTP_LOC_CONF_OFFSET,
        )
    }};
}

/// A shared setting, once per level.
macro_rules! common_cmd {
    ($name:literal, $field:ident, $parse:expr) => {{
        struct Cmd;
        impl SetLoc for Cmd {
            type Main = MainConf;
            type Loc = LocConf;
            fn set(d: &Directive, _mcf: &mut MainConf, lcf: &mut LocConf) -> Result<(), String> {
                once(&mut lcf.common.$field, $name, $parse(d.args[0]))
            }
        }
        command(
            ngx_string!($name),
            ANY_LEVEL | NGX_CONF_TAKE1,
            set_loc::<Cmd>,
            NGX_HTTP_LOC_CONF_OFFSET,
        )
    }};
}

/// `fediguard_metrics` sets the location's content handler: the one that
/// hands the page what it shows of every capability. It has no location
/// part of its own.
struct MetricsCmd;

impl SetLoc for MetricsCmd {
    type Main = MainConf;
    type Loc = LocConf;
    fn set(d: &Directive, mcf: &mut MainConf, _lcf: &mut LocConf) -> Result<(), String> {
        let page = crate::glue::lifecycle::content::<crate::metrics_handler::Page>;
        metrics::directives::set_metrics(d, &mut mcf.metrics, Some(page))
    }
}

pub static mut COMMANDS: [ngx_command_t; 28] = [
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
        set_loc::<MetricsCmd>,
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
        NGX_CONF_1MORE,
        claim,
        claim::directives::set_verify_zone
    ),
    loc_cmd!(
        "fediguard_verify_timeout",
        ANY_LEVEL | NGX_CONF_TAKE1,
        claim,
        claim::directives::set_verify_timeout
    ),
    main_cmd!(
        "fediguard_agent_ranges",
        NGX_CONF_TAKE2,
        claim,
        claim::directives::set_agent_ranges
    ),
    main_cmd!(
        "fediguard_agent_verify",
        NGX_CONF_2MORE,
        claim,
        claim::directives::set_agent_verify
    ),
    loc_cmd!(
        "fediguard_agent_deny_unverified",
        ANY_LEVEL | NGX_CONF_1MORE,
        claim,
        claim::directives::set_deny_unverified
    ),
    main_cmd!(
        "fediguard_signature_zone",
        NGX_CONF_1MORE,
        signature,
        signature::directives::set_signature_zone
    ),
    loc_cmd!(
        "fediguard_signature_keys",
        ANY_LEVEL | NGX_CONF_1MORE,
        signature,
        signature::directives::set_signature_keys
    ),
    loc_cmd!(
        "fediguard_signature",
        ANY_LEVEL | NGX_CONF_TAKE1,
        signature,
        signature::directives::set_signature
    ),
    ngx_command_t::empty(),
];
