//! One sync round: what is sent, and folding in what comes back.

use fediguard_core::cluster::{
    auth_command, fold, hello_command, hex, limit_script_args, read_pulled, read_role, unhex,
    until_for, verdict_script_args, Published,
};
use fediguard_core::shm_table::KEY_LEN;
use fediguard_core::token::TokenClass;
use fediguard_core::verdict_cache::Cached;
use redis::{Cmd, Value};

use super::conn;
use super::link::Which;
use super::sentinel::{self, CHECK_MS};
use super::sync::{Expect, Phase, Shared, Sync};
use crate::glue::time::now_ms;
use crate::limit::zone::LimitTable;

/// Most keys of one zone, and verdicts, sent or read in one round; the
/// rest waits for the next.
const MAX_PER_ROUND: usize = 5_000;
const MAX_PULLED: usize = 1_000;

type Charges = Vec<(usize, Vec<([u8; KEY_LEN], u64)>)>;

/// What every `sync` limit zone charged since the last round.
fn take_charges(sh: &Shared) -> Charges {
    let mut out = Vec::new();
    for (i, z) in sh.limits.zones.iter().enumerate() {
        let LimitTable::Cluster(shared) = &z.zone else {
            continue;
        };
        let mut charges = Vec::new();
        shared.with_table(|t| {
            if t.dirty() == 0 {
                return;
            }
            t.take_dirty(MAX_PER_ROUND, |fp, b, _| {
                if b.pending > 0 {
                    charges.push((*fp, b.pending));
                }
                b.pending = 0;
            });
        });
        if !charges.is_empty() {
            out.push((i, charges));
        }
    }
    out
}

struct Verdict {
    fp: [u8; KEY_LEN],
    class: u8,
    name: Vec<u8>,
    website: Vec<u8>,
    ttl: u64,
}

/// The verdicts this host decided since the last round.
fn take_verdicts(sh: &Shared, now: u64) -> Vec<Verdict> {
    let mut out = Vec::new();
    if let Some(z) = sh.tokens.sync_zone() {
        z.with_table(|t| {
            if t.dirty() == 0 {
                return;
            }
            t.take_dirty(MAX_PER_ROUND, |fp, c, until| {
                out.push(Verdict {
                    fp: *fp,
                    class: c.class,
                    name: c.name().to_vec(),
                    website: c.website().to_vec(),
                    ttl: until.saturating_sub(now),
                })
            });
        });
    }
    out
}

/// The secret this host proposes as the cluster's when Redis has none:
/// its own (the cluster's already, unless Redis lost its data).
fn own_secret(sh: &Shared) -> Option<[u8; 32]> {
    for z in &sh.limits.zones {
        if let LimitTable::Cluster(shared) = &z.zone {
            return shared.with_table(|t| t.secret());
        }
    }
    sh.tokens
        .sync_zone()
        .and_then(|z| z.with_table(|t| t.secret()))
}

/// Starts a round (the tick of an idle loop).
pub fn start(s: &mut Sync) {
    let now = now_ms();
    s.round_started = now;
    // Sentinel mode: nothing goes to Redis before a sentinel named the
    // master; with one named, a sentinel confirms it every second.
    if let Some(w) = s.sentinels.as_ref() {
        let asking = !w.link.is_closed();
        let check_due = now >= w.checked_at.saturating_add(CHECK_MS);
        if w.master.is_none() {
            if !asking && now >= s.next_connect {
                // The answer arms the next tick (or fails, with backoff).
                return sentinel::ask(s);
            }
            if !asking && check_due {
                // While the backoff runs, a master elsewhere (a failover)
                // is tried at once.
                sentinel::ask(s);
            }
            take_charges(&s.shared);
            take_verdicts(&s.shared, now);
            s.arm(s.sync_ms());
            return;
        }
        if !asking && check_due {
            // Beside the round; an answer that names another master ends
            // this round and starts one there.
            sentinel::ask(s);
        }
    }
    if s.data.is_closed() && now < s.next_connect {
        // Taken also while Redis is away: what was charged then is not
        // sent late (the cluster's buckets have drained meanwhile).
        take_charges(&s.shared);
        take_verdicts(&s.shared, now);
        s.arm(s.sync_ms());
        return;
    }
    // Sentinel mode: the first round on a connection only greets and asks
    // the server's role; nothing is written before it says `master`. The
    // charges wait in shared memory for the next round, right after.
    let greeting_only = s.shared.redis.is_sentinel() && s.data.is_closed();
    let (charges, verdicts) = if greeting_only {
        (Vec::new(), Vec::new())
    } else {
        (take_charges(&s.shared), take_verdicts(&s.shared, now))
    };
    if s.data.is_closed() {
        let addr = match s.sentinels.as_ref().and_then(|w| w.master.as_ref()) {
            Some(m) => Some(m.addr.clone()),
            None => s.shared.redis.addrs.first().cloned(),
        };
        if let Err(why) = conn::connect(s, Which::Data, addr.as_ref()) {
            s.fail(&why);
            return;
        }
        if s.data.is_closed() {
            // Failed at once (fail() armed the next attempt).
            return;
        }
    }
    let redis = s.shared.redis;
    let prefix = redis.conf.prefix.as_str();
    let mut cmds: Vec<(Cmd, Expect)> = Vec::new();
    if !s.greeted {
        let (user, pass) = (
            redis.conf.username.as_deref(),
            redis.conf.password.as_deref(),
        );
        if let Some(c) = auth_command(user, pass) {
            cmds.push((c, Expect::Greeting("AUTH")));
        }
        if redis.conf.db != 0 {
            let mut c = redis::cmd("SELECT");
            c.arg(redis.conf.db);
            cmds.push((c, Expect::Greeting("SELECT")));
        }
        if redis.is_sentinel() {
            // The server the sentinels named must be the master.
            cmds.push((hello_command(), Expect::Role));
        }
        s.greeted = true;
    }
    // Every round: the cluster's secret (set by the first host to ask, and
    // again after Redis lost it), which also tells that Redis is there.
    let secret_key = format!("{prefix}secret");
    if let (Some(own), false) = (own_secret(&s.shared), greeting_only) {
        let mut c = redis::cmd("SET");
        c.arg(&secret_key).arg(hex(&own)).arg("NX");
        cmds.push((c, Expect::SetSecret));
    }
    if !greeting_only {
        let mut c = redis::cmd("GET");
        c.arg(&secret_key);
        cmds.push((c, Expect::Secret));
    }
    // Until the zones fingerprint with the cluster's secret, their keys mean
    // nothing to the other hosts: send nothing but the greeting.
    if s.adopted && !greeting_only {
        for (zone, list) in &charges {
            let Some(z) = s.shared.limits.zones.get(*zone) else {
                continue;
            };
            let c = limit_script_args(prefix, &z.name, z.rate, list);
            let keys = list.iter().map(|(fp, _)| *fp).collect();
            cmds.push((c, Expect::Limit { zone: *zone, keys }));
        }
        if let Some(z) = s.shared.tokens.sync_zone() {
            let l = z.lifetimes;
            let longest = l.user.max(l.app).max(l.invalid);
            let publish: Vec<Published> = verdicts
                .iter()
                .map(|v| {
                    (
                        v.fp,
                        v.class,
                        v.name.as_slice(),
                        v.website.as_slice(),
                        v.ttl,
                    )
                })
                .collect();
            let c = verdict_script_args(prefix, &s.last_id, MAX_PULLED, longest, &publish);
            cmds.push((c, Expect::Verdicts));
        }
    }
    let mut out = Vec::new();
    s.expect.clear();
    for (c, e) in cmds {
        out.extend_from_slice(&c.get_packed_command());
        s.expect.push(e);
    }
    s.data.ask(out, s.expect.len());
    s.phase = Phase::Busy;
    s.arm(s.timeout_ms());
    conn::send(s, Which::Data);
}

fn server_error(v: &Value) -> Option<String> {
    match v {
        Value::ServerError(e) => Some(format!("{} {}", e.code(), e.details().unwrap_or_default())),
        _ => None,
    }
}

/// Folds a round's replies into the zones; Err ends the connection.
pub fn apply(s: &mut Sync, replies: Vec<Value>) -> Result<(), String> {
    let expect = core::mem::take(&mut s.expect);
    let now = now_ms();
    for (e, v) in expect.into_iter().zip(replies) {
        if let Some(err) = server_error(&v) {
            let what = match e {
                Expect::Greeting(w) => w,
                Expect::Role => "HELLO",
                Expect::SetSecret | Expect::Secret => "secret",
                Expect::Limit { .. } => "limit script",
                Expect::Verdicts => "verdict script",
            };
            return Err(format!("{what}: {err}"));
        }
        match e {
            Expect::Greeting(_) | Expect::SetSecret => {}
            Expect::Role => {
                let role = read_role(&v)?;
                if role != "master" {
                    return Err(format!("the server is a {role}, not the master"));
                }
                // The round with the charges follows at once.
                s.round_started = 0;
            }
            Expect::Secret => {
                let Value::BulkString(text) = &v else {
                    return Err("no cluster secret".into());
                };
                let secret = unhex::<32>(text).ok_or("unreadable cluster secret")?;
                adopt(&s.shared, secret);
                s.adopted = true;
            }
            Expect::Limit { zone, keys } => {
                let Value::Array(values) = v else {
                    return Err("unreadable limit script reply".into());
                };
                fold_zone(&s.shared, zone, &keys, &values, now);
            }
            Expect::Verdicts => {
                let pulled = read_pulled(&v).ok_or("unreadable verdict script reply")?;
                if let Some(id) = pulled.last_id {
                    s.last_id = id;
                }
                let Some(z) = s.shared.tokens.zone.as_ref() else {
                    continue;
                };
                let l = z.lifetimes;
                z.with_table(|t| {
                    for v in &pulled.verdicts {
                        // This host's lifetimes bound what others decided:
                        // a class it does not cache (0) is not taken.
                        let local = match TokenClass::from_u8(v.class) {
                            Some(TokenClass::User) => l.user,
                            Some(TokenClass::App) => l.app,
                            Some(TokenClass::Invalid) => l.invalid,
                            _ => continue,
                        };
                        let ttl = v.ttl_ms.min(local);
                        if ttl == 0 {
                            continue;
                        }
                        let c = Cached::new(v.class, &v.name, &v.website);
                        t.store(&v.fp, c, now.saturating_add(ttl));
                    }
                });
            }
        }
    }
    Ok(())
}

/// Every `sync` zone takes the cluster's secret; a zone that had another
/// one forgets its entries, whose fingerprints no other host shares.
fn adopt(sh: &Shared, secret: [u8; 32]) {
    let reset = |t_secret: [u8; 32]| t_secret != secret;
    for z in &sh.limits.zones {
        if let LimitTable::Cluster(shared) = &z.zone {
            shared.with_table(|t| {
                if reset(t.secret()) {
                    t.clear(secret)
                }
            });
        }
    }
    if let Some(z) = sh.tokens.sync_zone() {
        z.with_table(|t| {
            if reset(t.secret()) {
                t.clear(secret)
            }
        });
    }
}

fn fold_zone(sh: &Shared, zone: usize, keys: &[[u8; KEY_LEN]], values: &[Value], now: u64) {
    let Some(z) = sh.limits.zones.get(zone) else {
        return;
    };
    let LimitTable::Cluster(shared) = &z.zone else {
        return;
    };
    shared.with_table(|t| {
        for (fp, v) in keys.iter().zip(values) {
            let Value::Int(excess) = v else { continue };
            let excess = u64::try_from(*excess).unwrap_or(0);
            t.update(fp, now, |current| {
                let b = fold(z.rate, current, excess, now);
                let until = until_for(z.rate, &b.bucket, now, z.keep_ms);
                (Some((b, until)), ())
            });
        }
    });
}
