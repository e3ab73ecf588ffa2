//! The connections to Redis and to the sentinels: nginx's own non-blocking
//! peer connections (glue's [`Peer`]), driven by their read and write
//! events, with nginx's TLS layer on top for `rediss://`. Nothing here ever
//! blocks.

use fediguard_core::cluster::{parse_replies, Replies};

use super::link::{Link, State, Which};
use super::sync::Sync;
use crate::glue::peer::{Handshake, Io, Peer, PeerEvent};
use crate::glue::peer_addr::PeerAddr;

/// Most bytes of replies one round may bring.
const MAX_INPUT: usize = 16 << 20;

fn link(s: &mut Sync, which: Which) -> Option<&mut Link<Sync>> {
    match which {
        Which::Data => Some(&mut s.data),
        Which::Sentinel => s.sentinels.as_mut().map(|x| &mut x.link),
    }
}

fn peer(s: &mut Sync, which: Which) -> Option<&mut Peer<Sync>> {
    link(s, which).and_then(|l| l.peer.as_mut())
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
pub fn connect(s: &mut Sync, which: Which, addr: Option<&PeerAddr>) -> Result<(), String> {
    let (home, log) = (s.home, s.quiet_log);
    let on_event = match which {
        Which::Data => on_data_event,
        Which::Sentinel => on_sentinel_event,
    };
    let Some(l) = link(s, which) else {
        return Err("no link".into());
    };
    l.close();
    let addr = addr.ok_or("no address")?;
    let (peer, at_once) = Peer::connect(addr, log, home, on_event)?;
    l.peer = Some(peer);
    l.state = State::Connecting;
    if at_once {
        // Connected at once (a Unix socket, often).
        connected(s, which);
    }
    Ok(())
}

fn on_data_event(s: &mut Sync, ev: PeerEvent) {
    on_event(s, Which::Data, ev);
}

fn on_sentinel_event(s: &mut Sync, ev: PeerEvent) {
    on_event(s, Which::Sentinel, ev);
}

/// What an event means in the link's state.
fn on_event(s: &mut Sync, which: Which, ev: PeerEvent) {
    let Some(state) = link(s, which).map(|l| l.state) else {
        return;
    };
    match (ev, state) {
        // A worker that shuts down gracefully closes idle connections.
        (PeerEvent::Shutdown, _) => s.stop(),
        // nginx's SSL layer finished a handshake step itself.
        (PeerEvent::Handshake, _) => handshake(s, which),
        (_, State::Connecting) => connected(s, which),
        (_, State::Handshaking) => handshake(s, which),
        (PeerEvent::Read, State::Open) => receive(s, which),
        (_, State::Open) => send(s, which),
        (_, State::Closed) => {}
    }
}

/// The TCP (or Unix) connection is up: TLS starts, or the link is open.
fn connected(s: &mut Sync, which: Which) {
    let redis: &'static super::conf::RedisTarget = s.shared.redis;
    let tls = match which {
        Which::Data => redis.tls.as_ref(),
        Which::Sentinel => None,
    };
    let Some(p) = peer(s, which) else { return };
    if p.socket_error() != 0 {
        return failed(s, which, "connection refused or lost");
    }
    match tls {
        Some(t) => {
            if let Err(why) = p.start_tls(t) {
                return failed(s, which, &why);
            }
            handshake(s, which);
        }
        None => opened(s, which),
    }
}

/// One step of the TLS handshake; once over, the certificate is checked
/// and the link is open.
fn handshake(s: &mut Sync, which: Which) {
    let quiet_log = s.quiet_log;
    let redis: &'static super::conf::RedisTarget = s.shared.redis;
    let Some(l) = link(s, which) else { return };
    let Some(p) = l.peer.as_mut() else { return };
    quiet_log.clear();
    match p.handshake() {
        Handshake::Again => {
            // The link's state drives the next step, and a worker leaving
            // can close the link from here.
            l.state = State::Handshaking;
            return;
        }
        Handshake::Failed => {
            let why = match quiet_log.last_line().as_str() {
                "" => "TLS handshake failed".to_string(),
                line => format!("TLS handshake failed: {line}"),
            };
            return failed(s, which, &why);
        }
        Handshake::Done => {}
    }
    if let Some(Err(why)) = redis.tls.as_ref().map(|t| p.verify_tls(t)) {
        return failed(s, which, &why);
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
    let Some(p) = l.peer.as_mut() else { return };
    while l.sent < l.out.len() {
        match p.send(&l.out[l.sent..]) {
            Io::Done(n) => l.sent += n,
            Io::Again => {
                if !p.handle_write_event() {
                    failed(s, which, "write event");
                }
                return;
            }
            Io::Unsupported => return failed(s, which, "connection cannot send"),
            Io::Closed | Io::Error => return failed(s, which, "connection refused or lost"),
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
    let Some(p) = l.peer.as_mut() else { return };
    let number = p.number();
    let mut eof = false;
    let mut buf = [0u8; 16 * 1024];
    loop {
        match p.recv(&mut buf) {
            Io::Done(n) => {
                if l.awaiting == 0 {
                    // Nothing is asked: Redis has no reason to speak.
                    return failed(s, which, "unexpected data");
                }
                l.input.extend_from_slice(&buf[..n]);
                if l.input.len() > MAX_INPUT {
                    return failed(s, which, "reply too large");
                }
            }
            // Closed by the server (a restart, an idle timeout, a
            // failover's CLIENT KILL).
            Io::Closed => {
                eof = true;
                break;
            }
            Io::Again => break,
            Io::Unsupported => return failed(s, which, "connection cannot receive"),
            Io::Error => return failed(s, which, "connection refused or lost"),
        }
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
                    closed(s, which, number);
                }
                return;
            }
        }
    }
    if eof {
        if l.awaiting > 0 {
            return failed(s, which, "connection closed");
        }
        return closed(s, which, number);
    }
    if !p.handle_read_event() {
        failed(s, which, "read event");
    }
}

/// The server closed an idle connection: closed here too, quietly (the
/// next round opens another), unless it was replaced meanwhile.
fn closed(s: &mut Sync, which: Which, number: usize) {
    let same = |l: &Link<Sync>| l.peer.as_ref().is_some_and(|p| p.number() == number);
    match which {
        Which::Data if same(&s.data) => s.close(),
        Which::Sentinel => {
            if let Some(w) = s.sentinels.as_mut().filter(|w| same(&w.link)) {
                w.close();
            }
        }
        Which::Data => {}
    }
}
