//! `fediguard_metrics_zone`, `fediguard_metrics`.

use fediguard_core::conf_value::parse_zone;
use nginx_sys::ngx_http_handler_pt;
use ngx::http::{HttpModuleLocationConf, NgxHttpCoreModule};

use super::conf::MetricsMain;
use super::zone::StatsConf;
use crate::glue::directive::Directive;

/// `fediguard_metrics_zone zone=name:size;` (http)
pub fn set_metrics_zone(d: &Directive, main: &mut MetricsMain) -> Result<(), String> {
    let name = "\"fediguard_metrics_zone\"";
    if main.stats.is_some() {
        return Err(format!("{name} directive is duplicate"));
    }
    let (zone, size) = parse_zone(d.args[0]).map_err(|e| format!("{name}: {e}"))?;
    // SAFETY: d.cf is the configuration being parsed.
    let stats = unsafe { StatsConf::add(d.cf, &zone, size) }.map_err(|e| format!("{name}: {e}"))?;
    main.stats = Some(stats);
    Ok(())
}

/// `fediguard_metrics;` (location): the location answers with `handler`,
/// which shows the metrics.
pub fn set_metrics(
    d: &Directive,
    main: &mut MetricsMain,
    handler: ngx_http_handler_pt,
) -> Result<(), String> {
    // SAFETY: d.cf is the configuration being parsed, in a location.
    let Some(clcf) = (unsafe { NgxHttpCoreModule::location_conf_mut(&*d.cf) }) else {
        return Err("no core location configuration".into());
    };
    if clcf.handler.is_some() {
        return Err("\"fediguard_metrics\": the location has a handler already".into());
    }
    clcf.handler = handler;
    main.places.push(d.place.clone());
    Ok(())
}
