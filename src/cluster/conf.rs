//! `fediguard_redis`: where cluster mode keeps its shared state.

use fediguard_core::cluster::{host_port_text, is_ip, parse_redis, Endpoint, RedisConf};

use crate::glue::directive::Directive;
use crate::glue::peer_addr::PeerAddr;
use crate::glue::tls::{TlsClient, TlsClientConf};

/// `http`-level.
#[derive(Debug, Default)]
pub struct ClusterMain {
    /// `fediguard_redis`.
    pub redis: Option<RedisTarget>,
}

/// The Redis server, resolved when the configuration is read (as nginx
/// resolves `proxy_pass` hosts): sync rounds never wait for DNS.
#[derive(Debug)]
pub struct RedisTarget {
    pub conf: RedisConf,
    /// The server (`redis://`, `rediss://`, a Unix socket), or the
    /// sentinels in the order given (`redis-sentinel://`).
    pub addrs: Vec<PeerAddr>,
    /// `rediss://`: the TLS context, certificates loaded.
    pub tls: Option<TlsClient>,
    /// The server for log lines (never the password).
    pub name: String,
}

impl RedisTarget {
    pub fn is_sentinel(&self) -> bool {
        matches!(self.conf.endpoint, Endpoint::Sentinel(_))
    }
}

/// `fediguard_redis url [prefix=] [sync=] [timeout=] [ssl_*=];` (http)
pub fn set_redis(dir: &Directive, main: &mut ClusterMain) -> Result<(), String> {
    let d = "\"fediguard_redis\"";
    if main.redis.is_some() {
        return Err(format!("{d} directive is duplicate"));
    }
    let conf = parse_redis(&dir.args).map_err(|e| format!("{d}: {e}"))?;
    let names: Vec<String> = match &conf.endpoint {
        Endpoint::Tcp { host, port } => vec![host_port_text(host, *port)],
        Endpoint::Unix { path } => vec![format!("unix:{path}")],
        Endpoint::Sentinel(s) => s
            .sentinels
            .iter()
            .map(|(h, p)| host_port_text(h, *p))
            .collect(),
    };
    let mut addrs = Vec::with_capacity(names.len());
    for name in &names {
        addrs.push(
            dir.resolve_peer(name, 6379)
                .map_err(|e| format!("{d}: {e}"))?,
        );
    }
    let tls = match (&conf.tls, conf.tls_name()) {
        (Some(t), Some(name)) => {
            let certificate = match (&t.certificate, &t.certificate_key) {
                (Some(c), Some(k)) => Some((c.as_str(), k.as_str())),
                _ => None,
            };
            let tls = TlsClientConf {
                certificate,
                trusted_certificate: t.trusted_certificate.as_deref(),
                verify: t.verify,
                name,
                name_is_ip: is_ip(name),
            };
            Some(TlsClient::configure(dir, &tls).map_err(|e| format!("{d}: {e}"))?)
        }
        _ => None,
    };
    let name = conf.describe();
    main.redis = Some(RedisTarget {
        conf,
        addrs,
        tls,
        name,
    });
    Ok(())
}
