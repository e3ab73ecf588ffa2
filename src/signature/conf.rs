//! The signature configuration of an `http` block and of a location.

use fediguard_core::claim::ranges::Cidr;

use super::zone::KeyZone;
use crate::glue::log::ConfPlace;
use crate::glue::variable::VarRef;

/// `fediguard_signature on | require | off`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SignatureMode {
    #[default]
    Off,
    /// Verified and shown in the variables; nothing refused.
    On,
    /// Unsigned or invalid: 401; key unavailable: 503.
    Require,
}

/// `http`-level.
#[derive(Debug, Default)]
pub struct SignatureMain {
    /// `fediguard_signature_zone`.
    pub zone: Option<KeyZone>,
    /// Where `fediguard_signature on|require` stands, checked against the
    /// zone.
    pub places: Vec<ConfPlace>,
    /// `$fediguard_signer`, to tell whether a limit may read it.
    pub signer_var: VarRef,
}

impl SignatureMain {
    pub fn check(&self) -> Result<(), String> {
        match (&self.zone, self.places.first()) {
            (None, Some(place)) => Err(format!(
                "fediguard_signature in {place} needs a fediguard_signature_zone \
                 in the http block"
            )),
            _ => Ok(()),
        }
    }
}

/// `fediguard_signature_keys LOCATION [allow=CIDR...]`.
#[derive(Debug, Clone)]
pub struct Keys {
    /// The internal location that fetches a key (its `proxy_pass` reads
    /// `$fediguard_signature_key_url`).
    pub location: String,
    /// Addresses a keyId may name (address literals, plain http).
    pub allow: Vec<Cidr>,
}

impl Keys {
    pub fn allows(&self, ip: std::net::IpAddr) -> bool {
        let ip = fediguard_core::claim::ranges::canonical(ip);
        self.allow.iter().any(|c| cidr_contains(c, ip))
    }
}

fn cidr_contains(c: &Cidr, ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr::{V4, V6};
    match (c.addr, ip) {
        (V4(a), V4(b)) => {
            let m = u32::MAX.checked_shl(32 - u32::from(c.prefix)).unwrap_or(0);
            u32::from(a) & m == u32::from(b) & m
        }
        (V6(a), V6(b)) => {
            let m = u128::MAX
                .checked_shl(128 - u32::from(c.prefix))
                .unwrap_or(0);
            u128::from(a) & m == u128::from(b) & m
        }
        _ => false,
    }
}

/// `server`- and `location`-level.
#[derive(Debug, Default)]
pub struct SignatureLoc {
    pub mode: Option<SignatureMode>,
    pub keys: Option<Keys>,
}

impl SignatureLoc {
    pub fn mode(&self) -> SignatureMode {
        self.mode.unwrap_or_default()
    }

    pub fn keys(&self) -> Option<&Keys> {
        self.keys.as_ref()
    }

    /// nginx's inheritance: a value set at this level wins.
    pub fn merge(&mut self, prev: &SignatureLoc) {
        if self.mode.is_none() {
            self.mode = prev.mode;
        }
        if self.keys.is_none() {
            self.keys = prev.keys.clone();
        }
    }
}
