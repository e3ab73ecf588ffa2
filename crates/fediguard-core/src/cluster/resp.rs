//! RESP on the wire, through the `redis` crate's runtime-free functions:
//! commands are packed with `Cmd::get_packed_command`, replies read with
//! `redis::Parser` from the bytes received so far.

use std::io::Cursor;

use redis::{ErrorKind, Value};

/// What the bytes received so far hold.
#[derive(Debug, PartialEq)]
pub enum Replies {
    /// Not all replies yet: read more.
    Incomplete,
    /// All `n` replies (a reply may itself be a server error value).
    Done(Vec<Value>),
    /// Not RESP: drop the connection.
    Bad(String),
}

/// Reads `n` replies from `buf`.
pub fn parse_replies(buf: &[u8], n: usize) -> Replies {
    // The parser buffers ahead, so one parser reads all the replies.
    let mut parser = redis::Parser::new();
    let mut cur = Cursor::new(buf);
    let mut out = Vec::with_capacity(n.min(64));
    for _ in 0..n {
        match parser.parse_value(&mut cur) {
            Ok(v) => out.push(v),
            Err(e) if e.kind() == ErrorKind::Io => return Replies::Incomplete,
            Err(e) => return Replies::Bad(e.to_string()),
        }
    }
    Replies::Done(out)
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 0xf) as usize] as char);
    }
    s
}

/// Bytes of lower- or upper-case hex; None if it is not exactly `N` bytes.
pub fn unhex<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    if text.len() != N * 2 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; N];
    for (i, pair) in text.chunks_exact(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}
