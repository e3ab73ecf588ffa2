//! Redaction of tokens and secrets in request lines written to the error
//! log.
//!
//! nginx appends `request: "GET /path?query HTTP/1.1"` to a request's log
//! lines; Mastodon accepts tokens in the query string, and Rails reads the
//! parameters of `POST /oauth/token` from it too (a client may send its
//! `client_secret` there), so fediguard writes its lines with the values of
//! those parameters replaced.

use std::borrow::Cow;

const SECRET_PARAMS: [&[u8]; 6] = [
    b"access_token",
    b"bearer_token",
    b"client_secret",
    b"refresh_token",
    b"password",
    // An authorization code (`/oauth/token?grant_type=authorization_code`,
    // `/oauth/authorize` redirects) is a token in the making.
    b"code",
];
pub const REDACTED: &[u8] = b"[redacted]";

/// The request line with every token parameter's value replaced.
pub fn redact_request_line(line: &[u8]) -> Cow<'_, [u8]> {
    let Some(q) = line.iter().position(|&b| b == b'?') else {
        return Cow::Borrowed(line);
    };
    // The query ends at the space before the protocol (or the line's end).
    let end = line[q..]
        .iter()
        .position(|&b| b == b' ')
        .map(|p| q + p)
        .unwrap_or(line.len());
    let query = &line[q + 1..end];
    if !query.split(|&b| b == b'&' || b == b';').any(is_secret) {
        return Cow::Borrowed(line);
    }
    let mut out = Vec::with_capacity(line.len());
    out.extend_from_slice(&line[..=q]);
    // Rack 2 splits a query at `&` and `;`: so does the redaction, keeping
    // each separator as it was.
    let mut rest = query;
    loop {
        let end = rest
            .iter()
            .position(|&b| b == b'&' || b == b';')
            .unwrap_or(rest.len());
        let param = &rest[..end];
        if is_secret(param) {
            let name_len = param.iter().position(|&b| b == b'=').unwrap_or(param.len());
            out.extend_from_slice(&param[..name_len]);
            out.push(b'=');
            out.extend_from_slice(REDACTED);
        } else {
            out.extend_from_slice(param);
        }
        match rest.get(end) {
            Some(&sep) => {
                out.push(sep);
                rest = &rest[end + 1..];
            }
            None => break,
        }
    }
    out.extend_from_slice(&line[end..]);
    Cow::Owned(out)
}

/// A parameter whose name is a token parameter's, in any case and with any
/// brackets Rack reads as the same parameter (`access_token[]`,
/// `[password]`, `code[x]`). Any `%` in the name counts as a possible
/// disguise and is redacted too.
fn is_secret(param: &[u8]) -> bool {
    let name = param.split(|&b| b == b'=').next().unwrap_or(param);
    name.contains(&b'%') || {
        let base = base_name(name);
        SECRET_PARAMS.iter().any(|s| s.eq_ignore_ascii_case(base))
    }
}

/// The name Rack files a parameter under: leading brackets dropped, then
/// up to the first bracket.
pub fn base_name(name: &[u8]) -> &[u8] {
    let start = name
        .iter()
        .position(|&b| b != b'[' && b != b']')
        .unwrap_or(name.len());
    let rest = &name[start..];
    let end = rest
        .iter()
        .position(|&b| b == b'[' || b == b']')
        .unwrap_or(rest.len());
    &rest[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        String::from_utf8(redact_request_line(s.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn replaces_token_values_only() {
        assert_eq!(
            r("GET /api/v1/timelines/public?local=true&access_token=SECRET HTTP/1.1"),
            "GET /api/v1/timelines/public?local=true&access_token=[redacted] HTTP/1.1"
        );
        assert_eq!(
            r("GET /x?bearer_token=S1&access_token=S2 HTTP/1.1"),
            "GET /x?bearer_token=[redacted]&access_token=[redacted] HTTP/1.1"
        );
        assert_eq!(
            r("GET /x?access%5Ftoken=S HTTP/1.1"),
            "GET /x?access%5Ftoken=[redacted] HTTP/1.1"
        );
        assert_eq!(
            r("GET /x?access_token HTTP/1.1"),
            "GET /x?access_token=[redacted] HTTP/1.1"
        );
        // The credentials of a grant sent in the query string.
        assert_eq!(
            r("POST /oauth/token?grant_type=client_credentials&client_id=ID&client_secret=S HTTP/1.1"),
            "POST /oauth/token?grant_type=client_credentials&client_id=ID&client_secret=[redacted] HTTP/1.1"
        );
        assert_eq!(
            r("POST /oauth/token?password=P&refresh_token=R HTTP/1.1"),
            "POST /oauth/token?password=[redacted]&refresh_token=[redacted] HTTP/1.1"
        );
        assert_eq!(
            r("GET /oauth/authorize/native?code=C&zipcode=1 HTTP/1.1"),
            "GET /oauth/authorize/native?code=[redacted]&zipcode=1 HTTP/1.1"
        );
    }

    #[test]
    fn any_case_and_any_brackets() {
        assert_eq!(
            r("GET /x?ACCESS_TOKEN=S&Bearer_Token=S HTTP/1.1"),
            "GET /x?ACCESS_TOKEN=[redacted]&Bearer_Token=[redacted] HTTP/1.1"
        );
        assert_eq!(
            r("GET /x?access_token[]=S&password[]=P&code[a]=C&[client_secret]=Z HTTP/1.1"),
            "GET /x?access_token[]=[redacted]&password[]=[redacted]&code[a]=[redacted]&[client_secret]=[redacted] HTTP/1.1"
        );
        assert_eq!(
            r("GET /x?codes=1&access_tokens=2&zip[code]=3 HTTP/1.1"),
            "GET /x?codes=1&access_tokens=2&zip[code]=3 HTTP/1.1"
        );
    }

    #[test]
    fn leaves_other_lines_alone() {
        let line = "GET /api/v1/timelines/public?local=true HTTP/1.1";
        assert!(matches!(
            redact_request_line(line.as_bytes()),
            Cow::Borrowed(_)
        ));
        assert_eq!(r("GET / HTTP/1.1"), "GET / HTTP/1.1");
        assert_eq!(r("GET /?access_token=S"), "GET /?access_token=[redacted]");
        assert_eq!(r(""), "");
    }
}
