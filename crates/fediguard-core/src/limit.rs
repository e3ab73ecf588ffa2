//! Rate limits: nginx's limit_req leaky bucket, in the same fixed-point
//! arithmetic (milli-requests), so that for the same rate and burst it gives
//! the same answers, with a request's cost as a multiplier of its charge.
//!
//! A key's state is its `excess` (milli-requests beyond the rate) and the
//! time it was last charged. A request of cost `c` (1000 = one request)
//! finds `excess - rate * ms / 1000 + c`, clamped at 0; above the burst it
//! is rejected and nothing changes. A key whose bucket has drained far
//! enough to answer as a new key would is forgotten (`drained_at`), so idle
//! keys cost no memory.

/// One key's bucket.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bucket {
    /// Milli-requests beyond the rate.
    pub excess: u64,
    /// When it was last charged (msec).
    pub last: u64,
}

/// What a limit answers for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Let through; the bucket as it is after this request.
    Pass { bucket: Bucket },
    /// Over the burst; `excess` is what the request would have made it.
    Reject { excess: u64 },
}

/// A limit's fixed parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Milli-requests per second (limit_req's `ctx->rate`).
    pub rate: u64,
    /// Milli-requests beyond the rate let through at once.
    pub burst: u64,
    /// Milli-requests beyond the rate let through without delay
    /// (`nodelay` is the whole burst).
    pub delay: u64,
}

/// Charges a request of `cost` milli-requests to `bucket` (None: a key seen
/// for the first time, or drained) at time `now`.
///
/// A request of cost c counts as c/1000 requests. As in limit_req, the
/// bucket's `excess` is what it holds beyond one request: one request's
/// worth of a charge may fall within the rate, the rest is excess. For cost
/// 1 this is limit_req's formula, `max(excess - drained + 1000, 0)`; for a
/// larger cost the rest is added on top, so a heavy request is never free,
/// even for a new key (a registration of cost 5 at 1r/m passes once per 5
/// minutes, also for a client that waits for its key to be forgotten). A
/// request costing more than `burst` + 1 is never admitted.
pub fn charge(limit: &Limit, bucket: Option<Bucket>, now: u64, cost: u64) -> Outcome {
    let (level, last) = match bucket {
        // limit_req: a new key starts at excess 0 with a request of cost 1.
        None => (0, now),
        Some(b) => {
            let ms = elapsed(b.last, now);
            let drained = (limit.rate as u128 * ms as u128 / 1000).min(u64::MAX as u128) as u64;
            (
                b.excess.saturating_add(1000).saturating_sub(drained),
                // limit_req moves `last` only when time has passed.
                if ms != 0 { now } else { b.last },
            )
        }
    };
    let excess = level.saturating_add(cost).saturating_sub(1000);
    if excess > limit.burst {
        return Outcome::Reject { excess };
    }
    Outcome::Pass {
        bucket: Bucket { excess, last },
    }
}

/// Charges after the fact (`fediguard_limit_after`): never rejects.
pub fn charge_after(limit: &Limit, bucket: Option<Bucket>, now: u64, cost: u64) -> Bucket {
    let b = bucket.unwrap_or(Bucket {
        excess: 0,
        last: now,
    });
    let ms = elapsed(b.last, now);
    let drained = (limit.rate as u128 * ms as u128 / 1000).min(u64::MAX as u128) as u64;
    Bucket {
        excess: b.excess.saturating_sub(drained).saturating_add(cost),
        last: if ms != 0 { now } else { b.last },
    }
}

/// limit_req's clock handling: a clock that went back a little counts as no
/// time, one that jumped back over a minute as 1 ms.
fn elapsed(last: u64, now: u64) -> u64 {
    if now >= last {
        now - last
    } else if last - now > 60_000 {
        1
    } else {
        0
    }
}

/// How long to delay a request that passed with `excess` (limit_req's
/// account step): nothing up to `delay`, then the time to drain the rest.
pub fn delay_ms(limit: &Limit, excess: u64) -> u64 {
    if excess <= limit.delay || limit.rate == 0 {
        return 0;
    }
    ((excess - limit.delay) as u128 * 1000 / limit.rate as u128) as u64
}

/// When the bucket answers as a new key would: its excess plus one request
/// have drained. The table forgets it then.
pub fn drained_at(limit: &Limit, b: &Bucket) -> u64 {
    if limit.rate == 0 {
        return u64::MAX;
    }
    let ms = (b.excess as u128 + 1000) * 1000;
    let ms = ms.div_ceil(limit.rate as u128).min(u64::MAX as u128 / 2) as u64;
    b.last.saturating_add(ms)
}

/// Seconds until a rejected request (with `excess`) would pass: for
/// `Retry-After`, at least 1.
pub fn retry_after_secs(limit: &Limit, excess: u64) -> u64 {
    if limit.rate == 0 {
        return 1;
    }
    let over = excess.saturating_sub(limit.burst) as u128;
    ((over * 1000).div_ceil(limit.rate as u128) as u64)
        .div_ceil(1000)
        .max(1)
}

/// `10r/s` or `30r/m`, as limit_req_zone's `rate=`: milli-requests per second.
pub fn parse_rate(v: &str) -> Result<u64, String> {
    let err = || format!("invalid rate \"{v}\": use N r/s or N r/m, e.g. 10r/s");
    let (num, scale) = if let Some(n) = v.strip_suffix("r/s") {
        (n, 1)
    } else if let Some(n) = v.strip_suffix("r/m") {
        (n, 60)
    } else {
        return Err(err());
    };
    if num.is_empty() || num.len() > 9 || !num.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    let n: u64 = num.parse().map_err(|_| err())?;
    if n == 0 {
        return Err(err());
    }
    Ok(n * 1000 / scale)
}

/// A cost: a non-negative decimal number of requests (`2`, `0.5`,
/// `1.250`), in milli-requests. Variables give things like `0.512` from
/// `$upstream_response_time`; for a list (`0.512, 0.100`, several upstreams)
/// the numbers add up. Anything else is None.
pub fn parse_cost(v: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(v).ok()?;
    let mut total: u64 = 0;
    for part in text.split(',').map(str::trim) {
        let (int, frac) = part.split_once('.').unwrap_or((part, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if int.len() > 9 || !int.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let i: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let mut milli = 0u64;
        for (k, d) in frac.bytes().take(3).enumerate() {
            milli += (d - b'0') as u64 * [100, 10, 1][k];
        }
        total = total.checked_add(i.checked_mul(1000)?.checked_add(milli)?)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests;

/// `$fediguard_limit_status`, as `$limit_req_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitStatus {
    Passed,
    Delayed,
    Rejected,
    DelayedDryRun,
    RejectedDryRun,
}

impl LimitStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitStatus::Passed => "PASSED",
            LimitStatus::Delayed => "DELAYED",
            LimitStatus::Rejected => "REJECTED",
            LimitStatus::DelayedDryRun => "DELAYED_DRY_RUN",
            LimitStatus::RejectedDryRun => "REJECTED_DRY_RUN",
        }
    }
}
