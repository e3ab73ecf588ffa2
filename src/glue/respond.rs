//! Answering a request from a content handler: the request body
//! discarded, a status, a content type and a body from memory.

use nginx_sys::{
    ngx_chain_t, ngx_http_discard_request_body, ngx_http_output_filter, ngx_http_request_t,
    ngx_http_send_header, ngx_int_t, NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_HTTP_OK, NGX_OK,
};
use ngx::http::Request;

/// Reads and drops the request's body (a content handler that has no use
/// for it must); nginx's status code.
pub fn discard_body(r: &mut Request) -> ngx_int_t {
    let raw: *mut ngx_http_request_t = (r as *mut Request).cast();
    // SAFETY: a live request, in its content phase.
    unsafe { ngx_http_discard_request_body(raw) }
}

/// Sends a 200 with `body` (copied into the request's pool).
pub fn send(r: &mut Request, ctype: &'static str, body: &[u8]) -> ngx_int_t {
    let raw: *mut ngx_http_request_t = (r as *mut Request).cast();
    // SAFETY: r is the live request this content handler serves; the
    // buffer and chain come from its pool.
    unsafe {
        let h = &mut (*raw).headers_out;
        h.status = NGX_HTTP_OK as usize;
        h.content_length_n = body.len() as i64;
        h.content_type.len = ctype.len();
        h.content_type.data = ctype.as_ptr().cast_mut();
        h.content_type_len = ctype.len();
        let rc = ngx_http_send_header(raw);
        if rc == nginx_sys::NGX_ERROR as ngx_int_t
            || rc > NGX_OK as ngx_int_t
            || (*raw).header_only() != 0
        {
            return rc;
        }
        let b = nginx_sys::ngx_create_temp_buf((*raw).pool, body.len().max(1));
        let Some(buf) = b.as_mut() else {
            return NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
        };
        core::ptr::copy_nonoverlapping(body.as_ptr(), buf.last, body.len());
        buf.last = buf.last.add(body.len());
        buf.set_last_buf(1);
        buf.set_last_in_chain(1);
        let mut out = ngx_chain_t {
            buf: b,
            next: core::ptr::null_mut(),
        };
        ngx_http_output_filter(raw, &mut out)
    }
}
