//! Moving a request's signature forward, one run of the access phase at a
//! time: the headers read, the body read and hashed, the key from the
//! zone, or fetched (one fetch per keyId at a time across workers, within
//! the client's budget and the worker's cap), then the verdict.

use core::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

use fediguard_core::shm_table::Lookup;
use fediguard_core::signature::{
    key_from_document, key_url, start as start_signature, Header, Outcome, Request as Signed,
    Start, StoredKey, Why,
};
use ngx::core::Status;
use ngx::http::Request;

use super::conf::Keys;
use super::fetch;
use super::inflight;
use super::state::{Phase, SignatureState, Verdict};
use super::zone::KeyZone;
use crate::glue::body::{self, Body};
use crate::glue::request_data::is_https;
use crate::glue::rerun::rerun_after;
use crate::glue::time::now_ms;
use crate::limit::budget::Spend;

/// How long a fetch may take before others stop waiting for it (msec).
const FETCH_MS: u64 = 10_000;
/// A key that is not there (404, 410) is not asked for again for this long.
const MISSING_MS: u64 = 60_000;
/// Nor is one whose fetch failed otherwise (5xx, timeout, refused document).
const FAILED_MS: u64 = 10_000;
/// At most one refetch per keyId for rotation in this time.
const REFETCH_MS: u64 = 60_000;
/// Polling for another request's fetch.
const POLL_MS: u64 = 50;
/// A signature is replayable at most this long (Mastodon's window: 12 h
/// past creation, plus an hour of clock skew).
const SEEN_MS: u64 = 13 * 3600 * 1000;

pub enum Progress {
    /// The verdict is in the state.
    Done,
    /// What wakes the request is armed.
    Wait,
    /// nginx answers with this (reading the body failed: 413, 400...).
    Answer(Status),
    Error,
}

/// What the flow needs from the entry.
pub struct Check<'a> {
    pub zone: &'a KeyZone,
    pub keys: Option<&'a Keys>,
    pub slot: &'a RefCell<SignatureState>,
    /// Arranges that the request's end gives back its fetch place.
    pub give_back_at_end: fn(&Request) -> bool,
}

pub fn advance(r: &mut Request, c: &Check) -> Progress {
    loop {
        let Ok(mut st) = c.slot.try_borrow_mut() else {
            return Progress::Error;
        };
        let next = match st.phase {
            Phase::Done => return Progress::Done,
            Phase::Start => headers(r, &mut st),
            Phase::Body => match body::read(r) {
                Body::Wait => return Progress::Wait,
                Body::Status(s) => return Progress::Answer(s),
                Body::Read => {
                    let Some(p) = st.pending.as_mut() else {
                        return Progress::Error;
                    };
                    if body::chunks(r, |b| p.update_body(b)).is_err() {
                        return Progress::Error;
                    }
                    Phase::Key
                }
            },
            Phase::Key => {
                drop(st);
                return key(r, c);
            }
            Phase::Fetching => {
                if !st.answer.done {
                    return Progress::Wait;
                }
                inflight::leave(&mut st.place);
                fetched(&mut st, c.zone)
            }
        };
        st.phase = next;
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Reads the signature headers.
fn headers(r: &Request, st: &mut SignatureState) -> Phase {
    let list: Vec<Header> = r
        .headers_in_iterator()
        .map(|(n, v)| Header {
            name: n.as_bytes(),
            value: v.as_bytes(),
        })
        .collect();
    let method = core::str::from_utf8(r.as_ref().method_name.as_bytes()).unwrap_or("");
    let uri = core::str::from_utf8(r.as_ref().unparsed_uri.as_bytes()).unwrap_or("");
    let (path, query) = match uri.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (uri, None),
    };
    let authority = list
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(b"host"))
        .and_then(|h| core::str::from_utf8(h.value).ok())
        .unwrap_or("");
    let req = Signed {
        method,
        scheme: if is_https(r) { "https" } else { "http" },
        authority,
        path,
        query,
        headers: &list,
    };
    st.signature = list
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(b"signature"))
        .flat_map(|h| h.value.iter().copied())
        .collect();
    match start_signature(&req, now_secs()) {
        Start::Unsigned => {
            st.verdict = Some(Verdict::None);
            Phase::Done
        }
        Start::Invalid(why) => {
            st.verdict = Some(Verdict::Invalid(why));
            Phase::Done
        }
        Start::Pending(p) => {
            st.scheme = Some(p.scheme());
            st.key_id = p.key_id().to_string();
            let body = p.needs_body();
            st.pending = Some(p);
            if body {
                Phase::Body
            } else {
                Phase::Key
            }
        }
    }
}

/// What the zone says of the key.
enum Found {
    Key(Box<StoredKey>),
    Missing,
    Pending,
    /// Nobody fetches it: this request does (the zone marks it pending).
    Fetch,
}

fn key(r: &mut Request, c: &Check) -> Progress {
    let now = now_ms();
    let Ok(mut st) = c.slot.try_borrow_mut() else {
        return Progress::Error;
    };
    let found = c
        .zone
        .with_key(&st.key_id, |t, fp| match t.lookup(fp, now) {
            Lookup::Hit(k) if k.is_missing() => Found::Missing,
            Lookup::Hit(k) => Found::Key(Box::new(k)),
            Lookup::Pending => Found::Pending,
            Lookup::Miss => Found::Fetch,
        })
        .unwrap_or(Found::Missing);
    match found {
        Found::Key(stored) => {
            let key_id = st.key_id.clone();
            let Some(p) = st.pending.as_mut() else {
                return Progress::Error;
            };
            let out = p.finish(stored.key(&key_id).as_ref());
            if let Outcome::Invalid {
                why: Why::BadSignature | Why::KeyMismatch,
            } = out
            {
                // Rotation: one refetch per keyId a minute.
                let old = now.saturating_sub(stored.fetched_ms) >= REFETCH_MS
                    && now.saturating_sub(stored.refetched_ms) >= REFETCH_MS;
                if old {
                    let mut marked = *stored;
                    marked.refetched_ms = now;
                    st.previous = Some(marked);
                    return begin_fetch(r, &mut st, c, now);
                }
            }
            decide(&mut st, out, c.zone, now);
            Progress::Done
        }
        Found::Missing => {
            unknown(&mut st, FAILED_MS);
            Progress::Done
        }
        Found::Pending => {
            if st.waiting_since == 0 {
                st.waiting_since = now;
            }
            if now.saturating_sub(st.waiting_since) > FETCH_MS {
                unknown(&mut st, FAILED_MS);
                return Progress::Done;
            }
            drop(st);
            if rerun_after(r, POLL_MS) {
                Progress::Wait
            } else {
                Progress::Error
            }
        }
        Found::Fetch => {
            // A wrong digest costs no fetch.
            let Some(p) = st.pending.as_mut() else {
                return Progress::Error;
            };
            match p.finish(None) {
                out @ Outcome::Invalid { .. } => {
                    decide(&mut st, out, c.zone, now);
                    Progress::Done
                }
                _ => begin_fetch(r, &mut st, c, now),
            }
        }
    }
}

/// Starts this request's fetch of the key, if the rules, the client's
/// budget and the worker's cap allow it.
fn begin_fetch(
    r: &mut Request,
    st: &mut core::cell::RefMut<SignatureState>,
    c: &Check,
    now: u64,
) -> Progress {
    let Some(keys) = c.keys else {
        unknown(st, FAILED_MS);
        return Progress::Done;
    };
    let url = match key_url(&st.key_id, |ip| keys.allows(ip)) {
        Ok(u) => u,
        Err(why) => {
            st.verdict = Some(Verdict::Invalid(why));
            st.phase = Phase::Done;
            return Progress::Done;
        }
    };
    if let Spend::Spent(secs) = c.zone.budget.spend(r) {
        unknown(st, secs * 1000);
        return Progress::Done;
    }
    if !st.give_back_set {
        if !(c.give_back_at_end)(r) {
            return Progress::Error;
        }
        st.give_back_set = true;
    }
    if !inflight::enter(&mut st.place, c.zone.in_flight) {
        unknown(st, 1000);
        return Progress::Done;
    }
    c.zone
        .with_key(&st.key_id, |t, fp| t.begin(fp, now + FETCH_MS));
    st.url = url.url;
    st.answer = Default::default();
    st.phase = Phase::Fetching;
    let location = keys.location.clone();
    if fetch::start(r, &location, c.slot).is_err() {
        inflight::leave(&mut st.place);
        c.zone.with_key(&st.key_id, |t, fp| t.forget(fp));
        return Progress::Error;
    }
    Progress::Wait
}

/// The fetch is over: the key stored, or the failure kept briefly.
fn fetched(st: &mut SignatureState, zone: &KeyZone) -> Phase {
    let now = now_ms();
    let answer = core::mem::take(&mut st.answer);
    let key_id = st.key_id.clone();
    let previous = st.previous.take();
    let doc = match (answer.status, answer.body) {
        (200, Some(body)) => Some(key_from_document(&body, &key_id)),
        _ => None,
    };
    match doc {
        Some(Ok(key)) => {
            let Some(mut rec) = StoredKey::new(&key, now) else {
                unknown(st, FAILED_MS);
                return Phase::Done;
            };
            if let Some(prev) = previous {
                rec.refetched_ms = prev.refetched_ms;
            }
            zone.with_key(&key_id, |t, fp| t.store(fp, rec, now + zone.valid_ms));
            let out = match st.pending.as_mut() {
                Some(p) => p.finish(Some(&key)),
                None => return Phase::Done,
            };
            decide(st, out, zone, now);
        }
        Some(Err(why)) => {
            // The document does not vouch for the key: refused, and not
            // fetched again for a while.
            keep_failure(zone, &key_id, previous, now, FAILED_MS);
            st.verdict = Some(Verdict::Invalid(why));
        }
        None => {
            let ms = if matches!(answer.status, 404 | 410) {
                MISSING_MS
            } else {
                FAILED_MS
            };
            keep_failure(zone, &key_id, previous, now, ms);
            unknown(st, ms);
        }
    }
    Phase::Done
}

/// After a failed fetch: the key that was there before (a refetch for
/// rotation), else a `Missing` record for `ms`.
fn keep_failure(zone: &KeyZone, key_id: &str, previous: Option<StoredKey>, now: u64, ms: u64) {
    zone.with_key(key_id, |t, fp| match previous {
        Some(prev) => t.store(fp, prev, now + zone.valid_ms),
        None => t.store(fp, StoredKey::missing(now), now + ms),
    });
}

fn unknown(st: &mut SignatureState, retry_ms: u64) {
    st.verdict = Some(Verdict::Unknown);
    st.retry_secs = retry_ms.div_ceil(1000).max(1);
    st.phase = Phase::Done;
}

/// Records the core's verdict; a valid signature seen before is a replay
/// and charged to nobody.
fn decide(st: &mut SignatureState, out: Outcome, zone: &KeyZone, now: u64) {
    st.phase = Phase::Done;
    match out {
        Outcome::Valid { owner_host, .. } => {
            st.verdict = Some(Verdict::Valid);
            st.replay = zone.seen_before(&st.signature, now, now + SEEN_MS);
            if !st.replay {
                st.signer = owner_host;
            }
        }
        Outcome::Invalid { why } => st.verdict = Some(Verdict::Invalid(why)),
        Outcome::NeedKey { .. } => st.verdict = Some(Verdict::Unknown),
    }
}
