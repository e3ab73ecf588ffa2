//! The counters: fixed ones (reasons, token classes, verifications, apps)
//! and named ones (agent classes and limit zones, whose names come from the
//! configuration and are matched by name across reloads).

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::token::TokenClass;

/// Reasons of the zone's first layout, in `Reason::ALL` order; later ones
/// are counted in `decisions_more`, carved out of the spare counters, so
/// that a zone keeps its counts across a reload into a newer module.
pub const REASONS: usize = 7;
const REASONS_MORE: usize = crate::reason::Reason::ALL.len() - REASONS;
/// Token classes, in `TokenClass` order.
pub const TOKEN_CLASSES: usize = 6;
/// Index of a decision's action in `Counters::decisions`.
pub const DENY: usize = 0;
pub const DRY_RUN: usize = 1;

/// Named counter slots (agent classes and limit zones together); a name
/// beyond them is not counted.
pub const NAME_SLOTS: usize = 256;
/// Longest name kept in a slot (class names are at most 64 bytes).
pub const NAME_CAP: usize = 64;

pub const SLOT_FREE: u8 = 0;
/// An agent class; counter 0: requests classified.
pub const SLOT_CLASS: u8 = 1;
/// A limit zone; counters 0, 1, 2: passed, delayed, rejected.
pub const SLOT_LIMIT: u8 = 2;

#[repr(C)]
pub struct Counters {
    /// Decisions by reason, `[DENY]` and `[DRY_RUN]`.
    pub decisions: [[AtomicU64; 2]; REASONS],
    /// Requests by token class, where tokens are checked.
    pub token_classes: [AtomicU64; TOKEN_CLASSES],
    pub verifications_started: AtomicU64,
    pub verifications_coalesced: AtomicU64,
    /// Finished verifications by the class they found.
    pub verification_outcomes: [AtomicU64; TOKEN_CLASSES],
    pub app_registrations: AtomicU64,
    pub client_credentials_grants: AtomicU64,
    /// Decisions of the reasons after the first `REASONS`.
    pub decisions_more: [[AtomicU64; 2]; REASONS_MORE],
    /// New tokens not verified: the client's budget was spent.
    pub verifications_limited: AtomicU64,
    /// New tokens not verified: too many verifications in flight.
    pub verifications_capped: AtomicU64,
    /// Verifications the backend answered 429.
    pub backend_throttled: AtomicU64,
    /// Pauses asked by the backend (5xx with Retry-After).
    pub backend_paused: AtomicU64,
    /// Verification subrequests sent to the backend.
    pub backend_calls: AtomicU64,
    /// Room for counters of later versions without a new layout.
    pub spare: [AtomicU64; 16 - 2 * REASONS_MORE - 5],
}

#[repr(C)]
pub struct NameSlot {
    /// SLOT_FREE, SLOT_CLASS or SLOT_LIMIT; written only when the zone is
    /// initialised (by nginx's master, before workers use the slot).
    pub kind: u8,
    pub len: u8,
    pub name: [u8; NAME_CAP],
    pub counters: [AtomicU64; 3],
}

impl NameSlot {
    pub fn name(&self) -> &[u8] {
        &self.name[..(self.len as usize).min(NAME_CAP)]
    }

    pub fn get(&self, i: usize) -> u64 {
        self.counters.get(i).map_or(0, |c| c.load(Relaxed))
    }

    pub fn add(&self, i: usize) {
        if let Some(c) = self.counters.get(i) {
            c.fetch_add(1, Relaxed);
        }
    }
}

impl Counters {
    fn decision_counter(&self, reason: crate::reason::Reason, action: usize) -> Option<&AtomicU64> {
        let i = reason as usize;
        match i.checked_sub(REASONS) {
            None => self.decisions.get(i)?.get(action),
            Some(more) => self.decisions_more.get(more)?.get(action),
        }
    }

    pub fn decision(&self, reason: crate::reason::Reason, action: usize) {
        if let Some(c) = self.decision_counter(reason, action) {
            c.fetch_add(1, Relaxed);
        }
    }

    pub fn decision_count(&self, reason: crate::reason::Reason, action: usize) -> u64 {
        self.decision_counter(reason, action)
            .map_or(0, |c| c.load(Relaxed))
    }

    pub fn token_class(&self, class: TokenClass) {
        if let Some(c) = self.token_classes.get(class as usize) {
            c.fetch_add(1, Relaxed);
        }
    }

    pub fn verification_outcome(&self, class: TokenClass) {
        if let Some(c) = self.verification_outcomes.get(class as usize) {
            c.fetch_add(1, Relaxed);
        }
    }

    pub fn bump(c: &AtomicU64) {
        c.fetch_add(1, Relaxed);
    }
}

#[cfg(test)]
mod layout {
    /// The counters' size is fixed: a zone of an older module is taken over
    /// on reload (new counters come out of `spare`).
    #[test]
    fn counters_keep_their_size() {
        assert_eq!(core::mem::size_of::<super::Counters>(), 46 * 8);
    }
}
