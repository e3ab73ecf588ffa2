//! A table in a buffer of its own, for the tests of what other modules keep
//! in tables: they need no `unsafe` then.

use core::ops::{Deref, DerefMut};

use super::Table;

pub(crate) struct OwnedTable<V> {
    table: Table<V>,
    // The table points into this buffer: a `Vec`'s heap block stays where
    // it is when the `Vec` moves, and `Table` is not `Clone`, so no view
    // outlives it.
    _mem: Vec<u64>,
}

impl<V: Copy> OwnedTable<V> {
    /// An empty table of about `bytes` bytes.
    pub(crate) fn new(bytes: usize, secret: [u8; 32]) -> Option<OwnedTable<V>> {
        let mut mem = vec![0u64; bytes.div_ceil(8)];
        let bytes = mem.len() * 8;
        // SAFETY: a `u64` buffer is 8-byte aligned, `bytes` long, and used
        // by nothing but this table.
        let table = unsafe { Table::init(mem.as_mut_ptr().cast(), bytes, secret) }?;
        Some(OwnedTable { table, _mem: mem })
    }
}

impl<V> Deref for OwnedTable<V> {
    type Target = Table<V>;
    fn deref(&self) -> &Table<V> {
        &self.table
    }
}

impl<V> DerefMut for OwnedTable<V> {
    fn deref_mut(&mut self) -> &mut Table<V> {
        &mut self.table
    }
}
