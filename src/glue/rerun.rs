//! Pausing a request without blocking the worker: a timer on the
//! connection's write event, then the phases run again from the access
//! handler, as limit_req does for its delays.

use nginx_sys::{
    ngx_add_timer, ngx_http_block_reading, ngx_http_core_run_phases, ngx_http_finalize_request,
    ngx_http_request_t, ngx_http_test_reading, ngx_int_t, NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_OK,
};
use ngx::http::Request;

/// Arms the timer; the access handler returns NGX_AGAIN and runs again in
/// `ms` milliseconds. False if the request has no connection event.
pub fn rerun_after(r: &mut Request, ms: u64) -> bool {
    let raw: *mut ngx_http_request_t = (r as *mut Request).cast();
    // SAFETY: a live main request and its connection.
    unsafe {
        let wev = (*(*raw).connection).write;
        if wev.is_null() {
            return false;
        }
        // A client that goes away meanwhile ends the request.
        (*raw).read_event_handler = Some(ngx_http_test_reading);
        (*raw).write_event_handler = Some(resume);
        (*wev).set_delayed(1);
        ngx_add_timer(wev, ms.max(1) as _);
    }
    true
}

unsafe extern "C" fn resume(r: *mut ngx_http_request_t) {
    // SAFETY: nginx calls the write event handler with a live request and its connection.
    unsafe {
        // nginx clears `delayed` when our timer fires; still set means the
        // connection became writable meanwhile: keep waiting.
        let wev = (*(*r).connection).write;
        if (*wev).delayed() != 0 {
            if nginx_sys::ngx_handle_write_event(wev, 0) != NGX_OK as ngx_int_t {
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR as _);
            }
            return;
        }
        (*r).read_event_handler = Some(ngx_http_block_reading);
        (*r).write_event_handler = Some(ngx_http_core_run_phases);
        ngx_http_core_run_phases(r);
    }
}
