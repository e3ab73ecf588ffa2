//! What the nginx layer tells of a request: method, target URI parts and
//! header lines, as plain bytes. Both signature schemes read the request
//! only through this (no nginx types here).

/// One header line as received: name in any case, value as sent.
#[derive(Clone, Copy, Debug)]
pub struct Header<'a> {
    pub name: &'a [u8],
    pub value: &'a [u8],
}

impl<'a> Header<'a> {
    pub fn new(name: &'a str, value: &'a str) -> Header<'a> {
        Header {
            name: name.as_bytes(),
            value: value.as_bytes(),
        }
    }
}

/// The request to verify.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// As received (`POST`).
    pub method: &'a str,
    /// `https` or `http`: how the client reached nginx.
    pub scheme: &'a str,
    /// The host (and port) the client addressed: the Host header or
    /// HTTP/2's `:authority`.
    pub authority: &'a str,
    /// The path as received, not decoded (`/users/a/inbox`).
    pub path: &'a str,
    /// What follows `?`, not decoded; `None` when the target has no `?`.
    pub query: Option<&'a str>,
    /// Every header line, in the order received.
    pub headers: &'a [Header<'a>],
}

/// SP and HTAB: what RFC 9110 trims around field values.
fn trim_ows(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |i| i + 1);
    &v[start..end]
}

impl Request<'_> {
    /// The value of header `name` (lower case) as both schemes sign it:
    /// each line's value trimmed, several lines joined by ", " (RFC 9421
    /// 2.1, draft-cavage 2.3). `None` when no line has that name.
    pub fn field(&self, name: &str) -> Option<Vec<u8>> {
        let mut out: Option<Vec<u8>> = None;
        for h in self
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name.as_bytes()))
        {
            let v = trim_ows(h.value);
            match out.as_mut() {
                None => out = Some(v.to_vec()),
                Some(o) => {
                    o.extend_from_slice(b", ");
                    o.extend_from_slice(v);
                }
            }
        }
        out
    }

    /// [`Request::field`] as text: the signature headers are ASCII.
    pub fn field_text(&self, name: &str) -> Option<Result<String, ()>> {
        self.field(name)
            .map(|v| String::from_utf8(v).map_err(|_| ()))
    }

    /// Whether the request is a `method` (methods are case-sensitive, but
    /// senders and nginx use upper case).
    pub fn is(&self, method: &str) -> bool {
        self.method.eq_ignore_ascii_case(method)
    }

    /// `@authority` (RFC 9421 2.2.3): lower case, without the scheme's
    /// default port.
    pub fn authority_normalized(&self) -> String {
        let mut a = self.authority.to_ascii_lowercase();
        let default = match self.scheme.to_ascii_lowercase().as_str() {
            "https" => ":443",
            "http" => ":80",
            _ => "",
        };
        if !default.is_empty() && a.ends_with(default) {
            a.truncate(a.len() - default.len());
        }
        a
    }

    /// `@path`: an empty path is `/`.
    pub fn path_or_slash(&self) -> &str {
        if self.path.is_empty() {
            "/"
        } else {
            self.path
        }
    }

    /// `@query`: `?` and the query, or `?` alone when there is none
    /// (RFC 9421 2.2.7).
    pub fn query_component(&self) -> String {
        format!("?{}", self.query.unwrap_or(""))
    }

    /// Path and query as in the request line (`@request-target`).
    pub fn path_and_query(&self) -> String {
        match self.query {
            Some(q) => format!("{}?{}", self.path_or_slash(), q),
            None => self.path_or_slash().to_string(),
        }
    }

    /// `@target-uri`: the absolute target URI.
    pub fn target_uri(&self) -> String {
        format!(
            "{}://{}{}",
            self.scheme.to_ascii_lowercase(),
            self.authority_normalized(),
            self.path_and_query()
        )
    }

    /// draft-cavage `(request-target)`: lower-case method, space, path
    /// and, when `with_query` and there is one, the query (Mastodon
    /// tries both: older Mastodon signed the path alone).
    pub fn request_target(&self, with_query: bool) -> String {
        let method = self.method.to_ascii_lowercase();
        match self.query {
            Some(q) if with_query && !q.is_empty() => {
                format!("{} {}?{}", method, self.path_or_slash(), q)
            }
            _ => format!("{} {}", method, self.path_or_slash()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(headers: &'a [Header<'a>]) -> Request<'a> {
        Request {
            method: "POST",
            scheme: "https",
            authority: "Example.COM:443",
            path: "/foo",
            query: Some("param=Value&Pet=dog"),
            headers,
        }
    }

    #[test]
    fn fields_are_trimmed_and_joined() {
        let h = [
            Header::new("Cache-Control", "  max-age=60 "),
            Header::new("X", "1"),
            Header::new("cache-control", "\tmust-revalidate"),
            Header::new("Empty", "   "),
        ];
        let r = req(&h);
        assert_eq!(
            r.field("cache-control").unwrap(),
            b"max-age=60, must-revalidate"
        );
        assert_eq!(r.field("empty").unwrap(), b"");
        assert_eq!(r.field("absent"), None);
    }

    #[test]
    fn derived_components() {
        let r = req(&[]);
        assert_eq!(r.authority_normalized(), "example.com");
        assert_eq!(
            r.target_uri(),
            "https://example.com/foo?param=Value&Pet=dog"
        );
        assert_eq!(r.query_component(), "?param=Value&Pet=dog");
        assert_eq!(r.request_target(true), "post /foo?param=Value&Pet=dog");
        assert_eq!(r.request_target(false), "post /foo");
        let bare = Request {
            path: "",
            query: None,
            ..r
        };
        assert_eq!(bare.query_component(), "?");
        assert_eq!(bare.path_and_query(), "/");
    }
}
