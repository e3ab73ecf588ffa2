//! Logging helpers: nginx's log macros with fediguard's conventions.

use core::ffi::c_char;

use nginx_sys::{ngx_conf_t, ngx_log_t};

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
/// request line, host) is kept, except that a request line carrying a token
/// in its query string is written with the token redacted.
pub fn write_for_request(r: &ngx::http::Request, level: usize, msg: &str) {
    let log = r.log();
    if log.is_null() {
        return;
    }
    // No "while sending to client" (lines written by output filters): the
    // line says what it is about.
    // SAFETY: a request's log, single-threaded; restored below.
    let action = unsafe { core::mem::replace(&mut (*log).action, core::ptr::null_mut()) };
    write_for_request_as_is(r, log, level, msg);
    // SAFETY: as above.
    unsafe { (*log).action = action };
}

fn write_for_request_as_is(r: &ngx::http::Request, log: *mut ngx_log_t, level: usize, msg: &str) {
    let line = r.as_ref().request_line;
    // SAFETY: request_line points into the request's header buffer.
    let needs_redaction = line.len > 0
        && matches!(
            fediguard_core::redact::redact_request_line(line.as_bytes()),
            std::borrow::Cow::Owned(_)
        );
    if !needs_redaction || log.is_null() {
        write(log, level, msg);
        return;
    }
    // SAFETY: single-threaded; the handler is restored before returning.
    unsafe {
        let saved = (*log).handler;
        (*log).handler = Some(redacted_context);
        write(log, level, msg);
        (*log).handler = saved;
    }
}

/// Like nginx's http log context, with the request line redacted.
unsafe extern "C" fn redacted_context(log: *mut ngx_log_t, buf: *mut u8, len: usize) -> *mut u8 {
    // SAFETY: nginx calls a log's handler with the log whose data is the http log context of a live connection and request, and a buffer of len bytes.
    unsafe {
        use fediguard_core::redact::redact_request_line;
        let Some(ctx) = (*log).data.cast::<nginx_sys::ngx_http_log_ctx_t>().as_ref() else {
            return buf;
        };
        let (Some(c), Some(r)) = (ctx.connection.as_ref(), ctx.request.as_ref()) else {
            return buf;
        };
        let mut text: Vec<u8> = Vec::with_capacity(256);
        text.extend_from_slice(b", client: ");
        text.extend_from_slice(c.addr_text.as_bytes());
        text.extend_from_slice(b", request: \"");
        text.extend_from_slice(&redact_request_line(r.request_line.as_bytes()));
        text.push(b'"');
        if let Some(host) = r.headers_in.host.as_ref() {
            text.extend_from_slice(b", host: \"");
            text.extend_from_slice(host.value.as_bytes());
            text.push(b'"');
        }
        let n = text.len().min(len);
        core::ptr::copy_nonoverlapping(text.as_ptr(), buf, n);
        buf.add(n)
    }
}
