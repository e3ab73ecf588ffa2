//! Marks for the cluster sync: entries written since the sync last took
//! them (a rate-limit charge to send, a verdict to publish), counted in the
//! header so that a round with nothing to send costs nothing.

use super::{Table, DIRTY, DONE, KEY_LEN};

impl<V: Copy> Table<V> {
    /// Writes a live value into entry `i`, keeping the dirty count.
    pub(super) fn put(&mut self, i: u32, value: V, until: u64, mark: bool) {
        let Some(e) = self.entry(i) else { return };
        let was_dirty = e.state == DIRTY;
        e.state = if mark || was_dirty { DIRTY } else { DONE };
        e.until = until;
        e.value = value;
        if mark && !was_dirty {
            self.header().dirty += 1;
        }
    }

    /// Entries marked since the last call.
    pub fn dirty(&self) -> u32 {
        self.header().dirty
    }

    /// Hands at most `max` marked entries to `f` (key, value to change in
    /// place, time the entry exists until) and unmarks them. Marked entries
    /// were written recently, so the walk starts at the front of the LRU
    /// list and stops once all are found.
    pub fn take_dirty(&mut self, max: usize, mut f: impl FnMut(&[u8; KEY_LEN], &mut V, u64)) {
        let mut i = self.header().lru_head;
        let (mut taken, mut steps) = (0, 0);
        while self.header().dirty > 0 && taken < max && steps <= self.header().capacity {
            let Some(e) = self.entry(i) else { break };
            let next = e.lru_next;
            if e.state == DIRTY {
                f(&e.key, &mut e.value, e.until);
                e.state = DONE;
                self.header().dirty = self.header().dirty.saturating_sub(1);
                taken += 1;
            }
            i = next;
            steps += 1;
        }
    }
}
