//! The connections to Redis and to the sentinels: nginx's own non-blocking
//! peer connections, driven by their read and write events, with nginx's
//! TLS layer on top for `rediss://`. Nothing here ever blocks.

use fediguard_core::cluster::{parse_replies, Replies};
use nginx_sys::{
    ngx_addr_t, ngx_connection_t, ngx_event_connect_peer, ngx_event_get_peer, ngx_event_t,
    ngx_handle_read_event, ngx_handle_write_event, ngx_int_t, ngx_peer_connection_t, NGX_AGAIN,
    NGX_OK,
};

use super::link::{Link, State, Which};
use super::sync::Sync;

/// Most bytes of replies one round may bring.
const MAX_INPUT: usize = 16 << 20;

fn link(s: &mut Sync, which: Which) -> Option<&mut Link> {
    match which {
        Which::Data => Some(&mut s.data),
        Which::Sentinel => s.sentinels.as_mut().map(|x| &mut x.link),
    }
}

/// The link's failure: the round's (logged once, backoff), or the
/// sentinel exchange's.
fn failed(s: &mut Sync, which: Which, why: &str) {
    match which {
        Which::Data => s.fail(why),
        Which::Sentinel => (s.on_sentinel)(s, Err(why.to_string())),
    }
}

/// Opens a connection to `addr`; it may still be in progress (the write
/// event says when it is up). What the link has to send goes once it is
/// open (and, for TLS, once the handshake is over).
pub fn connect(s: &mut Sync, which: Which, addr: *mut ngx_addr_t) -> Result<(), String> {
    let log: *mut nginx_sys::ngx_log_t = &mut s.quiet_log;
    let data: *mut core::ffi::c_void = (s as *mut Sync).cast();
    let Some(l) = link(s, which) else {
        return Err("no link".into());
    };
    l.close();
    // SAFETY: addr lives in the cycle's pool (or the master's); the peer
    // struct is only read by ngx_event_connect_peer.
    let rc = unsafe {
        let addr = addr.as_mut().ok_or("no address")?;
        let mut pc: ngx_peer_connection_t = core::mem::zeroed();
        pc.sockaddr = addr.sockaddr;
        pc.socklen = addr.socklen;
        pc.name = &mut addr.name;
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
        l.conn = c;
        l.pool = nginx_sys::ngx_create_pool(1024, log);
        if l.pool.is_null() {
            l.close();
            return Err("out of memory".into());
        }
        (*c).pool = l.pool;
        (*c).data = data;
        (*(*c).read).handler = Some(on_read);
        (*(*c).write).handler = Some(on_write);
        // An idle connection for nginx, from the start (connecting, in
        // the TLS handshake, open): a worker that shuts down gracefully
        // closes it (read handler with `close` set) instead of waiting.
        (*c).set_idle(1);
        l.state = State::Connecting;
        rc
    };
    if rc == NGX_OK as ngx_int_t {
        // Connected at once (a Unix socket, often).
        connected(s, which);
    }
    Ok(())
}

/// The link a connection belongs to, and the loop.
unsafe fn of(ev: *mut ngx_event_t) -> Option<(&'static mut Sync, Which, *mut ngx_connection_t)> {
    let c = (*ev).data.cast::<ngx_connection_t>();
    let s = c.as_ref()?.data.cast::<Sync>().as_mut()?;
    let which = if s.data.conn == c {
        Which::Data
    } else if s.sentinels.as_ref().is_some_and(|x| x.link.conn == c) {
        Which::Sentinel
    } else {
        return None;
    };
    Some((s, which, c))
}

unsafe extern "C" fn on_write(ev: *mut ngx_event_t) {
    if let Some((s, which, _)) = of(ev) {
        step(s, which, false);
    }
}

unsafe extern "C" fn on_read(ev: *mut ngx_event_t) {
    if let Some((s, which, c)) = of(ev) {
        // A worker that shuts down gracefully closes idle connections.
        if (*c).close() != 0 {
            return s.stop();
        }
        step(s, which, true);
    }
}

/// What an event means in the link's state.
fn step(s: &mut Sync, which: Which, read: bool) {
    let Some(state) = link(s, which).map(|l| l.state) else {
        return;
    };
    match state {
        State::Connecting => connected(s, which),
        State::Handshaking => handshake(s, which),
        State::Open if read => receive(s, which),
        State::Open => send(s, which),
        State::Closed => {}
    }
}

/// The socket's pending error after a non-blocking connect, as nginx's
/// upstream reads it.
unsafe fn connect_error(c: *mut ngx_connection_t) -> i32 {
    let mut err: i32 = 0;
    let mut len = core::mem::size_of::<i32>() as nginx_sys::socklen_t;
    let rc = nginx_sys::getsockopt(
        (*c).fd,
        nginx_sys::SOL_SOCKET as _,
        nginx_sys::SO_ERROR as _,
        (&mut err as *mut i32).cast(),
        &mut len,
    );
    if rc == -1 {
        return -1;
    }
    err
}

/// The TCP (or Unix) connection is up: TLS starts, or the link is open.
fn connected(s: &mut Sync, which: Which) {
    let redis: &'static super::conf::RedisTarget = s.shared.redis;
    let tls = match which {
        Which::Data => redis.tls.as_ref(),
        Which::Sentinel => None,
    };
    let Some(l) = link(s, which) else { return };
    let c = l.conn;
    // SAFETY: c is the link's open connection.
    unsafe {
        if connect_error(c) != 0 {
            return failed(s, which, "connection refused or lost");
        }
        match tls {
            Some(t) => {
                if let Err(why) = super::tls::start(c, t) {
                    return failed(s, which, &why);
                }
                (*(*c).ssl).handler = Some(on_handshake);
                handshake(s, which);
            }
            None => opened(s, which),
        }
    }
}

/// Called by nginx's SSL layer, should it finish a handshake itself.
unsafe extern "C" fn on_handshake(c: *mut ngx_connection_t) {
    if let Some(c) = c.as_mut() {
        if let Some((s, which, _)) = of(c.read) {
            handshake(s, which);
        }
    }
}

/// One step of the TLS handshake; once over, the certificate is checked
/// and the link is open.
fn handshake(s: &mut Sync, which: Which) {
    let Some(l) = link(s, which) else { return };
    let c = l.conn;
    // SAFETY: c is the link's open connection, wrapped in TLS.
    unsafe {
        s.io_error.clear();
        let rc = nginx_sys::ngx_ssl_handshake(c);
        if rc == NGX_AGAIN as ngx_int_t {
            // ngx_ssl_handshake armed the events for its own handler: the
            // link's state drives the next step, and a worker leaving can
            // close the link from here.
            if let Some(l) = link(s, which) {
                l.state = State::Handshaking;
            }
            (*(*c).read).handler = Some(on_read);
            (*(*c).write).handler = Some(on_write);
            return;
        }
        if rc != NGX_OK as ngx_int_t {
            let why = match s.io_error.as_str() {
                "" => "TLS handshake failed".to_string(),
                line => format!("TLS handshake failed: {line}"),
            };
            return failed(s, which, &why);
        }
        (*(*c).read).handler = Some(on_read);
        (*(*c).write).handler = Some(on_write);
        let redis: &'static super::conf::RedisTarget = s.shared.redis;
        if let Some(Err(why)) = redis.tls.as_ref().map(|t| super::tls::verify(c, t)) {
            return failed(s, which, &why);
        }
    }
    opened(s, which);
}

fn opened(s: &mut Sync, which: Which) {
    let Some(l) = link(s, which) else { return };
    l.state = State::Open;
    send(s, which);
}

/// Writes what is left of the link's request, once it is open.
pub fn send(s: &mut Sync, which: Which) {
    let Some(l) = link(s, which) else { return };
    if l.state != State::Open {
        return;
    }
    // SAFETY: l.conn is the link's open connection.
    unsafe {
        let c = &mut *l.conn;
        let Some(send) = c.send else {
            return failed(s, which, "connection cannot send");
        };
        while l.sent < l.out.len() {
            let rest = &mut l.out[l.sent..];
            let n = send(c, rest.as_mut_ptr(), rest.len());
            if n > 0 {
                l.sent += n as usize;
            } else if n == NGX_AGAIN as isize {
                if ngx_handle_write_event(c.write, 0) != NGX_OK as ngx_int_t {
                    failed(s, which, "write event");
                }
                return;
            } else {
                return failed(s, which, "connection refused or lost");
            }
        }
    }
    receive(s, which);
}

/// Reads replies; once all that were asked are in, hands them over. A
/// server may close right after its last reply (what arrived with the
/// close is read first).
fn receive(s: &mut Sync, which: Which) {
    let Some(l) = link(s, which) else { return };
    if l.state != State::Open {
        return;
    }
    let c = l.conn;
    let mut eof = false;
    // SAFETY: c is the link's open connection.
    unsafe {
        let Some(recv) = (*c).recv else {
            return failed(s, which, "connection cannot receive");
        };
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = recv(c, buf.as_mut_ptr(), buf.len());
            if n > 0 {
                if l.awaiting == 0 {
                    // Nothing is asked: Redis has no reason to speak.
                    return failed(s, which, "unexpected data");
                }
                l.input.extend_from_slice(&buf[..n as usize]);
                if l.input.len() > MAX_INPUT {
                    return failed(s, which, "reply too large");
                }
                continue;
            }
            if n == 0 {
                // Closed by the server (a restart, an idle timeout, a
                // failover's CLIENT KILL).
                eof = true;
                break;
            }
            if n == NGX_AGAIN as isize {
                break;
            }
            return failed(s, which, "connection refused or lost");
        }
        if l.awaiting > 0 && l.sent == l.out.len() {
            match parse_replies(&l.input, l.awaiting) {
                Replies::Incomplete => {}
                Replies::Bad(why) => return failed(s, which, &format!("bad reply: {why}")),
                Replies::Done(values) => {
                    l.input.clear();
                    l.awaiting = 0;
                    match which {
                        Which::Data => match (s.on_replies)(s, values) {
                            Ok(()) => s.round_done(),
                            Err(why) => s.fail(&why),
                        },
                        Which::Sentinel => (s.on_sentinel)(s, Ok(values)),
                    }
                    if eof {
                        closed(s, which, c);
                    }
                    return;
                }
            }
        }
        if eof {
            if l.awaiting > 0 {
                return failed(s, which, "connection closed");
            }
            return closed(s, which, c);
        }
        if ngx_handle_read_event((*c).read, 0) != NGX_OK as ngx_int_t {
            failed(s, which, "read event");
        }
    }
}

/// The server closed an idle connection: closed here too, quietly (the
/// next round opens another), unless it was replaced meanwhile.
fn closed(s: &mut Sync, which: Which, c: *mut ngx_connection_t) {
    match which {
        Which::Data if s.data.conn == c => s.close(),
        Which::Sentinel => {
            if let Some(w) = s.sentinels.as_mut().filter(|w| w.link.conn == c) {
                w.close();
            }
        }
        Which::Data => {}
    }
}
