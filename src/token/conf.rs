//! The token configuration of an `http` block and of a location.

use crate::glue::variable::VarRef;
use fediguard_core::conf_value::{FailPolicy, Require};

use super::zone::TokenZone;
use crate::glue::log::ConfPlace;

/// `http`-level.
#[derive(Debug, Default)]
pub struct TokenMain {
    /// `fediguard_token_zone`.
    pub zone: Option<TokenZone>,
    /// Where `fediguard_token_verify` stands, checked against the zone.
    pub verify_places: Vec<ConfPlace>,
    /// `$fediguard_account` and `$fediguard_app_name`, to tell whether
    /// the configuration shows them (then a verification asks for names).
    pub name_vars: NameVars,
}

/// The name variables as nginx keeps them (in the cycle's pool).
#[derive(Debug, Default)]
pub struct NameVars {
    pub account: VarRef,
    pub app: VarRef,
}

impl NameVars {
    pub fn account_used(&self) -> bool {
        self.account.used()
    }

    pub fn app_used(&self) -> bool {
        self.app.used()
    }
}

impl TokenMain {
    pub fn check(&self) -> Result<(), String> {
        match (&self.zone, self.verify_places.first()) {
            (None, Some(place)) => Err(format!(
                "fediguard_token_verify in {place} needs a fediguard_token_zone \
                 in the http block"
            )),
            _ => Ok(()),
        }
    }

    /// The zone, when it is shared with the other hosts.
    pub fn sync_zone(&self) -> Option<&TokenZone> {
        self.zone.as_ref().filter(|z| z.sync)
    }
}

/// `server`- and `location`-level.
#[derive(Debug, Default)]
pub struct TokenLoc {
    /// `fediguard_token_verify`: the prefix of the internal location that
    /// proxies to Mastodon; empty for `off`.
    pub verify: Option<String>,
    pub require: Option<Require>,
    pub fail: Option<FailPolicy>,
    /// Where `verify` and `require` were written, for `nginx -t` warnings.
    pub verify_place: String,
    pub require_place: String,
}

impl TokenLoc {
    /// The verification prefix, when this location checks tokens.
    pub fn verify(&self) -> Option<&str> {
        self.verify.as_deref().filter(|p| !p.is_empty())
    }

    pub fn require(&self) -> Require {
        self.require.unwrap_or_default()
    }

    pub fn fail(&self) -> FailPolicy {
        self.fail.unwrap_or_default()
    }

    /// nginx's inheritance: a value set at this level wins.
    pub fn merge(&mut self, prev: &TokenLoc) {
        if self.verify.is_none() {
            self.verify = prev.verify.clone();
            self.verify_place = prev.verify_place.clone();
        }
        if self.require.is_none() {
            self.require = prev.require;
            self.require_place = prev.require_place.clone();
        }
        if self.fail.is_none() {
            self.fail = prev.fail;
        }
    }
}
