//! Sentinel mode's state: the master's address as a sentinel gave it
//! (parsed with nginx's `ngx_parse_addr`: an IP address, no DNS), and the
//! connection to the sentinels.

use core::ptr;
use std::net::IpAddr;

use fediguard_core::cluster::addr_text;
use nginx_sys::{ngx_addr_t, ngx_event_t, ngx_int_t, ngx_log_t, ngx_pool_t, ngx_str_t, NGX_OK};

use super::link::Link;

/// The master's address, in a pool of its own, freed when another
/// replaces it.
pub struct Master {
    pool: *mut ngx_pool_t,
    pub addr: ngx_addr_t,
    /// `ip:port`.
    pub text: String,
}

impl Master {
    pub fn parse(ip: IpAddr, port: u16, log: *mut ngx_log_t) -> Result<Master, String> {
        let text = addr_text(ip, port);
        let ip_text = ip.to_string();
        // SAFETY: a new pool; ngx_parse_addr only reads the text and
        // allocates the sockaddr from the pool.
        unsafe {
            let pool = nginx_sys::ngx_create_pool(512, log);
            if pool.is_null() {
                return Err("out of memory".into());
            }
            let mut addr: ngx_addr_t = core::mem::zeroed();
            let rc = nginx_sys::ngx_parse_addr(
                pool,
                &mut addr,
                ip_text.as_ptr().cast_mut(),
                ip_text.len(),
            );
            let name = ngx_str_t::from_bytes(pool, text.as_bytes());
            let (true, Some(name)) = (rc == NGX_OK as ngx_int_t, name) else {
                nginx_sys::ngx_destroy_pool(pool);
                return Err(format!("unusable master address {text}"));
            };
            nginx_sys::ngx_inet_set_port(addr.sockaddr, port);
            addr.name = name;
            Ok(Master { pool, addr, text })
        }
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        // SAFETY: our pool; nothing else points into it once the master is
        // replaced (the data connection to it is closed first).
        unsafe { nginx_sys::ngx_destroy_pool(self.pool) };
        self.pool = ptr::null_mut();
    }
}

pub struct Sentinels {
    pub link: Link,
    /// The sentinel link's timeout.
    pub timer: ngx_event_t,
    /// The sentinel asked next: the last that answered, or the one after
    /// the last that failed.
    pub next: usize,
    /// Sentinels that failed in this discovery (while no master is known:
    /// with one known, a question only checks it).
    pub tries: usize,
    /// Where the master is, as the sentinels last said.
    pub master: Option<Master>,
    /// The master the last failure was about (`ip:port`): while the
    /// backoff runs, only another address is tried at once.
    pub failed: Option<String>,
    /// When a sentinel last confirmed the master.
    pub checked_at: u64,
    /// A failed check was logged (once, until one succeeds).
    pub check_failed: bool,
}

impl Sentinels {
    pub fn new() -> Sentinels {
        Sentinels {
            link: Link::new(),
            // SAFETY: an event is plain data; zeroed is nginx's own start.
            timer: unsafe { core::mem::zeroed() },
            next: 0,
            tries: 0,
            master: None,
            failed: None,
            checked_at: 0,
            check_failed: false,
        }
    }

    /// Closes the link to the sentinel and stops its timeout.
    pub fn close(&mut self) {
        self.link.close();
        if self.timer.timer_set() != 0 {
            // SAFETY: the event is ours and its timer is set.
            unsafe { nginx_sys::ngx_del_timer(&mut self.timer) };
        }
    }
}
