//! Logging helpers: nginx's log macros with fediguard's conventions.

use core::ffi::c_char;

use fediguard_core::redact::redact_request_line;
use nginx_sys::{ngx_conf_t, ngx_http_log_handler_pt, ngx_http_request_t, ngx_log_t, ngx_str_t};

/// Writes `msg` at `level` to `log`; nginx adds the client, request and host
/// when `log` is a request's connection log.
pub fn write(log: *mut ngx_log_t, level: usize, msg: &str) {
    if log.is_null() {
        return;
    }
    ngx::ngx_log_error!(level, log, "{}", msg);
}

/// The worker's own log (its current cycle's), for lines about no request.
pub fn cycle_log() -> *mut ngx_log_t {
    // SAFETY: ngx_cycle is the worker's current cycle, set before any
    // module code runs.
    unsafe { nginx_sys::ngx_cycle.as_ref() }.map_or(core::ptr::null_mut(), |c| c.log)
}

/// Reports a configuration error at the directive being parsed (nginx adds
/// "in file:line") and returns the value a directive handler returns for it.
pub fn conf_error(cf: *mut ngx_conf_t, msg: &str) -> *mut c_char {
    ngx::ngx_conf_log_error!(nginx_sys::NGX_LOG_EMERG, cf, "{}", msg);
    ngx::core::NGX_CONF_ERROR
}

/// Where a directive stands in the configuration, for errors found only once
/// the whole `http` block has been read.
#[derive(Clone, Debug, Default)]
pub struct ConfPlace {
    pub file: String,
    pub line: usize,
}

impl ConfPlace {
    pub fn of(cf: *mut ngx_conf_t) -> ConfPlace {
        // SAFETY: nginx calls directive handlers with a valid cf whose
        // conf_file describes the file being parsed.
        unsafe {
            let Some(file) = (*cf).conf_file.as_ref() else {
                return ConfPlace::default();
            };
            ConfPlace {
                file: String::from_utf8_lossy(file.file.name.as_bytes()).into_owned(),
                line: file.line,
            }
        }
    }
}

impl core::fmt::Display for ConfPlace {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Writes a request's decision line. nginx's own context (client, server,
/// request line, subrequest, upstream, host) is kept, except that a token
/// or secret in the request line's query (or the upstream's, or the
/// referrer) is written redacted.
pub fn write_for_request(r: &ngx::http::Request, level: usize, msg: &str) {
    let log = r.log();
    if log.is_null() {
        return;
    }
    redact_request_lines(r);
    // No "while sending to client" (lines written by output filters): the
    // line says what it is about.
    // SAFETY: a request's log, single-threaded; restored below.
    let action = unsafe { core::mem::replace(&mut (*log).action, core::ptr::null_mut()) };
    write(log, level, msg);
    // SAFETY: as above.
    unsafe { (*log).action = action };
}

/// nginx's own context writer for request lines (`ngx_http_log_error_handler`),
/// remembered the first time it is replaced. A worker is one thread.
static mut NGINX_CONTEXT: ngx_http_log_handler_pt = None;

/// From now on, every error_log line about the request, fediguard's and
/// nginx's own (an upstream timeout of a verification subrequest, of the
/// proxied request itself), shows its request line, upstream and referrer
/// with token and secret parameters redacted; the rest of the context is
/// nginx's, as nginx writes it.
pub fn redact_request_lines(r: &ngx::http::Request) {
    let raw: *mut ngx_http_request_t = (r as *const ngx::http::Request).cast_mut().cast();
    // SAFETY: a live request and its main request; the worker is one
    // thread, so NGINX_CONTEXT is not written concurrently.
    unsafe {
        let Some(main) = (*raw).main.as_mut() else {
            return;
        };
        let Some(current) = main.log_handler else {
            return;
        };
        if core::ptr::eq(current as *const (), redacting_context as *const ()) {
            return;
        }
        let nginx = &mut *core::ptr::addr_of_mut!(NGINX_CONTEXT);
        match *nginx {
            None => *nginx = Some(current),
            // Another module's writer: left alone.
            Some(h) if !core::ptr::eq(h as *const (), current as *const ()) => return,
            Some(_) => {}
        }
        main.log_handler = Some(redacting_context);
    }
}

/// Replaces `s` by its redacted form while nginx writes the context; the
/// returned bytes must outlive that.
fn swap_redacted(s: &mut ngx_str_t) -> Option<(ngx_str_t, Vec<u8>)> {
    if s.len == 0 || s.data.is_null() {
        return None;
    }
    // A string of the request, in its pool (checked non-NULL above).
    let redacted = match redact_request_line(s.as_bytes()) {
        std::borrow::Cow::Owned(v) => v,
        std::borrow::Cow::Borrowed(_) => return None,
    };
    let saved = *s;
    let mut keep = redacted;
    *s = ngx_str_t {
        len: keep.len(),
        data: keep.as_mut_ptr(),
    };
    Some((saved, keep))
}

/// The request's context writer: nginx's, on the redacted strings.
unsafe extern "C" fn redacting_context(
    r: *mut ngx_http_request_t,
    sr: *mut ngx_http_request_t,
    buf: *mut u8,
    len: usize,
) -> *mut u8 {
    // SAFETY: nginx calls it with its main request and the current one
    // (or NULL); every string swapped is restored before returning.
    unsafe {
        let Some(nginx) = *core::ptr::addr_of!(NGINX_CONTEXT) else {
            return buf;
        };
        if r.is_null() {
            return nginx(r, sr, buf, len);
        }
        // Fields are reached through the raw pointers: `sr` may be `r`.
        let line = swap_redacted(&mut (*r).request_line);
        let referer_h = (*r).headers_in.referer;
        let referer = match referer_h.is_null() {
            true => None,
            false => swap_redacted(&mut (*referer_h).value),
        };
        let u = if sr.is_null() {
            core::ptr::null_mut()
        } else {
            (*sr).upstream
        };
        let upstream = match u.is_null() {
            true => None,
            false => swap_redacted(&mut (*u).uri),
        };
        let end = nginx(r, sr, buf, len);
        if let Some((saved, _keep)) = line {
            (*r).request_line = saved;
        }
        if let Some((saved, _keep)) = referer {
            (*referer_h).value = saved;
        }
        if let Some((saved, _keep)) = upstream {
            (*u).uri = saved;
        }
        end
    }
}
