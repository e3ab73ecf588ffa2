//! The log-phase handler: `fediguard_limit_after` charges, and a request
//! made with a watched app's token counts for the app.

use fediguard_core::conf_value::Mode;
use nginx_sys::{ngx_http_request_t, ngx_int_t, NGX_OK};
use ngx::http::Request;

use crate::conf;
use crate::limit::after;
use crate::metrics::count;
use crate::request;

pub unsafe extern "C" fn handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    let req = Request::from_ngx_http_request(r);
    if !req.is_main() {
        return NGX_OK as ngx_int_t;
    }
    // Where fediguard is off in the final location, nothing is charged or
    // counted (the location that checked the token may be another one,
    // after try_files or error_page, but it is on there too).
    let (Some(mcf), Some(lcf)) = (conf::main_conf(req), conf::loc_conf(req)) else {
        return NGX_OK as ngx_int_t;
    };
    if lcf.mode() != Mode::Off {
        after::charge(req, &mcf.limit, &lcf.limit);
        if let Some(ctx) = request::find(req) {
            count::app_request(mcf.metrics.stats(), ctx.token.app, ctx.decision.denied);
        }
    }
    NGX_OK as ngx_int_t
}
