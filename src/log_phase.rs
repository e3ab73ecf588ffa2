//! The log-phase handler: `fediguard_limit_after` charges, and a request
//! made with a watched app's token counts for the app.

use fediguard_core::conf_value::Mode;
use ngx::core::Status;
use ngx::http::Request;

use crate::conf;
use crate::limit::after;
use crate::metrics::count;
use crate::request;

pub fn handler(r: &mut Request) -> Status {
    if !r.is_main() {
        return Status::NGX_OK;
    }
    // Where fediguard is off in the final location, nothing is charged or
    // counted (the location that checked the token may be another one,
    // after try_files or error_page, but it is on there too).
    let (Some(mcf), Some(lcf)) = (conf::main_conf(r), conf::loc_conf(r)) else {
        return Status::NGX_OK;
    };
    if lcf.mode() != Mode::Off {
        after::charge(r, &mcf.limit, &lcf.limit);
        if let Some(ctx) = request::find(r) {
            let app = ctx.token.try_borrow().map(|t| t.app).unwrap_or_default();
            count::app_request(mcf.metrics.stats(), app, ctx.decision.get().denied);
        }
    }
    Status::NGX_OK
}
