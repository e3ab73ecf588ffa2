use super::*;

struct Mem(Vec<u64>);

impl Mem {
    fn new(bytes: usize) -> Mem {
        Mem(vec![0u64; bytes / 8])
    }
    fn table(&mut self) -> Table<u64> {
        let bytes = self.0.len() * 8;
        // SAFETY: a `u64` buffer is 8-byte aligned and `bytes` long; the
        // tests use one table of it at a time.
        unsafe { Table::init(self.0.as_mut_ptr().cast(), bytes, [7; 32]).unwrap() }
    }
}

fn key(n: u32) -> [u8; KEY_LEN] {
    let mut k = [0u8; KEY_LEN];
    k[..4].copy_from_slice(&n.to_le_bytes());
    k[4..8].copy_from_slice(&n.wrapping_mul(2654435761).to_le_bytes());
    k
}

#[test]
fn store_lookup_and_expire() {
    let mut mem = Mem::new(64 * 1024);
    let mut t = mem.table();
    assert_eq!(t.lookup(&key(1), 0), Lookup::Miss);
    t.store(&key(1), 42, 1000);
    assert_eq!(t.lookup(&key(1), 999), Lookup::Hit(42));
    assert_eq!(t.until(&key(1)), Some(1000));
    assert_eq!(t.lookup(&key(1), 1000), Lookup::Miss, "expired");
    assert_eq!(t.len(), 0);
    let s = t.stats();
    assert_eq!((s.hits, s.misses, s.expired, s.stored), (1, 2, 1, 1));
}

#[test]
fn a_peek_changes_nothing() {
    let mut mem = Mem::new(64 * 1024);
    let mut t = mem.table();
    t.store(&key(1), 42, 1000);
    t.begin(&key(2), 500);
    let before = t.stats();
    assert_eq!(t.peek(&key(1), 999), Lookup::Hit(42));
    assert_eq!(t.peek(&key(2), 10), Lookup::Pending);
    assert_eq!(t.peek(&key(3), 10), Lookup::Miss);
    assert_eq!(t.peek(&key(1), 1000), Lookup::Miss, "expired");
    assert_eq!(t.stats(), before, "no counter moves");
    assert_eq!(t.len(), 2, "an expired entry is left to lookup");
}

#[test]
fn pending_until_its_deadline() {
    let mut mem = Mem::new(64 * 1024);
    let mut t = mem.table();
    t.begin(&key(5), 100);
    assert_eq!(t.lookup(&key(5), 50), Lookup::Pending);
    // The work was lost: after the deadline the key is free again.
    assert_eq!(t.lookup(&key(5), 100), Lookup::Miss);
    t.begin(&key(5), 300);
    t.store(&key(5), 4, 500);
    assert_eq!(t.lookup(&key(5), 200), Lookup::Hit(4));
    t.forget(&key(5));
    assert_eq!(t.lookup(&key(5), 200), Lookup::Miss);
}

#[test]
fn evicts_least_recently_used_when_full() {
    let mut mem = Mem::new(8 * 1024);
    let mut t = mem.table();
    let cap = t.capacity();
    assert!(cap > 4, "capacity {cap}");
    for n in 0..cap {
        t.store(&key(n), n as u64, 10_000);
    }
    assert_eq!(t.len(), cap);
    // Touch key 0 so that key 1 is the oldest.
    assert_eq!(t.lookup(&key(0), 1), Lookup::Hit(0));
    t.store(&key(cap), 7, 10_000);
    assert_eq!(t.len(), cap);
    assert_eq!(t.stats().evictions, 1);
    assert_eq!(t.lookup(&key(1), 1), Lookup::Miss);
    assert_eq!(t.lookup(&key(0), 1), Lookup::Hit(0));
    assert_eq!(t.lookup(&key(cap), 1), Lookup::Hit(7));
}

#[test]
fn many_keys_churn_keeps_the_table_consistent() {
    let mut mem = Mem::new(16 * 1024);
    let mut t = mem.table();
    let cap = t.capacity();
    for round in 0..20u32 {
        for n in 0..cap * 2 {
            let k = key(n.wrapping_mul(31).wrapping_add(round));
            match n % 3 {
                0 => t.store(&k, n as u64, 100 + n as u64),
                1 => t.begin(&k, 50),
                _ => {
                    let _ = t.lookup(&k, 60);
                }
            }
            assert!(t.len() <= cap);
        }
    }
    // After the churn the table still works: the latest stores are found,
    // and filling it evicts exactly one entry per new key.
    let evictions = t.stats().evictions;
    for n in 0..cap {
        t.store(&key(1_000_000 + n), n as u64, 10_000);
    }
    for n in 0..cap {
        assert_eq!(t.lookup(&key(1_000_000 + n), 0), Lookup::Hit(n as u64));
    }
    assert_eq!(t.len(), cap);
    assert!(t.stats().evictions >= evictions);
}

#[test]
fn attach_checks_layout_and_value_type() {
    let mut mem = Mem::new(32 * 1024);
    let bytes = mem.0.len() * 8;
    {
        let mut t = mem.table();
        t.store(&key(9), 777, 1000);
    }
    let ptr = mem.0.as_mut_ptr().cast::<u8>();
    // SAFETY: the buffer `mem.table()` laid out, no other view of it left.
    let mut t = unsafe { Table::<u64>::attach(ptr, bytes).unwrap() };
    assert_eq!(t.secret(), [7; 32]);
    assert_eq!(t.lookup(&key(9), 1), Lookup::Hit(777));
    // Another value type, garbage, or a short block: refused.
    // SAFETY: as above (refused: nothing is written).
    assert!(unsafe { Table::<[u64; 4]>::attach(ptr, bytes) }.is_none());
    let mut junk = Mem::new(4096);
    junk.0.iter_mut().for_each(|w| *w = 0xdead_beef);
    // SAFETY: an aligned buffer of 4096 bytes, used by nothing else.
    assert!(unsafe { Table::<u64>::attach(junk.0.as_mut_ptr().cast(), 4096) }.is_none());
    // SAFETY: `mem` is longer than the 16 bytes said.
    assert!(unsafe { Table::<u64>::attach(ptr, 16) }.is_none());
}

#[test]
fn capacity_and_cost() {
    assert_eq!(Table::<u64>::capacity_for(10), 0);
    let cap = Table::<u64>::capacity_for(10 * 1024 * 1024);
    assert!(cap > 180_000, "{cap}");
    // 16-byte key, 8-byte time, 3 links, state, the value, a hash slot.
    assert_eq!(bytes_per_entry::<u64>(), 52);
}

#[test]
fn update_reads_and_writes_in_one_step() {
    let mut mem = Mem::new(16 * 1024);
    let mut t = mem.table();
    let seen = t.update(&key(3), 10, |v| (Some((v.unwrap_or(0) + 1, 100)), v));
    assert_eq!(seen, None);
    let seen = t.update(&key(3), 20, |v| (Some((v.unwrap_or(0) + 1, 100)), v));
    assert_eq!(seen, Some(1));
    assert_eq!(t.lookup(&key(3), 50), Lookup::Hit(2));
    // Past its time the value is gone; not writing leaves it so.
    let seen = t.update(&key(3), 100, |v| (None, v));
    assert_eq!(seen, None);
    assert_eq!(t.lookup(&key(3), 100), Lookup::Miss);
    assert_eq!(t.len(), 0);
}

#[test]
fn marked_entries_are_taken_once() {
    let mut mem = Mem::new(64 * 1024);
    let mut t = mem.table();
    t.store_marked(&key(1), 10, 1000, true);
    t.store(&key(2), 20, 1000);
    t.update_marked(&key(3), 0, true, |_| (Some((30, 1000)), ()));
    // Written again without a mark: still marked, counted once.
    t.update(&key(3), 0, |v| (Some((v.unwrap() + 1, 1000)), ()));
    assert_eq!(t.dirty(), 2);
    assert_eq!(
        t.lookup(&key(3), 1),
        Lookup::Hit(31),
        "a marked entry is live"
    );
    let mut seen = Vec::new();
    t.take_dirty(10, |k, v, _| {
        seen.push((k[0], *v));
        *v += 100;
    });
    seen.sort();
    assert_eq!(seen, vec![(1, 10), (3, 31)]);
    assert_eq!(t.dirty(), 0);
    assert_eq!(t.lookup(&key(1), 1), Lookup::Hit(110));
    // A marked entry that goes away is no longer counted.
    t.store_marked(&key(4), 40, 5, true);
    assert_eq!(t.lookup(&key(4), 5), Lookup::Miss);
    assert_eq!(t.dirty(), 0);
    // At most `max` per call.
    for n in 10..20 {
        t.store_marked(&key(n), n as u64, 1000, true);
    }
    let mut n = 0;
    t.take_dirty(4, |_, _, _| n += 1);
    assert_eq!((n, t.dirty()), (4, 6));
}

#[test]
fn clear_forgets_everything_and_takes_the_secret() {
    let mut mem = Mem::new(64 * 1024);
    let mut t = mem.table();
    let cap = t.capacity();
    for n in 0..cap + 5 {
        t.store_marked(&key(n), 1, 1000, n % 2 == 0);
    }
    t.clear([9; 32]);
    assert_eq!((t.len(), t.dirty(), t.secret()), (0, 0, [9; 32]));
    for n in 0..cap {
        t.store(&key(n), 2, 1000);
    }
    assert_eq!(t.len(), cap);
    assert_eq!(t.lookup(&key(0), 1), Lookup::Hit(2));
}
