//! DNS lookups through nginx's own resolver (the location's `resolver`),
//! never blocking the worker: `ngx_resolve_addr` for the PTR name,
//! `ngx_resolve_name` (A and AAAA) to resolve it back or to resolve an
//! instance host, each answering in a handler called from nginx's event
//! loop.
//!
//! A lookup belongs to the worker, not to the request that started it: its
//! state is a heap allocation the handlers own, and the answer goes into
//! the zone, where every request of every worker waiting for that address
//! finds it. A request that ends early (the client went away) therefore
//! leaves nothing dangling, and the answer still serves the next request.
//! nginx calls a lookup's handler exactly once, with an answer, an error or
//! its `resolver_timeout`; the resolver's timers are cancelable, so a worker
//! shutting down after a reload does not wait for them.
//!
//! Lookups in flight are capped per worker (`lookups=` of the zone): a
//! flood of new addresses gets unverified answers, never an unbounded
//! queue.

use core::cell::Cell;
use core::ptr;
use std::net::IpAddr;

use fediguard_core::shm_table::KEY_LEN;
use fediguard_core::verify::domains::name_in_any;
use fediguard_core::verify::{Answer, Found};
use nginx_sys::{
    ngx_int_t, ngx_msec_t, ngx_resolve_addr, ngx_resolve_addr_done, ngx_resolve_name,
    ngx_resolve_name_done, ngx_resolve_start, ngx_resolver_ctx_t, ngx_resolver_t, ngx_str_t,
    NGX_OK, NGX_RESOLVE_NXDOMAIN,
};

use super::zone::ClaimZone;
use crate::glue::addr::{ip_of, SockAddr};
use crate::glue::time::now_ms;

thread_local! {
    /// nginx's worker is one thread.
    static IN_FLIGHT: Cell<u32> = const { Cell::new(0) };
}

/// Lookups under way in this worker.
pub fn in_flight() -> u32 {
    IN_FLIGHT.with(Cell::get)
}

/// What to look up for an address.
#[derive(Clone, Copy)]
pub enum Query<'a> {
    /// Its PTR name, resolved back when it is in one of these domains.
    Ptr { confirm: &'static [String] },
    /// Whether this host (an instance's, copied) resolves to it.
    Host(&'a [u8]),
}

/// Where a lookup runs and where its answer goes.
pub struct Target {
    pub zone: &'static ClaimZone,
    pub resolver: *mut ngx_resolver_t,
    /// The location's `resolver_timeout`, for each of the (one or two)
    /// queries.
    pub timeout: ngx_msec_t,
    pub key: [u8; KEY_LEN],
    pub addr: IpAddr,
}

/// One lookup's state, owned by its resolver handler.
struct Lookup {
    zone: &'static ClaimZone,
    resolver: *mut ngx_resolver_t,
    timeout: ngx_msec_t,
    key: [u8; KEY_LEN],
    addr: IpAddr,
    /// The address as nginx's resolver reads it (until addr_done).
    sa: SockAddr,
    confirm: &'static [String],
    host: bool,
    /// The name resolved forward (until name_done).
    name: Vec<u8>,
}

/// Why no lookup was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotStarted {
    /// The location has no `resolver`.
    NoResolver,
    /// The resolver could not start it (out of memory).
    Failed,
}

/// Starts a lookup; its answer (or `Failed`) lands in the zone under
/// `target.key`, maybe before this returns (nginx's resolver answers from
/// its own cache at once). The caller has checked the cap and marked the
/// key pending; it must not hold the zone's lock (the handler takes it).
pub fn start(target: Target, query: Query<'_>) -> Result<(), NotStarted> {
    if target.resolver.is_null() {
        return Err(NotStarted::NoResolver);
    }
    let (confirm, host, name) = match query {
        Query::Ptr { confirm } => (confirm, false, Vec::new()),
        Query::Host(h) => (&[][..], true, h.to_vec()),
    };
    let l = Box::new(Lookup {
        zone: target.zone,
        resolver: target.resolver,
        timeout: target.timeout.max(1),
        key: target.key,
        addr: target.addr,
        sa: SockAddr::new(target.addr),
        confirm,
        host,
        name,
    });
    IN_FLIGHT.with(|n| n.set(n.get() + 1));
    let started = if host {
        resolve_name(l)
    } else {
        resolve_addr(l)
    };
    match started {
        Ok(()) => Ok(()),
        Err((l, why)) => {
            leave(l);
            Err(why)
        }
    }
}

/// A new resolver context for `l`, or why not.
unsafe fn context(l: &Lookup) -> Result<*mut ngx_resolver_ctx_t, NotStarted> {
    let ctx = ngx_resolve_start(l.resolver, ptr::null_mut());
    // NGX_NO_RESOLVER is (void *) -1: a location without `resolver`.
    if ctx as usize == usize::MAX {
        return Err(NotStarted::NoResolver);
    }
    let c = ctx.as_mut().ok_or(NotStarted::Failed)?;
    c.timeout = l.timeout;
    c.set_cancelable(1);
    Ok(ctx)
}

type Started = Result<(), (Box<Lookup>, NotStarted)>;

fn resolve_addr(mut l: Box<Lookup>) -> Started {
    // SAFETY: nginx's resolver API as the mail module uses it; the context
    // points into the box, which the handler owns from the call on.
    unsafe {
        let ctx = match context(&l) {
            Ok(c) => c,
            Err(why) => return Err((l, why)),
        };
        (*ctx).addr.sockaddr = l.sa.as_mut_ptr();
        (*ctx).addr.socklen = l.sa.len();
        (*ctx).handler = Some(addr_done);
        let raw = Box::into_raw(l);
        (*ctx).data = raw.cast();
        // On error nginx has freed the context and never called the
        // handler: the box is ours again.
        if ngx_resolve_addr(ctx) != NGX_OK as ngx_int_t {
            return Err((Box::from_raw(raw), NotStarted::Failed));
        }
    }
    Ok(())
}

fn resolve_name(mut l: Box<Lookup>) -> Started {
    // SAFETY: as in resolve_addr; the name lives in the box until the
    // handler calls ngx_resolve_name_done.
    unsafe {
        let ctx = match context(&l) {
            Ok(c) => c,
            Err(why) => return Err((l, why)),
        };
        (*ctx).name = ngx_str_t {
            len: l.name.len(),
            data: l.name.as_mut_ptr(),
        };
        (*ctx).handler = Some(name_done);
        let raw = Box::into_raw(l);
        (*ctx).data = raw.cast();
        if ngx_resolve_name(ctx) != NGX_OK as ngx_int_t {
            return Err((Box::from_raw(raw), NotStarted::Failed));
        }
    }
    Ok(())
}

/// The PTR answer: a name in the configured domains is resolved back; any
/// other name, no name, or no answer is final.
unsafe extern "C" fn addr_done(ctx: *mut ngx_resolver_ctx_t) {
    let l = (*ctx).data.cast::<Lookup>();
    let state = (*ctx).state;
    let name = if state == NGX_OK as ngx_int_t {
        (*ctx).name.as_bytes().to_vec()
    } else {
        Vec::new()
    };
    ngx_resolve_addr_done(ctx);
    let mut l = Box::from_raw(l);
    if state == NGX_OK as ngx_int_t && !name.is_empty() {
        if !name_in_any(&name, l.confirm) {
            return finish(l, Found::Unchecked, &name);
        }
        l.name = name;
        match resolve_name(l) {
            Ok(()) => {}
            Err((l, _)) => finish(l, Found::Failed, b""),
        }
        return;
    }
    let found = if state == NGX_RESOLVE_NXDOMAIN as ngx_int_t {
        Found::NoName
    } else {
        Found::Failed
    };
    finish(l, found, b"");
}

/// The forward answer (A and AAAA): does it hold the client's address?
unsafe extern "C" fn name_done(ctx: *mut ngx_resolver_ctx_t) {
    let l = Box::from_raw((*ctx).data.cast::<Lookup>());
    let state = (*ctx).state;
    let c = &*ctx;
    let addrs: &[nginx_sys::ngx_resolver_addr_t] =
        if state == NGX_OK as ngx_int_t && !c.addrs.is_null() {
            core::slice::from_raw_parts(c.addrs, c.naddrs)
        } else {
            &[]
        };
    let matched = addrs
        .iter()
        .any(|a| ip_of(a.sockaddr).map(fediguard_core::verify::ranges::canonical) == Some(l.addr));
    ngx_resolve_name_done(ctx);
    let found = match (state, l.host) {
        (s, _) if s != NGX_OK as ngx_int_t && s != NGX_RESOLVE_NXDOMAIN as ngx_int_t => {
            Found::Failed
        }
        (_, true) if matched => Found::Match,
        (_, true) => Found::NoMatch,
        (_, false) if matched => Found::Confirmed,
        (_, false) => Found::Unconfirmed,
    };
    let name = if l.host { Vec::new() } else { l.name.clone() };
    finish(l, found, &name);
}

/// Stores the answer for every worker and ends the lookup.
fn finish(l: Box<Lookup>, found: Found, name: &[u8]) {
    let answer = Answer::done(found, name);
    let until = now_ms().saturating_add(l.zone.ttl(found == Found::Failed));
    l.zone.with_table(|t| t.store(&l.key, answer, until));
    leave(l);
}

fn leave(l: Box<Lookup>) {
    drop(l);
    IN_FLIGHT.with(|n| n.set(n.get().saturating_sub(1)));
}
