//! The limits of an `http` block and of a location.

use crate::glue::directive::ComplexValue;
use fediguard_core::limit::Limit;

use super::zone::LimitZone;
use crate::glue::log::ConfPlace;

/// Most limits on one location (checked at configuration time), so that
/// the request path allocates nothing.
pub const MAX_LIMITS: usize = 16;

pub const DEFAULT_LIMIT_STATUS: u16 = 429;

/// `http`-level.
#[derive(Debug, Default)]
pub struct LimitMain {
    /// `fediguard_limit_zone`s, in order.
    pub zones: Vec<LimitZone>,
    /// Every zone named by `fediguard_limit(_after)`, with where.
    pub refs: Vec<(String, ConfPlace)>,
}

impl LimitMain {
    pub fn check_refs(&self) -> Result<(), String> {
        for (name, place) in &self.refs {
            if !self.zones.iter().any(|z| &z.name == name) {
                return Err(format!(
                    "unknown fediguard_limit_zone \"{name}\" in {place}"
                ));
            }
        }
        Ok(())
    }

    pub fn zone_names(&self) -> Vec<String> {
        self.zones.iter().map(|z| z.name.clone()).collect()
    }

    /// Each zone's name and (keys, capacity, evictions), for the metrics.
    pub fn occupancy(&self) -> Vec<(&str, (u64, u64, u64))> {
        self.zones
            .iter()
            .map(|z| (z.name.as_str(), z.occupancy().unwrap_or_default()))
            .collect()
    }
}

/// A request's cost: a number, or a value computed per request.
#[derive(Clone, Copy, Debug)]
pub enum Cost {
    Fixed(u64),
    Computed(ComplexValue),
}

/// One `fediguard_limit` (or, with `after`, `fediguard_limit_after`).
#[derive(Clone, Debug)]
pub struct LimitRef {
    pub zone_name: String,
    /// Index into `LimitMain::zones`, resolved at merge time.
    pub zone: usize,
    /// Milli-requests.
    pub burst: u64,
    pub delay: u64,
    pub cost: Cost,
    /// The cost names a token variable.
    pub cost_uses_token: bool,
    pub cost_uses_claim: bool,
    pub cost_uses_signer: bool,
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

/// `server`- and `location`-level.
#[derive(Debug, Default)]
pub struct LimitLoc {
    /// `fediguard_limit`s; a level that has any replaces what it inherits.
    pub limits: Option<Vec<LimitRef>>,
    pub after: Option<Vec<LimitRef>>,
    pub status: Option<u16>,
}

impl LimitLoc {
    pub fn limits(&self) -> &[LimitRef] {
        self.limits.as_deref().unwrap_or(&[])
    }

    pub fn after(&self) -> &[LimitRef] {
        self.after.as_deref().unwrap_or(&[])
    }

    pub fn status(&self) -> u16 {
        self.status.unwrap_or(DEFAULT_LIMIT_STATUS)
    }

    /// nginx's inheritance; zone names are resolved to indexes.
    pub fn merge(&mut self, prev: &LimitLoc, main: &LimitMain) {
        if self.limits.is_none() {
            self.limits = prev.limits.clone();
        }
        if self.after.is_none() {
            self.after = prev.after.clone();
        }
        if self.status.is_none() {
            self.status = prev.status;
        }
        for list in [&mut self.limits, &mut self.after].into_iter().flatten() {
            for l in list.iter_mut() {
                if let Some(i) = main.zones.iter().position(|z| z.name == l.zone_name) {
                    l.zone = i;
                }
            }
        }
    }
}
