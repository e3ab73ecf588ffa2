//! A stats zone in a buffer of its own, for tests and fuzz targets: no
//! shared memory, no `unsafe` for them to write.

use core::ops::Deref;

use super::StatsZone;

pub struct OwnedStatsZone {
    zone: StatsZone,
    // The zone points into this buffer: a `Vec`'s heap block stays where it
    // is when the `Vec` moves, and `StatsZone` is not `Clone`, so no view
    // outlives it.
    _mem: Vec<u64>,
}

impl OwnedStatsZone {
    /// An empty zone of about `bytes` bytes; None when not even one app
    /// record fits.
    pub fn new(bytes: usize) -> Option<OwnedStatsZone> {
        let mut mem = vec![0u64; bytes.div_ceil(8)];
        let bytes = mem.len() * 8;
        // SAFETY: a `u64` buffer is 8-byte aligned, `bytes` long, and used
        // by nothing but this zone.
        let zone = unsafe { StatsZone::init(mem.as_mut_ptr().cast(), bytes) }?;
        Some(OwnedStatsZone { zone, _mem: mem })
    }
}

impl Deref for OwnedStatsZone {
    type Target = StatsZone;
    fn deref(&self) -> &StatsZone {
        &self.zone
    }
}
