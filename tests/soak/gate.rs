//! A TCP relay in front of the Mastodon stand-in, for the faults of the
//! transport that the stand-in's `Behaviour` does not make: garbage instead
//! of HTTP, an answer cut short, a connection reset. In `Pass` it relays
//! both ways untouched.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Pass = 0,
    /// Bytes that are no HTTP, then the connection closes.
    Garbage = 1,
    /// A 200 whose JSON body stops half-way (Content-Length says more).
    Truncated = 2,
    /// The connection is reset (RST) as soon as it is accepted.
    Reset = 3,
}

impl Mode {
    fn from_u8(v: u8) -> Mode {
        match v {
            1 => Mode::Garbage,
            2 => Mode::Truncated,
            3 => Mode::Reset,
            _ => Mode::Pass,
        }
    }
}

pub struct Gate {
    pub port: u16,
    mode: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Gate {
    pub fn start(backend: u16) -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind gate");
        let port = listener.local_addr().expect("addr").port();
        let mode = Arc::new(AtomicU8::new(Mode::Pass as u8));
        let stop = Arc::new(AtomicBool::new(false));
        let (m, s) = (mode.clone(), stop.clone());
        let accept = std::thread::spawn(move || {
            let mut serial: u64 = 0;
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                serial += 1;
                let mode = Mode::from_u8(m.load(Ordering::SeqCst));
                let seed = serial;
                std::thread::spawn(move || serve(conn, mode, backend, seed));
            }
        });
        Gate {
            port,
            mode,
            stop,
            accept: Some(accept),
        }
    }

    pub fn set(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// Reads what the client sent within a moment (the request head).
fn drain(conn: &mut TcpStream) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
    let mut buf = [0u8; 4096];
    let _ = conn.read(&mut buf);
}

fn serve(mut conn: TcpStream, mode: Mode, backend: u16, seed: u64) {
    match mode {
        Mode::Pass => relay(conn, backend),
        Mode::Garbage => {
            drain(&mut conn);
            let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            let junk: Vec<u8> = (0..300)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let _ = conn.write_all(&junk);
            let _ = conn.shutdown(Shutdown::Both);
        }
        Mode::Truncated => {
            drain(&mut conn);
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"id\":\"1\",\"username\":\"tr",
            );
            let _ = conn.shutdown(Shutdown::Both);
        }
        Mode::Reset => {
            // SO_LINGER with a zero timeout: close sends RST.
            let linger = libc::linger {
                l_onoff: 1,
                l_linger: 0,
            };
            // SAFETY: setsockopt on a socket this thread owns, with a
            // properly sized linger struct.
            unsafe {
                libc::setsockopt(
                    conn.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    (&linger as *const libc::linger).cast(),
                    std::mem::size_of::<libc::linger>() as libc::socklen_t,
                );
            }
            drop(conn);
        }
    }
}

fn relay(client: TcpStream, backend: u16) {
    let Ok(upstream) = TcpStream::connect(("127.0.0.1", backend)) else {
        return;
    };
    let (Ok(mut c_read), Ok(mut u_write)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = upstream.set_read_timeout(Some(Duration::from_secs(30)));
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut c_read, &mut u_write);
        let _ = u_write.shutdown(Shutdown::Write);
    });
    let (mut u_read, mut c_write) = (upstream, client);
    let _ = std::io::copy(&mut u_read, &mut c_write);
    let _ = c_write.shutdown(Shutdown::Both);
    let _ = up.join();
}
