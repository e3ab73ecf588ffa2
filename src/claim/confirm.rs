//! Verification in the access phase: the request's agent rule has a method
//! (`fediguard_core::claim::Plan`); its ranges answer at once, its DNS
//! method from the zone, where an answer is kept per client address. A
//! request whose address has no answer yet starts one lookup (and marks the
//! address pending, so that concurrent requests, in any worker, wait for
//! that lookup instead of starting their own) and waits without blocking
//! the worker: it returns NGX_AGAIN and looks at the zone again after a
//! short timer, at most `fediguard_verify_timeout`, then goes on unverified.

use core::cell::Cell;
use std::net::IpAddr;

use fediguard_core::claim::answer::{host_key, ptr_key};
use fediguard_core::claim::ranges::canonical;
use fediguard_core::claim::{Answer, Dns, Found, Method, Outcome, Verified};
use fediguard_core::shm_table::Lookup as Seen;
use nginx_sys::NGX_LOG_WARN;
use ngx::http::Request;

use super::conf::ClaimMain;
use super::lookup::{self, NotStarted, Query, Target};
use super::state::{ClaimPhase, ClaimState, Via};
use super::zone::ClaimZone;
use crate::agent::state::AgentState;
use crate::glue::addr::client_ip;
use crate::glue::log::{write, write_for_request};
use crate::glue::rerun::rerun_after;
use crate::glue::resolver::Resolver;
use crate::glue::stats_zone::StatsConf;
use crate::glue::time::now_ms;
use crate::limit::budget::Spend;
use crate::metrics::count;

/// The first look again after a lookup started, and the longest wait
/// between two looks (msec): a loopback DNS server answers within the
/// first, a distant one within a few.
const FIRST_POLL_MS: u64 = 2;
const MAX_POLL_MS: u64 = 32;

thread_local! {
    /// "No resolver" was logged in this worker.
    static WARNED: Cell<bool> = const { Cell::new(false) };
    /// When "over its lookup budget" was last logged in this worker.
    static OVER_BUDGET_LOGGED: Cell<u64> = const { Cell::new(0) };
}

/// A flood is logged, not each of its requests: at most a line a second
/// per worker (each refusal is counted, `fediguard_verify_over_budget_total`).
fn log_over_budget(r: &Request) {
    let now = now_ms();
    if OVER_BUDGET_LOGGED.with(|l| now.saturating_sub(l.get()) < 1000) {
        return;
    }
    OVER_BUDGET_LOGGED.with(|l| l.set(now));
    write_for_request(
        r,
        NGX_LOG_WARN as usize,
        "fediguard: client over its lookup budget (lookup_rate=, lookup_burst= of \
         fediguard_verify_zone): new claims are \"no\", without a lookup",
    );
}

pub enum Confirm {
    Done,
    /// Waiting for a lookup; the access phase runs again.
    Again,
    Error,
}

/// What a verification step needs, handed in by the access handler.
pub struct ClaimCheck<'a> {
    pub main: &'static ClaimMain,
    pub stats: Option<&'a StatsConf>,
    /// `fediguard_verify_timeout` of the location (msec).
    pub timeout_ms: u64,
}

/// What the claim is checked against.
#[derive(Clone, Copy)]
enum Claim<'a> {
    Ptr(&'a [String]),
    Host(&'a [u8]),
}

/// The claim of a request, once its method and address are known.
struct Plan<'a> {
    method: &'a Method,
    addr: IpAddr,
}

/// Moves the request's verification forward.
pub fn advance(
    r: &mut Request,
    st: &mut ClaimState,
    agent: &AgentState,
    v: &ClaimCheck,
) -> Confirm {
    if st.phase == ClaimPhase::Done {
        return Confirm::Done;
    }
    let Some(method) = v.main.plan.method(agent.rule) else {
        return settle(st, None, Via::Nothing);
    };
    let Some(addr) = client_ip(r).map(canonical) else {
        return counted(st, v, agent, None, Via::Nothing);
    };
    let p = Plan { method, addr };
    match immediate(&p, agent) {
        Ok((result, via)) => counted(st, v, agent, result, via),
        Err((claim, via)) => match v.main.zone.as_ref() {
            Some(zone) => dns(r, st, v, agent, zone, &p, claim, via),
            // Without a zone there are no lookups (`nginx -t` refuses a
            // location that would deny by them).
            None => counted(st, v, agent, None, via),
        },
    }
}

/// The result when no lookup is needed (ranges, no DNS method, an instance
/// named by its address), or the claim a lookup must answer.
fn immediate<'a>(
    p: &Plan<'a>,
    agent: &'a AgentState,
) -> Result<(Option<Verified>, Via), (Claim<'a>, Via)> {
    if let Some(t) = &p.method.ranges {
        if t.contains(p.addr) {
            return Ok((Some(Verified::Yes), Via::Ranges));
        }
    }
    // Outside its ranges, a claim without a DNS method is not borne out.
    let outside = p.method.ranges.as_ref().map(|_| Verified::No);
    match &p.method.dns {
        Dns::None => Ok((outside, Via::Ranges)),
        Dns::Ptr(domains) => Err((Claim::Ptr(domains), Via::Rdns)),
        Dns::Host if agent.host.len == 0 => Ok((outside, Via::Host)),
        Dns::Host => {
            let host = agent.host.as_bytes();
            // An instance named by its address needs no lookup.
            let literal = core::str::from_utf8(host)
                .ok()
                .and_then(|h| h.parse::<IpAddr>().ok());
            match literal {
                Some(ip) if canonical(ip) == p.addr => Ok((Some(Verified::Yes), Via::Host)),
                Some(_) => Ok((Some(Verified::No), Via::Host)),
                None => Err((Claim::Host(host), Via::Host)),
            }
        }
    }
}

/// What the zone says of the claim.
enum Look {
    Answer(Option<Verified>),
    /// A lookup is under way, started then.
    Pending(u64),
    /// None is: this request starts it (the key is marked pending).
    Start,
    /// None is, and the worker has too many under way.
    Capped,
}

#[allow(clippy::too_many_arguments)]
fn dns(
    r: &mut Request,
    st: &mut ClaimState,
    v: &ClaimCheck,
    agent: &AgentState,
    zone: &'static ClaimZone,
    p: &Plan,
    claim: Claim,
    via: Via,
) -> Confirm {
    let now = now_ms();
    if st.phase == ClaimPhase::Start {
        st.deadline = now.saturating_add(v.timeout_ms);
        st.poll_ms = FIRST_POLL_MS;
    }
    let resolver = Resolver::of(r);
    // A lookup is a PTR query and a forward one, each up to the resolver's
    // timeout; a pending mark older than that was lost (its worker died).
    let pending_ms = resolver.map_or(0, |r| r.timeout_ms()).saturating_mul(2) + 1000;
    let Some((key, look)) = find(zone, p.addr, claim, now, Some(pending_ms)) else {
        return counted(st, v, agent, None, via);
    };
    let fresh = matches!(look, Look::Start);
    let started = match look {
        Look::Answer(result) => return counted(st, v, agent, result, via),
        Look::Capped => {
            count::verify_capped(v.stats);
            return counted(st, v, agent, None, via);
        }
        Look::Pending(started) => started,
        Look::Start => {
            // A client's own flood of new claims (a new instance host in
            // every request) is never an outage that lets it through: over
            // its budget, the claim is `no`, with no lookup.
            if let Spend::Spent(_) = zone.budget.spend(r) {
                zone.with_table(|t| t.forget(&key));
                count::verify_over_budget(v.stats);
                log_over_budget(r);
                return counted(st, v, agent, Some(Verified::No), Via::Budget);
            }
            let started = match resolver {
                None => Err(NotStarted::NoResolver),
                Some(resolver) => {
                    let target = Target {
                        zone,
                        resolver,
                        key,
                        addr: p.addr,
                    };
                    let query = match claim {
                        Claim::Ptr(_) => Query::Ptr {
                            confirm: v.main.plan.confirm_domains(),
                        },
                        Claim::Host(h) => Query::Host(h),
                    };
                    // The zone's lock is not held: nginx's resolver may
                    // answer from its cache at once, and the handler
                    // stores the answer.
                    lookup::start(target, query)
                }
            };
            if let Err(why) = started {
                zone.with_table(|t| t.forget(&key));
                if why == NotStarted::NoResolver && !WARNED.with(|w| w.replace(true)) {
                    write(
                        r.log(),
                        NGX_LOG_WARN as usize,
                        "fediguard: no \"resolver\" where agents are verified: \
                         claims checked by DNS stay unverified",
                    );
                }
                return counted(st, v, agent, None, via);
            }
            count::verify_lookup(v.stats);
            // Answered already (from the resolver's cache)?
            match find(zone, p.addr, claim, now_ms(), None) {
                Some((_, Look::Answer(result))) => return counted(st, v, agent, result, via),
                _ => now,
            }
        }
    };
    if st.phase == ClaimPhase::Start && !fresh {
        st.coalesced = true;
        count::verify_coalesced(v.stats);
    }
    wait(r, st, v, agent, started, via)
}

/// Looks the claim up in the zone; with `mark` (how long a new lookup may
/// take), a missing answer is marked pending for this request to start.
fn find(
    zone: &ClaimZone,
    addr: IpAddr,
    claim: Claim,
    now: u64,
    mark: Option<u64>,
) -> Option<([u8; 16], Look)> {
    zone.with_table(|t| {
        let secret = t.secret();
        let key = match claim {
            Claim::Ptr(_) => ptr_key(&secret, addr),
            Claim::Host(h) => host_key(&secret, addr, h),
        };
        let found = match t.lookup(&key, now) {
            Seen::Hit(a) if a.found() == Found::Pending => Look::Pending(a.started()),
            Seen::Hit(a) => match outcome(&a, claim) {
                Outcome::Verified(v) => Look::Answer(Some(v)),
                Outcome::Unknown => Look::Answer(None),
                Outcome::Recheck => Look::Start,
            },
            Seen::Pending => Look::Pending(now),
            Seen::Miss => Look::Start,
        };
        let Look::Start = found else {
            return (key, found);
        };
        let Some(pending_ms) = mark else {
            return (key, Look::Pending(now));
        };
        if lookup::in_flight() >= zone.lookups {
            return (key, Look::Capped);
        }
        t.store(&key, Answer::pending(now), now.saturating_add(pending_ms));
        (key, Look::Start)
    })
}

fn outcome(a: &Answer, claim: Claim) -> Outcome {
    match claim {
        Claim::Ptr(domains) => a.ptr_outcome(domains),
        Claim::Host(_) => a.host_outcome(),
    }
}

/// Waits for the lookup started at `started`: until this request's
/// deadline, and no longer than the location's timeout after the lookup
/// began (a lookup that has run that long already is not waited for).
fn wait(
    r: &mut Request,
    st: &mut ClaimState,
    v: &ClaimCheck,
    agent: &AgentState,
    started: u64,
    via: Via,
) -> Confirm {
    let now = now_ms();
    let until = st.deadline.min(started.saturating_add(v.timeout_ms));
    if now >= until {
        return counted(st, v, agent, None, via);
    }
    let ms = st.poll_ms.clamp(1, until - now);
    st.poll_ms = (st.poll_ms * 2).min(MAX_POLL_MS);
    st.phase = ClaimPhase::Waiting;
    if rerun_after(r, ms) {
        Confirm::Again
    } else {
        Confirm::Error
    }
}

fn settle(st: &mut ClaimState, result: Option<Verified>, via: Via) -> Confirm {
    st.result = result;
    st.via = via;
    st.phase = ClaimPhase::Done;
    Confirm::Done
}

/// Settles a claim that had a method, counting it once.
fn counted(
    st: &mut ClaimState,
    v: &ClaimCheck,
    agent: &AgentState,
    result: Option<Verified>,
    via: Via,
) -> Confirm {
    if !st.counted {
        st.counted = true;
        count::verified(v.stats, agent.class, result);
    }
    settle(st, result, via)
}

/// What is known without a lookup or a wait, for `$fediguard_agent_verified`
/// read where claims are not verified (or before the access phase): ranges,
/// and an answer already in the zone. Starts nothing.
pub fn peek(r: &Request, st: &mut ClaimState, agent: &AgentState, main: &ClaimMain) {
    if st.phase != ClaimPhase::Start || st.peeked {
        return;
    }
    st.peeked = true;
    let Some(method) = main.plan.method(agent.rule) else {
        return;
    };
    let Some(addr) = client_ip(r).map(canonical) else {
        return;
    };
    let p = Plan { method, addr };
    let (result, via) = match immediate(&p, agent) {
        Ok(known) => known,
        Err((claim, via)) => {
            let now = now_ms();
            let answer = main.zone.as_ref().and_then(|zone| {
                zone.with_table(|t| {
                    let secret = t.secret();
                    let key = match claim {
                        Claim::Ptr(_) => ptr_key(&secret, addr),
                        Claim::Host(h) => host_key(&secret, addr, h),
                    };
                    match t.peek(&key, now) {
                        Seen::Hit(a) => match outcome(&a, claim) {
                            Outcome::Verified(v) => Some(v),
                            _ => None,
                        },
                        _ => None,
                    }
                })
            });
            (answer.flatten(), via)
        }
    };
    st.result = result;
    st.via = via;
}
