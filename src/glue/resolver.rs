//! nginx's own resolver (the location's `resolver`), never blocking the
//! worker: `ngx_resolve_addr` for a PTR name and `ngx_resolve_name` (A and
//! AAAA), each answering once, from nginx's event loop, with an answer, an
//! error or its timeout. A lookup's state is a box its handler owns, not a
//! request's memory: a request that ends early leaves nothing dangling.
//! The resolver's timers are cancelable, so a worker shutting down after a
//! reload does not wait for them.

use core::ptr;
use std::net::IpAddr;

use nginx_sys::{
    ngx_int_t, ngx_msec_t, ngx_resolve_addr, ngx_resolve_addr_done, ngx_resolve_name,
    ngx_resolve_name_done, ngx_resolve_start, ngx_resolver_ctx_t, ngx_resolver_t, ngx_str_t,
    NGX_OK, NGX_RESOLVE_NXDOMAIN,
};
use ngx::http::{HttpModuleLocationConf, NgxHttpCoreModule, Request};

use super::addr::{ip_of, SockAddr};

/// A location's resolver and its `resolver_timeout`. The resolver lives in
/// the cycle's configuration, as long as the worker that uses it.
#[derive(Clone, Copy)]
pub struct Resolver {
    resolver: *mut ngx_resolver_t,
    timeout: ngx_msec_t,
}

impl Resolver {
    /// The resolver of the request's location, if it has one.
    pub fn of(r: &Request) -> Option<Resolver> {
        let clcf = NgxHttpCoreModule::location_conf(r.as_ref())?;
        if clcf.resolver.is_null() {
            return None;
        }
        Some(Resolver {
            resolver: clcf.resolver,
            timeout: clcf.resolver_timeout.max(1),
        })
    }

    /// The location's `resolver_timeout` (msec).
    pub fn timeout_ms(&self) -> u64 {
        self.timeout as u64
    }
}

/// Why no lookup was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotStarted {
    /// The location has no `resolver`.
    NoResolver,
    /// The resolver could not start it (out of memory).
    Failed,
}

/// A PTR answer.
pub enum PtrAnswer {
    Name(Vec<u8>),
    NxDomain,
    Failed,
}

/// A forward answer: the addresses of the name.
pub enum NameAnswer {
    Addrs(Vec<IpAddr>),
    NxDomain,
    Failed,
}

/// A lookup in flight: the caller's state and its handler.
struct Pending<T, A> {
    state: T,
    done: fn(T, A),
    sa: SockAddr,
    name: Vec<u8>,
}

type Started<T> = Result<(), (T, NotStarted)>;

/// Looks up the PTR name of `addr`; `done` gets `state` back with the
/// answer (never before this returns `Ok`: nginx may answer from its cache
/// within the call, and then `done` has run already).
pub fn resolve_addr<T>(
    res: Resolver,
    addr: IpAddr,
    state: T,
    done: fn(T, PtrAnswer),
) -> Started<T> {
    let mut p = Box::new(Pending {
        state,
        done,
        sa: SockAddr::new(addr),
        name: Vec::new(),
    });
    // SAFETY: nginx's resolver API as its mail module uses it; the context
    // points into the box, which the handler owns from the call on.
    unsafe {
        let ctx = match context(res) {
            Ok(c) => c,
            Err(why) => return Err((p.state, why)),
        };
        (*ctx).addr.sockaddr = p.sa.as_mut_ptr();
        (*ctx).addr.socklen = p.sa.len();
        (*ctx).handler = Some(addr_done::<T>);
        let raw = Box::into_raw(p);
        (*ctx).data = raw.cast();
        // On error nginx has freed the context and never called the
        // handler: the box is ours again.
        if ngx_resolve_addr(ctx) != NGX_OK as ngx_int_t {
            return Err((Box::from_raw(raw).state, NotStarted::Failed));
        }
    }
    Ok(())
}

/// Looks up the addresses of `name` (A and AAAA); as `resolve_addr`.
pub fn resolve_name<T>(
    res: Resolver,
    name: Vec<u8>,
    state: T,
    done: fn(T, NameAnswer),
) -> Started<T> {
    let mut p = Box::new(Pending {
        state,
        done,
        sa: SockAddr::new(IpAddr::from([0u8; 4])),
        name,
    });
    // SAFETY: as in resolve_addr; the name lives in the box until the
    // handler calls ngx_resolve_name_done.
    unsafe {
        let ctx = match context(res) {
            Ok(c) => c,
            Err(why) => return Err((p.state, why)),
        };
        (*ctx).name = ngx_str_t {
            len: p.name.len(),
            data: p.name.as_mut_ptr(),
        };
        (*ctx).handler = Some(name_done::<T>);
        let raw = Box::into_raw(p);
        (*ctx).data = raw.cast();
        if ngx_resolve_name(ctx) != NGX_OK as ngx_int_t {
            return Err((Box::from_raw(raw).state, NotStarted::Failed));
        }
    }
    Ok(())
}

/// A new resolver context, or why not.
///
/// # Safety
/// `res` came from a live location configuration.
unsafe fn context(res: Resolver) -> Result<*mut ngx_resolver_ctx_t, NotStarted> {
    // SAFETY: the caller's promise.
    let ctx = unsafe { ngx_resolve_start(res.resolver, ptr::null_mut()) };
    // NGX_NO_RESOLVER is (void *) -1: a location without `resolver`.
    if ctx as usize == usize::MAX {
        return Err(NotStarted::NoResolver);
    }
    // SAFETY: NULL or a new context.
    let c = unsafe { ctx.as_mut() }.ok_or(NotStarted::Failed)?;
    c.timeout = res.timeout;
    c.set_cancelable(1);
    Ok(ctx)
}

unsafe extern "C" fn addr_done<T>(ctx: *mut ngx_resolver_ctx_t) {
    // SAFETY: nginx calls the handler once with the context we started;
    // its data is our box, given up to the handler.
    let (p, answer) = unsafe {
        let p = Box::from_raw((*ctx).data.cast::<Pending<T, PtrAnswer>>());
        let state = (*ctx).state;
        let answer = if state == NGX_OK as ngx_int_t {
            PtrAnswer::Name((*ctx).name.as_bytes().to_vec())
        } else if state == NGX_RESOLVE_NXDOMAIN as ngx_int_t {
            PtrAnswer::NxDomain
        } else {
            PtrAnswer::Failed
        };
        ngx_resolve_addr_done(ctx);
        (p, answer)
    };
    (p.done)(p.state, answer);
}

unsafe extern "C" fn name_done<T>(ctx: *mut ngx_resolver_ctx_t) {
    // SAFETY: as in addr_done; addrs holds naddrs addresses when the state
    // is NGX_OK.
    let (p, answer) = unsafe {
        let p = Box::from_raw((*ctx).data.cast::<Pending<T, NameAnswer>>());
        let c = &*ctx;
        let answer = if c.state == NGX_OK as ngx_int_t {
            let addrs: &[nginx_sys::ngx_resolver_addr_t] = if c.addrs.is_null() {
                &[]
            } else {
                core::slice::from_raw_parts(c.addrs, c.naddrs)
            };
            NameAnswer::Addrs(addrs.iter().filter_map(|a| ip_of(a.sockaddr)).collect())
        } else if c.state == NGX_RESOLVE_NXDOMAIN as ngx_int_t {
            NameAnswer::NxDomain
        } else {
            NameAnswer::Failed
        };
        ngx_resolve_name_done(ctx);
        (p, answer)
    };
    (p.done)(p.state, answer);
}
