//! TLS client connections through nginx's own OpenSSL layer: the context
//! and its certificates are made when the configuration is read (a file
//! that cannot be loaded fails `nginx -t`); a connection is wrapped with
//! `ngx_ssl_create_connection`, its handshake driven by `ngx_ssl_handshake`
//! on the event loop (see `Peer`, peer.rs), after which
//! `c->recv`/`c->send` are the SSL ones.
//!
//! The server's certificate is checked by default: its chain against the
//! system's trust store (OpenSSL's default paths, so `SSL_CERT_FILE` and
//! `SSL_CERT_DIR` count when nginx starts) or a trusted certificate file,
//! and its name (an IP address is checked as one). As nginx's proxy does,
//! the chain's verdict is read once the handshake is over.

use nginx_sys::ngx_connection_t;
#[cfg(ngx_feature = "ssl")]
use nginx_sys::{ngx_int_t, NGX_OK};

use super::directive::Directive;

/// What a TLS client context is made of.
pub struct TlsClientConf<'a> {
    /// A client certificate and its key.
    pub certificate: Option<(&'a str, &'a str)>,
    /// CA certificates to trust instead of the system's store.
    pub trusted_certificate: Option<&'a str>,
    /// Whether the server's certificate is checked.
    pub verify: bool,
    /// Checked in the certificate; sent as SNI unless an IP address.
    pub name: &'a str,
    pub name_is_ip: bool,
}

/// A TLS client context. Ownership: the `ngx_ssl_t` is in the
/// configuration's pool and freed with it (a pool cleanup); the context is
/// kept in that configuration, which outlives the connections made with it.
#[derive(Debug)]
pub struct TlsClient {
    #[cfg(ngx_feature = "ssl")]
    ssl: *mut nginx_sys::ngx_ssl_t,
    name: std::ffi::CString,
    name_is_ip: bool,
    verify: bool,
}

#[cfg(not(ngx_feature = "ssl"))]
impl TlsClient {
    pub fn configure(_: &Directive, _: &TlsClientConf) -> Result<TlsClient, String> {
        Err("rediss:// needs an nginx built with SSL".into())
    }
}

#[cfg(not(ngx_feature = "ssl"))]
pub(super) unsafe fn start(_: *mut ngx_connection_t, _: &TlsClient) -> Result<(), String> {
    Err("no SSL".into())
}

#[cfg(not(ngx_feature = "ssl"))]
pub(super) unsafe fn verify(_: *mut ngx_connection_t, _: &TlsClient) -> Result<(), String> {
    Err("no SSL".into())
}

#[cfg(not(ngx_feature = "ssl"))]
pub(super) unsafe fn shutdown(_: *mut ngx_connection_t) {}

/// The file name as nginx's SSL functions want it: in the pool, ending
/// with a NUL (they hand `data` to OpenSSL as a C string).
///
/// # Safety
/// `pool` is a live pool.
#[cfg(ngx_feature = "ssl")]
unsafe fn c_str_in(pool: *mut nginx_sys::ngx_pool_t, s: &str) -> Option<nginx_sys::ngx_str_t> {
    // SAFETY: the caller's pool; the block has room for s and the NUL.
    unsafe {
        let data = nginx_sys::ngx_pnalloc(pool, s.len() + 1).cast::<u8>();
        if data.is_null() {
            return None;
        }
        core::ptr::copy_nonoverlapping(s.as_ptr(), data, s.len());
        *data.add(s.len()) = 0;
        Some(nginx_sys::ngx_str_t { len: s.len(), data })
    }
}

#[cfg(ngx_feature = "ssl")]
impl TlsClient {
    /// Makes the context: protocols TLS 1.2 and 1.3, the client
    /// certificate, the trusted certificates. Freed with the
    /// configuration's pool.
    pub fn configure(dir: &Directive, conf: &TlsClientConf) -> Result<TlsClient, String> {
        let cf = dir.conf_ptr();
        let ok = NGX_OK as ngx_int_t;
        // SAFETY: cf is the configuration being parsed (a Directive exists
        // only inside a directive handler); the context is allocated from
        // its pool and a cleanup on that pool frees it.
        let ssl = unsafe {
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
            if let Some((cert, key)) = conf.certificate {
                let (Some(mut c), Some(mut k)) = (c_str_in(pool, cert), c_str_in(pool, key)) else {
                    return Err("out of memory".into());
                };
                let rc =
                    nginx_sys::ngx_ssl_certificate(cf, ssl, &mut c, &mut k, core::ptr::null_mut());
                if rc != ok {
                    return Err(format!(
                        "cannot load ssl_certificate \"{cert}\" with ssl_certificate_key \"{key}\""
                    ));
                }
            }
            if conf.verify {
                match conf.trusted_certificate {
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
            ssl
        };
        let name = std::ffi::CString::new(conf.name).map_err(|_| "invalid ssl_name")?;
        Ok(TlsClient {
            ssl,
            name,
            name_is_ip: conf.name_is_ip,
            verify: conf.verify,
        })
    }
}

/// Wraps a connected socket in TLS: SNI, and the name the certificate
/// must carry. The handshake is `ngx_ssl_handshake`'s, driven by the caller.
///
/// # Safety
/// `c` is an open connection with a pool, not yet wrapped.
#[cfg(ngx_feature = "ssl")]
pub(super) unsafe fn start(c: *mut ngx_connection_t, tls: &TlsClient) -> Result<(), String> {
    let flags = (nginx_sys::NGX_SSL_BUFFER | nginx_sys::NGX_SSL_CLIENT) as _;
    // SAFETY: the caller's word on c; tls.ssl is a context made by
    // configure(), alive with the configuration.
    unsafe {
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
    }
    Ok(())
}

/// After the handshake: the server's certificate, checked (chain and
/// name), unless verification is off.
///
/// # Safety
/// `c` is a connection whose handshake is over.
#[cfg(ngx_feature = "ssl")]
pub(super) unsafe fn verify(c: *mut ngx_connection_t, tls: &TlsClient) -> Result<(), String> {
    if !tls.verify {
        return Ok(());
    }
    let name = tls.name.to_string_lossy();
    // SAFETY: the caller's word: c is wrapped in TLS, its handshake over.
    unsafe {
        let sc = (*(*c).ssl).connection;
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
    }
    Ok(())
}

/// Frees the TLS side before the socket is closed, without waiting for
/// the server's close_notify (nothing blocks, nothing is left behind).
///
/// # Safety
/// `c` is an open connection.
#[cfg(ngx_feature = "ssl")]
pub(super) unsafe fn shutdown(c: *mut ngx_connection_t) {
    // SAFETY: the caller's word on c; its ssl, if any, is its own.
    unsafe {
        let Some(sc) = (*c).ssl.as_mut() else { return };
        sc.set_no_wait_shutdown(1);
        sc.set_no_send_shutdown(1);
        nginx_sys::ngx_ssl_shutdown(c);
    }
}
