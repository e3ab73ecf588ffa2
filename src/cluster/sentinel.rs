//! Sentinel mode: where the master is. Before the first round, and again
//! after any failure of the data connection (refused, lost, timed out, an
//! error reply such as `-READONLY`, a server that is not the master), the
//! sentinels are asked, one after the other, starting with the last that
//! answered: `SENTINEL get-master-addr-by-name`. While rounds go well, one
//! sentinel is asked again every second, beside the rounds, so that a
//! failover is followed even while the old master still takes writes; and
//! during the backoff after a failure, so that a master at another
//! address is tried at once.
//!
//! Each question is one short connection to a sentinel, on the same
//! non-blocking machinery as the rounds, with its own timeout.

use fediguard_core::cluster::{
    addr_text, auth_command, master_addr_command, read_master_addr, Endpoint,
};
use nginx_sys::{NGX_LOG_NOTICE, NGX_LOG_WARN};
use redis::Value;

use super::conn;
use super::link::Which;
use super::peer::Master;
use super::sync::{Phase, Sync};
use crate::glue::time::now_ms;

/// How often the sentinels are asked whether the master moved.
pub const CHECK_MS: u64 = 1000;

/// Asks a sentinel where the master is, unless a question is under way:
/// to find it (no master known: nothing is sent to Redis until a sentinel
/// says), or to check it (every second, beside the rounds).
pub fn ask(s: &mut Sync) {
    let Endpoint::Sentinel(conf) = &s.shared.redis.conf.endpoint else {
        return;
    };
    let redis: &'static super::conf::RedisTarget = s.shared.redis;
    let addrs = &redis.addrs;
    let timeout = s.timeout_ms();
    let Some(w) = s.sentinels.as_mut() else {
        return;
    };
    if !w.link.is_closed() || addrs.is_empty() {
        return;
    }
    let i = w.next % addrs.len();
    let mut out = Vec::new();
    let mut n = 0;
    if let Some(c) = auth_command(conf.username.as_deref(), conf.password.as_deref()) {
        out.extend_from_slice(&c.get_packed_command());
        n += 1;
    }
    out.extend_from_slice(&master_addr_command(&conf.master).get_packed_command());
    w.timer.add(timeout.max(1));
    if let Err(why) = conn::connect(s, Which::Sentinel, Some(&addrs[i])) {
        return answered(s, Err(why));
    }
    match s.sentinels.as_mut() {
        Some(w) if !w.link.is_closed() => w.link.ask(out, n + 1),
        // Failed at once (answered).
        _ => return,
    }
    conn::send(s, Which::Sentinel);
}

/// The sentinel link's timeout.
pub fn on_timeout(s: &mut Sync) {
    if s.sentinels.as_ref().is_some_and(|w| !w.link.is_closed()) {
        answered(s, Err("timed out".into()));
    }
}

/// The name of the sentinel last asked, for messages.
fn sentinel_name(s: &Sync, i: usize) -> String {
    match &s.shared.redis.conf.endpoint {
        Endpoint::Sentinel(c) => c
            .sentinels
            .get(i)
            .map(|(h, p)| fediguard_core::cluster::host_port_text(h, *p))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// What a sentinel answered (or why it did not). Set as the loop's
/// `on_sentinel`.
pub fn answered(s: &mut Sync, result: Result<Vec<Value>, String>) {
    let n = s.shared.redis.addrs.len().max(1);
    let Some(w) = s.sentinels.as_mut() else {
        return;
    };
    w.close();
    let i = w.next % n;
    let named = result.and_then(|values| {
        // AUTH's reply (if any) first; an error reply is the failure.
        for v in &values {
            if let Value::ServerError(e) = v {
                return Err(format!("{} {}", e.code(), e.details().unwrap_or_default()));
            }
        }
        read_master_addr(values.last().ok_or("no reply")?)
    });
    let (ip, port) = match named {
        Ok(a) => a,
        Err(why) => return sentinel_failed(s, i, n, &why),
    };
    let text = addr_text(ip, port);
    let Some(w) = s.sentinels.as_mut() else {
        return;
    };
    w.tries = 0;
    w.check_failed = false;
    let now = now_ms();
    w.checked_at = now;
    let moved = match &w.master {
        Some(m) if m.text == text => return,
        Some(_) => true,
        None => {
            if w.failed.as_deref() == Some(text.as_str()) && now < s.next_connect {
                // Still where it failed: the backoff goes on.
                return;
            }
            false
        }
    };
    let master = Master::new(ip, port);
    s.next_connect = 0;
    // A new master (or the first): rounds go there from now on.
    s.close();
    s.phase = Phase::Idle;
    if moved {
        s.log(
            NGX_LOG_NOTICE,
            &format!(
                "fediguard: redis {} moved to {} (sentinel {}), following",
                s.redis_name(),
                master.text,
                sentinel_name(s, i)
            ),
        );
        // The first round there says "connected" again.
        s.up = None;
    }
    if let Some(w) = s.sentinels.as_mut() {
        w.master = Some(master);
    }
    s.arm(1);
}

fn sentinel_failed(s: &mut Sync, i: usize, n: usize, why: &str) {
    let name = sentinel_name(s, i);
    let Some(w) = s.sentinels.as_mut() else {
        return;
    };
    w.next = (i + 1) % n;
    if w.master.is_some() {
        // A check: rounds go on with the master known; said once.
        if !w.check_failed {
            w.check_failed = true;
            s.log(
                NGX_LOG_WARN,
                &format!("fediguard: redis sentinel {name} unavailable ({why}), asking the others"),
            );
        }
        return;
    }
    w.tries += 1;
    if w.tries < n {
        return ask(s);
    }
    w.tries = 0;
    s.fail(&format!("no sentinel answered; sentinel {name}: {why}"));
}
