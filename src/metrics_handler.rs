//! The `fediguard_metrics` content handler: hands the page what it shows
//! of each capability (class names, the verdict cache, the limit zones).

use nginx_sys::{ngx_int_t, NGX_HTTP_INTERNAL_SERVER_ERROR};
use ngx::core::Status;
use ngx::http::Request;

use crate::conf;
use crate::glue::lifecycle::Content;
use crate::metrics::page::{serve, Sources};

pub struct Page;

impl Content for Page {
    fn handle(r: &mut Request) -> Status {
        let Some(mcf) = conf::main_conf(r) else {
            return Status(NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t);
        };
        let sources = Sources {
            classes: mcf.agent.class_names(),
            verdict_cache: mcf.token.zone.as_ref().and_then(|z| z.cache_stats()),
            limit_zones: mcf.limit.occupancy(),
            verify_zone: mcf.claim.zone.as_ref().and_then(|z| z.cache_stats()),
        };
        Status(serve(r, mcf.metrics.stats(), &sources))
    }
}
