//! A fixed-size hash table with an LRU list, laid out in one block of memory
//! given by the caller (nginx shared memory in the module, a plain buffer in
//! tests). It holds token verdicts and rate-limit nodes: 128-bit keys, a
//! small `Copy` value each, and a time after which an entry is gone (a
//! verdict's lifetime, a bucket's drain time), so expiry needs no sweeper.
//!
//! Links are indices, never pointers, so the table means the same in every
//! worker. The caller serialises access (the module holds the zone's slab
//! mutex, which nginx's master releases if a worker dies holding it). Every
//! index read from the memory is bounds-checked: a corrupt table can lose
//! verdicts but never make a worker read outside the block.

use core::marker::PhantomData;
use core::mem::size_of;

/// Bytes of a key (a keyed fingerprint).
pub const KEY_LEN: usize = 16;

const NIL: u32 = u32::MAX;
const MAGIC: u64 = 0x6667_7368_6d74_6162; // "fgshmtab"
const VERSION: u32 = 3;

const FREE: u8 = 0;
const PENDING: u8 = 1;
const DONE: u8 = 2;
/// Done, and changed since the cluster sync last took it (`take_dirty`).
const DIRTY: u8 = 3;

fn live(state: u8) -> bool {
    state == DONE || state == DIRTY
}

/// Counters kept in the table, shared by all workers, surviving reloads.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub hits: u64,
    pub misses: u64,
    pub coalesced: u64,
    pub stored: u64,
    pub evictions: u64,
    pub expired: u64,
}

#[repr(C)]
struct Header {
    magic: u64,
    version: u32,
    /// Size of an entry: a table is only attached with the same value type.
    entry_size: u32,
    capacity: u32,
    bucket_mask: u32,
    used: u32,
    free_head: u32,
    lru_head: u32,
    lru_tail: u32,
    /// Entries in state DIRTY.
    dirty: u32,
    secret: [u8; 32],
    stats: Stats,
}

#[repr(C)]
struct Entry<V> {
    key: [u8; KEY_LEN],
    /// When the entry stops existing; for a pending entry, when its work is
    /// presumed lost (msec, the caller's clock).
    until: u64,
    hash_next: u32,
    lru_prev: u32,
    lru_next: u32,
    state: u8,
    value: V,
}

/// Bytes of shared memory one entry costs (entry plus its hash bucket).
pub const fn bytes_per_entry<V>() -> usize {
    size_of::<Entry<V>>() + size_of::<u32>()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup<V> {
    Hit(V),
    /// Someone is working on this key (a verification under way).
    Pending,
    Miss,
}

/// A view of a table in caller-owned memory, holding values of type `V`
/// (plain data: `Copy`, no pointers, all-zero a valid value).
pub struct Table<V> {
    base: *mut u8,
    _value: PhantomData<V>,
}

impl<V: Copy> Table<V> {
    // The table is a view of memory shared with other processes, serialised
    // by the caller's lock, like a cell: header and entries are disjoint and
    // no reference outlives the statement that takes it.
    #[allow(clippy::mut_from_ref)]
    fn header(&self) -> &mut Header {
        // SAFETY: init/attach checked the header; access is serialised.
        unsafe { &mut *self.base.cast::<Header>() }
    }

    #[allow(clippy::mut_from_ref)]
    fn entry(&self, i: u32) -> Option<&mut Entry<V>> {
        if i >= self.header().capacity {
            return None;
        }
        // SAFETY: i is in range; access is serialised.
        Some(unsafe { &mut *self.entry_ptr(i) })
    }

    fn bucket(&self, key: &[u8; KEY_LEN]) -> *mut u32 {
        let h = u32::from_le_bytes([key[0], key[1], key[2], key[3]]);
        // SAFETY: the mask keeps the index inside the bucket array.
        unsafe {
            self.buckets_ptr()
                .add((h & self.header().bucket_mask) as usize)
        }
    }

    pub fn secret(&self) -> [u8; 32] {
        self.header().secret
    }

    pub fn capacity(&self) -> u32 {
        self.header().capacity
    }

    pub fn len(&self) -> u32 {
        self.header().used
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stats(&self) -> Stats {
        self.header().stats
    }

    pub fn stats_mut(&mut self) -> &mut Stats {
        &mut self.header().stats
    }

    fn find(&self, key: &[u8; KEY_LEN]) -> Option<u32> {
        // SAFETY: bucket() is in range.
        let mut i = unsafe { *self.bucket(key) };
        let mut steps = 0;
        while let Some(e) = self.entry(i) {
            if e.state != FREE && e.key == *key {
                return Some(i);
            }
            i = e.hash_next;
            steps += 1;
            if steps > self.header().capacity {
                return None; // a cycle in a corrupt table
            }
        }
        None
    }

    /// The value of `key` at time `now`; an entry past its time is removed.
    pub fn lookup(&mut self, key: &[u8; KEY_LEN], now: u64) -> Lookup<V> {
        let Some(i) = self.find(key) else {
            self.header().stats.misses += 1;
            return Lookup::Miss;
        };
        let Some(e) = self.entry(i) else {
            return Lookup::Miss;
        };
        if e.until <= now {
            let pending = e.state == PENDING;
            self.remove(i);
            if !pending {
                self.header().stats.expired += 1;
            }
            self.header().stats.misses += 1;
            return Lookup::Miss;
        }
        if e.state == PENDING {
            return Lookup::Pending;
        }
        let value = e.value;
        self.touch(i);
        self.header().stats.hits += 1;
        Lookup::Hit(value)
    }

    /// `lookup` for a look only (variables read where tokens are not
    /// checked): no counters, no LRU move, nothing removed.
    pub fn peek(&self, key: &[u8; KEY_LEN], now: u64) -> Lookup<V> {
        match self.find(key).and_then(|i| self.entry(i)) {
            Some(e) if e.until <= now => Lookup::Miss,
            Some(e) if e.state == PENDING => Lookup::Pending,
            Some(e) => Lookup::Hit(e.value),
            None => Lookup::Miss,
        }
    }

    /// The time until which `key` exists, if it does (no LRU move).
    pub fn until(&self, key: &[u8; KEY_LEN]) -> Option<u64> {
        self.find(key).and_then(|i| self.entry(i)).map(|e| e.until)
    }

    /// Reads `key`'s live value and, when `f` returns one, replaces it (with
    /// the time it exists until), in one walk of the hash chain.
    pub fn update<R>(
        &mut self,
        key: &[u8; KEY_LEN],
        now: u64,
        f: impl FnOnce(Option<V>) -> (Option<(V, u64)>, R),
    ) -> R {
        self.update_marked(key, now, false, f)
    }

    /// `update`, and with `mark` a stored value is marked for the cluster
    /// sync (`take_dirty`). Without `mark` an entry keeps its mark.
    pub fn update_marked<R>(
        &mut self,
        key: &[u8; KEY_LEN],
        now: u64,
        mark: bool,
        f: impl FnOnce(Option<V>) -> (Option<(V, u64)>, R),
    ) -> R {
        let found = self.find(key);
        let current = found
            .and_then(|i| self.entry(i))
            .filter(|e| live(e.state) && e.until > now)
            .map(|e| e.value);
        if current.is_some() {
            self.header().stats.hits += 1;
        } else {
            self.header().stats.misses += 1;
        }
        let (new, out) = f(current);
        if let Some((value, until)) = new {
            let slot = match found {
                Some(i) => {
                    self.touch(i);
                    Some(i)
                }
                None => self.slot(key),
            };
            if let Some(i) = slot {
                self.put(i, value, until, mark);
            }
        }
        out
    }

    /// Marks `key` as being worked on until `until` (a verification), so
    /// that concurrent requests wait for its value instead.
    pub fn begin(&mut self, key: &[u8; KEY_LEN], until: u64) {
        if let Some(i) = self.slot(key) {
            if let Some(e) = self.entry(i) {
                if e.state == DIRTY {
                    self.header().dirty = self.header().dirty.saturating_sub(1);
                }
            }
            if let Some(e) = self.entry(i) {
                e.state = PENDING;
                e.until = until;
            }
        }
    }

    /// `begin`, with a value that says who works on the key (a worker's
    /// pid), for `pending_value` and `take_over`.
    pub fn begin_with(&mut self, key: &[u8; KEY_LEN], until: u64, value: V) {
        self.begin(key, until);
        if let Some(e) = self.find(key).and_then(|i| self.entry(i)) {
            if e.state == PENDING {
                e.value = value;
            }
        }
    }

    /// The value `begin_with` gave `key`, while it is pending at `now`.
    pub fn pending_value(&self, key: &[u8; KEY_LEN], now: u64) -> Option<V> {
        let e = self.find(key).and_then(|i| self.entry(i))?;
        (e.state == PENDING && e.until > now).then_some(e.value)
    }

    /// Takes over a pending key whose worker is gone: when `key` is still
    /// pending with the value `was`, it is pending with `value` until
    /// `until` and the caller works on it (true). False when the key is no
    /// longer pending or another took it over first.
    pub fn take_over(&mut self, key: &[u8; KEY_LEN], now: u64, was: V, until: u64, value: V) -> bool
    where
        V: PartialEq,
    {
        let Some(e) = self.find(key).and_then(|i| self.entry(i)) else {
            return false;
        };
        if e.state != PENDING || e.until <= now || e.value != was {
            return false;
        }
        e.value = value;
        e.until = until;
        true
    }

    /// Stores a value that exists until `until`.
    pub fn store(&mut self, key: &[u8; KEY_LEN], value: V, until: u64) {
        self.store_marked(key, value, until, false);
    }

    /// `store`, and with `mark` marks it for the cluster sync.
    pub fn store_marked(&mut self, key: &[u8; KEY_LEN], value: V, until: u64, mark: bool) {
        if let Some(i) = self.slot(key) {
            self.put(i, value, until, mark);
            self.header().stats.stored += 1;
        }
    }

    /// Drops whatever is known of `key`.
    pub fn forget(&mut self, key: &[u8; KEY_LEN]) {
        if let Some(i) = self.find(key) {
            self.remove(i);
        }
    }
}

mod layout;
mod links;
mod marks;
#[cfg(test)]
mod owned;
#[cfg(test)]
pub(crate) use owned::OwnedTable;

#[cfg(test)]
mod tests;
