//! One connection of the sync loop (to the Redis server, or to a
//! sentinel) and what it has to send and has received.

use crate::glue::peer::Peer;

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

/// `T` is the loop whose state the connection's events reach.
pub struct Link<T: 'static> {
    /// The connection (its pool and TLS side with it); None when closed.
    pub peer: Option<Peer<T>>,
    pub state: State,
    pub out: Vec<u8>,
    pub sent: usize,
    pub input: Vec<u8>,
    /// Replies awaited; 0 when nothing is asked.
    pub awaiting: usize,
}

impl<T: 'static> Link<T> {
    pub fn new() -> Link<T> {
        Link {
            peer: None,
            state: State::Closed,
            out: Vec::new(),
            sent: 0,
            input: Vec::new(),
            awaiting: 0,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.peer.is_none()
    }

    /// Sets what a request is made of: commands packed, `n` replies awaited.
    pub fn ask(&mut self, out: Vec<u8>, n: usize) {
        self.out = out;
        self.sent = 0;
        self.input.clear();
        self.awaiting = n;
    }

    /// Closes the connection (TLS freed first, then the socket, then its
    /// pool: the peer's drop), and forgets what was under way on it.
    pub fn close(&mut self) {
        self.peer = None;
        self.state = State::Closed;
        self.out.clear();
        self.sent = 0;
        self.input.clear();
        self.awaiting = 0;
    }
}
