//! Reading and writing nginx's `ngx_variable_value_t` flags word at once.
//!
//! The struct starts with `len:28, valid:1, no_cacheable:1, not_found:1,
//! escape:1` in one 32-bit word. bindgen's bitfield accessors move such a
//! field a bit at a time (over a hundred instructions for `len`); on the
//! little-endian ABIs nginx runs on (x86-64, aarch64), the C compiler puts
//! the first field in the low bits, so one load or store does it.

use nginx_sys::ngx_variable_value_t;

const LEN_MASK: u32 = (1 << 28) - 1;
const VALID: u32 = 1 << 28;
const NOT_FOUND: u32 = 1 << 30;

/// The value's bytes; None when it is not found or not valid.
pub fn read(v: &ngx_variable_value_t) -> Option<&[u8]> {
    let (len, valid, not_found) = flags(v);
    if !valid || not_found || v.data.is_null() {
        return None;
    }
    // SAFETY: a valid value's data points at len bytes of the request.
    Some(unsafe { core::slice::from_raw_parts(v.data, len) })
}

/// Sets `v` to `len` bytes at `data` (which live as long as the request):
/// valid, cacheable, found.
pub fn write(v: &mut ngx_variable_value_t, data: *const u8, len: usize) {
    let len = (len as u32).min(LEN_MASK);
    set_flags(v, len | VALID);
    // nginx never writes through a variable's data pointer.
    v.data = data.cast_mut();
}

/// Checks, once at configuration time, that the word is laid out as this
/// file reads it (it is on every ABI nginx is built for here).
pub fn layout_ok() -> bool {
    // SAFETY: all-zero is a valid value (no flags, null data).
    let mut v: ngx_variable_value_t = unsafe { core::mem::zeroed() };
    v.set_len(12345);
    v.set_valid(1);
    v.set_not_found(1);
    let (len, valid, not_found) = flags(&v);
    // SAFETY: as above.
    let mut w: ngx_variable_value_t = unsafe { core::mem::zeroed() };
    write(&mut w, b"abc".as_ptr(), 3);
    (len, valid, not_found) == (12345, true, true)
        && (w.len(), w.valid(), w.not_found(), w.no_cacheable()) == (3, 1, 0, 0)
}

#[cfg(target_endian = "little")]
fn flags(v: &ngx_variable_value_t) -> (usize, bool, bool) {
    // SAFETY: the struct begins with the 32-bit word of its bitfields.
    let w = unsafe { core::ptr::read((v as *const ngx_variable_value_t).cast::<u32>()) };
    ((w & LEN_MASK) as usize, w & VALID != 0, w & NOT_FOUND != 0)
}

#[cfg(target_endian = "little")]
fn set_flags(v: &mut ngx_variable_value_t, w: u32) {
    // SAFETY: as in `flags`; escape and no_cacheable are cleared.
    unsafe { core::ptr::write((v as *mut ngx_variable_value_t).cast::<u32>(), w) }
}

#[cfg(not(target_endian = "little"))]
fn flags(v: &ngx_variable_value_t) -> (usize, bool, bool) {
    (v.len() as usize, v.valid() != 0, v.not_found() != 0)
}

#[cfg(not(target_endian = "little"))]
fn set_flags(v: &mut ngx_variable_value_t, w: u32) {
    v.set_len(w & LEN_MASK);
    v.set_valid(1);
    v.set_no_cacheable(0);
    v.set_not_found(0);
    v.set_escape(0);
}

/// A variable's value being written by its handler: bytes that live as
/// long as the program, or bytes copied into the request's pool. No other
/// memory can reach nginx through it.
pub struct VarOut<'v> {
    v: &'v mut ngx_variable_value_t,
}

impl<'v> VarOut<'v> {
    pub fn new(v: &'v mut ngx_variable_value_t) -> VarOut<'v> {
        VarOut { v }
    }

    pub fn set_static(&mut self, bytes: &'static [u8]) {
        write(self.v, bytes.as_ptr(), bytes.len());
    }

    /// Not found (nginx logs `-`, `map` and `if` see an empty value), as
    /// `$limit_req_status` where no limit applies.
    pub fn set_not_found(&mut self) {
        set_flags(self.v, VALID | NOT_FOUND);
        self.v.data = core::ptr::null_mut();
    }

    /// The request line as nginx read it (in the request's header buffer).
    pub fn set_request_line(&mut self, r: &ngx::http::Request) {
        let line = r.as_ref().request_line;
        write(self.v, line.data, line.len);
    }

    /// `bytes` copied into `r`'s pool (nothing copied when empty); None
    /// when the pool is out of memory.
    pub fn set_copy(&mut self, r: &ngx::http::Request, bytes: &[u8]) -> Option<()> {
        let s = super::pool::copy(r, bytes)?;
        write(self.v, s.data, s.len);
        Some(())
    }
}
