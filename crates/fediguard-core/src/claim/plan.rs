//! Which method verifies each agent rule, decided once when the
//! configuration is loaded, so that a request only looks its rule up.
//!
//! A setting (`fediguard_agent_ranges`, `fediguard_agent_verify`) names a
//! rule (its name as written: `GPTBot`, `~*^Foo/`), a row of the operator
//! table (its key: `Googlebot` for all of Google's crawlers), or a class
//! (`search`, `fediverse`, an admin's). A rule takes the method of the most
//! specific name that has one: its own name, then its operator's key, then
//! its class. Built in: each operator row with domains verifies by reverse
//! DNS, and the `fediverse` class by its instance host. Ranges add to what
//! a name has; `rdns` and `host` replace the built-in DNS method; `off`
//! leaves the name without any method (and stops the search: its rules are
//! not verified by their operator or class either).

use std::collections::HashMap;

use crate::agent::ClassId;

use super::operators::{operator_of, OPERATORS};
use super::ranges::{Cidr, RangeTable};

/// The DNS part of a method.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Dns {
    #[default]
    None,
    /// Forward-confirmed reverse DNS: the PTR name is in one of these
    /// domains and resolves back to the address.
    Ptr(Vec<String>),
    /// The instance host named in the agent resolves to the address.
    Host,
}

/// How a claim is verified: its ranges first (no lookup), then DNS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Method {
    /// The name the method was configured under (for logs).
    pub key: String,
    pub ranges: Option<RangeTable>,
    pub dns: Dns,
}

impl Method {
    pub fn is_empty(&self) -> bool {
        self.ranges.is_none() && self.dns == Dns::None
    }
}

/// A setting for a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting {
    /// `fediguard_agent_ranges`: adds ranges to the name's.
    Ranges(Vec<Cidr>),
    /// `fediguard_agent_verify <name> rdns <domain> ...`.
    Rdns(Vec<String>),
    /// `fediguard_agent_verify <name> host`.
    Host,
    /// `fediguard_agent_verify <name> off`.
    Off,
}

/// No method for a rule.
const NONE: u16 = u16::MAX;

#[derive(Debug, Default)]
pub struct Plan {
    methods: Vec<Method>,
    /// Rule index -> method index, or NONE.
    per_rule: Vec<u16>,
    /// Every domain of a reverse-DNS method: a PTR name outside them is
    /// not worth resolving back.
    confirm_domains: Vec<String>,
    /// Classes with at least one rule that has a method, by ClassId.
    classes: Vec<bool>,
    /// Classes with at least one rule verified by DNS, by ClassId.
    classes_dns: Vec<bool>,
}

/// The entry of a name (created empty), found ASCII case-insensitively.
fn entry<'a>(entries: &'a mut HashMap<String, Entry>, key: &str) -> &'a mut Entry {
    let e = entries.entry(key.to_ascii_lowercase()).or_default();
    if e.key.is_empty() {
        e.key = key.to_string();
    }
    e
}

#[derive(Default)]
struct Entry {
    key: String,
    ranges: Option<RangeTable>,
    dns: Dns,
    /// `fediguard_agent_verify` set this name (once only).
    set: bool,
    off: bool,
    has_ranges: bool,
}

impl Plan {
    /// The plan for `rules` (name and class, in matcher order).
    /// `class_names` are by ClassId; `settings` in configuration order. An
    /// error names the setting at fault by its index.
    pub fn build(
        rules: &[(&str, ClassId)],
        class_names: &[&str],
        settings: &[(&str, Setting)],
    ) -> Result<Plan, (usize, String)> {
        let mut entries: HashMap<String, Entry> = HashMap::new();
        for o in OPERATORS.iter().filter(|o| !o.domains.is_empty()) {
            entry(&mut entries, o.key).dns =
                Dns::Ptr(o.domains.iter().map(|d| d.to_string()).collect());
        }
        if let Some(name) = class_names.get(ClassId::FEDIVERSE.index()) {
            entry(&mut entries, name).dns = Dns::Host;
        }

        let known = |key: &str| {
            rules.iter().any(|(n, _)| n.eq_ignore_ascii_case(key))
                || OPERATORS.iter().any(|o| o.key.eq_ignore_ascii_case(key))
                || class_names.iter().any(|c| c.eq_ignore_ascii_case(key))
        };
        for (i, (key, setting)) in settings.iter().enumerate() {
            if !known(key) {
                return Err((
                    i,
                    format!("no agent rule, operator or class is named \"{key}\""),
                ));
            }
            let e = entry(&mut entries, key);
            match setting {
                Setting::Ranges(r) => {
                    e.ranges.get_or_insert_with(RangeTable::default).add(r);
                    e.has_ranges = true;
                }
                other => {
                    if e.set {
                        return Err((i, format!("\"{key}\" has a verification method already")));
                    }
                    e.set = true;
                    match other {
                        Setting::Rdns(d) => e.dns = Dns::Ptr(d.clone()),
                        Setting::Host => e.dns = Dns::Host,
                        _ => {
                            e.dns = Dns::None;
                            e.off = true;
                        }
                    }
                }
            }
            if e.off && e.has_ranges {
                return Err((
                    i,
                    format!("\"{key}\" has ranges and its verification is off"),
                ));
            }
        }

        let mut plan = Plan {
            classes: vec![false; class_names.len()],
            classes_dns: vec![false; class_names.len()],
            ..Plan::default()
        };
        let mut index_of: HashMap<String, u16> = HashMap::new();
        for &(name, class) in rules {
            let operator = operator_of(name).map(|o| o.key);
            let class_name = class_names.get(class.index()).copied();
            let found = [Some(name), operator, class_name]
                .into_iter()
                .flatten()
                .map(|k| k.to_ascii_lowercase())
                .find_map(|k| entries.get(&k).map(|e| (k, e)));
            let m = match found {
                Some((_, e)) if e.off => NONE,
                Some((k, e)) if e.ranges.is_some() || e.dns != Dns::None => {
                    match index_of.get(&k) {
                        Some(&m) => m,
                        None => {
                            let m = plan.methods.len() as u16;
                            plan.methods.push(Method {
                                key: e.key.clone(),
                                ranges: e.ranges.clone(),
                                dns: e.dns.clone(),
                            });
                            index_of.insert(k, m);
                            m
                        }
                    }
                }
                _ => NONE,
            };
            if let Some(method) = plan.methods.get(m as usize) {
                let dns = method.dns != Dns::None;
                if let Some(c) = plan.classes.get_mut(class.index()) {
                    *c = true;
                }
                if let Some(c) = plan.classes_dns.get_mut(class.index()) {
                    *c |= dns;
                }
            }
            plan.per_rule.push(m);
        }
        for m in &plan.methods {
            if let Dns::Ptr(d) = &m.dns {
                for d in d {
                    if !plan.confirm_domains.contains(d) {
                        plan.confirm_domains.push(d.clone());
                    }
                }
            }
        }
        Ok(plan)
    }

    /// The method of rule `rule` (as `Classification::rule` gives it).
    pub fn method(&self, rule: Option<u32>) -> Option<&Method> {
        let m = *self.per_rule.get(rule? as usize)?;
        self.methods.get(m as usize)
    }

    /// The domains a PTR name must be in to be worth resolving back.
    pub fn confirm_domains(&self) -> &[String] {
        &self.confirm_domains
    }

    /// Whether some rule of `class` has a method.
    pub fn class_has_method(&self, class: ClassId) -> bool {
        self.classes.get(class.index()).copied().unwrap_or(false)
    }

    /// Whether some rule of `class` is verified by DNS.
    pub fn class_needs_dns(&self, class: ClassId) -> bool {
        self.classes_dns
            .get(class.index())
            .copied()
            .unwrap_or(false)
    }

    /// Whether any rule has a method at all.
    pub fn is_empty(&self) -> bool {
        self.methods.is_empty()
    }

    /// Whether a method needs DNS (and so a resolver).
    pub fn needs_dns(&self) -> bool {
        self.methods.iter().any(|m| m.dns != Dns::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::BUILTIN_CLASSES;

    fn rules() -> Vec<(&'static str, ClassId)> {
        vec![
            ("Googlebot", ClassId::SEARCH),
            ("Googlebot-Image", ClassId::SEARCH),
            ("GPTBot", ClassId::AI),
            ("Mastodon", ClassId::FEDIVERSE),
            ("MojeekBot", ClassId::SEARCH),
            ("curl", ClassId::TOOL),
        ]
    }

    fn plan(settings: &[(&str, Setting)]) -> Plan {
        Plan::build(&rules(), &BUILTIN_CLASSES, settings).unwrap()
    }

    fn ranges() -> Setting {
        Setting::Ranges(vec![Cidr::parse("192.0.2.0/24").unwrap()])
    }

    #[test]
    fn built_in_methods() {
        let p = plan(&[]);
        let g = p.method(Some(0)).unwrap();
        assert_eq!(g.key, "Googlebot");
        assert_eq!(
            g.dns,
            Dns::Ptr(vec!["googlebot.com".into(), "google.com".into()])
        );
        // The operator's row covers its other names, with the same method.
        assert_eq!(p.method(Some(1)), Some(g));
        // OpenAI publishes only address lists: nothing until they are loaded.
        assert_eq!(p.method(Some(2)), None);
        assert_eq!(p.method(Some(3)).unwrap().dns, Dns::Host);
        assert_eq!(p.method(Some(4)), None);
        assert_eq!(p.method(Some(5)), None);
        assert_eq!(p.method(None), None);
        assert!(p.class_has_method(ClassId::SEARCH));
        assert!(!p.class_has_method(ClassId::AI));
        assert!(p.class_needs_dns(ClassId::FEDIVERSE));
        assert!(!p.class_needs_dns(ClassId::TOOL));
        // Only the domains of methods some rule uses.
        assert!(p.confirm_domains().contains(&"google.com".to_string()));
        assert!(!p.confirm_domains().contains(&"search.msn.com".to_string()));
    }

    #[test]
    fn settings_by_rule_operator_and_class() {
        let p = plan(&[
            ("GPTBot", ranges()),
            ("googlebot", ranges()),
            ("search", Setting::Rdns(vec!["example.net".into()])),
        ]);
        let gpt = p.method(Some(2)).unwrap();
        assert!(gpt.ranges.is_some());
        assert_eq!(gpt.dns, Dns::None);
        // Ranges add to the built-in reverse DNS of the whole row.
        let g = p.method(Some(1)).unwrap();
        assert!(g.ranges.is_some());
        assert!(matches!(&g.dns, Dns::Ptr(d) if d.len() == 2));
        // A search engine without a row takes its class's method.
        assert_eq!(
            p.method(Some(4)).unwrap().dns,
            Dns::Ptr(vec!["example.net".into()])
        );
        assert!(p.class_has_method(ClassId::AI));
        assert!(!p.class_needs_dns(ClassId::AI));
    }

    #[test]
    fn off_stops_the_search() {
        let p = plan(&[
            ("Googlebot-Image", Setting::Off),
            ("fediverse", Setting::Off),
        ]);
        assert_eq!(p.method(Some(1)), None);
        assert!(p.method(Some(0)).is_some());
        assert_eq!(p.method(Some(3)), None);
    }

    #[test]
    fn bad_settings() {
        let e = Plan::build(&rules(), &BUILTIN_CLASSES, &[("Nobody", ranges())]).unwrap_err();
        assert_eq!(e.0, 0);
        assert!(e.1.contains("\"Nobody\""), "{}", e.1);
        let e = Plan::build(
            &rules(),
            &BUILTIN_CLASSES,
            &[("GPTBot", Setting::Host), ("gptbot", Setting::Off)],
        )
        .unwrap_err();
        assert_eq!(e.0, 1);
        let e = Plan::build(
            &rules(),
            &BUILTIN_CLASSES,
            &[("GPTBot", Setting::Off), ("GPTBot", ranges())],
        )
        .unwrap_err();
        assert_eq!(e.0, 1);
        // An operator's key is a name even when no rule of it is loaded.
        assert!(Plan::build(&[], &BUILTIN_CLASSES, &[("CCBot", ranges())]).is_ok());
    }
}
