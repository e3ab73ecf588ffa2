//! Token classification in the access phase: read the token, look up its
//! verdict in the zone, verify unknown tokens with subrequests (one request
//! verifies, concurrent ones with the same token wait for its verdict).
//!
//! A new token costs one call, `/oauth/token/info`, plus one for a name
//! only where something shows it (`Need`); a server without that endpoint
//! is asked accounts/verify_credentials, then apps/verify_credentials. No
//! verification starts when the client's budget is spent, too many are in
//! flight, or the backend asked for a pause.

use fediguard_core::fingerprint::fingerprint;
use fediguard_core::stats::AppRef;
use fediguard_core::token::{after_accounts, after_apps, app_name};
use fediguard_core::token::{token_info, well_formed, Answer, Info, Presented, Step};
use fediguard_core::token::{TokenClass, Verdict};
use fediguard_core::verdict_cache::{Cached, Lookup};
use ngx::http::Request;

use super::begin::verify_now;
use super::progress::{Classify, Verify};
use super::read::presented;
use super::state::{TokenPhase, TokenState};
use super::{backend, inflight, slowdown, verify};
use crate::glue::pool::copy as pool_copy;
use crate::glue::process::{alive, own_pid};
use crate::glue::rerun::rerun_after;
use crate::glue::time::now_ms;
use crate::metrics::count;

/// How long a verification may run before other requests presume it lost
/// and verify themselves; keep the verify location's proxy timeouts below.
const PENDING_MS: u64 = 15_000;
/// How often a request waiting for another's verification looks again.
const POLL_MS: u64 = 5;
/// How often it asks whether the worker verifying is still alive: a
/// worker killed mid-verification leaves its mark behind, which is then
/// taken over rather than waited out.
const OWNER_CHECK_MS: u64 = 100;

/// Moves the request's token classification forward.
pub fn advance(r: &mut Request, st: &mut TokenState, v: &Verify) -> Classify {
    match st.phase {
        TokenPhase::Done => Classify::Classified,
        TokenPhase::Start => start(r, st, v),
        TokenPhase::Ready => Classify::Verify,
        TokenPhase::Waiting => {
            let fp = st.fingerprint();
            let now = now_ms();
            let me = Cached::verifier(own_pid());
            let seen = v.zone.with_table(|t| {
                let l = t.lookup(&fp, now);
                if l == Lookup::Miss {
                    t.begin_with(&fp, now + PENDING_MS, me);
                }
                (l, t.until(&fp), t.pending_value(&fp, now))
            });
            match seen {
                Some((Lookup::Hit(c), until, _)) => adopt(r, st, &c, until, now),
                // The verifying worker died: the first to see it verifies.
                Some((Lookup::Pending, _, Some(was))) if orphaned(st, &was, now) => {
                    let took = v
                        .zone
                        .with_table(|t| t.take_over(&fp, now, was, now + PENDING_MS, me));
                    match took {
                        Some(true) => verify_now(r, st, v),
                        _ if now < st.wait_until => wait(r),
                        _ => st.classified(TokenClass::Unknown),
                    }
                }
                Some((Lookup::Pending, _, _)) if now < st.wait_until => wait(r),
                // The verifier's verdict was lost (or it never came): verify.
                Some((Lookup::Miss, _, _)) => verify_now(r, st, v),
                _ => st.classified(TokenClass::Unknown),
            }
        }
        TokenPhase::Info => match st.info.done {
            false => Classify::Again,
            true => after_info(r, st, v),
        },
        TokenPhase::Accounts => {
            let a = st.accounts;
            if !a.done {
                return Classify::Again;
            }
            if let Some(p) = slowed_down(r, st, v, a.status, a.retry_ms) {
                return p;
            }
            let answer = answer_of(&a);
            match a.status {
                200 => {
                    let verdict = match after_accounts(&answer) {
                        Step::Done(verdict) => verdict,
                        // A 200 we cannot read: do not guess from the apps
                        // endpoint (it answers 200 for user tokens too).
                        Step::AskApps => unknown(),
                    };
                    finish(r, st, v, verdict, AppRef::default())
                }
                // A definite refusal: ask whether the token is an app's.
                400..=499 => ask(r, st, v, TokenPhase::Apps),
                _ => finish(r, st, v, unknown(), AppRef::default()),
            }
        }
        TokenPhase::Apps => {
            let (a, b) = (st.accounts, st.apps);
            if !b.done {
                return Classify::Again;
            }
            if let Some(p) = slowed_down(r, st, v, b.status, b.retry_ms) {
                return p;
            }
            let verdict = after_apps(&answer_of(&a), &answer_of(&b));
            finish(r, st, v, verdict, AppRef::default())
        }
        TokenPhase::AccountName => {
            let a = st.accounts;
            if !a.done {
                return Classify::Again;
            }
            // The class is known; a name that cannot be had stays empty.
            let name = match after_accounts(&answer_of(&a)) {
                Step::Done(verdict) => verdict.name,
                Step::AskApps => String::new(),
            };
            finish(
                r,
                st,
                v,
                verdict_of(TokenClass::User, name, ""),
                AppRef::default(),
            )
        }
        TokenPhase::AppName => {
            let b = st.apps;
            if !b.done {
                return Classify::Again;
            }
            let (name, website) = app_name(&answer_of(&b));
            finish(
                r,
                st,
                v,
                verdict_of(TokenClass::App, name, &website),
                AppRef::default(),
            )
        }
    }
}

fn answer_of(a: &super::state::Answer) -> Answer<'_> {
    Answer {
        status: a.status,
        body: a.body.as_bytes(),
    }
}

fn verdict_of(class: TokenClass, name: String, website: &str) -> Verdict {
    Verdict {
        class,
        name,
        website: website.to_string(),
    }
}

fn unknown() -> Verdict {
    verdict_of(TokenClass::Unknown, String::new(), "")
}

/// After `/oauth/token/info`.
fn after_info(r: &mut Request, st: &mut TokenState, v: &Verify) -> Classify {
    let a = st.info;
    if let Some(p) = slowed_down(r, st, v, a.status, a.retry_ms) {
        return p;
    }
    match token_info(&answer_of(&a)) {
        Info::Invalid => finish(
            r,
            st,
            v,
            verdict_of(TokenClass::Invalid, String::new(), ""),
            AppRef::default(),
        ),
        Info::User { .. } if v.need_account => ask(r, st, v, TokenPhase::AccountName),
        Info::User { .. } => finish(
            r,
            st,
            v,
            verdict_of(TokenClass::User, String::new(), ""),
            AppRef::default(),
        ),
        Info::App { client_id } => {
            // An app fediguard saw register is named from its record.
            let known = v
                .stats
                .and_then(|s| s.with_lock(|z| z.app_by_client(&client_id)))
                .flatten();
            match known {
                Some((app, name, website)) => {
                    finish(r, st, v, verdict_of(TokenClass::App, name, &website), app)
                }
                None if v.need_app => ask(r, st, v, TokenPhase::AppName),
                None => finish(
                    r,
                    st,
                    v,
                    verdict_of(TokenClass::App, String::new(), ""),
                    AppRef::default(),
                ),
            }
        }
        Info::NoEndpoint => {
            backend::mark_no_info(v.prefix, now_ms());
            ask(r, st, v, TokenPhase::Accounts)
        }
        Info::Unknown => finish(r, st, v, unknown(), AppRef::default()),
    }
}

/// A backend that asks to slow down: 429 (its throttle for this client or
/// token) or a 5xx with a pause. None for any other answer.
fn slowed_down(
    r: &mut Request,
    st: &mut TokenState,
    v: &Verify,
    status: u16,
    retry_ms: u64,
) -> Option<Classify> {
    if status == 429 {
        let ms = slowdown::throttled(r, v.zone, st.fingerprint(), retry_ms, v.stats);
        inflight::leave(&mut st.place);
        st.retry_secs = ms.div_ceil(1000);
        return Some(st.classified(TokenClass::Limited));
    }
    if status >= 500 && retry_ms > 0 {
        slowdown::paused(v.prefix, retry_ms, status, v.stats);
    }
    None
}

/// Starts the next subrequest, or settles for what is known.
fn ask(r: &mut Request, st: &mut TokenState, v: &Verify, phase: TokenPhase) -> Classify {
    st.phase = phase;
    match verify::start(r, st, v.slot, v.prefix) {
        Ok(()) => {
            count::backend_call(v.stats);
            Classify::Again
        }
        Err(()) => {
            let verdict = match phase {
                // The class is known: only the name is missing.
                TokenPhase::AccountName => verdict_of(TokenClass::User, String::new(), ""),
                TokenPhase::AppName => verdict_of(TokenClass::App, String::new(), ""),
                _ => unknown(),
            };
            finish(r, st, v, verdict, AppRef::default())
        }
    }
}

/// Reads the token where Mastodon reads it from and finds what the zone
/// knows of it.
fn start(r: &mut Request, st: &mut TokenState, v: &Verify) -> Classify {
    let token = match presented(r) {
        Presented::None => return st.classified(TokenClass::None),
        Presented::Malformed(_) => return st.classified(TokenClass::Malformed),
        Presented::Token(t) => t,
    };
    let now = now_ms();
    let seen = v.zone.with_table(|t| {
        let fp = fingerprint(&t.secret(), &token);
        let l = t.lookup(&fp, now);
        match l {
            // Only a token the cache does not know has its alphabet checked.
            Lookup::Miss if !well_formed(&token) => return None,
            Lookup::Miss => t.begin_with(&fp, now + PENDING_MS, Cached::verifier(own_pid())),
            Lookup::Pending => t.stats_mut().coalesced += 1,
            Lookup::Hit(c) if c.class == TokenClass::Limited as u8 => {
                return Some((fp, l, t.until(&fp)))
            }
            Lookup::Hit(_) => {}
        }
        Some((fp, l, None))
    });
    let (fp, lookup, until) = match seen {
        Some(Some(found)) => found,
        Some(None) => return st.classified(TokenClass::Malformed),
        None => return st.classified(TokenClass::Unknown),
    };
    st.set_fingerprint(fp);
    match lookup {
        Lookup::Hit(c) => adopt(r, st, &c, until, now),
        Lookup::Pending => {
            count::verification_coalesced(v.stats);
            st.wait_until = now + PENDING_MS;
            st.phase = TokenPhase::Waiting;
            wait(r)
        }
        Lookup::Miss => {
            let Some(raw) = pool_copy(r, &token) else {
                v.zone.with_table(|t| t.forget(&fp));
                return Classify::Error;
            };
            st.raw = raw;
            st.phase = TokenPhase::Ready;
            Classify::Verify
        }
    }
}

/// Stores a fresh verdict for every worker and takes it for this request.
fn finish(
    r: &mut Request,
    st: &mut TokenState,
    v: &Verify,
    verdict: Verdict,
    app: AppRef,
) -> Classify {
    inflight::leave(&mut st.place);
    let l = v.zone.lifetimes;
    let ttl = match verdict.class {
        TokenClass::User => l.user,
        TokenClass::App => l.app,
        TokenClass::Invalid => l.invalid,
        _ => l.unknown,
    };
    count::verification_outcome(v.stats, verdict.class);
    let fp = st.fingerprint();
    // A token fediguard saw granted keeps counting for its app after its
    // verdict expired and was verified again.
    let app = match (verdict.class, v.stats) {
        (TokenClass::App, Some(stats)) if app.is_none() => {
            stats.with_lock(|z| z.find_token(&fp)).unwrap_or_default()
        }
        _ => app,
    };
    let cached = Cached::new(
        verdict.class as u8,
        verdict.name.as_bytes(),
        verdict.website.as_bytes(),
    )
    .with_app(app);
    let now = now_ms();
    let until = now.saturating_add(ttl);
    // A decided verdict goes to the other hosts (an `unknown` one is this
    // host's trouble, not a fact about the token).
    let decided = matches!(
        verdict.class,
        TokenClass::User | TokenClass::App | TokenClass::Invalid
    );
    let share = v.zone.sync && decided;
    v.zone.with_table(|t| {
        if ttl == 0 {
            t.forget(&fp);
        } else {
            t.store_marked(&fp, cached, until, share);
        }
    });
    adopt(r, st, &cached, Some(until), now)
}

/// Takes a cached verdict for this request.
fn adopt(
    r: &mut Request,
    st: &mut TokenState,
    c: &Cached,
    until: Option<u64>,
    now: u64,
) -> Classify {
    let class = TokenClass::from_u8(c.class).unwrap_or(TokenClass::Unknown);
    if class == TokenClass::Limited {
        let left = until.unwrap_or(now).saturating_sub(now);
        st.retry_secs = left.div_ceil(1000).max(1);
    }
    st.name = pool_copy(r, c.name()).unwrap_or_default();
    st.website = pool_copy(r, c.website()).unwrap_or_default();
    st.app = c.app();
    st.classified(class)
}

/// Whether the worker named in a pending mark is gone (asked at most every
/// OWNER_CHECK_MS per request).
fn orphaned(st: &mut TokenState, mark: &Cached, now: u64) -> bool {
    if now < st.owner_checked.saturating_add(OWNER_CHECK_MS) {
        return false;
    }
    st.owner_checked = now;
    let pid = mark.verifier_pid();
    pid != 0 && pid != own_pid() && !alive(pid)
}

/// Waits (without blocking the worker) for another request's verdict.
fn wait(r: &mut Request) -> Classify {
    if rerun_after(r, POLL_MS) {
        Classify::Again
    } else {
        Classify::Error
    }
}
