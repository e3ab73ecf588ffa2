//! Agent classification: who is knocking, from the User-Agent header.
//!
//! Admin rules (`fediguard_agent`, and the names of `fediguard_agent_list`
//! files, `list.rs`) are checked first, in configuration order, then the
//! built-in catalogue; the first rule that matches wins. All plain
//! names are searched by one Aho-Corasick automaton and all regexes by one
//! `RegexSet`, both built once at configuration time, so the cost of a request
//! does not grow with the number of rules.

mod bound;
pub mod catalog;
mod class;
mod host;
pub mod list;
mod matcher;
mod pattern;
mod recent;

pub use bound::Bound;
pub use class::{ClassId, ClassRegistry, BUILTIN_CLASSES};
pub use host::instance_host;
pub use list::{list_rules, parse_list};
pub use matcher::{AgentMatcher, Classification};
pub use pattern::Pattern;
pub use recent::RecentAgents;

/// One agent rule: a pattern and the class it assigns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub class: ClassId,
    pub pattern: Pattern,
    /// The match counts only when an instance URL follows it in the agent
    /// (the built-in fediverse entries: a server names its instance, a
    /// person's client app does not).
    pub needs_instance_url: bool,
}
