//! The module's configuration: each capability's part, composed, with
//! nginx's inheritance (http -> server -> location) and the checks that
//! need the whole `http` block.

use fediguard_core::conf_value::{LogLevel, Mode, Require};

use crate::glue::location::LocAt;
use crate::lint::Lint;
use ngx::http::Request;

use crate::agent::conf::{AgentLoc, AgentMain};
use crate::claim::conf::{ClaimLoc, ClaimMain};
use crate::cluster::conf::ClusterMain;
use crate::glue::lifecycle;
use crate::limit::conf::{LimitLoc, LimitMain};
use crate::metrics::conf::MetricsMain;
use crate::signature::conf::{SignatureLoc, SignatureMain};
use crate::token::conf::{TokenLoc, TokenMain};
use crate::watch::conf::{WatchLoc, WatchMain};

/// `http`-level configuration.
#[derive(Debug, Default)]
pub struct MainConf {
    pub agent: AgentMain,
    pub token: TokenMain,
    pub limit: LimitMain,
    pub metrics: MetricsMain,
    pub watch: WatchMain,
    pub cluster: ClusterMain,
    pub claim: ClaimMain,
    /// `nginx -t` warnings, collected while locations are merged.
    pub lint: crate::lint::Lint,
    pub signature: SignatureMain,
}

/// `server`- and `location`-level configuration.
#[derive(Debug, Default)]
pub struct LocConf {
    pub common: Common,
    pub agent: AgentLoc,
    pub token: TokenLoc,
    pub limit: LimitLoc,
    pub watch: WatchLoc,
    pub claim: ClaimLoc,
    pub signature: SignatureLoc,
}

/// What every decision shares: `fediguard`, `fediguard_deny_status`,
/// `fediguard_log_level`.
#[derive(Debug, Default)]
pub struct Common {
    pub mode: Option<Mode>,
    pub deny_status: Option<u16>,
    pub log_level: Option<LogLevel>,
}

pub const DEFAULT_DENY_STATUS: u16 = 403;
/// As `limit_req_log_level`: Debian's stock `error_log` (from `error` up)
/// shows refusals.
pub const DEFAULT_LOG_LEVEL: LogLevel = LogLevel::Error;

impl LocConf {
    pub fn mode(&self) -> Mode {
        self.common.mode.unwrap_or_default()
    }

    pub fn deny_status(&self) -> u16 {
        self.common.deny_status.unwrap_or(DEFAULT_DENY_STATUS)
    }

    pub fn log_level(&self) -> LogLevel {
        self.common.log_level.unwrap_or(DEFAULT_LOG_LEVEL)
    }

    /// nginx's inheritance: a value set at this level wins, otherwise the
    /// enclosing level's. Names were checked in `MainConf::finish`.
    pub fn merge(&mut self, prev: &LocConf, mcf: &MainConf, at: Option<&LocAt>) {
        let (c, p) = (&mut self.common, &prev.common);
        if c.mode.is_none() {
            c.mode = p.mode;
        }
        if c.deny_status.is_none() {
            c.deny_status = p.deny_status;
        }
        if c.log_level.is_none() {
            c.log_level = p.log_level;
        }
        self.agent.merge(&prev.agent, &mcf.agent);
        self.token.merge(&prev.token);
        self.limit.merge(&prev.limit, &mcf.limit);
        self.watch.merge(&prev.watch);
        self.claim.merge(&prev.claim, &mcf.agent);
        self.signature.merge(&prev.signature);
        if let Some(at) = at {
            self.lint(&mcf.lint, at);
        }
    }

    /// What can have no effect here (see `lint`).
    fn lint(&self, lint: &Lint, at: &LocAt) {
        lint.location(at);
        let on = self.mode() != Mode::Off;
        if let Some(deny) = &self.agent.deny {
            if deny.names.iter().any(|n| n != "off") {
                lint.site(
                    deny.place.clone(),
                    || {
                        format!(
                            "fediguard_agent_deny {} has no effect: fediguard is off wherever                              it applies (\"fediguard on;\" or \"fediguard dry_run;\" turns it on)",
                            deny.names.join(" ")
                        )
                    },
                    on,
                );
            }
        }
        let verify = self.token.verify.as_deref().filter(|v| !v.is_empty());
        if matches!(self.token.require, Some(Require::Valid | Require::User)) {
            lint.site(
                self.token.require_place.clone(),
                || {
                    "fediguard_token_require has no effect without fediguard_token_verify \
                     (and fediguard on or dry_run) where it applies: a request without a \
                     token is served"
                        .to_string()
                },
                on && verify.is_some(),
            );
        }
        if let (Some(prefix), true) = (verify, on) {
            lint.verify(at.server, prefix, self.token.verify_place.clone());
        }
        for l in self.limit.limits() {
            lint.site(
                format!("fediguard_limit zone={}", l.zone_name),
                || {
                    format!(
                        "fediguard_limit zone={} has no effect where fediguard is off, \
                         and fediguard is off wherever it applies",
                        l.zone_name
                    )
                },
                on,
            );
        }
    }
}

impl MainConf {
    /// Runs once the `http` block has been read: checks the names that
    /// locations use and compiles the agent rules.
    pub fn finish(&mut self) -> Result<(), String> {
        self.agent.check_refs()?;
        self.claim.check_refs(&self.agent.classes)?;
        self.limit.check_refs()?;
        self.token.check()?;
        self.signature.check()?;
        let classes = self.agent.class_names();
        let limits = self.limit.zone_names();
        self.metrics.finish(classes, limits)?;
        match &self.cluster.redis {
            None => {
                let token_sync = self.token.sync_zone().map(|z| &z.place);
                let limit_sync = self.limit.zones.iter().find(|z| z.is_sync());
                if let Some(place) = token_sync.or(limit_sync.map(|z| &z.place)) {
                    return Err(format!(
                        "a zone marked \"sync\" in {place} needs fediguard_redis in the http block"
                    ));
                }
            }
            Some(r) => {
                // A sync zone keeps a bucket a few rounds past its drain
                // time, so that charges not yet sent are not forgotten.
                let keep = r.conf.sync_ms.saturating_mul(3);
                for z in &mut self.limit.zones {
                    z.keep_ms = keep;
                }
            }
        }
        self.agent.build()?;
        self.claim.build(&self.agent)?;
        let counted = self.claim.counted_classes(&self.agent.class_names());
        self.metrics.set_verify_classes(counted);
        Ok(())
    }
}

/// The request's `http`-level configuration.
pub fn main_conf(r: &Request) -> Option<&'static MainConf> {
    lifecycle::main_conf::<MainConf>(r)
}

/// The configuration of the request's location.
pub fn loc_conf(r: &Request) -> Option<&'static LocConf> {
    lifecycle::loc_conf::<LocConf>(r)
}
