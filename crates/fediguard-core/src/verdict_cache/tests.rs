use super::*;

struct Mem(Vec<u64>);

impl Mem {
    fn new(bytes: usize) -> Mem {
        Mem(vec![0u64; bytes / 8])
    }
    fn table(&mut self) -> Table {
        let bytes = self.0.len() * 8;
        unsafe { Table::init(self.0.as_mut_ptr().cast(), bytes, [7; 32]).unwrap() }
    }
}

fn key(n: u32) -> [u8; KEY_LEN] {
    let mut k = [0u8; KEY_LEN];
    k[..4].copy_from_slice(&n.to_le_bytes());
    k[4..8].copy_from_slice(&n.wrapping_mul(2654435761).to_le_bytes());
    k
}

fn verdict(class: u8, expires: u64) -> Cached {
    Cached::new(class, b"CDSC Reader", b"https://cdsc.example", expires)
}

#[test]
fn store_lookup_and_expire() {
    let mut mem = Mem::new(64 * 1024);
    let mut t = mem.table();
    assert_eq!(t.lookup(&key(1), 0), Lookup::Miss);
    t.store(&key(1), &verdict(3, 1000));
    match t.lookup(&key(1), 999) {
        Lookup::Hit(c) => {
            assert_eq!(c.class, 3);
            assert_eq!(c.name(), b"CDSC Reader");
            assert_eq!(c.website(), b"https://cdsc.example");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t.lookup(&key(1), 1000), Lookup::Miss, "expired");
    assert_eq!(t.len(), 0);
    let s = t.stats();
    assert_eq!((s.hits, s.misses, s.expired, s.stored), (1, 2, 1, 1));
}

#[test]
fn pending_coalesces_until_its_deadline() {
    let mut mem = Mem::new(64 * 1024);
    let mut t = mem.table();
    t.begin(&key(5), 100);
    assert_eq!(t.lookup(&key(5), 50), Lookup::Pending);
    // The verifier was lost: after the deadline the next request verifies.
    assert_eq!(t.lookup(&key(5), 100), Lookup::Miss);
    t.begin(&key(5), 300);
    t.store(&key(5), &verdict(4, 500));
    assert!(matches!(t.lookup(&key(5), 200), Lookup::Hit(c) if c.class == 4));
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
        t.store(&key(n), &verdict(2, 10_000));
    }
    assert_eq!(t.len(), cap);
    // Touch key 0 so that key 1 is the oldest.
    assert!(matches!(t.lookup(&key(0), 1), Lookup::Hit(_)));
    t.store(&key(cap), &verdict(2, 10_000));
    assert_eq!(t.len(), cap);
    assert_eq!(t.stats().evictions, 1);
    assert_eq!(t.lookup(&key(1), 1), Lookup::Miss);
    assert!(matches!(t.lookup(&key(0), 1), Lookup::Hit(_)));
    assert!(matches!(t.lookup(&key(cap), 1), Lookup::Hit(_)));
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
                0 => t.store(&k, &verdict(1, 100 + n as u64)),
                1 => t.begin(&k, 50),
                _ => {
                    let _ = t.lookup(&k, 60);
                }
            }
            assert!(t.len() <= cap);
        }
    }
    // Every stored key still findable is findable through its chain.
    let mut found = 0;
    for n in 0..cap * 2 {
        if !matches!(t.lookup(&key(n), 0), Lookup::Miss) {
            found += 1;
        }
    }
    assert!(found <= cap);
}

#[test]
fn attach_sees_what_init_wrote_and_rejects_garbage() {
    let mut mem = Mem::new(32 * 1024);
    let bytes = mem.0.len() * 8;
    {
        let mut t = mem.table();
        t.store(&key(9), &verdict(3, 777));
    }
    let ptr = mem.0.as_mut_ptr().cast::<u8>();
    let mut t = unsafe { Table::attach(ptr, bytes).unwrap() };
    assert_eq!(t.secret(), [7; 32]);
    assert!(matches!(t.lookup(&key(9), 1), Lookup::Hit(c) if c.expires == 777));
    let mut junk = Mem::new(4096);
    junk.0.iter_mut().for_each(|w| *w = 0xdead_beef);
    assert!(unsafe { Table::attach(junk.0.as_mut_ptr().cast(), 4096) }.is_none());
    assert!(unsafe { Table::attach(ptr, 16) }.is_none());
}

#[test]
fn texts_are_cut_at_char_boundaries() {
    let long = "é".repeat(40); // 80 bytes
    let c = Cached::new(3, long.as_bytes(), b"", 1);
    assert_eq!(c.name().len(), 64);
    assert!(std::str::from_utf8(c.name()).is_ok());
    let odd = Cached::new(
        3,
        &[b'a'; 63]
            .iter()
            .copied()
            .chain("é".bytes())
            .collect::<Vec<_>>(),
        b"",
        1,
    );
    assert_eq!(odd.name().len(), 63);
}

#[test]
fn capacity_and_cost() {
    assert_eq!(Table::capacity_for(10), 0);
    let cap = Table::capacity_for(10 * 1024 * 1024);
    assert!(cap > 50_000, "{cap}");
    const { assert!(BYTES_PER_ENTRY <= 180) };
}
