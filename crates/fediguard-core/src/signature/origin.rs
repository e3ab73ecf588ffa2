//! The origin (scheme, host, port) of an `http(s)` URL, read strictly:
//! keyId, key owner and actor must share one, and a URL this reader is
//! unsure of is refused rather than guessed at.

/// Longest URL read.
const MAX_URL_LEN: usize = 2048;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// `https` or `http`.
    pub scheme: String,
    /// Lower case; an IPv6 address keeps its brackets.
    pub host: String,
    /// `None` for the scheme's default port.
    pub port: Option<u16>,
}

fn host_ok(h: &str) -> bool {
    if let Some(v6) = h.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return !v6.is_empty()
            && v6
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    }
    !h.is_empty()
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// The origin of `url`, or `None` when it is not a plain `http(s)` URL:
/// user info, odd host characters, percent-encoded hosts, spaces and
/// controls are all refused.
pub fn origin(url: &str) -> Option<Origin> {
    if url.len() > MAX_URL_LEN || url.bytes().any(|b| b <= b' ' || b >= 0x7f) {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') {
        return None;
    }
    // The port follows the last ':' unless that is inside [v6].
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    let host = host.to_ascii_lowercase();
    if !host_ok(&host) {
        return None;
    }
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().ok()?).filter(|&p| p != default_port)
        }
        Some(_) => return None,
    };
    Some(Origin { scheme, host, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let o = origin("https://Mastodon.Social/users/Gargron#main-key").unwrap();
        assert_eq!(
            (o.scheme.as_str(), o.host.as_str(), o.port),
            ("https", "mastodon.social", None)
        );
        assert_eq!(
            origin("https://a.example:443/x"),
            origin("https://a.example/y")
        );
        assert_ne!(
            origin("https://a.example:8443/x"),
            origin("https://a.example/x")
        );
        assert_ne!(origin("http://a.example/x"), origin("https://a.example/x"));
        assert_eq!(origin("https://[::1]:8080/x").unwrap().port, Some(8080));
        assert_eq!(origin("https://a.example?x").unwrap().host, "a.example");
        for bad in [
            "",
            "a.example/x",
            "ftp://a.example/x",
            "https://",
            "https://user@a.example/x",
            "https://a.example@b.example/x",
            "https://a%2eexample/x",
            "https://a.example:/x",
            "https://a.example:99999/x",
            "https://a.example:8x/x",
            "https://a example/x",
            "https://a.example/x y",
            "https://[zz]/x",
        ] {
            assert_eq!(origin(bad), None, "{bad}");
        }
    }
}
