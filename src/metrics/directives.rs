//! `fediguard_metrics_zone`, `fediguard_metrics`.

use fediguard_core::conf_value::parse_zone;
use nginx_sys::ngx_http_handler_pt;

use super::conf::MetricsMain;
use crate::glue::directive::Directive;
use crate::glue::stats_zone::StatsConf;

/// `fediguard_metrics_zone zone=name:size;` (http)
pub fn set_metrics_zone(d: &Directive, main: &mut MetricsMain) -> Result<(), String> {
    let name = "\"fediguard_metrics_zone\"";
    if main.stats.is_some() {
        return Err(format!("{name} directive is duplicate"));
    }
    let (zone, size) = parse_zone(d.args[0]).map_err(|e| format!("{name}: {e}"))?;
    let stats = StatsConf::add(d, &zone, size).map_err(|e| format!("{name}: {e}"))?;
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
    d.set_content_handler(handler)
        .map_err(|e| format!("\"fediguard_metrics\": {e}"))?;
    main.places.push(d.place.clone());
    Ok(())
}
