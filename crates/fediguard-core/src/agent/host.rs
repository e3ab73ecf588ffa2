//! The instance host a fediverse server names in its User-Agent.
//!
//! Every format in the reference carries the instance URL
//! (`... +https://example.social/)`, `...; https://example.com <admin@...>`),
//! which serves as a per-instance key. A UA is a claim, not an identity.

/// Longest DNS name.
const MAX_HOST: usize = 253;

/// Finds the first `http://` or `https://` URL at or after `from` and returns
/// the byte range of its host (without port, userinfo or trailing dot).
pub fn instance_host(agent: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut pos = from.min(agent.len());
    while let Some(off) = find_ascii_ci(&agent[pos..], b"http") {
        let scheme_end = pos + off + 4;
        let rest = &agent[scheme_end..];
        let skip = if rest.starts_with(b"://") {
            3
        } else if rest.len() >= 4
            && rest[0].eq_ignore_ascii_case(&b's')
            && rest[1..].starts_with(b"://")
        {
            4
        } else {
            pos = scheme_end;
            continue;
        };
        let start = scheme_end + skip;
        let len = agent[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
            .count();
        let mut end = start + len;
        while end > start && agent[end - 1] == b'.' {
            end -= 1;
        }
        let host = &agent[start..end];
        // A userinfo part (`user@host`) is not a host: skip the whole URL.
        let valid = !host.is_empty()
            && host.len() <= MAX_HOST
            && host[0] != b'.'
            && host[0] != b'-'
            && agent.get(start + len) != Some(&b'@');
        if valid {
            return Some((start, end));
        }
        pos = start;
    }
    None
}

fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(agent: &str) -> Option<&str> {
        instance_host(agent.as_bytes(), 0).map(|(s, e)| &agent[s..e])
    }

    #[test]
    fn extracts_from_reference_formats() {
        let cases = [
            (
                "http.rb/5.1.0 (Mastodon/4.0.2; +https://example.com/)",
                "example.com",
            ),
            (
                "Mastodon/4.4.1 (http.rb/5.3.1; +https://example.social/)",
                "example.social",
            ),
            (
                "Pleroma 2.5.0; https://pl.example.com <admin@example.com>",
                "pl.example.com",
            ),
            (
                "Misskey/13.12.2 (https://misskey.example)",
                "misskey.example",
            ),
            (
                "gotosocial/0.17.3 (+https://gts.example.org)",
                "gts.example.org",
            ),
            ("Lemmy/0.19.3; +https://lemmy.example", "lemmy.example"),
            (
                "Friendica 'Giant Rhubarb' 2023.01-1502; https://f.example.net",
                "f.example.net",
            ),
            (
                "Mastodon/4.4.1 (http.rb/5.3.1; +https://EXAMPLE.Social:8443/)",
                "EXAMPLE.Social",
            ),
            ("X (+HTTPS://a.example.)", "a.example"),
            ("X (+http://localhost/)", "localhost"),
        ];
        for (agent, want) in cases {
            assert_eq!(host(agent), Some(want), "{agent}");
        }
    }

    #[test]
    fn no_host_without_url() {
        assert_eq!(
            host("Mastodon/2024.5 CFNetwork/1494.0.7 Darwin/23.4.0"),
            None
        );
        assert_eq!(host("http.rb/5.1.0"), None);
        assert_eq!(host("httpx https:// nothing"), None);
        assert_eq!(host("x https://-bad.example"), None);
        assert_eq!(host(""), None);
    }

    #[test]
    fn skips_userinfo_and_takes_next_url() {
        assert_eq!(
            host("a https://user@evil.example then https://good.example/"),
            Some("good.example")
        );
    }

    #[test]
    fn respects_from_and_never_panics_on_odd_input() {
        let agent = "https://first.example X https://second.example";
        let (s, e) = instance_host(agent.as_bytes(), 10).unwrap();
        assert_eq!(&agent[s..e], "second.example");
        assert_eq!(instance_host(b"http", 0), None);
        assert_eq!(instance_host(b"https:/", 0), None);
        assert_eq!(instance_host(b"abc", 99), None);
        let long = format!("https://{}", "a".repeat(300));
        assert_eq!(host(&long), None);
    }
}
