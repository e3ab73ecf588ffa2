//! The token verdict zone (`fediguard_token_zone`).

use fediguard_core::verdict_cache::{Cached, Table};
use nginx_sys::ngx_conf_t;
use ngx::http::HttpModuleMainConf;

use crate::zone::SharedZone;
use crate::Module;

/// Verdict lifetimes per class, in milliseconds.
#[derive(Clone, Copy, Debug)]
pub struct Lifetimes {
    pub user: u64,
    pub app: u64,
    pub invalid: u64,
    pub unknown: u64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            user: 600_000,
            app: 600_000,
            invalid: 60_000,
            unknown: 5_000,
        }
    }
}

#[derive(Debug)]
pub struct TokenZone {
    pub name: String,
    pub lifetimes: Lifetimes,
    /// `sync`: verdicts are shared with the other hosts through Redis.
    pub sync: bool,
    zone: SharedZone<Cached>,
}

impl TokenZone {
    /// # Safety
    /// `cf` is the configuration being parsed.
    pub unsafe fn add(
        cf: *mut ngx_conf_t,
        name: &str,
        size: usize,
        lifetimes: Lifetimes,
        sync: bool,
    ) -> Result<TokenZone, String> {
        Ok(TokenZone {
            name: name.to_string(),
            lifetimes,
            sync,
            zone: SharedZone::add(cf, name, size)?,
        })
    }

    pub fn with_table<R>(&self, f: impl FnOnce(&mut Table) -> R) -> Option<R> {
        self.zone.with_table(f)
    }
}

/// The token zone of the request's `http` block, if there is one.
pub fn zone_of(r: &ngx::http::Request) -> Option<&'static TokenZone> {
    Module::main_conf(r)?.token_zone.as_ref()
}
