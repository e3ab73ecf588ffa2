//! Laying a table out in a block of memory, and finding it again there
//! (a zone kept across reload).

use core::marker::PhantomData;
use core::mem::{align_of, size_of};

use super::{bytes_per_entry, Entry, Header, Stats, Table, MAGIC, NIL, VERSION};

fn align8(n: usize) -> usize {
    (n + 7) & !7
}

fn layout_of<V>(capacity: u32) -> (usize, usize, usize) {
    let buckets = (capacity.max(1) as usize).next_power_of_two();
    let buckets_off = align8(size_of::<Header>());
    let entries_off = align8(buckets_off + buckets * size_of::<u32>());
    let total = entries_off + capacity as usize * size_of::<Entry<V>>();
    (buckets, entries_off, total)
}

impl<V: Copy> Table<V> {
    /// The bucket array, after the header.
    pub(super) fn buckets_ptr(&self) -> *mut u32 {
        // SAFETY: within the block laid out by init.
        unsafe { self.base.add(align8(size_of::<Header>())).cast() }
    }

    /// Entry `i`, after the buckets.
    pub(super) fn entry_ptr(&self, i: u32) -> *mut Entry<V> {
        let (_, off, _) = layout_of::<V>(self.header().capacity);
        // SAFETY: callers pass i < capacity.
        unsafe { self.base.add(off).cast::<Entry<V>>().add(i as usize) }
    }

    /// How many entries fit in `bytes` of memory.
    pub fn capacity_for(bytes: usize) -> u32 {
        let mut cap =
            (bytes / (bytes_per_entry::<V>() + size_of::<u32>())).min(u32::MAX as usize / 2) as u32;
        while cap > 0 && layout_of::<V>(cap).2 > bytes {
            cap -= cap / 64 + 1;
        }
        cap
    }

    /// Lays out an empty table.
    ///
    /// # Safety
    /// `mem` is 8-byte aligned, valid for `bytes` bytes, used by nothing
    /// else, and access to it is serialised by the caller.
    pub unsafe fn init(mem: *mut u8, bytes: usize, secret: [u8; 32]) -> Option<Table<V>> {
        if mem.is_null() || (mem as usize) % align_of::<Header>() != 0 {
            return None;
        }
        let capacity = Self::capacity_for(bytes);
        if capacity == 0 {
            return None;
        }
        let (buckets, _, _) = layout_of::<V>(capacity);
        let header = Header {
            magic: MAGIC,
            version: VERSION,
            entry_size: size_of::<Entry<V>>() as u32,
            capacity,
            bucket_mask: (buckets - 1) as u32,
            used: 0,
            free_head: 0,
            lru_head: NIL,
            lru_tail: NIL,
            dirty: 0,
            secret,
            stats: Stats::default(),
        };
        // SAFETY: the caller gives `bytes` bytes, aligned (checked above),
        // and capacity_for left room for the header.
        unsafe { mem.cast::<Header>().write(header) };
        let mut t = Table {
            base: mem,
            _value: PhantomData,
        };
        t.clear(secret);
        Some(t)
    }

    /// Forgets every entry and takes a new secret (the cluster's, whose
    /// fingerprints differ from the old ones). Counters are kept.
    pub fn clear(&mut self, secret: [u8; 32]) {
        let capacity = self.header().capacity;
        let (buckets, _, _) = layout_of::<V>(capacity);
        // SAFETY: the bucket array and entries lie inside the block.
        unsafe {
            for b in 0..buckets {
                self.buckets_ptr().add(b).write(NIL);
            }
            for i in 0..capacity {
                let e = self.entry_ptr(i);
                // All-zero is a valid free entry: values are plain data.
                e.cast::<u8>().write_bytes(0, size_of::<Entry<V>>());
                (*e).hash_next = if i + 1 < capacity { i + 1 } else { NIL };
            }
        }
        let h = self.header();
        h.used = 0;
        h.free_head = 0;
        h.lru_head = NIL;
        h.lru_tail = NIL;
        h.dirty = 0;
        h.secret = secret;
    }

    /// Attaches to a table laid out earlier (a zone kept across reload).
    ///
    /// # Safety
    /// As for `init`; the memory holds what `init` wrote.
    pub unsafe fn attach(mem: *mut u8, bytes: usize) -> Option<Table<V>> {
        if mem.is_null()
            || (mem as usize) % align_of::<Header>() != 0
            || bytes < size_of::<Header>()
        {
            return None;
        }
        // SAFETY: aligned and at least a header long (checked above); any
        // bit pattern is a `Header` (plain integers).
        let h = unsafe { &*mem.cast::<Header>() };
        if h.magic != MAGIC
            || h.version != VERSION
            || h.entry_size as usize != size_of::<Entry<V>>()
            || layout_of::<V>(h.capacity).2 > bytes
        {
            return None;
        }
        Some(Table {
            base: mem,
            _value: PhantomData,
        })
    }
}
