//! What directive handlers share: nginx's C entry points for directives
//! (`set_main`, `set_loc`), their arguments as UTF-8, where they stand,
//! "duplicate" checks, and what a handler may ask of the configuration
//! being parsed (values with variables, file names, shared zones), as safe
//! methods of `Directive`: it exists only while nginx parses it.

use core::ffi::{c_char, c_void};
use core::mem;
use core::ptr::NonNull;

use nginx_sys::{
    ngx_command_t, ngx_conf_full_name, ngx_conf_t, ngx_http_compile_complex_value,
    ngx_http_compile_complex_value_t, ngx_http_complex_value_t, ngx_http_handler_pt, ngx_int_t,
    ngx_str_t, NGX_OK,
};
use ngx::core::NGX_CONF_OK;
use ngx::http::{HttpModuleLocationConf, NgxHttpCoreModule, Request};

use super::lifecycle::main_conf_of;
use super::log::{conf_error, ConfPlace};

/// A directive being parsed: its arguments after the name, and its place.
pub struct Directive<'a> {
    /// Valid while the directive is parsed: a `Directive` exists only
    /// inside `run`.
    cf: *mut ngx_conf_t,
    pub args: Vec<&'a str>,
    pub place: ConfPlace,
    _args: core::marker::PhantomData<&'a ngx_str_t>,
}

/// nginx's directive handler, as `ngx_command_t.set` holds it.
pub type SetFn =
    unsafe extern "C" fn(*mut ngx_conf_t, *mut ngx_command_t, *mut c_void) -> *mut c_char;

/// A directive of the `http` level, handed the main configuration.
pub trait SetMain {
    type Main: 'static;
    fn set(d: &Directive, main: &mut Self::Main) -> Result<(), String>;
}

/// A directive of any level, handed the main configuration and the
/// level's own.
pub trait SetLoc {
    type Main: 'static;
    type Loc: 'static;
    fn set(d: &Directive, main: &mut Self::Main, loc: &mut Self::Loc) -> Result<(), String>;
}

/// nginx's handler for a `SetMain` directive (`NGX_HTTP_MAIN_CONF_OFFSET`).
pub unsafe extern "C" fn set_main<S: SetMain>(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx calls directive handlers with the configuration being
    // parsed and, for this offset, the module's main configuration.
    unsafe {
        run(cf, |d| match conf.cast::<S::Main>().as_mut() {
            Some(main) => S::set(d, main),
            None => Err("no fediguard configuration here".into()),
        })
    }
}

/// nginx's handler for a `SetLoc` directive (`NGX_HTTP_LOC_CONF_OFFSET`).
pub unsafe extern "C" fn set_loc<S: SetLoc>(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: as in set_main; conf is the level's location configuration,
    // inside an http block whose main configuration is ours.
    unsafe {
        run(cf, |d| {
            match (
                main_conf_of::<S::Main>(d.cf),
                conf.cast::<S::Loc>().as_mut(),
            ) {
                (Some(main), Some(loc)) => S::set(d, main, loc),
                _ => Err("no fediguard configuration here".into()),
            }
        })
    }
}

/// Runs a directive handler on the arguments nginx collected, turning an
/// error message into nginx's "in file:line" report.
///
/// # Safety
/// `cf` is the `ngx_conf_t` nginx passes to a directive handler.
unsafe fn run(
    cf: *mut ngx_conf_t,
    f: impl FnOnce(&Directive) -> Result<(), String>,
) -> *mut c_char {
    // SAFETY: the caller's promise; args is nginx's array of the
    // directive's words, in cf's pool.
    let all: &[ngx_str_t] = unsafe {
        let Some(conf) = cf.as_ref() else {
            return ngx::core::NGX_CONF_ERROR;
        };
        (*conf.args).as_slice()
    };
    let args: Result<Vec<&str>, _> = all.iter().skip(1).map(|a| a.to_str()).collect();
    let Ok(args) = args else {
        return conf_error(cf, "argument is not valid UTF-8");
    };
    let place = ConfPlace::of(cf);
    let d = Directive {
        cf,
        args,
        place,
        _args: core::marker::PhantomData,
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

/// A value with variables, compiled by nginx into the configuration's pool
/// (which outlives every request of its cycle).
#[derive(Clone, Copy, Debug)]
pub struct ComplexValue(NonNull<ngx_http_complex_value_t>);

impl ComplexValue {
    /// The value for this request; None when it cannot be computed.
    pub fn of<'r>(&self, r: &'r Request) -> Option<&'r [u8]> {
        // SAFETY: compiled into the cycle's pool by `Directive::complex_value`.
        let cv = unsafe { self.0.as_ref() };
        r.get_complex_value(cv).map(|v| v.as_bytes())
    }
}

impl Directive<'_> {
    /// Compiles a value with variables.
    pub fn complex_value(&self, value: &str) -> Result<ComplexValue, String> {
        // SAFETY: cf is the configuration being parsed; everything is
        // allocated from its pool.
        unsafe {
            let pool = (*self.cf).pool;
            let cv = nginx_sys::ngx_pcalloc(pool, mem::size_of::<ngx_http_complex_value_t>())
                .cast::<ngx_http_complex_value_t>();
            let Some(mut text) = ngx_str_t::from_bytes(pool, value.as_bytes()) else {
                return Err("out of memory".into());
            };
            let Some(cv) = NonNull::new(cv) else {
                return Err("out of memory".into());
            };
            let mut ccv: ngx_http_compile_complex_value_t = mem::zeroed();
            ccv.cf = self.cf;
            ccv.value = &mut text;
            ccv.complex_value = cv.as_ptr();
            if ngx_http_compile_complex_value(&mut ccv) != NGX_OK as ngx_int_t {
                return Err(format!("invalid value \"{value}\""));
            }
            Ok(ComplexValue(cv))
        }
    }

    /// The index of `$name` when `value` is exactly one variable.
    pub fn single_variable(&self, value: &str) -> Option<usize> {
        let name = value.strip_prefix('$')?;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return None;
        }
        // SAFETY: cf is the configuration being parsed.
        unsafe {
            let mut n = ngx_str_t::from_bytes((*self.cf).pool, name.as_bytes())?;
            let index = nginx_sys::ngx_http_get_variable_index(self.cf, &mut n);
            usize::try_from(index).ok()
        }
    }

    /// `name` made absolute from nginx's configuration prefix.
    pub fn full_name(&self, name: &str) -> Option<String> {
        // SAFETY: cf is the configuration being parsed, with its cycle.
        unsafe {
            let mut s = ngx_str_t::from_bytes((*self.cf).pool, name.as_bytes())?;
            if ngx_conf_full_name((*self.cf).cycle, &mut s, 1) != NGX_OK as ngx_int_t {
                return None;
            }
            Some(String::from_utf8_lossy(s.as_bytes()).into_owned())
        }
    }

    /// Makes the location answer with `handler` (its content handler).
    pub fn set_content_handler(&self, handler: ngx_http_handler_pt) -> Result<(), String> {
        // SAFETY: cf is the configuration being parsed, in a location.
        let Some(clcf) = NgxHttpCoreModule::location_conf_mut(unsafe { &*self.cf }) else {
            return Err("no core location configuration".into());
        };
        if clcf.handler.is_some() {
            return Err("the location has a handler already".into());
        }
        clcf.handler = handler;
        Ok(())
    }

    /// The configuration being parsed, as nginx's pointer (valid while
    /// the directive is parsed).
    pub fn conf_ptr(&self) -> *mut ngx_conf_t {
        self.cf
    }
}
