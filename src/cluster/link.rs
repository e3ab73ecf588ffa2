//! One connection of the sync loop (to the Redis server, or to a
//! sentinel) and what it has to send and has received.

use core::ptr;

use nginx_sys::{ngx_connection_t, ngx_pool_t};

/// Which connection an event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// The Redis server, or the master that the sentinels named.
    Data,
    /// A sentinel, asked where the master is.
    Sentinel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Closed,
    /// `connect()` is under way (the write event says when it is done).
    Connecting,
    /// The TLS handshake is under way.
    Handshaking,
    Open,
}

pub struct Link {
    pub conn: *mut ngx_connection_t,
    /// The connection's own pool (nginx's SSL layer allocates from it).
    pub pool: *mut ngx_pool_t,
    pub state: State,
    pub out: Vec<u8>,
    pub sent: usize,
    pub input: Vec<u8>,
    /// Replies awaited; 0 when nothing is asked.
    pub awaiting: usize,
}

impl Link {
    pub fn new() -> Link {
        Link {
            conn: ptr::null_mut(),
            pool: ptr::null_mut(),
            state: State::Closed,
            out: Vec::new(),
            sent: 0,
            input: Vec::new(),
            awaiting: 0,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.conn.is_null()
    }

    /// Sets what a request is made of: commands packed, `n` replies awaited.
    pub fn ask(&mut self, out: Vec<u8>, n: usize) {
        self.out = out;
        self.sent = 0;
        self.input.clear();
        self.awaiting = n;
    }

    /// Closes the connection (TLS freed first), and forgets what was
    /// under way on it.
    pub fn close(&mut self) {
        if !self.conn.is_null() {
            // SAFETY: our connection, closed once (the pointer is cleared);
            // its pool was made for it and outlives nothing else.
            unsafe {
                super::tls::shutdown(self.conn);
                nginx_sys::ngx_close_connection(self.conn);
            }
            self.conn = ptr::null_mut();
        }
        if !self.pool.is_null() {
            // SAFETY: as above.
            unsafe { nginx_sys::ngx_destroy_pool(self.pool) };
            self.pool = ptr::null_mut();
        }
        self.state = State::Closed;
        self.out.clear();
        self.sent = 0;
        self.input.clear();
        self.awaiting = 0;
    }
}
