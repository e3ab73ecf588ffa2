//! The stats zone's raw layout: a header, the counters, the named slots
//! and the ring of apps, in that order, in one block of memory given by the
//! caller (an nginx shared zone in the module, a plain buffer in tests).
//! `stats` is its public face and renders what it holds.
//!
//! The caller serialises everything but the atomics with a lock (nginx's
//! slab mutex): `map_name`, `register`, `grant`, `find_token`, `apps`.
//! `counters`, `slot` and `count_request` need no lock.

use core::mem::{align_of, size_of};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::shm_table::KEY_LEN;
use crate::watch::Registration;

mod counters;
mod owned;
mod ring;
#[cfg(test)]
mod tests;
mod text;

use counters::SLOT_FREE;
pub use counters::{
    Counters, NameSlot, DENY, DRY_RUN, NAME_CAP, NAME_SLOTS, SLOT_CLASS, SLOT_LIMIT, SLOT_VERIFY,
};
pub use owned::OwnedStatsZone;
pub use ring::{AppEntry, AppRef, AppView, Seen, TOKENS_KEPT};

const MAGIC: u64 = 0x6667_7374_6174_7331; // "fgstats1"
const VERSION: u32 = 1;

#[repr(C)]
struct Header {
    magic: u64,
    version: u32,
    entry_size: u32,
    counters_size: u32,
    capacity: u32,
    /// The slot the next new app takes.
    head: u32,
    _pad: u32,
    next_serial: u64,
}

const fn align8(n: usize) -> usize {
    (n + 7) & !7
}

const COUNTERS_OFF: usize = align8(size_of::<Header>());
const SLOTS_OFF: usize = align8(COUNTERS_OFF + size_of::<Counters>());
const RING_OFF: usize = align8(SLOTS_OFF + NAME_SLOTS * size_of::<NameSlot>());

/// A view of a stats zone in caller-owned memory.
pub struct StatsZone {
    base: *mut u8,
}

impl StatsZone {
    /// Bytes of memory one app record costs.
    pub const BYTES_PER_APP: usize = size_of::<AppEntry>();
    /// Bytes before the first app record (header, counters, named slots).
    pub const FIXED_BYTES: usize = RING_OFF;

    /// How many app records fit in `bytes`.
    pub fn capacity_for(bytes: usize) -> u32 {
        (bytes.saturating_sub(RING_OFF) / size_of::<AppEntry>()).min(u32::MAX as usize / 2) as u32
    }

    /// Lays out an empty zone (all counters 0).
    ///
    /// # Safety
    /// `mem` is 8-byte aligned, valid for `bytes` bytes and used by nothing
    /// else.
    pub unsafe fn init(mem: *mut u8, bytes: usize) -> Option<StatsZone> {
        if mem.is_null() || (mem as usize) % align_of::<AppEntry>() != 0 {
            return None;
        }
        let capacity = Self::capacity_for(bytes);
        if capacity == 0 {
            return None;
        }
        // All-zero is a valid empty zone: atomics at 0, slots free, records
        // empty (serial 0).
        // SAFETY: the caller gives `bytes` bytes, which hold the ring of
        // `capacity` records; `mem` is aligned for the header.
        unsafe {
            mem.write_bytes(0, RING_OFF + capacity as usize * size_of::<AppEntry>());
            mem.cast::<Header>().write(Header {
                magic: MAGIC,
                version: VERSION,
                entry_size: size_of::<AppEntry>() as u32,
                counters_size: size_of::<Counters>() as u32,
                capacity,
                head: 0,
                _pad: 0,
                next_serial: 1,
            })
        };
        Some(StatsZone { base: mem })
    }

    /// Attaches to a zone laid out earlier (kept across reload).
    ///
    /// # Safety
    /// As for `init`; the memory holds what `init` wrote.
    pub unsafe fn attach(mem: *mut u8, bytes: usize) -> Option<StatsZone> {
        if mem.is_null() || (mem as usize) % align_of::<AppEntry>() != 0 || bytes < RING_OFF {
            return None;
        }
        // SAFETY: `mem` is aligned and holds at least a header (`bytes` is
        // at least `RING_OFF`); any bit pattern is a `Header` (plain
        // integers).
        let h = unsafe { &*mem.cast::<Header>() };
        let fits = RING_OFF + h.capacity as usize * size_of::<AppEntry>() <= bytes;
        if h.magic != MAGIC
            || h.version != VERSION
            || h.entry_size as usize != size_of::<AppEntry>()
            || h.counters_size as usize != size_of::<Counters>()
            || !fits
        {
            return None;
        }
        Some(StatsZone { base: mem })
    }

    /// A view of a zone `init` or `attach` accepted before.
    ///
    /// # Safety
    /// `mem` was accepted by `init` or `attach` and is still mapped.
    pub unsafe fn attached(mem: *mut u8) -> StatsZone {
        StatsZone { base: mem }
    }

    // Like `shm_table::Table`, a view of memory shared with other
    // processes: plain fields are touched only under the caller's lock.
    #[allow(clippy::mut_from_ref)]
    fn header(&self) -> &mut Header {
        // SAFETY: init/attach checked the header.
        unsafe { &mut *self.base.cast::<Header>() }
    }

    pub fn capacity(&self) -> u32 {
        self.header().capacity
    }

    pub fn counters(&self) -> &Counters {
        // SAFETY: laid out by init; only atomics.
        unsafe { &*self.base.add(COUNTERS_OFF).cast::<Counters>() }
    }

    pub fn slot(&self, i: usize) -> Option<&NameSlot> {
        if i >= NAME_SLOTS {
            return None;
        }
        // SAFETY: i is in range.
        Some(unsafe { &*self.base.add(SLOTS_OFF).cast::<NameSlot>().add(i) })
    }

    #[allow(clippy::mut_from_ref)]
    fn slot_mut(&self, i: usize) -> Option<&mut NameSlot> {
        if i >= NAME_SLOTS {
            return None;
        }
        // SAFETY: i is in range; the caller holds the lock.
        Some(unsafe { &mut *self.base.add(SLOTS_OFF).cast::<NameSlot>().add(i) })
    }

    /// The slot counting `name` of `kind`: the one it had before (counts
    /// go on across reloads), or a free one; None when all are taken.
    pub fn map_name(&self, kind: u8, name: &str) -> Option<u16> {
        let name = name.as_bytes();
        if name.len() > NAME_CAP {
            return None;
        }
        let mut free = None;
        for i in 0..NAME_SLOTS {
            let s = self.slot(i)?;
            if s.kind == kind && s.name() == name {
                return Some(i as u16);
            }
            if s.kind == SLOT_FREE && free.is_none() {
                free = Some(i);
            }
        }
        let i = free?;
        let s = self.slot_mut(i)?;
        s.name[..name.len()].copy_from_slice(name);
        s.len = name.len() as u8;
        s.kind = kind;
        Some(i as u16)
    }

    #[allow(clippy::mut_from_ref)]
    fn entry(&self, i: u32) -> Option<&mut AppEntry> {
        if i >= self.capacity() {
            return None;
        }
        // SAFETY: i is in range; plain fields only under the lock.
        Some(unsafe { &mut *self.base.add(RING_OFF).cast::<AppEntry>().add(i as usize) })
    }

    /// A fresh record in the oldest slot.
    fn take_slot(&self, seen: &Seen) -> Option<u32> {
        let h = self.header();
        let cap = h.capacity.max(1);
        let i = h.head % cap;
        let serial = h.next_serial;
        h.next_serial += 1;
        h.head = (i + 1) % cap;
        let e = self.entry(i)?;
        // Invalidate references to the old record first.
        e.serial.store(0, Relaxed);
        e.registered_at = 0;
        e.last_grant_at = 0;
        e.tokens_granted = 0;
        e.requests.store(0, Relaxed);
        e.denied.store(0, Relaxed);
        e.tokens = [[0; KEY_LEN]; TOKENS_KEPT];
        e.token_next = 0;
        e.name.set("");
        e.website.set("");
        e.scopes.set("");
        e.redirect_uri.set("");
        e.client_id.set("");
        e.client.set(seen.client);
        e.agent.set(seen.agent);
        e.serial.store(serial, Relaxed);
        Some(i)
    }

    /// The app registered with this client_id, if the ring keeps it: its
    /// record, name and website.
    pub fn app_by_client(&self, client_id: &str) -> Option<(AppRef, String, String)> {
        let i = self.find_client(client_id)?;
        let e = self.entry(i)?;
        let (name, website) = (e.name.as_str().to_string(), e.website.as_str().to_string());
        Some((self.app_ref(i), name, website))
    }

    fn find_client(&self, client_id: &str) -> Option<u32> {
        if client_id.is_empty() {
            return None;
        }
        (0..self.capacity()).find(|&i| {
            self.entry(i)
                .is_some_and(|e| e.serial.load(Relaxed) != 0 && e.client_id.as_str() == client_id)
        })
    }

    fn app_ref(&self, i: u32) -> AppRef {
        let serial = self.entry(i).map_or(0, |e| e.serial.load(Relaxed));
        AppRef::new(i, serial)
    }

    /// Records a registration.
    pub fn register(&self, reg: &Registration, seen: &Seen) -> AppRef {
        let Some(i) = self.take_slot(seen) else {
            return AppRef::default();
        };
        let Some(e) = self.entry(i) else {
            return AppRef::default();
        };
        e.registered_at = seen.now;
        e.name.set(&reg.name);
        e.website.set(&reg.website);
        e.scopes.set(&reg.scopes);
        e.redirect_uri.set(&reg.redirect_uri);
        e.client_id.set(&reg.client_id);
        self.app_ref(i)
    }

    /// Records a client_credentials grant; returns the app's record and
    /// name and website (empty when the app was not seen registering).
    pub fn grant(
        &self,
        client_id: &str,
        token: &[u8; KEY_LEN],
        seen: &Seen,
    ) -> (AppRef, String, String) {
        let found = self.find_client(client_id).or_else(|| {
            let i = self.take_slot(seen)?;
            self.entry(i)?.client_id.set(client_id);
            Some(i)
        });
        let Some((i, e)) = found.and_then(|i| Some((i, self.entry(i)?))) else {
            return (AppRef::default(), String::new(), String::new());
        };
        e.last_grant_at = seen.now;
        e.tokens_granted += 1;
        e.add_token(token);
        let (name, website) = (e.name.as_str().to_string(), e.website.as_str().to_string());
        (self.app_ref(i), name, website)
    }

    /// The record of the app a token was granted to, if the ring has it.
    pub fn find_token(&self, token: &[u8; KEY_LEN]) -> AppRef {
        (0..self.capacity())
            .find(|&i| {
                self.entry(i)
                    .is_some_and(|e| e.serial.load(Relaxed) != 0 && e.holds_token(token))
            })
            .map_or(AppRef::default(), |i| self.app_ref(i))
    }

    /// Adds one to a counter of `counters()`.
    pub fn bump_counter(c: &AtomicU64) {
        bump(c);
    }

    /// Counts a request made with a token of the app (no lock needed).
    pub fn count_request(&self, app: AppRef, denied: bool) {
        if app.is_none() {
            return;
        }
        let Some(e) = self.entry(app.slot()) else {
            return;
        };
        if e.serial.load(Relaxed) & 0xffff_ffff != app.serial_low() {
            return; // overwritten since
        }
        bump(&e.requests);
        if denied {
            bump(&e.denied);
        }
    }

    /// The records, newest first.
    pub fn apps(&self) -> Vec<AppView> {
        let mut out: Vec<(u64, AppView)> = (0..self.capacity())
            .filter_map(|i| self.entry(i))
            .filter(|e| e.serial.load(Relaxed) != 0)
            .map(|e| (e.serial.load(Relaxed), e.view()))
            .collect();
        out.sort_by_key(|e| core::cmp::Reverse(e.0));
        out.into_iter().map(|(_, v)| v).collect()
    }
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Relaxed);
}
