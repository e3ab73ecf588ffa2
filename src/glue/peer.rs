//! An outgoing connection on nginx's event loop: `ngx_event_connect_peer`
//! (TCP or a Unix socket, non-blocking), optionally wrapped in TLS by
//! nginx's SSL layer, whose read and write events call back into a
//! [`Home`]'s state. Nothing here ever blocks.
//!
//! Ownership: a [`Peer`] owns its connection, the connection's pool and
//! the hook its events find (in the connection's `data`); dropping it
//! frees the TLS side, closes the connection (nginx forgets its events),
//! then frees the pool and the hook. A callback may drop the peer it is
//! called for: what the trampoline needs is copied out before the call.

use core::ptr::NonNull;

use nginx_sys::{
    ngx_connection_t, ngx_event_connect_peer, ngx_event_get_peer, ngx_event_t, ngx_int_t,
    ngx_peer_connection_t, ngx_str_t, NGX_AGAIN, NGX_OK,
};

use super::home::Home;
use super::peer_addr::PeerAddr;
use super::pool::OwnedPool;
use super::quiet_log::QuietLog;
use super::tls::{self, TlsClient};

/// What nginx says about a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerEvent {
    /// Readable (or an error or a close to read).
    Read,
    /// Writable (`connect()` done, or room to send).
    Write,
    /// The worker is shutting down gracefully and closes idle connections
    /// (all of ours are idle for nginx): drop the peer.
    Shutdown,
    /// nginx's SSL layer finished a handshake step itself.
    Handshake,
}

/// One `send` or `recv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Io {
    /// Bytes sent or received.
    Done(usize),
    /// recv: the other side closed.
    Closed,
    /// Would block: the event comes when it can go on.
    Again,
    Error,
    /// The connection has no send (or recv) function.
    Unsupported,
}

/// One step of a TLS handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handshake {
    Done,
    /// Under way: an event comes when it can go on.
    Again,
    Failed,
}

struct Hook<T: 'static> {
    home: Home<T>,
    on_event: fn(&mut T, PeerEvent),
}

impl<T: 'static> Clone for Hook<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for Hook<T> {}

impl<T: 'static> Hook<T> {
    fn call(self, what: PeerEvent) {
        let on_event = self.on_event;
        self.home.with(|t| on_event(t, what));
    }
}

pub struct Peer<T: 'static> {
    c: NonNull<ngx_connection_t>,
    hook: NonNull<Hook<T>>,
    /// The connection's own pool (nginx's SSL layer allocates from it);
    /// dropped after the connection is closed (Drop, then the fields).
    _pool: OwnedPool,
    number: usize,
}

impl<T: 'static> Peer<T> {
    /// Opens a connection to `addr`, nginx's lines about it going to
    /// `log`; its events call `on_event` with `home`'s state. It may still
    /// be in progress (a `Write` event says when it is up): the bool says
    /// whether it is connected at once (a Unix socket, often).
    pub fn connect(
        addr: &PeerAddr,
        log: &'static QuietLog,
        home: Home<T>,
        on_event: fn(&mut T, PeerEvent),
    ) -> Result<(Peer<T>, bool), String> {
        let (mut sockaddr, socklen, mut name) = addr.parts();
        let mut name = ngx_str_t {
            len: name.len(),
            data: name.as_mut_ptr(),
        };
        let log = log.as_ptr();
        // SAFETY: the peer struct, the address and the name live on this
        // stack for the call (nginx keeps none of them); log is leaked.
        let (rc, c) = unsafe {
            let mut pc: ngx_peer_connection_t = core::mem::zeroed();
            pc.sockaddr = core::ptr::addr_of_mut!(sockaddr).cast();
            pc.socklen = socklen;
            pc.name = &mut name;
            pc.get = Some(ngx_event_get_peer);
            pc.log = log;
            pc.set_log_error(nginx_sys::ngx_connection_log_error_e_NGX_ERROR_INFO as _);
            let rc = ngx_event_connect_peer(&mut pc);
            let c = pc.connection;
            if c.is_null() || (rc != NGX_OK as ngx_int_t && rc != NGX_AGAIN as ngx_int_t) {
                if !c.is_null() {
                    nginx_sys::ngx_close_connection(c);
                }
                return Err("cannot connect".into());
            }
            (rc, c)
        };
        // SAFETY: log is the quiet log, leaked: it outlives the pool.
        let Some(pool) = (unsafe { OwnedPool::new(1024, log) }) else {
            // SAFETY: the connection just opened, closed once.
            unsafe { nginx_sys::ngx_close_connection(c) };
            return Err("out of memory".into());
        };
        let hook = NonNull::from(Box::leak(Box::new(Hook { home, on_event })));
        // SAFETY: c is the open connection (its events are not handled
        // before we return to nginx's event loop).
        let number = unsafe {
            (*c).pool = pool.as_ptr();
            (*c).data = hook.as_ptr().cast();
            (*(*c).read).handler = Some(on_read::<T>);
            (*(*c).write).handler = Some(on_write::<T>);
            // An idle connection for nginx, from the start (connecting, in
            // the TLS handshake, open): a worker that shuts down gracefully
            // closes it (read handler with `close` set) instead of waiting.
            (*c).set_idle(1);
            (*c).number as usize
        };
        let peer = Peer {
            // SAFETY: checked non-null above.
            c: unsafe { NonNull::new_unchecked(c) },
            hook,
            _pool: pool,
            number,
        };
        Ok((peer, rc == NGX_OK as ngx_int_t))
    }

    fn c(&self) -> *mut ngx_connection_t {
        self.c.as_ptr()
    }

    /// nginx's number for the connection (unique in the worker).
    pub fn number(&self) -> usize {
        self.number
    }

    /// The socket's pending error after a non-blocking connect, as nginx's
    /// upstream reads it (0: none; -1: it could not be read).
    pub fn socket_error(&self) -> i32 {
        let mut err: i32 = 0;
        let mut len = core::mem::size_of::<i32>() as nginx_sys::socklen_t;
        // SAFETY: our open connection's socket; err and len are ours.
        let rc = unsafe {
            nginx_sys::getsockopt(
                (*self.c()).fd,
                nginx_sys::SOL_SOCKET as _,
                nginx_sys::SO_ERROR as _,
                (&mut err as *mut i32).cast(),
                &mut len,
            )
        };
        if rc == -1 {
            return -1;
        }
        err
    }

    /// Sends what it can of `buf`.
    pub fn send(&mut self, buf: &[u8]) -> Io {
        let c = self.c();
        // SAFETY: our open connection; its send function only reads buf.
        let n = unsafe {
            let Some(send) = (*c).send else {
                return Io::Unsupported;
            };
            send(c, buf.as_ptr().cast_mut(), buf.len())
        };
        if n > 0 {
            Io::Done(n as usize)
        } else if n == NGX_AGAIN as isize {
            Io::Again
        } else {
            Io::Error
        }
    }

    /// Receives what has come, up to `buf.len()` bytes.
    pub fn recv(&mut self, buf: &mut [u8]) -> Io {
        let c = self.c();
        // SAFETY: our open connection; recv writes at most buf.len() bytes.
        let n = unsafe {
            let Some(recv) = (*c).recv else {
                return Io::Unsupported;
            };
            recv(c, buf.as_mut_ptr(), buf.len())
        };
        if n > 0 {
            Io::Done(n as usize)
        } else if n == 0 {
            Io::Closed
        } else if n == NGX_AGAIN as isize {
            Io::Again
        } else {
            Io::Error
        }
    }

    /// Asks for the next read event (after `Io::Again`); false on failure.
    pub fn handle_read_event(&mut self) -> bool {
        // SAFETY: our open connection's read event.
        unsafe { nginx_sys::ngx_handle_read_event((*self.c()).read, 0) == NGX_OK as ngx_int_t }
    }

    /// Asks for the next write event (after `Io::Again`); false on failure.
    pub fn handle_write_event(&mut self) -> bool {
        // SAFETY: our open connection's write event.
        unsafe { nginx_sys::ngx_handle_write_event((*self.c()).write, 0) == NGX_OK as ngx_int_t }
    }

    /// Wraps the connected socket in TLS (SNI, the name to verify); the
    /// handshake is then driven by [`Peer::handshake`].
    pub fn start_tls(&mut self, tls: &TlsClient) -> Result<(), String> {
        let c = self.c();
        // SAFETY: our open connection, with a pool; wrapped once (checked).
        unsafe {
            if !(*c).ssl.is_null() {
                return Err("TLS already started".into());
            }
            tls::start(c, tls)?;
            (*(*c).ssl).handler = Some(on_handshake::<T>);
        }
        Ok(())
    }

    /// One step of the TLS handshake. Its events come to `on_event` as
    /// `Read` and `Write`.
    pub fn handshake(&mut self) -> Handshake {
        let c = self.c();
        // SAFETY: our open connection, wrapped in TLS by start_tls.
        unsafe {
            if (*c).ssl.is_null() {
                return Handshake::Failed;
            }
            let rc = nginx_sys::ngx_ssl_handshake(c);
            if rc != NGX_AGAIN as ngx_int_t && rc != NGX_OK as ngx_int_t {
                return Handshake::Failed;
            }
            // ngx_ssl_handshake armed the events for its own handler: ours
            // take them back, so that the caller's state drives the next
            // step and a worker leaving can close the connection.
            (*(*c).read).handler = Some(on_read::<T>);
            (*(*c).write).handler = Some(on_write::<T>);
            if rc == NGX_AGAIN as ngx_int_t {
                Handshake::Again
            } else {
                Handshake::Done
            }
        }
    }

    /// After the handshake: the server's certificate, checked (chain and
    /// name), unless verification is off.
    pub fn verify_tls(&self, tls: &TlsClient) -> Result<(), String> {
        let c = self.c();
        // SAFETY: our open connection; verify reads its SSL state.
        unsafe {
            if (*c).ssl.is_null() {
                return Err("no TLS".into());
            }
            tls::verify(c, tls)
        }
    }
}

impl<T: 'static> Drop for Peer<T> {
    fn drop(&mut self) {
        // SAFETY: our connection, closed once (the peer is gone after);
        // then the hook, which nothing finds once the connection is closed.
        // The pool is dropped after this (a field).
        unsafe {
            tls::shutdown(self.c());
            nginx_sys::ngx_close_connection(self.c());
            drop(Box::from_raw(self.hook.as_ptr()));
        }
    }
}

/// The hook of the connection an event is about, copied out.
///
/// # Safety
/// `c` is a connection opened by [`Peer::connect`] and not yet closed.
unsafe fn hook_of<T: 'static>(c: *mut ngx_connection_t) -> Option<Hook<T>> {
    // SAFETY: the caller's word: c's data is its peer's hook, alive until
    // the connection is closed.
    unsafe { c.as_ref()?.data.cast::<Hook<T>>().as_ref().copied() }
}

/// # Safety
/// nginx calls it with the read event of a connection opened by
/// [`Peer::connect`].
unsafe extern "C" fn on_read<T: 'static>(ev: *mut ngx_event_t) {
    // SAFETY: the event's data is its connection, open (nginx closes a
    // connection's events with it).
    let (c, closing) = unsafe {
        let c = (*ev).data.cast::<ngx_connection_t>();
        (c, c.as_ref().is_some_and(|c| c.close() != 0))
    };
    // SAFETY: as above.
    if let Some(hook) = unsafe { hook_of::<T>(c) } {
        // A worker that shuts down gracefully closes idle connections.
        hook.call(if closing {
            PeerEvent::Shutdown
        } else {
            PeerEvent::Read
        });
    }
}

/// # Safety
/// nginx calls it with the write event of a connection opened by
/// [`Peer::connect`].
unsafe extern "C" fn on_write<T: 'static>(ev: *mut ngx_event_t) {
    // SAFETY: the event's data is its connection, open.
    if let Some(hook) = unsafe { hook_of::<T>((*ev).data.cast()) } {
        hook.call(PeerEvent::Write);
    }
}

/// Called by nginx's SSL layer, should it finish a handshake itself.
///
/// # Safety
/// nginx calls it with a connection wrapped by [`Peer::start_tls`].
unsafe extern "C" fn on_handshake<T: 'static>(c: *mut ngx_connection_t) {
    // SAFETY: c is our open connection.
    if let Some(hook) = unsafe { hook_of::<T>(c) } {
        hook.call(PeerEvent::Handshake);
    }
}
