//! Fixed-size text fields of shared-memory records.

/// At most N bytes (N < 256) of UTF-8 text, cut at a character boundary,
/// without control characters, and with the characters that would make it
/// read otherwise than it is (bidirectional controls, invisible format
/// characters) shown escaped (`escape::push_visible`): the status page and
/// its JSON show them as `\u{202E}`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Text<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> Text<N> {
    pub fn set(&mut self, s: &str) {
        let mut n = 0;
        let mut shown = String::new();
        for c in s.chars().filter(|c| !c.is_control()) {
            shown.clear();
            crate::escape::push_visible(&mut shown, c);
            let l = shown.len();
            if n + l > N.min(255) {
                break;
            }
            self.bytes[n..n + l].copy_from_slice(shown.as_bytes());
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
