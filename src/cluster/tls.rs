//! `rediss://` through nginx's own OpenSSL layer: the context and its
//! certificates are made when the configuration is read (a file that
//! cannot be loaded fails `nginx -t`); a connection is wrapped with
//! `ngx_ssl_create_connection`, its handshake driven by `ngx_ssl_handshake`
//! on the event loop, after which `c->recv`/`c->send` are the SSL ones.
//!
//! The server's certificate is checked by default: its chain against the
//! system's trust store (OpenSSL's default paths, so `SSL_CERT_FILE` and
//! `SSL_CERT_DIR` count when nginx starts) or `ssl_trusted_certificate`,
//! and its name against the URL's host or `ssl_name` (an IP address is
//! checked as one). As nginx's proxy does, the chain's verdict is read
//! once the handshake is over and the connection dropped before anything
//! is sent when it is not `X509_V_OK`.

use fediguard_core::cluster::TlsConf;
use nginx_sys::{ngx_conf_t, ngx_connection_t};

/// The TLS side of the Redis target.
#[derive(Debug)]
pub struct Tls {
    #[cfg(ngx_feature = "ssl")]
    ssl: *mut nginx_sys::ngx_ssl_t,
    /// Checked in the certificate; sent as SNI unless an IP address.
    name: std::ffi::CString,
    name_is_ip: bool,
    verify: bool,
}

#[cfg(not(ngx_feature = "ssl"))]
pub unsafe fn configure(_: *mut ngx_conf_t, _: &TlsConf, _: &str) -> Result<Tls, String> {
    Err("rediss:// needs an nginx built with SSL".into())
}

#[cfg(not(ngx_feature = "ssl"))]
pub unsafe fn start(_: *mut ngx_connection_t, _: &Tls) -> Result<(), String> {
    Err("no SSL".into())
}

#[cfg(not(ngx_feature = "ssl"))]
pub unsafe fn verify(_: *mut ngx_connection_t, _: &Tls) -> Result<(), String> {
    Err("no SSL".into())
}

#[cfg(not(ngx_feature = "ssl"))]
pub unsafe fn shutdown(_: *mut ngx_connection_t) {}

/// The file name as nginx's SSL functions want it: in the pool, ending
/// with a NUL (they hand `data` to OpenSSL as a C string).
#[cfg(ngx_feature = "ssl")]
unsafe fn c_str_in(pool: *mut nginx_sys::ngx_pool_t, s: &str) -> Option<nginx_sys::ngx_str_t> {
    let data = nginx_sys::ngx_pnalloc(pool, s.len() + 1).cast::<u8>();
    if data.is_null() {
        return None;
    }
    core::ptr::copy_nonoverlapping(s.as_ptr(), data, s.len());
    *data.add(s.len()) = 0;
    Some(nginx_sys::ngx_str_t { len: s.len(), data })
}

/// Makes the TLS context: protocols TLS 1.2 and 1.3, the client
/// certificate, the trusted certificates. Called while the configuration
/// is read; the context is freed with the configuration's pool.
///
/// # Safety
/// `cf` is the configuration being parsed.
#[cfg(ngx_feature = "ssl")]
pub unsafe fn configure(cf: *mut ngx_conf_t, conf: &TlsConf, name: &str) -> Result<Tls, String> {
    use nginx_sys::{ngx_int_t, NGX_OK};
    let ok = NGX_OK as ngx_int_t;
    let pool = (*cf).pool;
    let ssl = nginx_sys::ngx_pcalloc(pool, core::mem::size_of::<nginx_sys::ngx_ssl_t>())
        .cast::<nginx_sys::ngx_ssl_t>();
    if ssl.is_null() {
        return Err("out of memory".into());
    }
    (*ssl).log = (*cf).log;
    let protocols = (nginx_sys::NGX_SSL_TLSv1_2 | nginx_sys::NGX_SSL_TLSv1_3) as _;
    if nginx_sys::ngx_ssl_create(ssl, protocols, core::ptr::null_mut()) != ok {
        return Err("cannot create a TLS context".into());
    }
    let cln = nginx_sys::ngx_pool_cleanup_add(pool, 0);
    if cln.is_null() {
        nginx_sys::ngx_ssl_cleanup_ctx(ssl.cast());
        return Err("out of memory".into());
    }
    (*cln).handler = Some(nginx_sys::ngx_ssl_cleanup_ctx);
    (*cln).data = ssl.cast();
    if let (Some(cert), Some(key)) = (&conf.certificate, &conf.certificate_key) {
        let (Some(mut c), Some(mut k)) = (c_str_in(pool, cert), c_str_in(pool, key)) else {
            return Err("out of memory".into());
        };
        if nginx_sys::ngx_ssl_certificate(cf, ssl, &mut c, &mut k, core::ptr::null_mut()) != ok {
            return Err(format!(
                "cannot load ssl_certificate \"{cert}\" with ssl_certificate_key \"{key}\""
            ));
        }
    }
    if conf.verify {
        match &conf.trusted_certificate {
            Some(file) => {
                let Some(mut f) = c_str_in(pool, file) else {
                    return Err("out of memory".into());
                };
                if nginx_sys::ngx_ssl_trusted_certificate(cf, ssl, &mut f, 100) != ok {
                    return Err(format!("cannot load ssl_trusted_certificate \"{file}\""));
                }
            }
            None => {
                if nginx_sys::SSL_CTX_set_default_verify_paths((*ssl).ctx) != 1 {
                    return Err("cannot load the system's trusted certificates".into());
                }
            }
        }
    }
    let name_c = std::ffi::CString::new(name).map_err(|_| "invalid ssl_name")?;
    Ok(Tls {
        ssl,
        name: name_c,
        name_is_ip: fediguard_core::cluster::is_ip(name),
        verify: conf.verify,
    })
}

/// Wraps a connected socket in TLS: SNI, and the name the certificate
/// must carry. The handshake is `ngx_ssl_handshake`'s, driven by the caller.
///
/// # Safety
/// `c` is an open connection with a pool, not yet wrapped.
#[cfg(ngx_feature = "ssl")]
pub unsafe fn start(c: *mut ngx_connection_t, tls: &Tls) -> Result<(), String> {
    use nginx_sys::{ngx_int_t, NGX_OK};
    let flags = (nginx_sys::NGX_SSL_BUFFER | nginx_sys::NGX_SSL_CLIENT) as _;
    if nginx_sys::ngx_ssl_create_connection(tls.ssl, c, flags) != NGX_OK as ngx_int_t {
        return Err("cannot start TLS".into());
    }
    let sc = (*(*c).ssl).connection;
    let name = tls.name.as_ptr();
    if !tls.name_is_ip {
        // SSL_set_tlsext_host_name(), a macro of SSL_ctrl. RFC 6066: no
        // IP addresses as SNI.
        nginx_sys::SSL_ctrl(
            sc,
            nginx_sys::SSL_CTRL_SET_TLSEXT_HOSTNAME as _,
            nginx_sys::TLSEXT_NAMETYPE_host_name as _,
            name as *mut core::ffi::c_void,
        );
    }
    if tls.verify {
        let param = nginx_sys::SSL_get0_param(sc);
        let set = if tls.name_is_ip {
            nginx_sys::X509_VERIFY_PARAM_set1_ip_asc(param, name)
        } else {
            nginx_sys::X509_VERIFY_PARAM_set1_host(param, name, 0)
        };
        if set != 1 {
            return Err("cannot set the name to verify".into());
        }
    }
    Ok(())
}

/// After the handshake: the server's certificate, checked (chain and
/// name), unless `ssl_verify=off`.
///
/// # Safety
/// `c` is a connection whose handshake is over.
#[cfg(ngx_feature = "ssl")]
pub unsafe fn verify(c: *mut ngx_connection_t, tls: &Tls) -> Result<(), String> {
    if !tls.verify {
        return Ok(());
    }
    let sc = (*(*c).ssl).connection;
    let name = tls.name.to_string_lossy();
    // With no certificate at all, the verify result is X509_V_OK. (The
    // chain a server sent starts with its own certificate; this call is
    // in every OpenSSL that nginx builds with.)
    if nginx_sys::SSL_get_peer_cert_chain(sc).is_null() {
        return Err(format!("TLS: no certificate from the server ({name})"));
    }
    let rc = nginx_sys::SSL_get_verify_result(sc);
    if rc != nginx_sys::X509_V_OK as core::ffi::c_long {
        let why = core::ffi::CStr::from_ptr(nginx_sys::X509_verify_cert_error_string(rc));
        return Err(format!(
            "TLS: certificate not accepted for {name}: {}",
            why.to_string_lossy()
        ));
    }
    Ok(())
}

/// Frees the TLS side before the socket is closed, without waiting for
/// the server's close_notify (nothing blocks, nothing is left behind).
///
/// # Safety
/// `c` is an open connection.
#[cfg(ngx_feature = "ssl")]
pub unsafe fn shutdown(c: *mut ngx_connection_t) {
    let Some(sc) = (*c).ssl.as_mut() else { return };
    sc.set_no_wait_shutdown(1);
    sc.set_no_send_shutdown(1);
    nginx_sys::ngx_ssl_shutdown(c);
}
