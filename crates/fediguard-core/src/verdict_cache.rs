//! Token verdicts, kept in a `shm_table` keyed by token fingerprint.

use crate::shm_table::{self, bytes_per_entry};
use crate::stats::AppRef;

pub use crate::shm_table::{Stats, KEY_LEN};

/// Bytes kept of an app or account name, and of an app's website.
pub const TEXT_CAP: usize = 64;

/// A cached verdict (its lifetime is the table entry's). Bytes only, so
/// that it packs into the entry without padding.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cached {
    pub class: u8,
    name_len: u8,
    website_len: u8,
    name: [u8; TEXT_CAP],
    website: [u8; TEXT_CAP],
    /// The app's record in the stats zone (an `AppRef`, little-endian), so
    /// that requests with the token are counted for its app; 0 for none.
    /// In a pending entry: the pid of the worker verifying the token.
    app: [u8; 8],
}

pub type Table = shm_table::Table<Cached>;
pub type Lookup = shm_table::Lookup<Cached>;

/// Bytes of shared memory one cached token costs.
pub const BYTES_PER_ENTRY: usize = bytes_per_entry::<Cached>();

impl Cached {
    pub fn new(class: u8, name: &[u8], website: &[u8]) -> Cached {
        let mut c = Cached {
            class,
            name_len: 0,
            website_len: 0,
            name: [0; TEXT_CAP],
            website: [0; TEXT_CAP],
            app: [0; 8],
        };
        c.name_len = copy_text(&mut c.name, name);
        c.website_len = copy_text(&mut c.website, website);
        c
    }

    pub fn with_app(mut self, app: AppRef) -> Cached {
        self.app = app.0.to_le_bytes();
        self
    }

    pub fn app(&self) -> AppRef {
        AppRef(u64::from_le_bytes(self.app))
    }

    /// What a pending entry holds: the worker verifying the token, so that
    /// a verification whose worker died is taken over at once rather than
    /// when the mark runs out.
    pub fn verifier(pid: u32) -> Cached {
        Cached::new(0, b"", b"").with_app(AppRef(pid as u64))
    }

    /// The verifying worker's pid of a pending entry (0: not recorded).
    pub fn verifier_pid(&self) -> u32 {
        u32::try_from(self.app().0).unwrap_or(0)
    }

    pub fn name(&self) -> &[u8] {
        &self.name[..(self.name_len as usize).min(TEXT_CAP)]
    }

    pub fn website(&self) -> &[u8] {
        &self.website[..(self.website_len as usize).min(TEXT_CAP)]
    }
}

/// Copies at most TEXT_CAP bytes, cutting at a UTF-8 character boundary.
fn copy_text(dst: &mut [u8; TEXT_CAP], src: &[u8]) -> u8 {
    let mut n = src.len().min(TEXT_CAP);
    while n > 0 && n < src.len() && (src[n] & 0xc0) == 0x80 {
        n -= 1;
    }
    dst[..n].copy_from_slice(&src[..n]);
    n as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_cut_at_char_boundaries() {
        let long = "é".repeat(40); // 80 bytes
        let c = Cached::new(3, long.as_bytes(), b"");
        assert_eq!(c.name().len(), 64);
        assert!(std::str::from_utf8(c.name()).is_ok());
        let mut odd = vec![b'a'; 63];
        odd.extend_from_slice("é".as_bytes());
        assert_eq!(Cached::new(3, &odd, b"").name().len(), 63);
    }

    #[test]
    fn verdicts_round_trip_through_a_table() {
        let mut t = shm_table::OwnedTable::new(4096 * 8, [1; 32]).unwrap();
        let v =
            Cached::new(3, b"CDSC Reader", b"https://cdsc.example").with_app(AppRef(7 << 32 | 2));
        t.store(&[9; KEY_LEN], v, 500);
        match t.lookup(&[9; KEY_LEN], 100) {
            Lookup::Hit(c) => {
                assert_eq!(c.name(), b"CDSC Reader");
                assert_eq!(c.website(), b"https://cdsc.example");
                assert_eq!(c.app(), AppRef(7 << 32 | 2));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(t.lookup(&[9; KEY_LEN], 500), Lookup::Miss);
    }

    #[test]
    fn a_pending_mark_names_its_worker_and_is_taken_over_once() {
        let mut t = shm_table::OwnedTable::new(4096 * 8, [1; 32]).unwrap();
        let k = [5; KEY_LEN];
        t.begin_with(&k, 1000, Cached::verifier(4242));
        assert_eq!(t.lookup(&k, 10), Lookup::Pending);
        let was = t.pending_value(&k, 10).unwrap();
        assert_eq!(was.verifier_pid(), 4242);
        // Two workers see 4242 gone: one takes over, the other waits on.
        assert!(t.take_over(&k, 20, was, 2000, Cached::verifier(7)));
        assert!(!t.take_over(&k, 20, was, 2000, Cached::verifier(8)));
        assert_eq!(t.pending_value(&k, 20).unwrap().verifier_pid(), 7);
        assert_eq!(t.until(&k), Some(2000));
        // A verdict is no mark to take over.
        t.store(&k, Cached::new(3, b"x", b""), 5000);
        assert_eq!(t.pending_value(&k, 30), None);
        assert!(!t.take_over(&k, 30, Cached::verifier(7), 2000, Cached::verifier(9)));
        // A plain `begin` names nobody.
        t.begin(&[6; KEY_LEN], 1000);
        assert_eq!(
            t.pending_value(&[6; KEY_LEN], 10).map(|c| c.verifier_pid()),
            Some(0)
        );
    }

    #[test]
    fn entry_cost() {
        assert_eq!(BYTES_PER_ENTRY, 180);
    }
}
