//! What a request carries that nginx keeps behind pointers: the headers it
//! parsed for itself, the client's address text, and a body read into
//! memory.

use ngx::http::Request;

/// The `Authorization` header (nginx refuses a request with two).
pub fn authorization(r: &Request) -> Option<&[u8]> {
    // SAFETY: headers_in.authorization is NULL or a header of the request,
    // alive as long as the request.
    unsafe { r.as_ref().headers_in.authorization.as_ref() }.map(|h| h.value.as_bytes())
}

/// The `Content-Type` header.
pub fn content_type(r: &Request) -> Option<&[u8]> {
    // SAFETY: as in authorization.
    unsafe { r.as_ref().headers_in.content_type.as_ref() }.map(|h| h.value.as_bytes())
}

/// The client's address as nginx writes it (after realip).
pub fn client_text(r: &Request) -> &[u8] {
    // SAFETY: a live request has a connection, alive as long as it.
    unsafe { r.connection().as_ref() }.map_or(&[], |c| c.addr_text.as_bytes())
}

/// The request's body, when nginx read it and kept all of it in memory,
/// and it is at most `max` bytes.
pub fn body_in_memory(r: &Request, max: usize) -> Option<Vec<u8>> {
    // SAFETY: request_body is NULL or the request's body, its chain and
    // buffers in the request's pool.
    unsafe {
        let rb = r.as_ref().request_body.as_ref()?;
        let mut out = Vec::new();
        let mut cl = rb.bufs;
        while let Some(link) = cl.as_ref() {
            if let Some(b) = link.buf.as_ref() {
                let in_memory = b.temporary() != 0 || b.memory() != 0 || b.mmap() != 0;
                if !in_memory {
                    if b.in_file() != 0 {
                        return None;
                    }
                } else if !b.pos.is_null() && b.last > b.pos {
                    let n = b.last.offset_from(b.pos) as usize;
                    if out.len() + n > max {
                        return None;
                    }
                    out.extend_from_slice(core::slice::from_raw_parts(b.pos, n));
                }
            }
            cl = link.next;
        }
        Some(out)
    }
}

/// Whether the client's connection is TLS (the request's own scheme).
pub fn is_https(r: &Request) -> bool {
    // SAFETY: a live request has a connection, alive as long as it.
    unsafe { r.connection().as_ref() }.is_some_and(|c| !c.ssl.is_null())
}
