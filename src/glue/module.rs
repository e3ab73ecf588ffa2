//! The module's own nginx symbol, as C modules see theirs: declared here,
//! defined by the entry (`lib.rs`). The glue needs it for the module's
//! context index (request contexts, configurations) and as the tag of its
//! shared zones, without depending on the entry.

use nginx_sys::ngx_module_t;

extern "C" {
    /// Defined with `#[no_mangle]` in `lib.rs`.
    static mut ngx_http_fediguard_module: ngx_module_t;
}

/// The module structure nginx loaded.
pub fn module() -> *mut ngx_module_t {
    // Only the address is taken; nginx writes the static while loading,
    // before any of our code runs.
    core::ptr::addr_of_mut!(ngx_http_fediguard_module)
}

/// The module's index among the http modules' contexts and configurations.
pub fn ctx_index() -> usize {
    // SAFETY: nginx set ctx_index when it loaded the module; read-only after.
    unsafe { (*module()).ctx_index }
}
