//! What directive handlers share: their arguments as UTF-8, where they
//! stand, "duplicate" checks, and values with variables compiled by nginx.

use core::ffi::c_char;
use core::mem;

use nginx_sys::{
    ngx_conf_full_name, ngx_conf_t, ngx_http_compile_complex_value,
    ngx_http_compile_complex_value_t, ngx_http_complex_value_t, ngx_int_t, ngx_str_t, NGX_OK,
};
use ngx::core::NGX_CONF_OK;

use super::log::{conf_error, ConfPlace};

/// A directive being parsed: its arguments after the name, and its place.
pub struct Directive<'a> {
    pub cf: *mut ngx_conf_t,
    pub args: Vec<&'a str>,
    pub place: ConfPlace,
}

/// Runs a directive handler on the arguments nginx collected, turning an
/// error message into nginx's "in file:line" report.
///
/// # Safety
/// `cf` is the `ngx_conf_t` nginx passes to a directive handler.
pub unsafe fn run(
    cf: *mut ngx_conf_t,
    f: impl FnOnce(&Directive) -> Result<(), String>,
) -> *mut c_char {
    let all: &[ngx_str_t] = (*(*cf).args).as_slice();
    let args: Result<Vec<&str>, _> = all.iter().skip(1).map(|a| a.to_str()).collect();
    let Ok(args) = args else {
        return conf_error(cf, "argument is not valid UTF-8");
    };
    let d = Directive {
        cf,
        args,
        place: ConfPlace::of(cf),
    };
    match f(&d) {
        Ok(()) => NGX_CONF_OK,
        Err(msg) => conf_error(cf, &msg),
    }
}

/// Sets a value that may be given once per level.
pub fn once<T>(slot: &mut Option<T>, name: &str, value: Result<T, String>) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("\"{name}\" directive is duplicate"));
    }
    *slot = Some(value.map_err(|e| format!("\"{name}\": {e}"))?);
    Ok(())
}

/// Compiles a value with variables into cf's pool.
///
/// # Safety
/// `cf` is the configuration being parsed.
pub unsafe fn complex_value(
    cf: *mut ngx_conf_t,
    value: &str,
) -> Result<*mut ngx_http_complex_value_t, String> {
    let pool = (*cf).pool;
    let cv = nginx_sys::ngx_pcalloc(pool, mem::size_of::<ngx_http_complex_value_t>())
        .cast::<ngx_http_complex_value_t>();
    let Some(mut text) = ngx_str_t::from_bytes(pool, value.as_bytes()) else {
        return Err("out of memory".into());
    };
    if cv.is_null() {
        return Err("out of memory".into());
    }
    let mut ccv: ngx_http_compile_complex_value_t = mem::zeroed();
    ccv.cf = cf;
    ccv.value = &mut text;
    ccv.complex_value = cv;
    if ngx_http_compile_complex_value(&mut ccv) != NGX_OK as ngx_int_t {
        return Err(format!("invalid value \"{value}\""));
    }
    Ok(cv)
}

/// The index of `$name` when `value` is exactly one variable.
///
/// # Safety
/// `cf` is the configuration being parsed.
pub unsafe fn single_variable(cf: *mut ngx_conf_t, value: &str) -> Option<usize> {
    let name = value.strip_prefix('$')?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let mut n = ngx_str_t::from_bytes((*cf).pool, name.as_bytes())?;
    let index = nginx_sys::ngx_http_get_variable_index(cf, &mut n);
    usize::try_from(index).ok()
}

/// `name` made absolute from nginx's configuration prefix.
///
/// # Safety
/// `cf` is the configuration being parsed.
pub unsafe fn full_name(cf: *mut ngx_conf_t, name: &str) -> Option<String> {
    let mut s = ngx_str_t::from_bytes((*cf).pool, name.as_bytes())?;
    if ngx_conf_full_name((*cf).cycle, &mut s, 1) != NGX_OK as ngx_int_t {
        return None;
    }
    Some(String::from_utf8_lossy(s.as_bytes()).into_owned())
}
