//! Typed configuration of the module: http-level rules and per-location
//! switches, with nginx's inheritance (http -> server -> location).

pub mod directives;
pub mod limits;
pub mod redis;
pub mod visibility;

use fediguard_core::agent::{AgentMatcher, ClassId, ClassRegistry, RecentAgents, Rule};
use fediguard_core::conf_value::{FailPolicy, LogLevel, Mode, Require};

use crate::log::ConfPlace;
use crate::stats_zone::StatsConf;
use crate::token_zone::TokenZone;
use limits::{LimitRef, LimitZone};

/// `http`-level configuration: the agent rules every location shares.
#[derive(Debug, Default)]
pub struct MainConf {
    pub classes: ClassRegistry,
    /// `fediguard_agent` rules, in configuration order.
    pub rules: Vec<Rule>,
    /// `fediguard_agent_catalog`; unset means on.
    pub catalog: Option<bool>,
    /// Built once the whole `http` block has been read.
    pub matcher: Option<AgentMatcher>,
    /// This worker's recent agents and their classes.
    pub recent_agents: RecentAgents,
    /// Every class named by `fediguard_agent_deny`, with where it was named,
    /// checked once all `fediguard_agent` rules are known.
    pub class_refs: Vec<(String, ConfPlace)>,
    /// `fediguard_token_zone`.
    pub token_zone: Option<TokenZone>,
    /// Where `fediguard_token_verify` stands, checked against the zone.
    pub verify_places: Vec<ConfPlace>,
    /// `fediguard_limit_zone`s, in order.
    pub limit_zones: Vec<LimitZone>,
    /// Every zone named by `fediguard_limit(_after)`, with where.
    pub limit_refs: Vec<(String, ConfPlace)>,
    /// `fediguard_metrics_zone`.
    pub stats: Option<Box<StatsConf>>,
    /// Where `fediguard_metrics` stands, checked against the zone.
    pub metrics_places: Vec<ConfPlace>,
    /// Some location has `fediguard_app_watch on`: the filters look.
    pub app_watch_used: bool,
    /// `fediguard_redis`.
    pub redis: Option<redis::RedisTarget>,
    /// Where zones are marked `sync`, checked against `fediguard_redis`.
    pub sync_places: Vec<ConfPlace>,
}

/// A class list of `fediguard_agent_deny`, as written.
#[derive(Debug, Clone, Default)]
pub struct ClassList {
    /// Names as written; `off` stands alone.
    pub names: Vec<String>,
}

/// `server`- and `location`-level configuration.
#[derive(Debug, Default)]
pub struct LocConf {
    pub mode: Option<Mode>,
    pub agent_deny: Option<ClassList>,
    /// Resolved at merge time from `agent_deny`.
    pub agent_deny_ids: Vec<ClassId>,
    pub deny_status: Option<u16>,
    pub log_level: Option<LogLevel>,
    /// `fediguard_token_verify`: the prefix of the internal location that
    /// proxies to Mastodon; empty for `off`.
    pub token_verify: Option<String>,
    pub token_require: Option<Require>,
    pub token_fail: Option<FailPolicy>,
    /// `fediguard_limit`s; a level that has any replaces what it inherits.
    pub limits: Option<Vec<LimitRef>>,
    pub limits_after: Option<Vec<LimitRef>>,
    pub limit_status: Option<u16>,
    /// `fediguard_app_watch`.
    pub app_watch: Option<bool>,
}

pub const DEFAULT_LIMIT_STATUS: u16 = 429;

pub const DEFAULT_DENY_STATUS: u16 = 403;
pub const DEFAULT_LOG_LEVEL: LogLevel = LogLevel::Warn;

impl LocConf {
    pub fn mode(&self) -> Mode {
        self.mode.unwrap_or_default()
    }

    pub fn deny_status(&self) -> u16 {
        self.deny_status.unwrap_or(DEFAULT_DENY_STATUS)
    }

    pub fn log_level(&self) -> LogLevel {
        self.log_level.unwrap_or(DEFAULT_LOG_LEVEL)
    }

    /// The verification prefix, when this location checks tokens.
    pub fn token_verify(&self) -> Option<&str> {
        self.token_verify.as_deref().filter(|p| !p.is_empty())
    }

    pub fn limits(&self) -> &[LimitRef] {
        self.limits.as_deref().unwrap_or(&[])
    }

    pub fn limits_after(&self) -> &[LimitRef] {
        self.limits_after.as_deref().unwrap_or(&[])
    }

    pub fn limit_status(&self) -> u16 {
        self.limit_status.unwrap_or(DEFAULT_LIMIT_STATUS)
    }

    pub fn token_require(&self) -> Require {
        self.token_require.unwrap_or_default()
    }

    pub fn token_fail(&self) -> FailPolicy {
        self.token_fail.unwrap_or_default()
    }

    pub fn denies(&self, class: ClassId) -> bool {
        self.agent_deny_ids.contains(&class)
    }

    /// nginx's inheritance: a value set at this level wins, otherwise the
    /// enclosing level's. Class names were checked in `init_main_conf`.
    pub fn merge(&mut self, prev: &LocConf, mcf: &MainConf) {
        let classes = &mcf.classes;
        if self.mode.is_none() {
            self.mode = prev.mode;
        }
        if self.agent_deny.is_none() {
            self.agent_deny = prev.agent_deny.clone();
        }
        if self.deny_status.is_none() {
            self.deny_status = prev.deny_status;
        }
        if self.log_level.is_none() {
            self.log_level = prev.log_level;
        }
        if self.token_verify.is_none() {
            self.token_verify = prev.token_verify.clone();
        }
        if self.token_require.is_none() {
            self.token_require = prev.token_require;
        }
        if self.token_fail.is_none() {
            self.token_fail = prev.token_fail;
        }
        if self.limits.is_none() {
            self.limits = prev.limits.clone();
        }
        if self.limits_after.is_none() {
            self.limits_after = prev.limits_after.clone();
        }
        if self.limit_status.is_none() {
            self.limit_status = prev.limit_status;
        }
        if self.app_watch.is_none() {
            self.app_watch = prev.app_watch;
        }
        for list in [&mut self.limits, &mut self.limits_after]
            .into_iter()
            .flatten()
        {
            for l in list.iter_mut() {
                if let Some(i) = mcf.limit_zones.iter().position(|z| z.name == l.zone_name) {
                    l.zone = i;
                }
            }
        }
        self.agent_deny_ids = self
            .agent_deny
            .iter()
            .flat_map(|l| l.names.iter())
            .filter_map(|n| classes.lookup(n))
            .collect();
    }
}

impl MainConf {
    /// Runs once the `http` block has been read: checks the class names that
    /// locations deny and compiles the agent rules.
    pub fn finish(&mut self) -> Result<(), String> {
        for (name, place) in &self.class_refs {
            if name != "off" && self.classes.lookup(name).is_none() {
                return Err(format!(
                    "fediguard_agent_deny: unknown agent class \"{name}\" in {place} \
                     (define it with fediguard_agent or use a built-in class)"
                ));
            }
        }
        for (name, place) in &self.limit_refs {
            if !self.limit_zones.iter().any(|z| &z.name == name) {
                return Err(format!(
                    "unknown fediguard_limit_zone \"{name}\" in {place}"
                ));
            }
        }
        if self.token_zone.is_none() {
            if let Some(place) = self.verify_places.first() {
                return Err(format!(
                    "fediguard_token_verify in {place} needs a fediguard_token_zone \
                     in the http block"
                ));
            }
        }
        match self.stats.as_deref_mut() {
            Some(stats) => {
                stats.class_names = (0..self.classes.len())
                    .map(|i| self.classes.name(ClassId(i as u16)).to_string())
                    .collect();
                stats.limit_names = self.limit_zones.iter().map(|z| z.name.clone()).collect();
            }
            None => {
                if let Some(place) = self.metrics_places.first() {
                    return Err(format!(
                        "fediguard_metrics in {place} needs a fediguard_metrics_zone \
                         in the http block"
                    ));
                }
            }
        }
        if self.redis.is_none() {
            if let Some(place) = self.sync_places.first() {
                return Err(format!(
                    "a zone marked \"sync\" in {place} needs fediguard_redis in the http block"
                ));
            }
        }
        if let Some(r) = &self.redis {
            // A sync zone keeps a bucket a few rounds past its drain time,
            // so that charges not yet sent are not forgotten with it.
            let keep = r.conf.sync_ms.saturating_mul(3);
            for z in &mut self.limit_zones {
                z.keep_ms = keep;
            }
        }
        let matcher = AgentMatcher::build(&self.rules, self.catalog.unwrap_or(true))?;
        self.matcher = Some(matcher);
        Ok(())
    }
}
