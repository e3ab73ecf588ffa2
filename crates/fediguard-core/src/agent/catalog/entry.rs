//! A catalogue entry and the ways the sections write one.

use crate::agent::{Bound, ClassId};

/// One catalogue entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub class: ClassId,
    pub name: &'static str,
    /// Fediverse servers put their instance URL in the agent; client apps
    /// (a person's phone) use the same software name without one.
    pub needs_instance_url: bool,
    pub bound: Bound,
}

/// A fediverse server: counts only with an instance URL after it.
pub(super) const fn fedi(name: &'static str) -> Entry {
    Entry {
        class: ClassId::FEDIVERSE,
        name,
        needs_instance_url: true,
        bound: Bound::Word,
    }
}

/// A named agent, matched as a whole word.
pub(super) const fn e(class: ClassId, name: &'static str) -> Entry {
    Entry {
        class,
        name,
        needs_instance_url: false,
        bound: Bound::Word,
    }
}

/// A named agent whose name may run on into a longer word
/// (`StatusCake_Uptime_Checker`).
pub(super) const fn prefix(class: ClassId, name: &'static str) -> Entry {
    Entry {
        class,
        name,
        needs_instance_url: false,
        bound: Bound::Prefix,
    }
}
