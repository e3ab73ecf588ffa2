//! Admin visibility: `fediguard_metrics_zone`, `fediguard_metrics`,
//! `fediguard_app_watch`.

use core::ffi::{c_char, c_void};

use fediguard_core::conf_value::{parse_flag, parse_zone};
use nginx_sys::{ngx_command_t, ngx_conf_t};
use ngx::http::{HttpModuleLocationConf, HttpModuleMainConf, NgxHttpCoreModule};

use super::directives::{once, with_loc, with_main};
use crate::log::{conf_error, ConfPlace};
use crate::stats_zone::StatsConf;
use crate::Module;

/// `fediguard_metrics_zone zone=name:size;`
pub unsafe extern "C" fn set_metrics_zone(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    with_main(cf, conf, |mcf, a| {
        let d = "\"fediguard_metrics_zone\"";
        if mcf.stats.is_some() {
            return Err(format!("{d} directive is duplicate"));
        }
        let (name, size) = parse_zone(a[0]).map_err(|e| format!("{d}: {e}"))?;
        // SAFETY: cf is the configuration being parsed.
        let stats = unsafe { StatsConf::add(cf, &name, size) }.map_err(|e| format!("{d}: {e}"))?;
        mcf.stats = Some(stats);
        Ok(())
    })
}

/// `fediguard_metrics;`: this location answers with the metrics.
pub unsafe extern "C" fn set_metrics(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    _conf: *mut c_void,
) -> *mut c_char {
    let place = ConfPlace::of(cf);
    let Some(mcf) = Module::main_conf_mut(&*cf) else {
        return conf_error(cf, "no fediguard main configuration");
    };
    let Some(clcf) = NgxHttpCoreModule::location_conf_mut(&*cf) else {
        return conf_error(cf, "no core location configuration");
    };
    if clcf.handler.is_some() {
        return conf_error(
            cf,
            "\"fediguard_metrics\": the location has a handler already",
        );
    }
    clcf.handler = Some(crate::metrics::handler);
    mcf.metrics_places.push(place);
    ngx::core::NGX_CONF_OK
}

/// `fediguard_app_watch on | off;`
pub unsafe extern "C" fn set_app_watch(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    let Some(mcf) = Module::main_conf_mut(&*cf) else {
        return conf_error(cf, "no fediguard main configuration");
    };
    with_loc(cf, conf, |lcf, a| {
        let on = parse_flag(a[0]);
        if on == Ok(true) {
            mcf.app_watch_used = true;
        }
        once(&mut lcf.app_watch, "fediguard_app_watch", on)
    })
}
