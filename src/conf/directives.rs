//! The directives, their contexts and their handlers.

use core::ffi::{c_char, c_void};
use core::ptr;

use fediguard_core::agent::{Pattern, Rule};
use fediguard_core::conf_value::{
    parse_fail, parse_flag, parse_log_level, parse_mode, parse_msec, parse_require, parse_status,
    parse_zone,
};
use nginx_sys::{
    ngx_command_t, ngx_conf_t, ngx_str_t, ngx_uint_t, NGX_CONF_1MORE, NGX_CONF_FLAG,
    NGX_CONF_NOARGS, NGX_CONF_TAKE1, NGX_CONF_TAKE2, NGX_CONF_TAKE3, NGX_CONF_TAKE4,
    NGX_HTTP_LOC_CONF, NGX_HTTP_LOC_CONF_OFFSET, NGX_HTTP_MAIN_CONF, NGX_HTTP_MAIN_CONF_OFFSET,
    NGX_HTTP_SRV_CONF,
};
use ngx::core::NGX_CONF_OK;
use ngx::http::HttpModuleMainConf;
use ngx::ngx_string;

use super::{limits, ClassList, LocConf, MainConf};
use crate::log::{conf_error, ConfPlace};
use crate::token_zone::{Lifetimes, TokenZone};
use crate::Module;

const ANY_LEVEL: u32 = NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF;

const fn command(
    name: ngx_str_t,
    type_: u32,
    set: unsafe extern "C" fn(*mut ngx_conf_t, *mut ngx_command_t, *mut c_void) -> *mut c_char,
    conf: usize,
) -> ngx_command_t {
    ngx_command_t {
        name,
        type_: type_ as ngx_uint_t,
        set: Some(set),
        conf,
        offset: 0,
        post: ptr::null_mut(),
    }
}

pub static mut COMMANDS: [ngx_command_t; 19] = [
    command(
        ngx_string!("fediguard"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_mode,
        NGX_HTTP_LOC_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_agent"),
        NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE2,
        set_agent,
        NGX_HTTP_MAIN_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_agent_catalog"),
        NGX_HTTP_MAIN_CONF | NGX_CONF_FLAG,
        set_agent_catalog,
        NGX_HTTP_MAIN_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_agent_deny"),
        ANY_LEVEL | NGX_CONF_1MORE,
        set_agent_deny,
        NGX_HTTP_LOC_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_deny_status"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_deny_status,
        NGX_HTTP_LOC_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_log_level"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_log_level,
        NGX_HTTP_LOC_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_token_zone"),
        NGX_HTTP_MAIN_CONF | NGX_CONF_1MORE,
        set_token_zone,
        NGX_HTTP_MAIN_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_token_verify"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_token_verify,
        NGX_HTTP_LOC_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_token_require"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_token_require,
        NGX_HTTP_LOC_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_token_fail"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_token_fail,
        NGX_HTTP_LOC_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_limit_zone"),
        NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE3 | NGX_CONF_TAKE4,
        limits::set_limit_zone,
        NGX_HTTP_MAIN_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_limit"),
        ANY_LEVEL | NGX_CONF_1MORE,
        limits::set_limit,
        NGX_HTTP_LOC_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_limit_after"),
        ANY_LEVEL | NGX_CONF_TAKE2,
        limits::set_limit_after,
        NGX_HTTP_LOC_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_limit_status"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_limit_status,
        NGX_HTTP_LOC_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_metrics_zone"),
        NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
        super::visibility::set_metrics_zone,
        NGX_HTTP_MAIN_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_metrics"),
        NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS,
        super::visibility::set_metrics,
        NGX_HTTP_LOC_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_app_watch"),
        NGX_HTTP_LOC_CONF | NGX_CONF_FLAG,
        super::visibility::set_app_watch,
        NGX_HTTP_LOC_CONF_OFFSET,
    ),
    command(
        ngx_string!("fediguard_redis"),
        NGX_HTTP_MAIN_CONF | NGX_CONF_1MORE,
        super::redis::set_redis,
        NGX_HTTP_MAIN_CONF_OFFSET,
    ),
    ngx_command_t::empty(),
];

/// The directive's arguments after its name, as UTF-8.
///
/// # Safety
/// `cf` is the `ngx_conf_t` nginx passes to a directive handler.
unsafe fn args<'a>(cf: *mut ngx_conf_t) -> Result<Vec<&'a str>, *mut c_char> {
    let all: &[ngx_str_t] = (*(*cf).args).as_slice();
    all.iter()
        .skip(1)
        .map(|a| {
            a.to_str()
                .map_err(|_| conf_error(cf, "argument is not valid UTF-8"))
        })
        .collect()
}

/// Runs `f` on the module's configuration of this level (`T`) and the
/// arguments, turning an error message into nginx's "in file:line" report.
unsafe fn with_conf<T>(
    cf: *mut ngx_conf_t,
    conf: *mut c_void,
    f: impl FnOnce(&mut T, &[&str]) -> Result<(), String>,
) -> *mut c_char {
    let args = match args(cf) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let Some(c) = conf.cast::<T>().as_mut() else {
        return conf_error(cf, "no fediguard configuration here");
    };
    match f(c, &args) {
        Ok(()) => NGX_CONF_OK,
        Err(msg) => conf_error(cf, &msg),
    }
}

pub(super) unsafe fn with_loc(
    cf: *mut ngx_conf_t,
    conf: *mut c_void,
    f: impl FnOnce(&mut LocConf, &[&str]) -> Result<(), String>,
) -> *mut c_char {
    with_conf(cf, conf, f)
}

pub(super) unsafe fn with_main(
    cf: *mut ngx_conf_t,
    conf: *mut c_void,
    f: impl FnOnce(&mut MainConf, &[&str]) -> Result<(), String>,
) -> *mut c_char {
    with_conf(cf, conf, f)
}

pub(super) fn once<T>(
    slot: &mut Option<T>,
    name: &str,
    value: Result<T, String>,
) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("\"{name}\" directive is duplicate"));
    }
    *slot = Some(value.map_err(|e| format!("\"{name}\": {e}"))?);
    Ok(())
}

/// A directive that sets one value of the location configuration, once per
/// level, from its single argument.
macro_rules! loc_value {
    ($handler:ident, $name:literal, $field:ident, $parse:expr) => {
        pub(super) unsafe extern "C" fn $handler(
            cf: *mut ngx_conf_t,
            _cmd: *mut ngx_command_t,
            conf: *mut c_void,
        ) -> *mut c_char {
            with_loc(cf, conf, |lcf, a| {
                once(&mut lcf.$field, $name, $parse(a[0]))
            })
        }
    };
}

loc_value!(set_mode, "fediguard", mode, parse_mode);
loc_value!(
    set_deny_status,
    "fediguard_deny_status",
    deny_status,
    parse_status
);
loc_value!(
    set_log_level,
    "fediguard_log_level",
    log_level,
    parse_log_level
);
loc_value!(
    set_token_require,
    "fediguard_token_require",
    token_require,
    parse_require
);
loc_value!(
    set_token_fail,
    "fediguard_token_fail",
    token_fail,
    parse_fail
);
loc_value!(
    set_limit_status,
    "fediguard_limit_status",
    limit_status,
    parse_status
);

unsafe extern "C" fn set_agent(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    with_main(cf, conf, |mcf, a| {
        let pattern = Pattern::parse(a[1]).map_err(|e| format!("\"fediguard_agent\": {e}"))?;
        if a[0] == "off" {
            return Err("\"fediguard_agent\": \"off\" is not a class name".into());
        }
        let class = mcf
            .classes
            .intern(a[0])
            .map_err(|e| format!("\"fediguard_agent\": {e}"))?;
        mcf.rules.push(Rule {
            class,
            pattern,
            needs_instance_url: false,
        });
        Ok(())
    })
}

unsafe extern "C" fn set_agent_catalog(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    with_main(cf, conf, |mcf, a| {
        once(
            &mut mcf.catalog,
            "fediguard_agent_catalog",
            parse_flag(a[0]),
        )
    })
}

/// `fediguard_agent_deny class ...;` may be repeated at one level (the lists
/// add up); a level that has it replaces what it inherits, and `off` clears
/// the inherited list.
unsafe extern "C" fn set_agent_deny(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    let place = ConfPlace::of(cf);
    let Some(mcf) = Module::main_conf_mut(&*cf) else {
        return conf_error(cf, "no fediguard main configuration");
    };
    with_loc(cf, conf, |lcf, a| {
        let list = lcf.agent_deny.get_or_insert_with(ClassList::default);
        for name in a {
            if *name == "off" && (a.len() > 1 || !list.names.is_empty()) {
                return Err("\"fediguard_agent_deny off\" must stand alone".into());
            }
            if list.names.iter().any(|n| n == "off") {
                return Err("\"fediguard_agent_deny off\" must stand alone".into());
            }
            mcf.class_refs.push((name.to_string(), place.clone()));
            list.names.push(name.to_string());
        }
        Ok(())
    })
}

unsafe extern "C" fn set_token_zone(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    let place = ConfPlace::of(cf);
    with_main(cf, conf, |mcf, a| {
        let d = "\"fediguard_token_zone\"";
        if mcf.token_zone.is_some() {
            return Err(format!("{d} directive is duplicate"));
        }
        let (name, size) = parse_zone(a[0]).map_err(|e| format!("{d}: {e}"))?;
        let mut lifetimes = Lifetimes::default();
        let mut sync = false;
        for p in &a[1..] {
            if *p == "sync" {
                sync = true;
                continue;
            }
            let (key, value) = p
                .split_once('=')
                .ok_or_else(|| format!("{d}: invalid parameter \"{p}\""))?;
            let slot = match key {
                "user" => &mut lifetimes.user,
                "app" => &mut lifetimes.app,
                "invalid" => &mut lifetimes.invalid,
                "unknown" => &mut lifetimes.unknown,
                _ => return Err(format!("{d}: invalid parameter \"{p}\"")),
            };
            *slot = parse_msec(value).map_err(|e| format!("{d}: {e}"))?;
        }
        // SAFETY: cf is the configuration being parsed.
        let zone = unsafe { TokenZone::add(cf, &name, size, lifetimes, sync) }
            .map_err(|e| format!("{d}: {e}"))?;
        if sync {
            mcf.sync_places.push(place);
        }
        mcf.token_zone = Some(zone);
        Ok(())
    })
}

unsafe extern "C" fn set_token_verify(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    let place = ConfPlace::of(cf);
    let Some(mcf) = Module::main_conf_mut(&*cf) else {
        return conf_error(cf, "no fediguard main configuration");
    };
    with_loc(cf, conf, |lcf, a| {
        let prefix = match a[0] {
            "off" => String::new(),
            p if p.starts_with('/') && !p.contains(['?', '#', ' ']) => {
                mcf.verify_places.push(place);
                p.trim_end_matches('/').to_string()
            }
            p => {
                return Err(format!(
                    "\"fediguard_token_verify\": invalid prefix \"{p}\": \
                     must be a location path starting with \"/\", or \"off\""
                ))
            }
        };
        once(&mut lcf.token_verify, "fediguard_token_verify", Ok(prefix))
    })
}
