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
