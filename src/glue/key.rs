//! A key computed per request from a value with variables (`$var`, or any
//! complex value): limit zones and the verification budget key by it.

use nginx_sys::ngx_http_request_t;
use ngx::http::Request;

use super::directive::{ComplexValue, Directive};
use super::var_value;

/// A key as configured: compiled, and its variable's index when the key is
/// one variable (the usual case, read without the script engine).
#[derive(Clone, Copy, Debug)]
pub struct Key {
    pub value: ComplexValue,
    pub var: Option<usize>,
}

impl Key {
    /// Compiles `value` as a key.
    pub fn new(d: &Directive, value: &str) -> Result<Key, String> {
        Ok(Key {
            value: d.complex_value(value)?,
            var: d.single_variable(value),
        })
    }

    /// The key's bytes for this request; None when it cannot be computed.
    pub fn of<'a>(&self, r: &'a Request) -> Option<&'a [u8]> {
        if let Some(index) = self.var {
            let raw: *mut ngx_http_request_t = (r as *const Request).cast_mut().cast();
            // SAFETY: index came from ngx_http_get_variable_index for this
            // cycle; the value lives in the request's pool.
            let v = unsafe { nginx_sys::ngx_http_get_flushed_variable(raw, index).as_ref()? };
            return Some(var_value::read(v).unwrap_or(&[]));
        }
        self.value.of(r)
    }

    /// Drops the request's cached value of the key's variable, so that the
    /// next `of` computes it again (a `map` is cached once read).
    pub fn forget(&self, r: &Request) {
        let Some(index) = self.var else { return };
        let raw: *mut ngx_http_request_t = (r as *const Request).cast_mut().cast();
        // SAFETY: r->variables has a value for every indexed variable of
        // this cycle, and index is one of them.
        unsafe {
            if let Some(v) = (*raw).variables.add(index).as_mut() {
                v.set_valid(0);
                v.set_not_found(0);
            }
        }
    }
}
