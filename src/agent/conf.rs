//! The agent rules of an `http` block and the class lists of a location.

use fediguard_core::agent::{AgentMatcher, ClassId, ClassRegistry, RecentAgents, Rule};

use crate::glue::log::ConfPlace;

/// `http`-level: the agent rules every location shares.
#[derive(Debug, Default)]
pub struct AgentMain {
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
}

/// A class list of `fediguard_agent_deny`, as written.
#[derive(Debug, Clone, Default)]
pub struct ClassList {
    /// Names as written; `off` stands alone.
    pub names: Vec<String>,
    /// Where the list was first written, for `nginx -t` warnings.
    pub place: String,
}

/// `server`- and `location`-level.
#[derive(Debug, Default)]
pub struct AgentLoc {
    pub deny: Option<ClassList>,
    /// Resolved at merge time from `deny`.
    pub deny_ids: Vec<ClassId>,
}

impl AgentLoc {
    pub fn checks(&self) -> bool {
        !self.deny_ids.is_empty()
    }

    pub fn denies(&self, class: ClassId) -> bool {
        self.deny_ids.contains(&class)
    }

    /// nginx's inheritance; class names were checked in `AgentMain::finish`.
    pub fn merge(&mut self, prev: &AgentLoc, main: &AgentMain) {
        if self.deny.is_none() {
            self.deny = prev.deny.clone();
        }
        self.deny_ids = self
            .deny
            .iter()
            .flat_map(|l| l.names.iter())
            .filter_map(|n| main.classes.lookup(n))
            .collect();
    }
}

impl AgentMain {
    /// Checks the class names that locations deny.
    pub fn check_refs(&self) -> Result<(), String> {
        for (name, place) in &self.class_refs {
            if name != "off" && self.classes.lookup(name).is_none() {
                return Err(format!(
                    "fediguard_agent_deny: unknown agent class \"{name}\" in {place} \
                     (define it with fediguard_agent or use a built-in class)"
                ));
            }
        }
        Ok(())
    }

    /// Compiles the agent rules, once the `http` block has been read.
    pub fn build(&mut self) -> Result<(), String> {
        let matcher = AgentMatcher::build(&self.rules, self.catalog.unwrap_or(true))?;
        self.matcher = Some(matcher);
        Ok(())
    }

    /// Every class name, by ClassId.
    pub fn class_names(&self) -> Vec<String> {
        (0..self.classes.len())
            .map(|i| self.classes.name(ClassId(i as u16)).to_string())
            .collect()
    }

    pub fn class_name(&self, class: ClassId) -> &str {
        self.classes.name(class)
    }
}
