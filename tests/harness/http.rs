//! A minimal HTTP/1.1 client over `TcpStream`: tests send raw requests
//! (duplicate headers, odd bytes) that a library client would refuse.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::fd::FromRawFd;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `raw` as is and reads the response until the server closes.
pub fn request(port: u16, raw: &[u8]) -> std::io::Result<Response> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    s.write_all(raw)?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    parse(&buf).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("bad response: {:?}", String::from_utf8_lossy(&buf)),
        )
    })
}

/// A connection to `dst` from the local address `src` (any address of the
/// loopback network, so that one machine looks like several clients).
pub fn connect_from(src: IpAddr, dst: SocketAddr) -> std::io::Result<TcpStream> {
    if src == dst.ip() || src.is_unspecified() {
        return TcpStream::connect(dst);
    }
    // SAFETY: a new socket, bound and connected with sockaddrs of its
    // family; handed to TcpStream, which closes it.
    unsafe {
        let (family, sa_src, sa_dst, len) = match (src, dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let mk = |a: std::net::Ipv4Addr, port: u16| {
                    let mut sa: libc::sockaddr_in6 = std::mem::zeroed();
                    let sin =
                        &mut *(&mut sa as *mut libc::sockaddr_in6).cast::<libc::sockaddr_in>();
                    sin.sin_family = libc::AF_INET as _;
                    sin.sin_port = port.to_be();
                    sin.sin_addr.s_addr = u32::from(a).to_be();
                    sa
                };
                (
                    libc::AF_INET,
                    mk(s, 0),
                    mk(d, dst.port()),
                    std::mem::size_of::<libc::sockaddr_in>(),
                )
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let mk = |a: std::net::Ipv6Addr, port: u16| {
                    let mut sa: libc::sockaddr_in6 = std::mem::zeroed();
                    sa.sin6_family = libc::AF_INET6 as _;
                    sa.sin6_port = port.to_be();
                    sa.sin6_addr.s6_addr = a.octets();
                    sa
                };
                (
                    libc::AF_INET6,
                    mk(s, 0),
                    mk(d, dst.port()),
                    std::mem::size_of::<libc::sockaddr_in6>(),
                )
            }
            _ => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "source and destination of different families",
                ))
            }
        };
        let fd = libc::socket(family, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let stream = TcpStream::from_raw_fd(fd);
        let ptr =
            |sa: &libc::sockaddr_in6| (sa as *const libc::sockaddr_in6).cast::<libc::sockaddr>();
        if libc::bind(fd, ptr(&sa_src), len as libc::socklen_t) != 0
            || libc::connect(fd, ptr(&sa_dst), len as libc::socklen_t) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
        Ok(stream)
    }
}

/// `request`, from the local address `src` to nginx on `dst`'s address
/// and `port`.
pub fn request_from(src: IpAddr, dst: IpAddr, port: u16, raw: &[u8]) -> std::io::Result<Response> {
    let mut s = connect_from(src, SocketAddr::new(dst, port))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    s.write_all(raw)?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    parse(&buf).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("bad response: {:?}", String::from_utf8_lossy(&buf)),
        )
    })
}

/// Sends `raw` and reads the answer as `request` does, waiting at most
/// `timeout` for each read; also returns how many bytes came back (head and
/// body, as sent on the wire).
pub fn request_sized(
    port: u16,
    raw: &[u8],
    timeout: Duration,
) -> std::io::Result<(Response, usize)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    s.write_all(raw)?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let size = buf.len();
    let response = parse(&buf).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "unreadable response")
    })?;
    Ok((response, size))
}

/// `GET path` with the given extra headers and `Connection: close`. A header
/// whose value is `None` is left out; `User-Agent` is only sent when given.
pub fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut raw = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (n, v) in headers {
        raw.push_str(&format!("{n}: {v}\r\n"));
    }
    raw.push_str("\r\n");
    request(port, raw.as_bytes()).unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn parse(buf: &[u8]) -> Option<Response> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let nl = b.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(std::str::from_utf8(&b[..nl]).ok()?.trim(), 16).ok()?;
        b = &b[nl + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}
