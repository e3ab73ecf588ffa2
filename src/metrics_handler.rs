//! The `fediguard_metrics` content handler: hands the page what it shows
//! of each capability (class names, the verdict cache, the limit zones).

use nginx_sys::{ngx_http_request_t, ngx_int_t, NGX_HTTP_INTERNAL_SERVER_ERROR};
use ngx::http::Request;

use crate::conf;
use crate::metrics::page::{serve, Sources};

pub unsafe extern "C" fn handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    let req = Request::from_ngx_http_request(r);
    let Some(mcf) = conf::main_conf(req) else {
        return NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
    };
    let sources = Sources {
        classes: mcf.agent.class_names(),
        verdict_cache: mcf.token.zone.as_ref().and_then(|z| z.cache_stats()),
        limit_zones: mcf.limit.occupancy(),
        verify_zone: mcf.verify.zone.as_ref().and_then(|z| z.cache_stats()),
    };
    serve(req, mcf.metrics.stats(), &sources)
}
