//! The connection to Redis: nginx's own non-blocking peer connection,
//! driven by its read and write events. Nothing here ever blocks.

use fediguard_core::cluster::{parse_replies, Replies};
use nginx_sys::{
    ngx_connection_t, ngx_event_connect_peer, ngx_event_get_peer, ngx_event_t,
    ngx_handle_read_event, ngx_handle_write_event, ngx_int_t, ngx_peer_connection_t, NGX_AGAIN,
    NGX_OK,
};

use super::sync::{Phase, Sync};

/// Most bytes of replies one round may bring.
const MAX_INPUT: usize = 16 << 20;

/// Opens a connection; it may still be in progress (the write event says
/// when it is up).
pub fn connect(s: &mut Sync) -> Result<(), String> {
    let redis = s.shared.redis;
    // SAFETY: addr was resolved into the cycle's pool; the peer struct is
    // only read by ngx_event_connect_peer.
    unsafe {
        let addr = redis.addr.as_mut().ok_or("no address")?;
        let mut pc: ngx_peer_connection_t = core::mem::zeroed();
        pc.sockaddr = addr.sockaddr;
        pc.socklen = addr.socklen;
        pc.name = &mut addr.name;
        pc.get = Some(ngx_event_get_peer);
        pc.log = &mut s.quiet_log;
        pc.set_log_error(nginx_sys::ngx_connection_log_error_e_NGX_ERROR_INFO as _);
        let rc = ngx_event_connect_peer(&mut pc);
        let c = pc.connection;
        if c.is_null() || (rc != NGX_OK as ngx_int_t && rc != NGX_AGAIN as ngx_int_t) {
            if !c.is_null() {
                nginx_sys::ngx_close_connection(c);
            }
            return Err("cannot connect".into());
        }
        (*c).data = (s as *mut Sync).cast();
        (*(*c).read).handler = Some(on_read);
        (*(*c).write).handler = Some(on_write);
        // An idle connection for nginx: a worker that shuts down gracefully
        // closes it (read handler with `close` set) instead of waiting.
        (*c).set_idle(1);
        s.conn = c;
    }
    Ok(())
}

unsafe fn sync_of(ev: *mut ngx_event_t) -> Option<&'static mut Sync> {
    let c = (*ev).data.cast::<ngx_connection_t>().as_ref()?;
    c.data.cast::<Sync>().as_mut()
}

unsafe extern "C" fn on_write(ev: *mut ngx_event_t) {
    if let Some(s) = sync_of(ev) {
        send(s);
    }
}

unsafe extern "C" fn on_read(ev: *mut ngx_event_t) {
    let closing = (*ev)
        .data
        .cast::<ngx_connection_t>()
        .as_ref()
        .is_some_and(|c| c.close() != 0);
    if let Some(s) = sync_of(ev) {
        if closing {
            return s.stop();
        }
        receive(s);
    }
}

/// Writes what is left of the round's commands.
pub fn send(s: &mut Sync) {
    // SAFETY: s.conn is our open connection while not null.
    unsafe {
        let Some(c) = s.conn.as_mut() else { return };
        let Some(send) = c.send else {
            return s.fail("connection cannot send");
        };
        while s.sent < s.out.len() {
            let rest = &mut s.out[s.sent..];
            let n = send(c, rest.as_mut_ptr(), rest.len());
            if n > 0 {
                s.sent += n as usize;
            } else if n == NGX_AGAIN as isize {
                if ngx_handle_write_event(c.write, 0) != NGX_OK as ngx_int_t {
                    s.fail("write event");
                }
                return;
            } else {
                return s.fail("connection refused or lost");
            }
        }
    }
    receive(s);
}

/// Reads replies; once all of the round's are in, folds them in.
fn receive(s: &mut Sync) {
    // SAFETY: s.conn is our open connection while not null.
    unsafe {
        let Some(c) = s.conn.as_mut() else { return };
        let Some(recv) = c.recv else {
            return s.fail("connection cannot receive");
        };
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = recv(c, buf.as_mut_ptr(), buf.len());
            if n > 0 {
                if s.phase != Phase::Busy {
                    // Nothing is asked: Redis has no reason to speak.
                    return s.fail("unexpected data");
                }
                s.input.extend_from_slice(&buf[..n as usize]);
                if s.input.len() > MAX_INPUT {
                    return s.fail("reply too large");
                }
                continue;
            }
            if n == 0 {
                // Closed by Redis (a restart, an idle timeout).
                if s.phase == Phase::Busy {
                    return s.fail("connection closed");
                }
                s.close();
                return;
            }
            if n == NGX_AGAIN as isize {
                break;
            }
            return s.fail("connection refused or lost");
        }
        if s.phase == Phase::Busy && s.sent == s.out.len() {
            match parse_replies(&s.input, s.expect.len()) {
                Replies::Incomplete => {}
                Replies::Bad(why) => return s.fail(&format!("bad reply: {why}")),
                Replies::Done(values) => {
                    s.input.clear();
                    match (s.on_replies)(s, values) {
                        Ok(()) => s.round_done(),
                        Err(why) => s.fail(&why),
                    }
                    return;
                }
            }
        }
        if !s.conn.is_null() && ngx_handle_read_event(c.read, 0) != NGX_OK as ngx_int_t {
            s.fail("read event");
        }
    }
}
