//! Token classification in the access phase: read the token, look up its
//! verdict in the zone, verify unknown tokens with subrequests (one request
//! verifies, concurrent ones with the same token wait for its verdict), and
//! enforce `fediguard_token_require`.

use fediguard_core::fingerprint::fingerprint;
use fediguard_core::token::{after_accounts, after_apps, find_token_unchecked, well_formed};
use fediguard_core::token::{Answer, Presented, Step};
use fediguard_core::token::{TokenClass, Verdict};
use fediguard_core::verdict_cache::{Cached, Lookup};
use ngx::http::Request;

use super::state::{TokenPhase, TokenState};
use super::verify;
use super::zone::TokenZone;
use crate::glue::pool::copy as pool_copy;
use crate::glue::rerun::rerun_after;
use crate::glue::time::now_ms;
use crate::metrics::count;
use crate::metrics::zone::StatsConf;

/// How long a verification may run before other requests presume it lost
/// and verify themselves; keep the verify location's proxy timeouts below.
const PENDING_MS: u64 = 15_000;
/// How often a request waiting for another's verification looks again.
const POLL_MS: u64 = 5;

pub enum Progress {
    Classified,
    /// A subrequest or a wait is under way; the access phase runs again.
    Again,
    Error,
}

/// Moves the request's token classification forward.
pub fn advance(
    r: &mut Request,
    ctx: &mut TokenState,
    zone: &TokenZone,
    prefix: &str,
    stats: Option<&StatsConf>,
) -> Progress {
    match ctx.phase {
        TokenPhase::Done => Progress::Classified,
        TokenPhase::Start => start(r, ctx, zone, prefix, stats),
        TokenPhase::Waiting => {
            let fp = ctx.fingerprint();
            let now = now_ms();
            let seen = zone.with_table(|t| {
                let l = t.lookup(&fp, now);
                if l == Lookup::Miss {
                    t.begin(&fp, now + PENDING_MS);
                }
                l
            });
            match seen {
                Some(Lookup::Hit(c)) => adopt(r, ctx, &c),
                Some(Lookup::Pending) if now < ctx.wait_until => wait(r),
                // The verifier's verdict was lost (or it never came): verify.
                Some(Lookup::Miss) => verify_now(r, ctx, zone, prefix, stats),
                _ => classified(ctx, TokenClass::Unknown),
            }
        }
        TokenPhase::Accounts => {
            let a = ctx.accounts;
            if !a.done {
                return Progress::Again;
            }
            let answer = Answer {
                status: a.status,
                body: a.body.as_bytes(),
            };
            match a.status {
                200 => {
                    let v = match after_accounts(&answer) {
                        Step::Done(v) => v,
                        // A 200 we cannot read: do not guess from the apps
                        // endpoint (it answers 200 for user tokens too).
                        Step::AskApps => unknown(),
                    };
                    finish(r, ctx, zone, v, stats)
                }
                // A definite refusal: ask whether the token is an app's.
                400..=499 => {
                    ctx.phase = TokenPhase::Apps;
                    match verify::start(r, ctx, prefix) {
                        Ok(()) => Progress::Again,
                        Err(()) => finish(r, ctx, zone, unknown(), stats),
                    }
                }
                _ => finish(r, ctx, zone, unknown(), stats),
            }
        }
        TokenPhase::Apps => {
            let (a, b) = (ctx.accounts, ctx.apps);
            if !b.done {
                return Progress::Again;
            }
            let v = after_apps(
                &Answer {
                    status: a.status,
                    body: a.body.as_bytes(),
                },
                &Answer {
                    status: b.status,
                    body: b.body.as_bytes(),
                },
            );
            finish(r, ctx, zone, v, stats)
        }
    }
}

fn unknown() -> Verdict {
    Verdict {
        class: TokenClass::Unknown,
        name: String::new(),
        website: String::new(),
    }
}

fn classified(ctx: &mut TokenState, class: TokenClass) -> Progress {
    ctx.class = Some(class);
    ctx.phase = TokenPhase::Done;
    Progress::Classified
}

/// Reads the token where Mastodon reads it from and finds what the zone
/// knows of it.
fn start(
    r: &mut Request,
    ctx: &mut TokenState,
    zone: &TokenZone,
    prefix: &str,
    stats: Option<&StatsConf>,
) -> Progress {
    let token = match presented(r) {
        Presented::None => return classified(ctx, TokenClass::None),
        Presented::Malformed(_) => return classified(ctx, TokenClass::Malformed),
        Presented::Token(t) => t,
    };
    let now = now_ms();
    let seen = zone.with_table(|t| {
        let fp = fingerprint(&t.secret(), &token);
        let l = t.lookup(&fp, now);
        match l {
            // Only a token the cache does not know has its alphabet checked.
            Lookup::Miss if !well_formed(&token) => return None,
            Lookup::Miss => t.begin(&fp, now + PENDING_MS),
            Lookup::Pending => t.stats_mut().coalesced += 1,
            Lookup::Hit(_) => {}
        }
        Some((fp, l))
    });
    let (fp, lookup) = match seen {
        Some(Some(found)) => found,
        Some(None) => return classified(ctx, TokenClass::Malformed),
        None => return classified(ctx, TokenClass::Unknown),
    };
    ctx.set_fingerprint(fp);
    match lookup {
        Lookup::Hit(c) => adopt(r, ctx, &c),
        Lookup::Pending => {
            count::verification_coalesced(stats);
            ctx.wait_until = now + PENDING_MS;
            ctx.phase = TokenPhase::Waiting;
            wait(r)
        }
        Lookup::Miss => {
            let Some(raw) = pool_copy(r, &token) else {
                return Progress::Error;
            };
            ctx.raw = raw;
            verify_now(r, ctx, zone, prefix, stats)
        }
    }
}

/// What can be told of the token without a round trip, for variables read
/// where the token is not checked (or before the access phase): `none`,
/// `malformed`, or a verdict already in the zone. Starts nothing.
pub fn peek(r: &mut Request, ctx: &mut TokenState, zone: Option<&TokenZone>) {
    if ctx.phase != TokenPhase::Start || ctx.peeked {
        return;
    }
    ctx.peeked = true;
    let token = match presented(r) {
        Presented::None => return ctx.class = Some(TokenClass::None),
        Presented::Malformed(_) => return ctx.class = Some(TokenClass::Malformed),
        Presented::Token(t) => t,
    };
    let Some(zone) = zone else {
        return;
    };
    let now = now_ms();
    let seen = zone.with_table(|t| {
        let fp = fingerprint(&t.secret(), &token);
        // A look, not a use: the cache's counters and LRU are left alone.
        (fp, t.peek(&fp, now))
    });
    let Some((fp, lookup)) = seen else { return };
    if lookup == Lookup::Miss && !well_formed(&token) {
        ctx.class = Some(TokenClass::Malformed);
        return;
    }
    ctx.set_fingerprint(fp);
    if let Lookup::Hit(c) = lookup {
        ctx.class = TokenClass::from_u8(c.class);
        ctx.name = pool_copy(r, c.name()).unwrap_or_default();
        ctx.website = pool_copy(r, c.website()).unwrap_or_default();
    }
}

/// The token as presented: the Authorization header (nginx itself refuses
/// a request with two) and the query string. The alphabet of a header
/// token is checked by the caller, only when the zone does not know it.
pub fn presented(r: &Request) -> Presented<'_> {
    // SAFETY: headers_in.authorization is NULL or a header of the request.
    let header = unsafe { r.as_ref().headers_in.authorization.as_ref() };
    let value = header.map(|h| h.value.as_bytes());
    let auth: &[&[u8]] = match &value {
        Some(v) => core::slice::from_ref(v),
        None => &[],
    };
    let args = &r.as_ref().args;
    let query = if args.len > 0 {
        Some(args.as_bytes())
    } else {
        None
    };
    find_token_unchecked(auth, query)
}

/// Starts verifying; the zone already marks the token as pending.
fn verify_now(
    r: &mut Request,
    ctx: &mut TokenState,
    zone: &TokenZone,
    prefix: &str,
    stats: Option<&StatsConf>,
) -> Progress {
    if ctx.raw.len == 0 {
        // Waited for another request, which lost its verdict; this request
        // kept no copy of the token: read it again.
        let t = match presented(r) {
            Presented::Token(t) if well_formed(&t) => t,
            _ => return classified(ctx, TokenClass::Unknown),
        };
        match pool_copy(r, &t) {
            Some(raw) => ctx.raw = raw,
            None => return Progress::Error,
        }
    }
    ctx.phase = TokenPhase::Accounts;
    match verify::start(r, ctx, prefix) {
        Ok(()) => {
            count::verification_started(stats);
            Progress::Again
        }
        Err(()) => {
            let fp = ctx.fingerprint();
            zone.with_table(|t| t.forget(&fp));
            classified(ctx, TokenClass::Unknown)
        }
    }
}

/// Stores a fresh verdict for every worker and takes it for this request.
fn finish(
    r: &mut Request,
    ctx: &mut TokenState,
    zone: &TokenZone,
    v: Verdict,
    stats: Option<&StatsConf>,
) -> Progress {
    let l = zone.lifetimes;
    let ttl = match v.class {
        TokenClass::User => l.user,
        TokenClass::App => l.app,
        TokenClass::Invalid => l.invalid,
        _ => l.unknown,
    };
    count::verification_outcome(stats, v.class);
    let fp = ctx.fingerprint();
    // A token fediguard saw granted keeps counting for its app after its
    // verdict expired and was verified again.
    let app = match (v.class, stats) {
        (TokenClass::App, Some(stats)) => {
            stats.with_lock(|z| z.find_token(&fp)).unwrap_or_default()
        }
        _ => Default::default(),
    };
    let cached = Cached::new(v.class as u8, v.name.as_bytes(), v.website.as_bytes()).with_app(app);
    let until = now_ms().saturating_add(ttl);
    // A decided verdict goes to the other hosts (an `unknown` one is this
    // host's trouble, not a fact about the token).
    let share = zone.sync && v.class != TokenClass::Unknown;
    zone.with_table(|t| {
        if ttl == 0 {
            t.forget(&fp);
        } else {
            t.store_marked(&fp, cached, until, share);
        }
    });
    adopt(r, ctx, &cached)
}

/// Takes a cached verdict for this request.
fn adopt(r: &mut Request, ctx: &mut TokenState, c: &Cached) -> Progress {
    let class = TokenClass::from_u8(c.class).unwrap_or(TokenClass::Unknown);
    ctx.name = pool_copy(r, c.name()).unwrap_or_default();
    ctx.website = pool_copy(r, c.website()).unwrap_or_default();
    ctx.app = c.app();
    classified(ctx, class)
}

/// Waits (without blocking the worker) for another request's verdict.
fn wait(r: &mut Request) -> Progress {
    if rerun_after(r, POLL_MS) {
        Progress::Again
    } else {
        Progress::Error
    }
}
