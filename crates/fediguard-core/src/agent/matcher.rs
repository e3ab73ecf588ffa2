//! The compiled rule set: one automaton for names, one set for regexes.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::{RegexSet, RegexSetBuilder};

use super::catalog::{is_bare_name, CATALOG};
use super::host::instance_host;
use super::pattern::REGEX_SIZE_LIMIT;
use super::{Bound, ClassId, Pattern, Rule};

/// Only the first bytes of an agent are examined: every real agent is far
/// shorter, and the bound caps the cost of a hostile 8 KB header.
pub const MAX_AGENT_SCAN: usize = 1024;

/// Most names searched by a DFA; more (long admin lists) use a contiguous
/// NFA. Measured with the built-in catalogue's ~1,000 names: 4.4 MB as a
/// DFA, 0.26 MB as an NFA whose scan of a browser agent takes about 1.5
/// times as long (~190 ns against ~290 ns for 111 bytes). The DFA's memory
/// grows with the names; neither scan time does.
const MAX_DFA_NAMES: usize = 4096;

/// What the matcher says about one agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Classification {
    pub class: ClassId,
    /// Byte range of the instance host inside the agent, for the fediverse
    /// class.
    pub host: Option<(usize, usize)>,
    /// The rule that matched (its index, admin rules first), if one did.
    pub rule: Option<u32>,
}

#[derive(Clone, Debug)]
struct RuleMeta {
    /// The name as written (`GPTBot`, `~*^Foo/`), for the settings that
    /// name rules (`fediguard_agent_ranges`).
    name: Box<str>,
    class: ClassId,
    needs_instance_url: bool,
    bound: Bound,
}

#[derive(Debug)]
pub struct AgentMatcher {
    rules: Vec<RuleMeta>,
    words: Option<AhoCorasick>,
    /// Automaton pattern id -> rule index.
    word_rules: Vec<u32>,
    regexes: Option<RegexSet>,
    /// Regex set pattern id -> rule index.
    regex_rules: Vec<u32>,
    /// Smallest rule index among the regexes: when a name rule with a
    /// smaller index has matched, the regex set need not run at all.
    first_regex_rule: u32,
    /// The catalogue is on: an agent no rule matched is `bot` when it is a
    /// bare name (`catalog::is_bare_name`).
    bare_names_are_bots: bool,
}

impl AgentMatcher {
    /// Builds the matcher from the admin rules (checked first, in order) and,
    /// when `catalog` is on, the built-in catalogue after them.
    pub fn build(admin_rules: &[Rule], catalog: bool) -> Result<AgentMatcher, String> {
        // Admin rules are names or regexes matched as whole words; the
        // catalogue's names carry their own bounds.
        let admin = admin_rules.iter().map(|r| (r, Bound::Word));
        let catalog_rules: Vec<(Rule, Bound)> = if catalog {
            CATALOG
                .iter()
                .map(|e| {
                    let rule = Rule {
                        class: e.class,
                        pattern: Pattern::Word(e.name.to_string()),
                        needs_instance_url: e.needs_instance_url,
                    };
                    (rule, e.bound)
                })
                .collect()
        } else {
            Vec::new()
        };
        let all: Vec<(&Rule, Bound)> = admin
            .chain(catalog_rules.iter().map(|(r, b)| (r, *b)))
            .collect();

        let mut rules = Vec::with_capacity(all.len());
        let mut words = Vec::new();
        let mut word_rules = Vec::new();
        let mut regexes = Vec::new();
        let mut regex_rules = Vec::new();
        for (i, (rule, bound)) in all.iter().enumerate() {
            let name = match &rule.pattern {
                Pattern::Word(w) => w.clone(),
                Pattern::Regex {
                    source,
                    case_insensitive,
                } => format!("~{}{source}", if *case_insensitive { "*" } else { "" }),
            };
            rules.push(RuleMeta {
                name: name.into_boxed_str(),
                class: rule.class,
                needs_instance_url: rule.needs_instance_url,
                bound: *bound,
            });
            match &rule.pattern {
                Pattern::Word(w) => {
                    words.push(w.as_bytes().to_vec());
                    word_rules.push(i as u32);
                }
                Pattern::Regex { .. } => {
                    regexes.push(rule.pattern.regex_source()?);
                    regex_rules.push(i as u32);
                }
            }
        }

        let words = if words.is_empty() {
            None
        } else {
            // Standard semantics so that every overlapping match is seen:
            // a match rejected by the word-boundary check must not hide
            // another one that starts inside it.
            let kind = if words.len() <= MAX_DFA_NAMES {
                AhoCorasickKind::DFA
            } else {
                AhoCorasickKind::ContiguousNFA
            };
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(kind))
                    .build(&words)
                    .map_err(|e| format!("cannot build agent automaton: {e}"))?,
            )
        };
        let first_regex_rule = regex_rules.first().copied().unwrap_or(u32::MAX);
        let regexes = if regexes.is_empty() {
            None
        } else {
            Some(
                RegexSetBuilder::new(&regexes)
                    .size_limit(REGEX_SIZE_LIMIT * 8)
                    .build()
                    .map_err(|e| format!("cannot build agent regex set: {e}"))?,
            )
        };
        Ok(AgentMatcher {
            rules,
            words,
            word_rules,
            regexes,
            regex_rules,
            first_regex_rule,
            bare_names_are_bots: catalog,
        })
    }

    /// Number of rules, admin and catalogue.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Every rule's name as written and class, in rule order.
    pub fn rule_names(&self) -> impl Iterator<Item = (&str, ClassId)> {
        self.rules.iter().map(|r| (&*r.name, r.class))
    }

    /// Classifies an agent; `None` is a request without a User-Agent.
    pub fn classify(&self, agent: Option<&[u8]>) -> Classification {
        let agent = match agent {
            Some(a) if !a.iter().all(u8::is_ascii_whitespace) => a,
            _ => {
                return Classification {
                    class: ClassId::EMPTY,
                    host: None,
                    rule: None,
                }
            }
        };
        let scanned = &agent[..agent.len().min(MAX_AGENT_SCAN)];

        // (rule index, end of the match in the agent)
        let mut best: Option<(u32, usize)> = None;
        if let Some(ac) = &self.words {
            for m in ac.find_overlapping_iter(scanned) {
                let Some(&rule) = self.word_rules.get(m.pattern().as_usize()) else {
                    continue;
                };
                if best.is_some_and(|(b, _)| b <= rule) {
                    continue;
                }
                let Some(meta) = self.rules.get(rule as usize) else {
                    continue;
                };
                if !meta.bound.fits(scanned, m.start(), m.end()) {
                    continue;
                }
                if meta.needs_instance_url && instance_host(scanned, m.end()).is_none() {
                    continue;
                }
                best = Some((rule, m.end()));
            }
        }
        if let Some(set) = &self.regexes {
            if best.is_none_or(|(b, _)| self.first_regex_rule < b) {
                for id in set.matches(scanned).iter() {
                    if let Some(&rule) = self.regex_rules.get(id) {
                        if best.is_none_or(|(b, _)| rule < b) {
                            best = Some((rule, 0));
                        }
                    }
                }
            }
        }

        match best {
            Some((rule, end)) => {
                let class = self
                    .rules
                    .get(rule as usize)
                    .map_or(ClassId::OTHER, |m| m.class);
                let host = if class == ClassId::FEDIVERSE {
                    instance_host(scanned, end)
                } else {
                    None
                };
                Classification {
                    class,
                    host,
                    rule: Some(rule),
                }
            }
            None => Classification {
                class: if self.bare_names_are_bots && is_bare_name(scanned) {
                    ClassId::BOT
                } else {
                    ClassId::OTHER
                },
                host: None,
                rule: None,
            },
        }
    }
}
