//! Rate-limit configuration: `fediguard_limit_zone`, `fediguard_limit`,
//! `fediguard_limit_after`, `fediguard_limit_status`.

use core::ffi::{c_char, c_void};
use core::mem;

use fediguard_core::cluster::{until_for, ClusterBucket};
use fediguard_core::conf_value::parse_zone;
use fediguard_core::fingerprint::fingerprint;
use fediguard_core::limit::{parse_cost, parse_rate, Bucket, Limit};
use nginx_sys::{
    ngx_command_t, ngx_conf_t, ngx_http_compile_complex_value, ngx_http_compile_complex_value_t,
    ngx_http_complex_value_t, ngx_int_t, ngx_str_t, NGX_OK,
};
use ngx::http::HttpModuleMainConf;

use super::directives::{with_loc, with_main};
use crate::log::{conf_error, ConfPlace};
use crate::zone::SharedZone;
use crate::Module;

/// `fediguard_limit_zone key zone=name:size rate=...`.
#[derive(Debug)]
pub struct LimitZone {
    pub name: String,
    /// Milli-requests per second.
    pub rate: u64,
    pub key: *mut ngx_http_complex_value_t,
    /// The key's variable index when the key is one variable (`$name`), the
    /// usual case: read directly, without the script engine.
    pub key_var: Option<usize>,
    pub zone: LimitTable,
    /// For a `sync` zone: how long a bucket is kept at least (msec), set
    /// from `fediguard_redis`'s interval.
    pub keep_ms: u64,
}

/// A zone's buckets: this host's alone, or its view of the cluster's.
#[derive(Debug)]
pub enum LimitTable {
    Local(SharedZone<Bucket>),
    Cluster(SharedZone<ClusterBucket>),
}

impl LimitZone {
    /// Runs `f` on `key`'s bucket under the zone's lock; when `f` stores a
    /// bucket, `cost` is what the request was charged (for a `sync` zone,
    /// it is sent to the cluster in the next round).
    pub fn update<R>(
        &self,
        key: &[u8],
        now: u64,
        cost: u64,
        f: impl FnOnce(Option<Bucket>) -> (Option<(Bucket, u64)>, R),
    ) -> Option<R> {
        match &self.zone {
            LimitTable::Local(z) => z.with_table(|t| {
                let fp = fingerprint(&t.secret(), key);
                t.update(&fp, now, f)
            }),
            LimitTable::Cluster(z) => z.with_table(|t| {
                let fp = fingerprint(&t.secret(), key);
                t.update_marked(&fp, now, true, |current| {
                    let (new, out) = f(current.map(|c| c.bucket));
                    let stored = new.map(|(bucket, _)| {
                        let pending = current.map_or(0, |c| c.pending).saturating_add(cost);
                        let until = until_for(self.rate, &bucket, now, self.keep_ms);
                        (ClusterBucket { bucket, pending }, until)
                    });
                    (stored, out)
                })
            }),
        }
    }
}

impl LimitZone {
    /// Live keys, capacity and evictions, for the metrics.
    pub fn occupancy(&self) -> Option<(u64, u64, u64)> {
        match &self.zone {
            LimitTable::Local(z) => {
                z.with_table(|t| (t.len() as u64, t.capacity() as u64, t.stats().evictions))
            }
            LimitTable::Cluster(z) => {
                z.with_table(|t| (t.len() as u64, t.capacity() as u64, t.stats().evictions))
            }
        }
    }
}

/// A request's cost: a number, or a value computed per request.
#[derive(Clone, Copy, Debug)]
pub enum Cost {
    Fixed(u64),
    Computed(*mut ngx_http_complex_value_t),
}

/// One `fediguard_limit` (or, with `after`, `fediguard_limit_after`).
#[derive(Clone, Debug)]
pub struct LimitRef {
    pub zone_name: String,
    /// Index into `MainConf::limit_zones`, resolved at merge time.
    pub zone: usize,
    /// Milli-requests.
    pub burst: u64,
    pub delay: u64,
    pub cost: Cost,
}

impl LimitRef {
    pub fn limit(&self, zone: &LimitZone) -> Limit {
        Limit {
            rate: zone.rate,
            burst: self.burst,
            delay: self.delay,
        }
    }
}

/// Compiles a value with variables into cf's pool.
unsafe fn complex_value(
    cf: *mut ngx_conf_t,
    value: &str,
) -> Result<*mut ngx_http_complex_value_t, String> {
    let pool = (*cf).pool;
    let cv = nginx_sys::ngx_pcalloc(pool, mem::size_of::<ngx_http_complex_value_t>())
        .cast::<ngx_http_complex_value_t>();
    let Some(mut text) = ngx_str_t::from_bytes(pool, value.as_bytes()) else {
        return Err("out of memory".into());
    };
    if cv.is_null() {
        return Err("out of memory".into());
    }
    let mut ccv: ngx_http_compile_complex_value_t = mem::zeroed();
    ccv.cf = cf;
    ccv.value = &mut text;
    ccv.complex_value = cv;
    if ngx_http_compile_complex_value(&mut ccv) != NGX_OK as ngx_int_t {
        return Err(format!("invalid value \"{value}\""));
    }
    Ok(cv)
}

/// The index of `$name` when `value` is exactly one variable.
unsafe fn single_variable(cf: *mut ngx_conf_t, value: &str) -> Option<usize> {
    let name = value.strip_prefix('$')?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let mut n = ngx_str_t::from_bytes((*cf).pool, name.as_bytes())?;
    let index = nginx_sys::ngx_http_get_variable_index(cf, &mut n);
    usize::try_from(index).ok()
}

pub unsafe extern "C" fn set_limit_zone(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    let place = ConfPlace::of(cf);
    with_main(cf, conf, |mcf, a| {
        let d = "\"fediguard_limit_zone\"";
        let (mut zone, mut rate, mut sync) = (None, None, false);
        for p in &a[1..] {
            if *p == "sync" {
                sync = true;
            } else if p.starts_with("zone=") {
                zone = Some(parse_zone(p).map_err(|e| format!("{d}: {e}"))?);
            } else if let Some(r) = p.strip_prefix("rate=") {
                rate = Some(parse_rate(r).map_err(|e| format!("{d}: {e}"))?);
            } else {
                return Err(format!("{d}: invalid parameter \"{p}\""));
            }
        }
        let (Some((name, size)), Some(rate)) = (zone, rate) else {
            return Err(format!("{d}: zone=name:size and rate= are required"));
        };
        if mcf.limit_zones.iter().any(|z| z.name == name) {
            return Err(format!("{d}: duplicate zone \"{name}\""));
        }
        // SAFETY: cf is the configuration being parsed.
        let key = unsafe { complex_value(cf, a[0]) }.map_err(|e| format!("{d}: {e}"))?;
        let key_var = unsafe { single_variable(cf, a[0]) };
        let shared = if sync {
            mcf.sync_places.push(place);
            unsafe { SharedZone::add(cf, &name, size) }.map(LimitTable::Cluster)
        } else {
            unsafe { SharedZone::add(cf, &name, size) }.map(LimitTable::Local)
        }
        .map_err(|e| format!("{d}: {e}"))?;
        mcf.limit_zones.push(LimitZone {
            name,
            rate,
            key,
            key_var,
            zone: shared,
            keep_ms: 0,
        });
        Ok(())
    })
}

/// Parses `zone=name [burst=n] [nodelay | delay=n] [cost=value]`.
unsafe fn parse_limit(
    cf: *mut ngx_conf_t,
    d: &str,
    args: &[&str],
    after: bool,
) -> Result<LimitRef, String> {
    let mut r = LimitRef {
        zone_name: String::new(),
        zone: 0,
        burst: 0,
        delay: 0,
        cost: Cost::Fixed(1000),
    };
    let mut nodelay = false;
    let mut delay = None;
    let number = |v: &str| -> Result<u64, String> {
        v.parse::<u32>()
            .map(|n| n as u64 * 1000)
            .map_err(|_| format!("{d}: invalid number \"{v}\""))
    };
    for p in args {
        if let Some(z) = p.strip_prefix("zone=") {
            r.zone_name = z.to_string();
        } else if let (false, Some(b)) = (after, p.strip_prefix("burst=")) {
            r.burst = number(b)?;
        } else if let (false, Some(v)) = (after, p.strip_prefix("delay=")) {
            delay = Some(number(v)?);
        } else if !after && *p == "nodelay" {
            nodelay = true;
        } else if let Some(c) = p.strip_prefix("cost=") {
            r.cost = if c.contains('$') {
                Cost::Computed(complex_value(cf, c).map_err(|e| format!("{d}: {e}"))?)
            } else {
                Cost::Fixed(
                    parse_cost(c.as_bytes()).ok_or_else(|| format!("{d}: invalid cost \"{c}\""))?,
                )
            };
        } else {
            return Err(format!("{d}: invalid parameter \"{p}\""));
        }
    }
    if r.zone_name.is_empty() {
        return Err(format!("{d}: zone= is required"));
    }
    if nodelay && delay.is_some() {
        return Err(format!(
            "{d}: \"nodelay\" and \"delay=\" exclude each other"
        ));
    }
    r.delay = if nodelay {
        r.burst
    } else {
        delay.unwrap_or(0).min(r.burst)
    };
    if after && matches!(r.cost, Cost::Fixed(1000)) && !args.iter().any(|p| p.starts_with("cost="))
    {
        return Err(format!("{d}: cost= is required"));
    }
    Ok(r)
}

fn add_limit(cf: *mut ngx_conf_t, conf: *mut c_void, after: bool) -> *mut c_char {
    let d = if after {
        "\"fediguard_limit_after\""
    } else {
        "\"fediguard_limit\""
    };
    let place = ConfPlace::of(cf);
    // SAFETY: cf is the configuration being parsed.
    let Some(mcf) = (unsafe { Module::main_conf_mut(&*cf) }) else {
        return conf_error(cf, "no fediguard main configuration");
    };
    unsafe {
        with_loc(cf, conf, |lcf, a| {
            let r = parse_limit(cf, d, a, after)?;
            mcf.limit_refs.push((r.zone_name.clone(), place));
            let list = if after {
                &mut lcf.limits_after
            } else {
                &mut lcf.limits
            };
            let list = list.get_or_insert_with(Vec::new);
            if list.len() >= crate::limit_check::MAX_LIMITS {
                return Err(format!(
                    "{d}: at most {} per location",
                    crate::limit_check::MAX_LIMITS
                ));
            }
            list.push(r);
            Ok(())
        })
    }
}

pub unsafe extern "C" fn set_limit(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    add_limit(cf, conf, false)
}

pub unsafe extern "C" fn set_limit_after(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    add_limit(cf, conf, true)
}
