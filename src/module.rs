//! The http module's life cycle, as the entry fills it in: the variables
//! before the configuration, the app-watch filters after it, the checks
//! that need the whole `http` block, inheritance, the phase handlers, and
//! what each worker starts. nginx's side of each is `glue::lifecycle`.

use nginx_sys::{ngx_conf_t, ngx_cycle_t};
use ngx::core::Status;
use ngx::http::Request;

use crate::cluster::start;
use crate::conf::{LocConf, MainConf};
use crate::glue::lifecycle::Entry;
use crate::glue::location::LocAt;
use crate::{access, filters, log_phase, variables};

pub struct Fediguard;

impl Entry for Fediguard {
    type Main = MainConf;
    type Loc = LocConf;

    fn preconfiguration(cf: &mut ngx_conf_t, main: &mut MainConf) -> Result<(), String> {
        variables::add(cf, main)
    }

    fn postconfiguration(main: &MainConf) -> Vec<String> {
        // The app watch filters join the output chain only where some
        // location has `fediguard_app_watch on`: other sites' answers do
        // not pass through them at all.
        if main.watch.used {
            filters::install_app_watch();
        }
        // Subrequest answers (token verifications, key fetches) are read by
        // a filter of their own (at most what their reader needs), only
        // where fediguard makes such subrequests.
        if main.token.zone.is_some() || main.signature.zone.is_some() {
            crate::glue::subrequest::install_filter();
        }
        main.lint.warnings()
    }

    fn finish(main: &mut MainConf) -> Result<(), String> {
        main.finish()
    }

    fn merge(prev: &LocConf, conf: &mut LocConf, main: &MainConf, at: Option<&LocAt>) {
        conf.merge(prev, main, at);
    }

    fn access(r: &mut Request) -> Status {
        access::handler(r)
    }

    fn log(r: &mut Request) -> Status {
        log_phase::handler(r)
    }

    /// Worker 0 runs the cluster sync loop, if any.
    fn init_process(main: &'static MainConf, _cycle: *mut ngx_cycle_t) {
        if let Some(redis) = main.cluster.redis.as_ref() {
            let shared = crate::cluster::sync::Shared {
                redis,
                limits: &main.limit,
                tokens: &main.token,
            };
            start::init_process(shared);
        }
    }
}
