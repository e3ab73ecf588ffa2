//! The ring of recently seen apps: one record per app, created by its
//! registration (or by its first client_credentials grant, for an app
//! registered before fediguard watched), overwriting the oldest record
//! when the ring is full.

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::text::Text;
use crate::shm_table::KEY_LEN;

/// Token fingerprints kept per app (Mastodon reuses an app's token, so
/// one is usual).
pub const TOKENS_KEPT: usize = 4;

/// Points at one record: its slot and the serial it had, so that a record
/// overwritten since is not credited. 0 is no app.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppRef(pub u64);

impl AppRef {
    pub fn new(slot: u32, serial: u64) -> AppRef {
        AppRef(((serial & 0xffff_ffff) << 32) | slot as u64)
    }
    pub fn is_none(self) -> bool {
        self.0 == 0
    }
    pub fn slot(self) -> u32 {
        self.0 as u32
    }
    pub fn serial_low(self) -> u64 {
        self.0 >> 32
    }
}

#[repr(C)]
pub struct AppEntry {
    /// 0: empty. Serials start at 1 and only grow.
    pub serial: AtomicU64,
    /// Unix seconds; 0 for an app seen only through a grant.
    pub registered_at: u64,
    pub last_grant_at: u64,
    pub tokens_granted: u64,
    /// Requests made with its tokens, and how many of them were denied.
    pub requests: AtomicU64,
    pub denied: AtomicU64,
    pub tokens: [[u8; KEY_LEN]; TOKENS_KEPT],
    pub token_next: u8,
    pub name: Text<64>,
    pub website: Text<96>,
    pub scopes: Text<64>,
    pub redirect_uri: Text<128>,
    pub client_id: Text<64>,
    /// Address of the client that registered (or first took a token).
    pub client: Text<46>,
    pub agent: Text<128>,
}

/// Who was seen registering or taking a token.
#[derive(Clone, Copy, Debug, Default)]
pub struct Seen<'a> {
    pub now: u64,
    pub client: &'a str,
    pub agent: &'a str,
}

/// A record as listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppView {
    pub registered_at: u64,
    pub last_grant_at: u64,
    pub name: String,
    pub website: String,
    pub scopes: String,
    pub redirect_uri: String,
    pub client_id: String,
    pub client: String,
    pub agent: String,
    pub tokens_granted: u64,
    pub requests: u64,
    pub denied: u64,
}

impl AppEntry {
    pub fn view(&self) -> AppView {
        AppView {
            registered_at: self.registered_at,
            last_grant_at: self.last_grant_at,
            name: self.name.as_str().to_string(),
            website: self.website.as_str().to_string(),
            scopes: self.scopes.as_str().to_string(),
            redirect_uri: self.redirect_uri.as_str().to_string(),
            client_id: self.client_id.as_str().to_string(),
            client: self.client.as_str().to_string(),
            agent: self.agent.as_str().to_string(),
            tokens_granted: self.tokens_granted,
            requests: self.requests.load(Relaxed),
            denied: self.denied.load(Relaxed),
        }
    }

    pub fn holds_token(&self, fp: &[u8; KEY_LEN]) -> bool {
        *fp != [0; KEY_LEN] && self.tokens.iter().any(|t| t == fp)
    }

    /// Remembers a token's fingerprint (the oldest of TOKENS_KEPT goes).
    pub fn add_token(&mut self, fp: &[u8; KEY_LEN]) {
        // All zero: no fingerprint (no token zone to key it).
        if *fp == [0; KEY_LEN] || self.holds_token(fp) {
            return;
        }
        let i = self.token_next as usize % TOKENS_KEPT;
        self.tokens[i] = *fp;
        self.token_next = ((i + 1) % TOKENS_KEPT) as u8;
    }
}
