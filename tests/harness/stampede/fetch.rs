//! One fetch as a fediverse server or a browser makes it, and what a
//! link-preview fetcher reads from the page: its `og:image`.

use std::time::{Duration, Instant};

use crate::http::{request_sized, Response};

/// The Host the site is reached by (its server_name).
pub const SITE_HOST: &str = "www.example.org";

/// What came back: status (0 when the fetch failed), response, bytes on
/// the wire, time taken.
pub struct Fetched {
    pub status: u16,
    pub response: Option<Response>,
    pub bytes: usize,
    pub elapsed: Duration,
}

/// GET `path` from nginx on `port` with `agent`, as a fetcher does:
/// one connection, `Accept` for HTML or images.
pub fn get(port: u16, path: &str, agent: &str, accept: &str, timeout: Duration) -> Fetched {
    let raw = format!(
        "GET {path} HTTP/1.1\r\nHost: {SITE_HOST}\r\nUser-Agent: {agent}\r\n\
         Accept: {accept}\r\nConnection: close\r\n\r\n"
    );
    let start = Instant::now();
    match request_sized(port, raw.as_bytes(), timeout) {
        Ok((r, bytes)) => Fetched {
            status: r.status,
            response: Some(r),
            bytes,
            elapsed: start.elapsed(),
        },
        Err(_) => Fetched {
            status: 0,
            response: None,
            bytes: 0,
            elapsed: start.elapsed(),
        },
    }
}

/// A complete answer: 200, and as many body bytes as Content-Length says.
pub fn complete(f: &Fetched) -> bool {
    let Some(r) = &f.response else { return false };
    let length = r
        .header("Content-Length")
        .and_then(|v| v.parse::<usize>().ok());
    f.status == 200 && length.is_none_or(|n| n == r.body.len()) && !r.body.is_empty()
}

/// The path of the page's `og:image` (`<meta property="og:image"
/// content="...">`, attributes in any order, absolute or root-relative).
/// The host is left out: on loopback every site is nginx.
pub fn og_image(html: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(html);
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<meta") {
        let start = from + i;
        let end = start + lower[start..].find('>')?;
        let tag = &text[start..end];
        if attr(tag, "property").as_deref() == Some("og:image") {
            let url = attr(tag, "content")?;
            return path_of(&url);
        }
        from = end;
    }
    None
}

/// The value of `name="..."` in a tag (case-insensitive name).
fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!("{name}=\""))? + name.len() + 2;
    let len = tag[at..].find('"')?;
    Some(tag[at..at + len].to_string())
}

fn path_of(url: &str) -> Option<String> {
    if url.starts_with('/') && !url.starts_with("//") {
        return Some(url.to_string());
    }
    let rest = url.split_once("//")?.1;
    Some(
        rest.find('/')
            .map_or("/".to_string(), |i| rest[i..].to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::og_image;

    #[test]
    fn reads_og_image() {
        let page = br#"<html><head><meta charset="utf-8">
            <META content="https://x.example/img/a.jpg?v=2" property="og:image">"#;
        assert_eq!(og_image(page).as_deref(), Some("/img/a.jpg?v=2"));
        assert_eq!(
            og_image(br#"<meta property="og:image" content="/b.png">"#).as_deref(),
            Some("/b.png")
        );
        assert_eq!(
            og_image(b"<meta property=\"og:title\" content=\"t\">"),
            None
        );
    }
}
