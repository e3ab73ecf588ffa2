//! A quiet log for connections: a copy of the cycle's error log whose lines
//! (down to `info`: a refused connect, a failed handshake) are kept rather
//! than written, so that a caller can log a state change once, with nginx's
//! last line as its reason. Only alerts (nginx's own trouble) still reach
//! the error log.
//!
//! Ownership: leaked for the process's life (connections and their pools
//! keep a pointer to it as their log).

use core::cell::{RefCell, UnsafeCell};

use nginx_sys::{ngx_log_t, ngx_uint_t, u_char, NGX_LOG_ALERT};

pub struct QuietLog {
    /// nginx writes through it (its `wdata` points at `line`).
    log: UnsafeCell<ngx_log_t>,
    line: RefCell<String>,
}

impl QuietLog {
    /// A quiet copy of the current cycle's log.
    pub fn leak() -> &'static QuietLog {
        let cycle_log = super::worker::cycle_log();
        let q: &'static QuietLog = Box::leak(Box::new(QuietLog {
            // SAFETY: a log is plain data; a copy of the cycle's (if any),
            // whose file lives as long as the cycle.
            log: UnsafeCell::new(unsafe { cycle_log.as_ref().map_or(core::mem::zeroed(), |l| *l) }),
            line: RefCell::new(String::new()),
        }));
        let log = q.log.get();
        // SAFETY: the log was just made and nothing uses it yet.
        unsafe {
            (*log).log_level = nginx_sys::NGX_LOG_INFO as _;
            (*log).writer = Some(keep_line);
            (*log).wdata = core::ptr::addr_of!(q.line).cast_mut().cast();
            (*log).next = core::ptr::null_mut();
            (*log).handler = None;
            (*log).action = core::ptr::null_mut();
        }
        q
    }

    /// The log for nginx's structures (connections, pools).
    pub(super) fn as_ptr(&self) -> *mut ngx_log_t {
        self.log.get()
    }

    /// Forgets the last line kept.
    pub fn clear(&self) {
        if let Ok(mut line) = self.line.try_borrow_mut() {
            line.clear();
        }
    }

    /// The message of the last line nginx wrote, "" if none since clear().
    pub fn last_line(&self) -> String {
        self.line.borrow().clone()
    }
}

/// The quiet log's writer: keeps the message of nginx's last line.
///
/// # Safety
/// nginx calls it with a quiet log, whose `wdata` is its `line`.
unsafe extern "C" fn keep_line(
    log: *mut ngx_log_t,
    level: ngx_uint_t,
    buf: *mut u_char,
    len: usize,
) {
    // SAFETY: the quiet log's wdata is its line's cell, leaked with it.
    let Some(cell) = (unsafe { log.as_ref() }).and_then(|l| {
        // SAFETY: as above.
        unsafe { l.wdata.cast::<RefCell<String>>().as_ref() }
    }) else {
        return;
    };
    if buf.is_null() {
        return;
    }
    // SAFETY: nginx hands over `len` bytes of the line at buf.
    let bytes = unsafe { core::slice::from_raw_parts(buf, len) };
    let line = String::from_utf8_lossy(bytes);
    // "time [level] pid#tid: message\n"
    let msg = line
        .split_once("] ")
        .and_then(|(_, rest)| rest.split_once(": "))
        .map_or(line.as_ref(), |(_, m)| m)
        .trim_end();
    if let Ok(mut out) = cell.try_borrow_mut() {
        out.clear();
        out.push_str(msg);
    }
    if level <= NGX_LOG_ALERT as ngx_uint_t {
        super::worker::log(level, msg);
    }
}
