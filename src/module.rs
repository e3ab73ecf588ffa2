//! The http module: its configuration's life cycle (create, merge, finish),
//! its phase handlers, and what each worker starts.

use core::ffi::{c_char, c_void};

use nginx_sys::{
    ngx_array_push, ngx_conf_t, ngx_cycle_t, ngx_http_handler_pt, ngx_http_module_t,
    ngx_http_phases_NGX_HTTP_ACCESS_PHASE, ngx_http_phases_NGX_HTTP_LOG_PHASE, ngx_int_t,
    ngx_module_t, NGX_LOG_EMERG,
};
use ngx::core::Status;
use ngx::http::{HttpModule, HttpModuleLocationConf, HttpModuleMainConf, NgxHttpCoreModule};

use crate::cluster::start;
use crate::conf::{main_conf_of, main_conf_of_cycle, LocConf, MainConf};
use crate::glue::log;
use crate::glue::module::module;
use crate::{access, filters, log_phase, variables};

pub struct Module;

impl HttpModule for Module {
    fn module() -> &'static ngx_module_t {
        // SAFETY: the module static is written only by nginx while loading.
        unsafe { &*module() }
    }

    unsafe extern "C" fn preconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
        variables::add(cf).0
    }

    unsafe extern "C" fn postconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
        let Some(cmcf) = NgxHttpCoreModule::main_conf_mut(&*cf) else {
            return Status::NGX_ERROR.0;
        };
        let phase = &mut cmcf.phases[ngx_http_phases_NGX_HTTP_ACCESS_PHASE as usize];
        let h = ngx_array_push(&mut phase.handlers).cast::<ngx_http_handler_pt>();
        if h.is_null() {
            return Status::NGX_ERROR.0;
        }
        *h = Some(access::handler);
        let phase = &mut cmcf.phases[ngx_http_phases_NGX_HTTP_LOG_PHASE as usize];
        let h = ngx_array_push(&mut phase.handlers).cast::<ngx_http_handler_pt>();
        if h.is_null() {
            return Status::NGX_ERROR.0;
        }
        *h = Some(log_phase::handler);
        // The app watch filters join the output chain only where some
        // location has `fediguard_app_watch on`: other sites' answers do
        // not pass through them at all.
        if main_conf_of(cf).is_some_and(|m| m.watch.used) {
            filters::install_app_watch();
        }
        // Verification answers are read by a filter of their own (at most
        // what the classification needs), only where tokens are verified.
        if main_conf_of(cf).is_some_and(|m| m.token.zone.is_some()) {
            crate::glue::subrequest::install_filter();
        }
        Status::NGX_OK.0
    }

    unsafe extern "C" fn init_main_conf(cf: *mut ngx_conf_t, conf: *mut c_void) -> *mut c_char {
        let Some(mcf) = conf.cast::<MainConf>().as_mut() else {
            return ngx::core::NGX_CONF_ERROR;
        };
        match mcf.finish() {
            Ok(()) => ngx::core::NGX_CONF_OK,
            Err(msg) => {
                // The message names the file and line of the directive at
                // fault; cf points at the end of the http block.
                log::write((*cf).log, NGX_LOG_EMERG as usize, &msg);
                ngx::core::NGX_CONF_ERROR
            }
        }
    }
}

// SAFETY: the configuration types below are the ones create_*_conf allocate.
unsafe impl HttpModuleMainConf for Module {
    type MainConf = MainConf;
}

unsafe impl HttpModuleLocationConf for Module {
    type LocationConf = LocConf;
}

/// Merges a location's configuration with the enclosing level's; needs the
/// main configuration to resolve names, which the `Merge` trait lacks.
unsafe extern "C" fn merge_loc_conf(
    cf: *mut ngx_conf_t,
    prev: *mut c_void,
    conf: *mut c_void,
) -> *mut c_char {
    let (Some(prev), Some(conf), Some(mcf)) = (
        prev.cast::<LocConf>().as_ref(),
        conf.cast::<LocConf>().as_mut(),
        main_conf_of(cf),
    ) else {
        return ngx::core::NGX_CONF_ERROR;
    };
    conf.merge(prev, mcf);
    ngx::core::NGX_CONF_OK
}

/// A worker starts: worker 0 runs the cluster sync loop, if any.
pub unsafe extern "C" fn init_process(cycle: *mut ngx_cycle_t) -> ngx_int_t {
    let Some(mcf) = main_conf_of_cycle(cycle) else {
        return Status::NGX_OK.0;
    };
    if let Some(redis) = mcf.cluster.redis.as_ref() {
        let shared = crate::cluster::sync::Shared {
            redis,
            limits: &mcf.limit,
            tokens: &mcf.token,
        };
        start::init_process(cycle, shared);
    }
    Status::NGX_OK.0
}

pub static CTX: ngx_http_module_t = ngx_http_module_t {
    preconfiguration: Some(Module::preconfiguration),
    postconfiguration: Some(Module::postconfiguration),
    create_main_conf: Some(Module::create_main_conf),
    init_main_conf: Some(Module::init_main_conf),
    create_srv_conf: None,
    merge_srv_conf: None,
    create_loc_conf: Some(Module::create_loc_conf),
    merge_loc_conf: Some(merge_loc_conf),
};
