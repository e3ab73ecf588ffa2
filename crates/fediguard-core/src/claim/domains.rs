//! The domains of forward-confirmed reverse DNS: a client's PTR name must
//! be one of an operator's domains or a name under it, label by label
//! (`crawl-66-249-66-1.googlebot.com` is in `googlebot.com`,
//! `evilgooglebot.com` and `googlebot.com.evil.example` are not).

/// Longest domain an operator may be given. The verification zone keeps
/// the last `answer::NAME_TAIL` bytes of a PTR name: this and the dot
/// before it.
pub const MAX_DOMAIN: usize = 63;

/// A domain as configured: lower-cased, without a trailing dot; letters,
/// digits, `-` and `_` in labels of 1 to 63 bytes.
pub fn parse_domain(d: &str) -> Result<String, String> {
    let d = d.strip_suffix('.').unwrap_or(d).to_ascii_lowercase();
    if d.is_empty() || d.len() > MAX_DOMAIN {
        return Err(format!(
            "\"{d}\" is not a domain of 1 to {MAX_DOMAIN} bytes"
        ));
    }
    let ok = d.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if !ok {
        return Err(format!("\"{d}\" is not a domain name"));
    }
    Ok(d)
}

/// Whether `name` (a PTR name, maybe with a trailing dot, any case) is
/// `domain` or a name under it. `domain` is as `parse_domain` returns it.
pub fn name_in(name: &[u8], domain: &str) -> bool {
    let name = name.strip_suffix(b".").unwrap_or(name);
    let d = domain.as_bytes();
    if name.len() == d.len() {
        return name.eq_ignore_ascii_case(d);
    }
    name.len() > d.len()
        && name[name.len() - d.len() - 1] == b'.'
        && name[name.len() - d.len()..].eq_ignore_ascii_case(d)
}

/// Whether `name` is in one of `domains`.
pub fn name_in_any(name: &[u8], domains: &[String]) -> bool {
    domains.iter().any(|d| name_in(name, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_label_by_label() {
        assert!(name_in(b"crawl-66-249-66-1.googlebot.com", "googlebot.com"));
        assert!(name_in(
            b"crawl-66-249-66-1.googlebot.com.",
            "googlebot.com"
        ));
        assert!(name_in(b"CRAWL-66-249-66-1.GoogleBot.COM", "googlebot.com"));
        assert!(name_in(b"googlebot.com", "googlebot.com"));
        assert!(!name_in(b"evilgooglebot.com", "googlebot.com"));
        assert!(!name_in(b"googlebot.com.evil.example", "googlebot.com"));
        assert!(!name_in(b"com", "googlebot.com"));
        assert!(!name_in(b"", "googlebot.com"));
        assert!(name_in(
            b"12-34-56-78.crawl.amazonbot.amazon",
            "crawl.amazonbot.amazon"
        ));
        assert!(!name_in(b"x.amazonbot.amazon", "crawl.amazonbot.amazon"));
    }

    #[test]
    fn domains_are_checked() {
        assert_eq!(parse_domain("GoogleBot.com.").unwrap(), "googlebot.com");
        assert!(parse_domain("").is_err());
        assert!(parse_domain(".").is_err());
        assert!(parse_domain("a..b").is_err());
        assert!(parse_domain("-a.b").is_err());
        assert!(parse_domain("a b.c").is_err());
        assert!(parse_domain(&"a".repeat(64)).is_err());
        assert!(parse_domain(&format!("{}.com", "a".repeat(59))).is_ok());
        assert!(parse_domain(&format!("{}.com", "a".repeat(60))).is_err());
    }
}
