//! The counters: fixed ones (reasons, token classes, verifications, apps)
//! and named ones (agent classes and limit zones, whose names come from the
//! configuration and are matched by name across reloads).

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::token::TokenClass;

/// Reasons of the zone's first layout, in `Reason::ALL` order; later ones
/// are counted in `decisions_more`, carved out of the spare counters, so
/// that a zone keeps its counts across a reload into a newer module.
pub const REASONS: usize = 7;
/// Reasons of the second layout (the first plus `VerifyLimited`).
const REASONS_V2: usize = 8;
const REASONS_MORE: usize = REASONS_V2 - REASONS;
/// Reasons added since, counted in `decisions_later`: carved from the
/// front of `spare`, after the counters the second layout put there, so
/// that those keep their place (growing `decisions_more` in place would
/// move them, and a reload into this module would show each one's count
/// under another's name).
///
/// The signature reasons (issue 28) do not fit in `spare` (two counters
/// are left): they are not counted here until a new layout makes room
/// (a reason beyond `COUNTED` is simply not counted).
const REASONS_LATER: usize = 1;
/// Reasons with counters in this layout, in `Reason::ALL` order.
#[cfg(test)]
pub const COUNTED: usize = REASONS_V2 + REASONS_LATER;
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
/// An agent class's verified claims; counters 0, 1, 2: `yes`, `no`, and
/// no answer (empty).
pub const SLOT_VERIFY: u8 = 3;

#[repr(C)]
#[cfg_attr(test, derive(Default))]
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
    /// Decisions of the reasons after the first `REASONS_V2`.
    pub decisions_later: [[AtomicU64; 2]; REASONS_LATER],
    /// Agent verification: DNS lookups started, requests that waited for
    /// another's lookup of the same address, lookups not started because
    /// too many were in flight in the worker.
    pub verify_lookups: AtomicU64,
    pub verify_coalesced: AtomicU64,
    pub verify_capped: AtomicU64,
    /// Requests of token class `limited` (after the first layout's
    /// `TOKEN_CLASSES`).
    pub token_limited: AtomicU64,
    /// Lookups not started: the client's lookup budget was spent.
    pub verify_over_budget: AtomicU64,
    /// Grants not recorded: HTTP Basic and the `client_id` parameter
    /// named different clients.
    pub grants_disputed: AtomicU64,
    /// Room for counters of later versions without a new layout.
    pub spare: [AtomicU64; 16 - 2 * REASONS_MORE - 5 - 2 * REASONS_LATER - 6],
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
        match (i.checked_sub(REASONS), i.checked_sub(REASONS_V2)) {
            (None, _) => self.decisions.get(i)?.get(action),
            (Some(more), None) => self.decisions_more.get(more)?.get(action),
            (_, Some(later)) => self.decisions_later.get(later)?.get(action),
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

    fn token_class_counter(&self, class: TokenClass) -> Option<&AtomicU64> {
        match class {
            TokenClass::Limited => Some(&self.token_limited),
            c => self.token_classes.get(c as usize),
        }
    }

    pub fn token_class(&self, class: TokenClass) {
        if let Some(c) = self.token_class_counter(class) {
            c.fetch_add(1, Relaxed);
        }
    }

    /// Requests counted for `class` (every class, `limited` too).
    pub fn token_class_count(&self, class: TokenClass) -> u64 {
        self.token_class_counter(class)
            .map_or(0, |c| c.load(Relaxed))
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

    /// Counters of an older layout keep their place: a zone taken over on
    /// reload shows each count under its own name.
    #[test]
    fn older_counters_keep_their_place() {
        use super::Counters;
        use core::mem::offset_of;
        assert_eq!(offset_of!(Counters, decisions_more), 240);
        assert_eq!(offset_of!(Counters, verifications_limited), 256);
        assert_eq!(offset_of!(Counters, backend_calls), 288);
        assert_eq!(offset_of!(Counters, decisions_later), 296);
        assert_eq!(
            offset_of!(Counters, token_limited),
            offset_of!(Counters, verify_capped) + 8
        );
    }

    /// `limited` is counted, apart from the other classes.
    #[test]
    fn the_limited_token_class_is_counted() {
        use crate::token::TokenClass;
        let c = super::Counters::default();
        c.token_class(TokenClass::Limited);
        c.token_class(TokenClass::Limited);
        c.token_class(TokenClass::App);
        assert_eq!(c.token_class_count(TokenClass::Limited), 2);
        assert_eq!(c.token_class_count(TokenClass::App), 1);
        assert_eq!(c.token_class_count(TokenClass::Unknown), 0);
    }

    /// Each reason has its own pair of counters.
    #[test]
    fn every_reason_counts_apart() {
        use crate::reason::Reason;
        let c = super::Counters::default();
        for (i, r) in Reason::ALL.iter().enumerate().take(super::COUNTED) {
            for _ in 0..=i {
                c.decision(*r, super::DENY);
            }
            c.decision(*r, super::DRY_RUN);
        }
        for (i, r) in Reason::ALL.iter().enumerate().take(super::COUNTED) {
            assert_eq!(c.decision_count(*r, super::DENY), i as u64 + 1, "{r:?}");
            assert_eq!(c.decision_count(*r, super::DRY_RUN), 1, "{r:?}");
        }
        assert!(c
            .spare
            .iter()
            .all(|s| s.load(core::sync::atomic::Ordering::Relaxed) == 0));
    }
}
