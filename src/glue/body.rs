//! Reading the client's request body from the access phase, the way
//! nginx's mirror module does from its phase: `ngx_http_read_client_request_body`
//! with a post handler that runs the phases again once the body is in.
//!
//! The reference count: `ngx_http_read_client_request_body` adds one to
//! `r->main->count` (and takes it back itself when it fails with a status);
//! the caller gives it back with `ngx_http_finalize_request(r, NGX_DONE)`
//! right after, whether the body is in or still arriving, as mirror does.
//! When the body is all there already (`NGX_OK`), nginx calls the post
//! handler before returning: it then does nothing (the access handler is
//! still running and carries on), rather than running the phases from
//! inside the handler. The body stays for the backend: `proxy_pass` finds
//! it read and sends it as it is (memory or the temp file, as nginx chose
//! under `client_body_buffer_size` and `client_max_body_size`).

use core::cell::Cell;

use nginx_sys::{
    ngx_http_core_run_phases, ngx_http_finalize_request, ngx_http_read_client_request_body,
    ngx_http_request_t, ngx_int_t, ngx_read_file, NGX_AGAIN, NGX_DONE, NGX_OK,
};
use ngx::core::Status;
use ngx::http::Request;

thread_local! {
    /// The request whose body is being read synchronously right now (the
    /// worker is one thread): its post handler must not run the phases.
    static READING: Cell<usize> = const { Cell::new(0) };
}

/// Where the body stands.
pub enum Body {
    /// All of it has been read; `chunks` hands it over.
    Read,
    /// Still arriving: the access handler returns NGX_AGAIN and runs
    /// again when it is in.
    Wait,
    /// nginx answers with this status (413 over client_max_body_size,
    /// 400, 408...).
    Status(Status),
}

/// Reads the main request's body (once; later calls find it read).
pub fn read(r: &mut Request) -> Body {
    let raw: *mut ngx_http_request_t = (r as *mut Request).cast();
    READING.with(|c| c.set(raw as usize));
    // SAFETY: a live main request in its access phase; `resume` is called
    // by nginx with that request.
    let rc = unsafe { ngx_http_read_client_request_body(raw, Some(resume)) };
    READING.with(|c| c.set(0));
    if rc >= nginx_sys::NGX_HTTP_SPECIAL_RESPONSE as ngx_int_t {
        // nginx took its count back.
        return Body::Status(Status(rc));
    }
    // SAFETY: gives back the count nginx added (mirror's way); the request
    // holds at least one more reference (the phase running now).
    unsafe { ngx_http_finalize_request(raw, NGX_DONE as ngx_int_t) };
    if rc == NGX_OK as ngx_int_t {
        Body::Read
    } else if rc == NGX_AGAIN as ngx_int_t {
        Body::Wait
    } else {
        Body::Status(Status(
            nginx_sys::NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t,
        ))
    }
}

/// The post handler: the body is in.
unsafe extern "C" fn resume(r: *mut ngx_http_request_t) {
    if READING.with(Cell::get) == r as usize {
        return;
    }
    // SAFETY: nginx calls the post handler with the live main request
    // whose body it read; the phases resume at the access handler.
    unsafe {
        (*r).set_preserve_body(1);
        (*r).write_event_handler = Some(ngx_http_core_run_phases);
        ngx_http_core_run_phases(r);
    }
}

/// Largest piece read from the temp file at once.
const FILE_CHUNK: usize = 64 * 1024;

/// Hands `f` the body read, in order: the parts in memory as they are,
/// the parts in the temp file read in pieces. Err if the file cannot be
/// read or there is no body.
pub fn chunks(r: &Request, mut f: impl FnMut(&[u8])) -> Result<(), ()> {
    // SAFETY: request_body is NULL or the request's body: its chain, its
    // buffers and its temp file belong to the request and live as long.
    unsafe {
        let Some(rb) = r.as_ref().request_body.as_ref() else {
            return Ok(());
        };
        let mut cl = rb.bufs;
        let mut buf: Vec<u8> = Vec::new();
        while let Some(link) = cl.as_ref() {
            if let Some(b) = link.buf.as_ref() {
                if b.in_file() != 0 && !b.file.is_null() {
                    if buf.is_empty() {
                        buf = vec![0u8; FILE_CHUNK];
                    }
                    let mut pos = b.file_pos;
                    while pos < b.file_last {
                        let want = ((b.file_last - pos) as usize).min(FILE_CHUNK);
                        let n = ngx_read_file(b.file, buf.as_mut_ptr(), want, pos);
                        if n <= 0 {
                            return Err(());
                        }
                        f(&buf[..n as usize]);
                        pos += n as i64;
                    }
                } else if !b.pos.is_null() && b.last > b.pos {
                    let n = b.last.offset_from(b.pos) as usize;
                    f(core::slice::from_raw_parts(b.pos, n));
                }
            }
            cl = link.next;
        }
    }
    Ok(())
}
