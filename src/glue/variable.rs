//! The module's variables: registered with nginx at configuration time,
//! read through one handler that hands the module's getter the request and
//! a `VarOut` to write the value into.

use core::ptr::NonNull;

use nginx_sys::{
    ngx_conf_t, ngx_http_add_variable, ngx_http_request_t, ngx_int_t, ngx_str_t,
    ngx_variable_value_t, NGX_HTTP_VAR_INDEXED, NGX_HTTP_VAR_NOCACHEABLE,
};
use ngx::core::Status;
use ngx::http::Request;

use super::var_value::VarOut;

/// One variable: its name, whether nginx may cache its value for the
/// request, and the number the getter is called with.
pub struct VarDef {
    pub name: &'static str,
    pub cacheable: bool,
    pub data: usize,
}

/// What computes the module's variables.
pub trait Getter {
    /// Writes variable `data`'s value; None when it cannot be had (no
    /// memory), which nginx reports as an error.
    fn get(r: &Request, data: usize, out: &mut VarOut) -> Option<()>;
}

/// A registered variable, to ask after configuration whether anything
/// uses it.
#[derive(Clone, Copy, Debug, Default)]
pub struct VarRef(Option<NonNull<nginx_sys::ngx_http_variable_t>>);

impl VarRef {
    /// Whether the configuration reads the variable (a log_format, a map, a
    /// header, a limit key): nginx indexes a variable that is used.
    pub fn used(&self) -> bool {
        // SAFETY: the variable was allocated by nginx in the cycle's pool,
        // which outlives the configuration holding this reference.
        self.0
            .is_some_and(|v| unsafe { v.as_ref() }.flags & NGX_HTTP_VAR_INDEXED as usize != 0)
    }
}

/// Registers `defs` (preconfiguration); their references in order.
pub fn add<G: Getter>(cf: &mut ngx_conf_t, defs: &[VarDef]) -> Result<Vec<VarRef>, String> {
    let mut refs = Vec::with_capacity(defs.len());
    for d in defs {
        // SAFETY: cf's pool is the configuration's, alive for the cycle.
        let name = unsafe { ngx_str_t::from_bytes(cf.pool, d.name.as_bytes()) };
        let mut name = name.ok_or("out of memory")?;
        let flags = if d.cacheable {
            0
        } else {
            NGX_HTTP_VAR_NOCACHEABLE
        };
        // SAFETY: cf is the configuration being parsed; the name lives in
        // its pool.
        let var = unsafe { ngx_http_add_variable(cf, &mut name, flags as _) };
        // SAFETY: nginx returns NULL or a variable in the cycle's pool.
        let Some(v) = (unsafe { var.as_mut() }) else {
            return Err(format!("cannot add variable \"${}\"", d.name));
        };
        v.get_handler = Some(get::<G>);
        v.data = d.data;
        refs.push(VarRef(NonNull::new(var)));
    }
    Ok(refs)
}

unsafe extern "C" fn get<G: Getter>(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    data: usize,
) -> ngx_int_t {
    // SAFETY: nginx calls variable handlers with a live request and a value
    // to fill in; the handler reads the request only.
    let (r, v) = unsafe { (&*(r as *const Request), &mut *v) };
    match G::get(r, data, &mut VarOut::new(v)) {
        Some(()) => Status::NGX_OK.0,
        None => Status::NGX_ERROR.0,
    }
}
