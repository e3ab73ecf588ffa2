//! A minimal HTTP/1.1 client over `TcpStream`: tests send raw requests
//! (duplicate headers, odd bytes) that a library client would refuse.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
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
    let s = TcpStream::connect(("127.0.0.1", port))?;
    exchange(s, raw)
}

/// `request` from another loopback address (127.0.0.2, ...), so that
/// nginx sees several clients (`$binary_remote_addr`).
pub fn request_from(from: Ipv4Addr, port: u16, raw: &[u8]) -> std::io::Result<Response> {
    request_via(IpAddr::V4(from), IpAddr::V4(Ipv4Addr::LOCALHOST), port, raw)
}

/// `get` from another loopback address.
pub fn get_from(from: Ipv4Addr, port: u16, path: &str, headers: &[(&str, &str)]) -> Response {
    request_from(from, port, get_request(path, headers).as_bytes())
        .unwrap_or_else(|e| panic!("GET {path} from {from}: {e}"))
}

fn exchange(mut s: TcpStream, raw: &[u8]) -> std::io::Result<Response> {
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
/// loopback network, IPv4 or IPv6, so that one machine looks like several
/// clients).
pub fn connect_from(src: IpAddr, dst: SocketAddr) -> std::io::Result<TcpStream> {
    if src == dst.ip() || src.is_unspecified() {
        return TcpStream::connect(dst);
    }
    let domain = match dst {
        SocketAddr::V4(_) => socket2::Domain::IPV4,
        SocketAddr::V6(_) => socket2::Domain::IPV6,
    };
    let sock = socket2::Socket::new(domain, socket2::Type::STREAM, None)?;
    sock.bind(&SocketAddr::new(src, 0).into())?;
    sock.connect(&dst.into())?;
    Ok(sock.into())
}

/// `request`, from the local address `src` to nginx on `dst`'s address
/// and `port`.
pub fn request_via(src: IpAddr, dst: IpAddr, port: u16, raw: &[u8]) -> std::io::Result<Response> {
    exchange(connect_from(src, SocketAddr::new(dst, port))?, raw)
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
    request(port, get_request(path, headers).as_bytes())
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn get_request(path: &str, headers: &[(&str, &str)]) -> String {
    let mut raw = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (n, v) in headers {
        raw.push_str(&format!("{n}: {v}\r\n"));
    }
    raw.push_str("\r\n");
    raw
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
