//! The body's digest: what `Digest` (draft-cavage, RFC 3230) or
//! `Content-Digest` (RFC 9421, RFC 9530) claims, and a hasher the nginx
//! layer feeds body chunks into as they arrive. A signature covers the
//! digest header, the digest ties the body to it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sfv::{Dictionary, ListEntry, Parser};
use sha2::{Digest as _, Sha256, Sha512};

use super::Why;

/// Longest digest header read (both digests are under 100 bytes).
const MAX_HEADER_LEN: usize = 4 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestAlg {
    Sha256,
    Sha512,
}

impl DigestAlg {
    fn len(self) -> usize {
        match self {
            DigestAlg::Sha256 => 32,
            DigestAlg::Sha512 => 64,
        }
    }
}

/// A digest the request claims for its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimed {
    pub alg: DigestAlg,
    pub value: Vec<u8>,
}

/// `Digest: SHA-256=<base64>` (other algorithms listed are ignored, as
/// Mastodon does; SHA-256 is the one it requires). The base64 must be
/// canonical, as Mastodon compares the text.
pub fn parse_digest(value: &str) -> Result<Vec<Claimed>, Why> {
    if value.len() > MAX_HEADER_LEN {
        return Err(Why::Malformed);
    }
    let mut out: Vec<Claimed> = Vec::new();
    for part in value.split(',') {
        let Some((alg, b64)) = part.trim_matches([' ', '\t']).split_once('=') else {
            return Err(Why::Malformed);
        };
        if !alg.eq_ignore_ascii_case("sha-256") {
            continue;
        }
        let v = STANDARD.decode(b64).map_err(|_| Why::Malformed)?;
        if v.len() != 32 || !out.is_empty() {
            return Err(Why::Malformed);
        }
        out.push(Claimed {
            alg: DigestAlg::Sha256,
            value: v,
        });
    }
    if out.is_empty() {
        return Err(Why::UnsupportedAlgorithm);
    }
    Ok(out)
}

/// `Content-Digest: sha-256=:<base64>:, sha-512=:<base64>:` (a structured
/// dictionary). Every SHA-256 and SHA-512 listed is checked; other
/// algorithms are ignored, but one of these two must be there.
pub fn parse_content_digest(value: &str) -> Result<Vec<Claimed>, Why> {
    if value.len() > MAX_HEADER_LEN {
        return Err(Why::Malformed);
    }
    let dict = Parser::new(value)
        .parse::<Dictionary>()
        .map_err(|_| Why::Malformed)?;
    let mut out = Vec::new();
    for (key, entry) in &dict {
        let alg = match key.as_str() {
            "sha-256" => DigestAlg::Sha256,
            "sha-512" => DigestAlg::Sha512,
            _ => continue,
        };
        let ListEntry::Item(item) = entry else {
            return Err(Why::Malformed);
        };
        let v = item.bare_item.as_byte_sequence().ok_or(Why::Malformed)?;
        if v.len() != alg.len() {
            return Err(Why::Malformed);
        }
        out.push(Claimed {
            alg,
            value: v.to_vec(),
        });
    }
    if out.is_empty() {
        return Err(Why::UnsupportedAlgorithm);
    }
    Ok(out)
}

/// Hashes a body chunk by chunk with the algorithms its claims need, and
/// checks the claims at the end. Memory stays constant whatever the
/// body's size.
#[derive(Clone, Debug)]
pub struct BodyDigest {
    claimed: Vec<Claimed>,
    sha256: Option<Sha256>,
    sha512: Option<Sha512>,
}

impl BodyDigest {
    pub fn new(claimed: Vec<Claimed>) -> BodyDigest {
        let wants = |a| claimed.iter().any(|c| c.alg == a);
        BodyDigest {
            sha256: wants(DigestAlg::Sha256).then(Sha256::new),
            sha512: wants(DigestAlg::Sha512).then(Sha512::new),
            claimed,
        }
    }

    pub fn update(&mut self, chunk: &[u8]) {
        if let Some(h) = self.sha256.as_mut() {
            h.update(chunk);
        }
        if let Some(h) = self.sha512.as_mut() {
            h.update(chunk);
        }
    }

    /// Whether every claimed digest is the body's.
    pub fn finish(self) -> Result<(), Why> {
        let sha256 = self.sha256.map(|h| h.finalize().to_vec());
        let sha512 = self.sha512.map(|h| h.finalize().to_vec());
        for c in &self.claimed {
            let got = match c.alg {
                DigestAlg::Sha256 => sha256.as_deref(),
                DigestAlg::Sha512 => sha512.as_deref(),
            };
            if got != Some(c.value.as_slice()) {
                return Err(Why::DigestMismatch);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"{\"hello\": \"world\"}";

    fn check(claimed: Vec<Claimed>, chunks: &[&[u8]]) -> Result<(), Why> {
        let mut d = BodyDigest::new(claimed);
        for c in chunks {
            d.update(c);
        }
        d.finish()
    }

    /// RFC 9530's example body and its two digests (also RFC 9421's).
    #[test]
    fn rfc_digests_of_the_example_body() {
        let cd = parse_content_digest("sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:").unwrap();
        assert_eq!(check(cd.clone(), &[BODY]), Ok(()));
        assert_eq!(check(cd.clone(), &[&BODY[..5], &BODY[5..]]), Ok(()));
        assert_eq!(check(cd, &[&BODY[1..]]), Err(Why::DigestMismatch));
        let cd = parse_content_digest(
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, md5=:AAEC:",
        )
        .unwrap();
        assert_eq!(check(cd, &[BODY]), Ok(()));
        let d = parse_digest("SHA-512=abc, SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=")
            .unwrap();
        assert_eq!(check(d.clone(), &[BODY]), Ok(()));
        assert_eq!(check(d, &[b"{}"]), Err(Why::DigestMismatch));
    }

    #[test]
    fn every_listed_digest_must_match() {
        let both = parse_content_digest(
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==:",
        )
        .unwrap();
        assert_eq!(check(both, &[BODY]), Err(Why::DigestMismatch));
    }

    #[test]
    fn refuses() {
        assert_eq!(parse_digest("MD5=abc"), Err(Why::UnsupportedAlgorithm));
        assert_eq!(parse_digest("SHA-256"), Err(Why::Malformed));
        assert_eq!(parse_digest("SHA-256=AAEC"), Err(Why::Malformed));
        // Non-canonical base64 (trailing bits) would compare unequal as text.
        assert_eq!(
            parse_digest("SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPF="),
            Err(Why::Malformed)
        );
        assert_eq!(
            parse_digest("SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=,sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="),
            Err(Why::Malformed)
        );
        assert_eq!(
            parse_content_digest("md5=:AAEC:"),
            Err(Why::UnsupportedAlgorithm)
        );
        assert_eq!(parse_content_digest("sha-256=:AAEC:"), Err(Why::Malformed));
        assert_eq!(parse_content_digest("sha-256=\"x\""), Err(Why::Malformed));
        assert_eq!(parse_content_digest("sha-256=:"), Err(Why::Malformed));
    }
}
