//! The request's agent: classified once, on demand (by the access step or
//! by the first `$fediguard_agent_*` read), so token- or limit-only
//! locations never pay for it.

use fediguard_core::agent::ClassId;
use nginx_sys::ngx_str_t;
use ngx::http::Request;

use super::conf::AgentMain;
use crate::glue::pool;
use crate::glue::stats_zone::StatsConf;
use crate::metrics::count;

#[derive(Clone, Copy)]
pub struct AgentState {
    done: bool,
    pub class: ClassId,
    /// The instance host named by a fediverse agent, lower-cased; empty
    /// otherwise. Points into the request's header or pool memory.
    pub host: ngx_str_t,
    /// The agent rule that matched, if one did (the verification method
    /// is chosen by rule).
    pub rule: Option<u32>,
}

impl Default for AgentState {
    fn default() -> Self {
        AgentState {
            done: false,
            class: ClassId::OTHER,
            host: ngx_str_t::default(),
            rule: None,
        }
    }
}

impl AgentState {
    pub fn is_classified(&self) -> bool {
        self.done
    }

    /// Classifies the request's agent, once.
    pub fn ensure(&mut self, r: &Request, main: &AgentMain, stats: Option<&StatsConf>) {
        if self.done {
            return;
        }
        self.done = true;
        let Some(matcher) = main.matcher.as_ref() else {
            return;
        };
        let agent = r.user_agent().map(|a| a.as_bytes());
        let class = main.recent_agents.classify(matcher, agent);
        self.class = class.class;
        self.rule = class.rule;
        count::agent(stats, class.class);
        if let (Some((start, end)), Some(agent)) = (class.host, agent) {
            self.host = lowercase_in_pool(r, &agent[start..end]);
        }
    }
}

/// Host names are compared and used as keys lower-cased; most agents already
/// write them so, and then no copy is made.
fn lowercase_in_pool(r: &Request, host: &[u8]) -> ngx_str_t {
    if !host.iter().any(u8::is_ascii_uppercase) {
        return ngx_str_t {
            len: host.len(),
            data: host.as_ptr().cast_mut(),
        };
    }
    pool::copy_with(r, host, |out| out.make_ascii_lowercase()).unwrap_or_default()
}
