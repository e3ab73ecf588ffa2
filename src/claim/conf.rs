//! The verification configuration of an `http` block and of a location.

use crate::glue::variable::VarRef;
use fediguard_core::agent::{AgentMatcher, ClassId, ClassRegistry};
use fediguard_core::claim::{Plan, Setting};

use super::zone::ClaimZone;
use crate::agent::conf::{AgentMain, ClassList};
use crate::glue::log::ConfPlace;

/// How long a request waits for an answer unless `fediguard_verify_timeout`
/// says otherwise (msec).
pub const DEFAULT_TIMEOUT_MS: u64 = 1000;

/// `http`-level.
#[derive(Debug, Default)]
pub struct ClaimMain {
    /// `fediguard_verify_zone`.
    pub zone: Option<ClaimZone>,
    /// `fediguard_agent_ranges` and `fediguard_agent_verify`, in order.
    pub settings: Vec<(String, Setting, ConfPlace)>,
    /// Each rule's method, built once the `http` block has been read.
    pub plan: Plan,
    /// `$fediguard_agent_verified` as nginx keeps it: when the
    /// configuration uses it, claims are verified wherever fediguard is on.
    pub var: VarRef,
    /// Every class `fediguard_agent_deny_unverified` names, with its place.
    pub class_refs: Vec<(String, ConfPlace)>,
}

impl ClaimMain {
    /// Whether anything in the configuration reads `$fediguard_agent_verified`.
    pub fn var_used(&self) -> bool {
        self.var.used()
    }

    /// Checks the class names `fediguard_agent_deny_unverified` uses.
    pub fn check_refs(&self, classes: &ClassRegistry) -> Result<(), String> {
        for (name, place) in &self.class_refs {
            if name != "off" && classes.lookup(name).is_none() {
                return Err(format!(
                    "fediguard_agent_deny_unverified: unknown agent class \"{name}\" in {place} \
                     (define it with fediguard_agent or use a built-in class)"
                ));
            }
        }
        Ok(())
    }

    /// Decides each rule's method (once the agent rules are compiled).
    pub fn build(&mut self, agent: &AgentMain) -> Result<(), String> {
        let Some(matcher) = agent.matcher.as_ref() else {
            return Ok(());
        };
        let rules: Vec<(&str, ClassId)> = matcher_rules(matcher);
        let names = agent.class_names();
        let class_names: Vec<&str> = names.iter().map(String::as_str).collect();
        let settings: Vec<(&str, Setting)> = self
            .settings
            .iter()
            .map(|(k, s, _)| (k.as_str(), s.clone()))
            .collect();
        self.plan = Plan::build(&rules, &class_names, &settings).map_err(|(i, e)| {
            let (_, s, place) = &self.settings[i];
            let directive = match s {
                Setting::Ranges(_) => "fediguard_agent_ranges",
                _ => "fediguard_agent_verify",
            };
            format!("{directive}: {e} in {place}")
        })?;
        // A location that denies unverified claimants cannot do it by DNS
        // without a zone for the answers: say so rather than deny nothing.
        if self.zone.is_none() {
            for (name, place) in &self.class_refs {
                let needs = agent
                    .classes
                    .lookup(name)
                    .is_some_and(|c| self.plan.class_needs_dns(c));
                if needs {
                    return Err(format!(
                        "fediguard_agent_deny_unverified {name} in {place}: agents of this class \
                         are verified by DNS, which needs fediguard_verify_zone in the http block"
                    ));
                }
            }
        }
        Ok(())
    }

    /// For the metrics: each class's name where some rule of it has a
    /// method, an empty name elsewhere (by ClassId).
    pub fn counted_classes(&self, class_names: &[String]) -> Vec<String> {
        class_names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                if self.plan.class_has_method(ClassId(i as u16)) {
                    n.clone()
                } else {
                    String::new()
                }
            })
            .collect()
    }
}

fn matcher_rules(m: &AgentMatcher) -> Vec<(&str, ClassId)> {
    m.rule_names().collect()
}

/// `server`- and `location`-level.
#[derive(Debug, Default)]
pub struct ClaimLoc {
    /// `fediguard_agent_deny_unverified`, as written.
    pub deny: Option<ClassList>,
    /// Resolved at merge time from `deny`.
    pub deny_ids: Vec<ClassId>,
    /// `fediguard_verify_timeout` (msec).
    pub timeout: Option<u64>,
}

impl ClaimLoc {
    pub fn denies(&self, class: ClassId) -> bool {
        self.deny_ids.contains(&class)
    }

    pub fn denies_any(&self) -> bool {
        !self.deny_ids.is_empty()
    }

    pub fn timeout(&self) -> u64 {
        self.timeout.unwrap_or(DEFAULT_TIMEOUT_MS)
    }

    /// nginx's inheritance, as for `fediguard_agent_deny`.
    pub fn merge(&mut self, prev: &ClaimLoc, agent: &AgentMain) {
        if self.deny.is_none() {
            self.deny = prev.deny.clone();
        }
        if self.timeout.is_none() {
            self.timeout = prev.timeout;
        }
        self.deny_ids = self
            .deny
            .iter()
            .flat_map(|l| l.names.iter())
            .filter_map(|n| agent.classes.lookup(n))
            .collect();
    }
}
