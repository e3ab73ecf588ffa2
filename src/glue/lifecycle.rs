//! The http module's life cycle, as nginx calls it: configuration (create,
//! merge, finish), the phase handlers, a worker's start. The entry says
//! what each step does (`Entry`); the C signatures and the casts of what
//! nginx hands over are here.

use core::ffi::{c_char, c_void};
use core::marker::PhantomData;

use nginx_sys::{
    ngx_array_push, ngx_conf_t, ngx_cycle_t, ngx_http_conf_ctx_t, ngx_http_handler_pt,
    ngx_http_module_t, ngx_http_phases_NGX_HTTP_ACCESS_PHASE, ngx_http_phases_NGX_HTTP_LOG_PHASE,
    ngx_http_request_t, ngx_int_t, ngx_module_t, NGX_LOG_EMERG,
};
use ngx::core::Status;
use ngx::http::{
    HttpModule, HttpModuleLocationConf, HttpModuleMainConf, NgxHttpCoreModule, Request,
};

use super::location::LocAt;
use super::log;
use super::module::{ctx_index, module};

/// What the module does at each point of nginx's life cycle.
pub trait Entry: 'static {
    type Main: Default + 'static;
    type Loc: Default + 'static;
    /// Before the `http` block is read: the variables.
    fn preconfiguration(cf: &mut ngx_conf_t, main: &mut Self::Main) -> Result<(), String>;
    /// After it: the output filters (phase handlers are added here).
    /// Runs once the whole `http` block is merged; returns warnings for
    /// `nginx -t` (directives that can have no effect).
    fn postconfiguration(main: &Self::Main) -> Vec<String>;
    /// The `http` block is read: checks that need all of it.
    fn finish(main: &mut Self::Main) -> Result<(), String>;
    fn merge(prev: &Self::Loc, conf: &mut Self::Loc, main: &Self::Main, at: Option<&LocAt>);
    fn access(r: &mut Request) -> Status;
    fn log(r: &mut Request) -> Status;
    /// A worker starts.
    fn init_process(main: &'static Self::Main, cycle: *mut ngx_cycle_t);
}

pub struct Module<E>(PhantomData<E>);

impl<E: Entry> HttpModule for Module<E> {
    fn module() -> &'static ngx_module_t {
        // SAFETY: the module static is written only by nginx while loading.
        unsafe { &*module() }
    }

    unsafe extern "C" fn preconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
        // SAFETY: nginx passes the configuration being parsed.
        let Some(cf) = (unsafe { cf.as_mut() }) else {
            return Status::NGX_ERROR.0;
        };
        // SAFETY: as above; inside the http block.
        let Some(main) = (unsafe { main_conf_of::<E::Main>(cf) }) else {
            return Status::NGX_ERROR.0;
        };
        match E::preconfiguration(cf, main) {
            Ok(()) => Status::NGX_OK.0,
            Err(msg) => {
                log::write(cf.log, NGX_LOG_EMERG as usize, &msg);
                Status::NGX_ERROR.0
            }
        }
    }

    unsafe extern "C" fn postconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
        // SAFETY: nginx passes the configuration being parsed.
        let Some(cf) = (unsafe { cf.as_mut() }) else {
            return Status::NGX_ERROR.0;
        };
        let Some(cmcf) = NgxHttpCoreModule::main_conf_mut(cf) else {
            return Status::NGX_ERROR.0;
        };
        let handlers: [(u32, ngx_http_handler_pt); 2] = [
            (ngx_http_phases_NGX_HTTP_ACCESS_PHASE, Some(access::<E>)),
            (ngx_http_phases_NGX_HTTP_LOG_PHASE, Some(log_phase::<E>)),
        ];
        for (phase, handler) in handlers {
            let phase = &mut cmcf.phases[phase as usize];
            // SAFETY: the phase's handler array, in the configuration pool.
            let h = unsafe { ngx_array_push(&mut phase.handlers) }.cast::<ngx_http_handler_pt>();
            // SAFETY: a new element of the array, sized for a handler.
            match unsafe { h.as_mut() } {
                Some(h) => *h = handler,
                None => return Status::NGX_ERROR.0,
            }
        }
        // SAFETY: as above.
        if let Some(main) = unsafe { main_conf_of::<E::Main>(cf) } {
            for w in E::postconfiguration(main) {
                log::write(cf.log, nginx_sys::NGX_LOG_WARN as usize, &w);
            }
        }
        Status::NGX_OK.0
    }

    unsafe extern "C" fn init_main_conf(cf: *mut ngx_conf_t, conf: *mut c_void) -> *mut c_char {
        // SAFETY: conf is the main configuration create_main_conf made.
        let Some(main) = (unsafe { conf.cast::<E::Main>().as_mut() }) else {
            return ngx::core::NGX_CONF_ERROR;
        };
        match E::finish(main) {
            Ok(()) => ngx::core::NGX_CONF_OK,
            Err(msg) => {
                // The message names the file and line of the directive at
                // fault; cf points at the end of the http block.
                // SAFETY: nginx passes the configuration being parsed.
                log::write(unsafe { (*cf).log }, NGX_LOG_EMERG as usize, &msg);
                ngx::core::NGX_CONF_ERROR
            }
        }
    }
}

// SAFETY: the configuration types below are the ones create_*_conf
// allocate for this module.
unsafe impl<E: Entry> HttpModuleMainConf for Module<E> {
    type MainConf = E::Main;
}

// SAFETY: as above.
unsafe impl<E: Entry> HttpModuleLocationConf for Module<E> {
    type LocationConf = E::Loc;
}

/// Merges a location's configuration with the enclosing level's; needs the
/// main configuration to resolve names, which ngx's `Merge` trait lacks.
unsafe extern "C" fn merge_loc_conf<E: Entry>(
    cf: *mut ngx_conf_t,
    prev: *mut c_void,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes the parent's and this level's configurations,
    // both made by create_loc_conf, and the configuration being parsed.
    let (Some(prev), Some(conf), Some(main)) = (unsafe {
        (
            prev.cast::<E::Loc>().as_ref(),
            conf.cast::<E::Loc>().as_mut(),
            main_conf_of::<E::Main>(cf),
        )
    }) else {
        return ngx::core::NGX_CONF_ERROR;
    };
    E::merge(prev, conf, main, LocAt::of(cf).as_ref());
    ngx::core::NGX_CONF_OK
}

unsafe extern "C" fn access<E: Entry>(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls phase handlers with a live request.
    E::access(unsafe { Request::from_ngx_http_request(r) }).0
}

unsafe extern "C" fn log_phase<E: Entry>(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: as above.
    E::log(unsafe { Request::from_ngx_http_request(r) }).0
}

/// A location's content handler (its `handler`).
pub trait Content {
    fn handle(r: &mut Request) -> Status;
}

/// nginx's entry for a `Content` handler.
pub unsafe extern "C" fn content<C: Content>(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls content handlers with a live request.
    C::handle(unsafe { Request::from_ngx_http_request(r) }).0
}

/// A worker starts.
pub unsafe extern "C" fn init_process<E: Entry>(cycle: *mut ngx_cycle_t) -> ngx_int_t {
    // SAFETY: nginx passes the worker's configured cycle.
    if let Some(main) = unsafe { main_conf_of_cycle::<E::Main>(cycle) } {
        E::init_process(main, cycle);
    }
    Status::NGX_OK.0
}

/// The module's http context, for `ngx_module_t.ctx`.
pub const fn http_module<E: Entry>() -> ngx_http_module_t {
    ngx_http_module_t {
        preconfiguration: Some(Module::<E>::preconfiguration),
        postconfiguration: Some(Module::<E>::postconfiguration),
        create_main_conf: Some(Module::<E>::create_main_conf),
        init_main_conf: Some(Module::<E>::init_main_conf),
        create_srv_conf: None,
        merge_srv_conf: None,
        create_loc_conf: Some(Module::<E>::create_loc_conf),
        merge_loc_conf: Some(merge_loc_conf::<E>),
    }
}

/// The request's `http`-level configuration.
pub fn main_conf<M>(r: &Request) -> Option<&'static M> {
    let raw: *const ngx_http_request_t = (r as *const Request).cast();
    // SAFETY: a live request's main_conf has a slot for every http module;
    // ours holds the configuration create_main_conf allocated, which lives
    // as long as the cycle, longer than any of its requests.
    unsafe { (*(*raw).main_conf.add(ctx_index())).cast::<M>().as_ref() }
}

/// The configuration of the request's location.
pub fn loc_conf<L>(r: &Request) -> Option<&'static L> {
    let raw: *const ngx_http_request_t = (r as *const Request).cast();
    // SAFETY: as in main_conf, for loc_conf.
    unsafe { (*(*raw).loc_conf.add(ctx_index())).cast::<L>().as_ref() }
}

/// The `http`-level configuration while the configuration is parsed.
///
/// # Safety
/// `cf` is the configuration being parsed, inside an `http` block.
pub unsafe fn main_conf_of<M>(cf: *mut ngx_conf_t) -> Option<&'static mut M> {
    // SAFETY: the caller's promise: cf's ctx is the http block's.
    unsafe {
        let ctx = (*cf).ctx.cast::<ngx_http_conf_ctx_t>().as_ref()?;
        (*ctx.main_conf.add(ctx_index())).cast::<M>().as_mut()
    }
}

/// The `http`-level configuration of a running cycle.
///
/// # Safety
/// `cycle` is nginx's current cycle, configured.
unsafe fn main_conf_of_cycle<M>(cycle: *mut ngx_cycle_t) -> Option<&'static M> {
    // SAFETY: the caller's promise; the http module's slot holds its
    // configuration context, ours in it the main configuration.
    unsafe {
        let http = nginx_sys::ngx_http_module.index;
        let ctx = (*(*cycle).conf_ctx.add(http))
            .cast::<ngx_http_conf_ctx_t>()
            .as_ref()?;
        (*ctx.main_conf.add(ctx_index())).cast::<M>().as_ref()
    }
}
