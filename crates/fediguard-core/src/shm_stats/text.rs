//! Fixed-size text fields of shared-memory records.

/// At most N bytes (N < 256) of UTF-8 text, cut at a character boundary,
/// without control characters.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Text<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> Text<N> {
    pub fn set(&mut self, s: &str) {
        let mut n = 0;
        for c in s.chars().filter(|c| !c.is_control()) {
            let l = c.len_utf8();
            if n + l > N.min(255) {
                break;
            }
            c.encode_utf8(&mut self.bytes[n..n + l]);
            n += l;
        }
        self.len = n as u8;
    }

    pub fn as_str(&self) -> &str {
        let b = &self.bytes[..(self.len as usize).min(N)];
        // Written by `set` only; a corrupt record shows as empty.
        core::str::from_utf8(b).unwrap_or("")
    }
}
