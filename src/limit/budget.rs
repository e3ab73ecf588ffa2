//! A client's budget of work it can make fediguard do for it: new tokens
//! verified against the backend (`fediguard_token_zone verify_rate=
//! verify_burst= verify_key=`), DNS lookups of its agent's claim
//! (`fediguard_verify_zone lookup_rate= lookup_burst= lookup_key=`). In
//! shared memory like a limit, so that a client spraying random tokens or
//! instance hosts causes a bounded number of calls, whatever the other
//! limits say.
//!
//! By default a client is its address, and an IPv6 client its /64, as
//! Mastodon's throttles group them: one host holds a whole /64 and could
//! otherwise take a new budget with every address of it.

use fediguard_core::fingerprint::fingerprint;
use fediguard_core::limit::{
    charge, drained_at, parse_rate, retry_after_secs, Bucket, Limit, Outcome,
};
use std::net::IpAddr;

use ngx::http::Request;

use crate::glue::addr::client_ip;

use crate::glue::directive::Directive;
use crate::glue::key::Key;
use crate::glue::time::now_ms;
use crate::glue::zone::{SharedZone, MIN_ZONE};

/// 30 a minute (in milli-requests per second), 60 at once: a client's
/// first page of timelines, notifications and accounts verifies a few
/// tokens, never dozens a minute.
pub const DEFAULT_RATE: u64 = 30_000 / 60;
pub const DEFAULT_BURST: u64 = 60_000;

/// Who a client is, for the budget.
#[derive(Debug)]
pub enum ClientKey {
    /// The address (after realip); an IPv6 address's /64.
    Address,
    /// `verify_key=`.
    Custom(Key),
}

#[derive(Debug)]
pub struct Budget {
    pub limit: Limit,
    pub key: ClientKey,
    zone: SharedZone<Bucket>,
}

/// A budget's parameters as a directive reads them: `PREFIX_rate=`,
/// `PREFIX_burst=`, `PREFIX_key=`.
pub struct BudgetArgs<'a> {
    prefix: &'static str,
    rate: u64,
    burst: u64,
    key: Option<&'a str>,
}

impl<'a> BudgetArgs<'a> {
    pub fn new(prefix: &'static str) -> BudgetArgs<'a> {
        BudgetArgs {
            prefix,
            rate: DEFAULT_RATE,
            burst: DEFAULT_BURST,
            key: None,
        }
    }

    /// Takes `name=value` if it is one of the budget's; Ok(false) if not.
    pub fn take(&mut self, name: &str, value: &'a str) -> Result<bool, String> {
        let Some(what) = name
            .strip_prefix(self.prefix)
            .and_then(|n| n.strip_prefix('_'))
        else {
            return Ok(false);
        };
        match what {
            "rate" => self.rate = parse_rate(value)?,
            "burst" => {
                let n = value
                    .parse::<u32>()
                    .ok()
                    .filter(|&v| v > 0)
                    .ok_or_else(|| format!("invalid number \"{value}\""))?;
                self.burst = u64::from(n) * 1000;
            }
            "key" => self.key = Some(value),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The budget, its buckets in a zone of their own named `zone`.
    pub fn build(self, d: &Directive, zone: &str, size: usize) -> Result<Budget, String> {
        let key = match self.key {
            None => ClientKey::Address,
            Some(k) => ClientKey::Custom(Key::new(d, k)?),
        };
        let limit = Limit {
            rate: self.rate,
            burst: self.burst,
            delay: self.burst,
        };
        Ok(Budget {
            limit,
            key,
            zone: SharedZone::add(d, zone, size.max(MIN_ZONE))?,
        })
    }
}

pub enum Spend {
    Granted,
    /// Over the budget: try again in this many seconds.
    Spent(u64),
}

impl Budget {
    /// Charges one unit of work to the request's client. A client the
    /// key cannot name (empty key) is not limited, as with limit_req.
    pub fn spend(&self, r: &Request) -> Spend {
        let mut buf = [0u8; 16];
        let Some(key) = self.client(r, &mut buf) else {
            return Spend::Granted;
        };
        let now = now_ms();
        let limit = &self.limit;
        let out = self.zone.with_table(|t| {
            let fp = fingerprint(&t.secret(), key);
            t.update(&fp, now, |current| {
                match charge(limit, current, now, 1000) {
                    Outcome::Pass { bucket } => (Some((bucket, drained_at(limit, &bucket))), None),
                    Outcome::Reject { excess } => (None, Some(retry_after_secs(limit, excess))),
                }
            })
        });
        match out {
            Some(Some(secs)) => Spend::Spent(secs),
            // A zone that cannot be used (never, once nginx runs) limits
            // nothing.
            _ => Spend::Granted,
        }
    }

    /// The backend throttles this client: its budget is spent for `ms`.
    pub fn exhaust(&self, r: &Request, ms: u64) {
        let mut buf = [0u8; 16];
        let Some(key) = self.client(r, &mut buf) else {
            return;
        };
        let now = now_ms();
        let limit = &self.limit;
        // Full, plus what the rate drains in `ms`: refused until then.
        let drain = (limit.rate as u128 * ms as u128 / 1000).min(u64::MAX as u128) as u64;
        let bucket = Bucket {
            excess: limit.burst.saturating_add(1000).saturating_add(drain),
            last: now,
        };
        self.zone.with_table(|t| {
            let fp = fingerprint(&t.secret(), key);
            t.update(&fp, now, |_| {
                (Some((bucket, drained_at(limit, &bucket))), ())
            })
        });
    }
}

impl Budget {
    /// The client's key; None when it has none (not limited).
    fn client<'a>(&self, r: &'a Request, buf: &'a mut [u8; 16]) -> Option<&'a [u8]> {
        match &self.key {
            ClientKey::Custom(k) => k.of(r).filter(|k| !k.is_empty()),
            ClientKey::Address => address_key(r, buf),
        }
    }
}

/// The connection's address as bytes: 4 for IPv4, the first 8 (the /64)
/// for IPv6; None for a Unix socket.
fn address_key<'a>(r: &Request, buf: &'a mut [u8; 16]) -> Option<&'a [u8]> {
    match client_ip(r)? {
        IpAddr::V4(a) => {
            buf[..4].copy_from_slice(&a.octets());
            Some(&buf[..4])
        }
        IpAddr::V6(a) => {
            buf.copy_from_slice(&a.octets());
            Some(&buf[..8])
        }
    }
}
