//! Hash chains, the free list and the LRU list of a `Table`.

use super::{Table, DIRTY, FREE, KEY_LEN, NIL, PENDING};

impl<V: Copy> Table<V> {
    /// The entry of `key`, created (evicting the least recently used entry
    /// when the table is full) and moved to the front of the LRU list.
    pub(super) fn slot(&mut self, key: &[u8; KEY_LEN]) -> Option<u32> {
        if let Some(i) = self.find(key) {
            self.touch(i);
            return Some(i);
        }
        if self.header().free_head == NIL {
            let tail = self.header().lru_tail;
            self.entry(tail)?;
            self.remove(tail);
            self.header().stats.evictions += 1;
        }
        let i = self.header().free_head;
        let bucket = self.bucket(key);
        let e = self.entry(i)?;
        let next_free = e.hash_next;
        e.key = *key;
        e.state = PENDING;
        e.until = 0;
        // SAFETY: bucket() is in range.
        e.hash_next = unsafe { *bucket };
        // SAFETY: as above.
        unsafe { *bucket = i };
        self.header().free_head = next_free;
        self.header().used += 1;
        self.link_front(i);
        Some(i)
    }

    pub(super) fn remove(&mut self, i: u32) {
        let Some(e) = self.entry(i) else { return };
        let key = e.key;
        // Unlink from the hash chain.
        let bucket = self.bucket(&key);
        let mut prev = NIL;
        // SAFETY: bucket() is in range.
        let mut cur = unsafe { *bucket };
        let mut steps = 0;
        while cur != i {
            let Some(c) = self.entry(cur) else { return };
            prev = cur;
            cur = c.hash_next;
            steps += 1;
            if steps > self.header().capacity {
                return;
            }
        }
        let next = self.entry(i).map(|e| e.hash_next).unwrap_or(NIL);
        match self.entry(prev) {
            Some(p) => p.hash_next = next,
            // SAFETY: bucket() is in range.
            None => unsafe { *bucket = next },
        }
        self.unlink_lru(i);
        if let Some(e) = self.entry(i) {
            if e.state == DIRTY {
                self.header().dirty = self.header().dirty.saturating_sub(1);
            }
        }
        if let Some(e) = self.entry(i) {
            e.state = FREE;
            e.hash_next = self.header().free_head;
        }
        self.header().free_head = i;
        self.header().used = self.header().used.saturating_sub(1);
    }

    pub(super) fn touch(&mut self, i: u32) {
        if self.header().lru_head != i {
            self.unlink_lru(i);
            self.link_front(i);
        }
    }

    fn link_front(&mut self, i: u32) {
        let head = self.header().lru_head;
        if let Some(e) = self.entry(i) {
            e.lru_prev = NIL;
            e.lru_next = head;
        }
        match self.entry(head) {
            Some(h) => h.lru_prev = i,
            None => self.header().lru_tail = i,
        }
        self.header().lru_head = i;
    }

    fn unlink_lru(&mut self, i: u32) {
        let Some(e) = self.entry(i) else { return };
        let (prev, next) = (e.lru_prev, e.lru_next);
        e.lru_prev = NIL;
        e.lru_next = NIL;
        match self.entry(prev) {
            Some(p) => p.lru_next = next,
            None => {
                if self.header().lru_head == i {
                    self.header().lru_head = next;
                }
            }
        }
        match self.entry(next) {
            Some(n) => n.lru_prev = prev,
            None => {
                if self.header().lru_tail == i {
                    self.header().lru_tail = prev;
                }
            }
        }
    }
}
