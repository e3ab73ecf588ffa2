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
use std::net::IpAddr;

use fediguard_core::claim::domains::name_in_any;
use fediguard_core::claim::ranges::canonical;
use fediguard_core::claim::{Answer, Found};
use fediguard_core::shm_table::KEY_LEN;

use super::zone::ClaimZone;
pub use crate::glue::resolver::NotStarted;
use crate::glue::resolver::{resolve_addr, resolve_name, NameAnswer, PtrAnswer, Resolver};
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
    pub resolver: Resolver,
    pub key: [u8; KEY_LEN],
    pub addr: IpAddr,
}

/// One lookup's state, owned by the resolver's handler while it runs.
struct Lookup {
    zone: &'static ClaimZone,
    resolver: Resolver,
    key: [u8; KEY_LEN],
    addr: IpAddr,
    confirm: &'static [String],
    host: bool,
    /// The PTR name, resolved back (empty for an instance host).
    name: Vec<u8>,
}

/// Starts a lookup; its answer (or `Failed`) lands in the zone under
/// `target.key`, maybe before this returns (nginx's resolver answers from
/// its own cache at once). The caller has checked the cap and marked the
/// key pending; it must not hold the zone's lock (the handler takes it).
pub fn start(target: Target, query: Query<'_>) -> Result<(), NotStarted> {
    let (confirm, host) = match query {
        Query::Ptr { confirm } => (confirm, false),
        Query::Host(_) => (&[][..], true),
    };
    let l = Lookup {
        zone: target.zone,
        resolver: target.resolver,
        key: target.key,
        addr: target.addr,
        confirm,
        host,
        name: Vec::new(),
    };
    IN_FLIGHT.with(|n| n.set(n.get() + 1));
    let started = match query {
        Query::Host(h) => resolve_name(target.resolver, h.to_vec(), l, name_done),
        Query::Ptr { .. } => resolve_addr(target.resolver, target.addr, l, addr_done),
    };
    started.map_err(|(_, why)| {
        leave();
        why
    })
}

/// The PTR answer: a name in the configured domains is resolved back; any
/// other name, no name, or no answer is final.
fn addr_done(mut l: Lookup, answer: PtrAnswer) {
    match answer {
        PtrAnswer::Name(name) if !name.is_empty() => {
            if !name_in_any(&name, l.confirm) {
                return finish(&l, Found::Unchecked, &name);
            }
            l.name = name.clone();
            if let Err((l, _)) = resolve_name(l.resolver, name, l, name_done) {
                finish(&l, Found::Failed, b"");
            }
        }
        PtrAnswer::NxDomain => finish(&l, Found::NoName, b""),
        _ => finish(&l, Found::Failed, b""),
    }
}

/// The forward answer (A and AAAA): does it hold the client's address?
fn name_done(l: Lookup, answer: NameAnswer) {
    let matched = match &answer {
        NameAnswer::Addrs(addrs) => addrs.iter().any(|&a| canonical(a) == l.addr),
        _ => false,
    };
    let found = match (answer, l.host) {
        (NameAnswer::Failed, _) => Found::Failed,
        (_, true) if matched => Found::Match,
        (_, true) => Found::NoMatch,
        (_, false) if matched => Found::Confirmed,
        (_, false) => Found::Unconfirmed,
    };
    let name = if l.host { &[][..] } else { &l.name[..] };
    finish(&l, found, name);
}

/// Stores the answer for every worker and ends the lookup.
fn finish(l: &Lookup, found: Found, name: &[u8]) {
    let answer = Answer::done(found, name);
    let until = now_ms().saturating_add(l.zone.ttl(found == Found::Failed));
    l.zone.with_table(|t| t.store(&l.key, answer, until));
    leave();
}

fn leave() {
    IN_FLIGHT.with(|n| n.set(n.get().saturating_sub(1)));
}
