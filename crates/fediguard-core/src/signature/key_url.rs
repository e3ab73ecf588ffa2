//! Where a key is fetched from, and whether it may be (SSRF rules on the
//! keyId alone; the address a name resolves to is the nginx layer's):
//! `https` only, a name rather than an address, never a loopback, private,
//! link-local or unique-local address; unless the address is in the
//! admin's `allow=` ranges (tests, private federations), which also allow
//! plain `http` to it.

use std::net::IpAddr;

use super::origin::origin;
use super::Why;

/// The URL to fetch for a keyId: the keyId without its `#fragment`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyUrl {
    pub url: String,
    /// The host as written (lower case, IPv6 without brackets).
    pub host: String,
    /// The host is an address literal.
    pub literal: Option<IpAddr>,
}

/// Whether an address is one no public key may live on: loopback,
/// private, link-local, unique-local, unspecified, multicast, broadcast,
/// documentation and shared (CGN) ranges, and their IPv4-mapped forms.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_multicast()
                || a.is_broadcast()
                || a.is_documentation()
                || o[0] == 0
                // 100.64.0.0/10, shared address space
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                // 198.18.0.0/15, benchmarking
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || o[0] >= 240
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let s = a.segments();
            a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                // fc00::/7 unique local, fe80::/10 link local
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                // 2001:db8::/32 documentation
                || (s[0] == 0x2001 && s[1] == 0xdb8)
                // ::/96 IPv4-compatible, 64:ff9b::/96 NAT64
                || (s[0..6] == [0; 6])
                || (s[0] == 0x64 && s[1] == 0xff9b)
        }
    }
}

/// The URL to fetch `key_id` from, if the rules allow it; `allowed` says
/// whether an address is in the admin's `allow=` ranges.
pub fn key_url(key_id: &str, allowed: impl Fn(IpAddr) -> bool) -> Result<KeyUrl, Why> {
    let o = origin(key_id).ok_or(Why::Malformed)?;
    let host = o.host.trim_start_matches('[').trim_end_matches(']');
    let literal = host.parse::<IpAddr>().ok();
    match literal {
        Some(ip) if allowed(ip) => {}
        // An address literal, internal or not, needs allow=.
        Some(_) => return Err(Why::KeyRefused),
        None if o.scheme != "https" => return Err(Why::KeyRefused),
        None if host == "localhost" || host.ends_with(".localhost") => return Err(Why::KeyRefused),
        None => {}
    }
    let url = key_id.split('#').next().unwrap_or(key_id).to_string();
    Ok(KeyUrl {
        url,
        host: host.to_string(),
        literal,
    })
}

/// Whether a resolved address may be fetched from.
pub fn address_ok(ip: IpAddr, allowed: impl Fn(IpAddr) -> bool) -> bool {
    allowed(ip) || !is_internal(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: IpAddr) -> bool {
        false
    }

    #[test]
    fn rules() {
        let k = key_url("https://a.example/users/x#main-key", none).unwrap();
        assert_eq!(k.url, "https://a.example/users/x");
        assert_eq!(k.host, "a.example");
        for refused in [
            "http://a.example/users/x#k",
            "https://127.0.0.1/users/x#k",
            "https://[::1]/users/x#k",
            "https://8.8.8.8/users/x#k",
            "https://localhost/x",
            "https://a.localhost/x",
        ] {
            assert_eq!(key_url(refused, none), Err(Why::KeyRefused), "{refused}");
        }
        assert_eq!(key_url("ftp://a.example/x", none), Err(Why::Malformed));
        let lo = |ip: IpAddr| ip.is_loopback();
        let k = key_url("http://127.0.0.1:8080/users/x#k", lo).unwrap();
        assert_eq!(k.url, "http://127.0.0.1:8080/users/x");
        assert!(k.literal.is_some());
    }

    #[test]
    fn internal() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2a00:1450::1", "1.1.1.1"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
        assert!(address_ok("127.0.0.1".parse().unwrap(), |_| true));
        assert!(!address_ok("127.0.0.1".parse().unwrap(), none));
    }
}
