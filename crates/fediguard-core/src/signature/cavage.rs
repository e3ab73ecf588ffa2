//! The draft-cavage `Signature` header, as the fediverse sends it:
//! `keyId="...",algorithm="rsa-sha256",headers="(request-target) host
//! date digest",signature="base64"` (draft-cavage-http-signatures-12 and
//! Mastodon's reading of it).

use std::collections::HashSet;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

use super::Why;

/// Longest `Signature` header read; longer is refused before parsing.
/// An 8192-bit signature is 1,368 base64 characters.
pub const MAX_HEADER_LEN: usize = 8 * 1024;
/// Most parameters in one header (six are defined).
const MAX_PARAMS: usize = 16;
/// Most names in `headers` (the same cap applies to RFC 9421 components).
pub const MAX_COVERED: usize = 32;
/// Longest signature: 8192-bit RSA.
pub const MAX_SIGNATURE_LEN: usize = 1024;

/// Signatures in base64 with or without padding (Mastodon decodes
/// leniently; the signature is checked by the key anyway).
pub(crate) const B64_ANY_PAD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The `algorithm` parameter. Either way the key decides how to verify;
/// `rsa-sha256` only insists that the key be RSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CavageAlgorithm {
    RsaSha256,
    Hs2019,
}

/// A time parameter: its value (seconds, any fraction cut off as
/// Mastodon's `to_i` does) and its text as sent, which the signature base
/// repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub secs: i64,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cavage {
    pub key_id: String,
    pub algorithm: CavageAlgorithm,
    /// The covered names, lower case, in order.
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
    pub created: Option<Stamp>,
    pub expires: Option<Stamp>,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+.^_`|~-".contains(&b)
}

/// The parameters as (name, value) pairs, values unquoted.
fn params(s: &str) -> Result<Vec<(String, String)>, Why> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out: Vec<(String, String)> = Vec::new();
    let skip_ows = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t') {
            *i += 1;
        }
    };
    loop {
        skip_ows(&mut i);
        let start = i;
        while i < b.len() && is_tchar(b[i]) {
            i += 1;
        }
        if i == start || i >= b.len() || b[i] != b'=' {
            return Err(Why::Malformed);
        }
        let name = s[start..i].to_string();
        i += 1;
        let value = if i < b.len() && b[i] == b'"' {
            i += 1;
            let mut v = Vec::new();
            loop {
                match b.get(i) {
                    None => return Err(Why::Malformed),
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') => {
                        let c = *b.get(i + 1).ok_or(Why::Malformed)?;
                        v.push(c);
                        i += 2;
                    }
                    Some(&c) if c == b'\t' || c >= 0x20 && c != 0x7f => {
                        v.push(c);
                        i += 1;
                    }
                    Some(_) => return Err(Why::Malformed),
                }
            }
            String::from_utf8(v).map_err(|_| Why::Malformed)?
        } else {
            let vs = i;
            while i < b.len() && is_tchar(b[i]) {
                i += 1;
            }
            if i == vs {
                return Err(Why::Malformed);
            }
            s[vs..i].to_string()
        };
        if out.len() == MAX_PARAMS || out.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            return Err(Why::Malformed);
        }
        out.push((name, value));
        skip_ows(&mut i);
        match b.get(i) {
            None => return Ok(out),
            Some(b',') => i += 1,
            Some(_) => return Err(Why::Malformed),
        }
    }
}

/// `created` / `expires`: digits, maybe a fraction (draft-cavage allows
/// one on `expires`).
fn stamp(text: &str) -> Result<Stamp, Why> {
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(int, 15) || frac.is_some_and(|f| !digits(f, 9)) {
        return Err(Why::Malformed);
    }
    let secs = int.parse().map_err(|_| Why::Malformed)?;
    Ok(Stamp {
        secs,
        text: text.to_string(),
    })
}

/// Reads a `Signature` header. Mastodon's defaults apply: no `algorithm`
/// is `hs2019`; no `headers` is `(created)` for hs2019, `date` otherwise.
pub fn parse(value: &str) -> Result<Cavage, Why> {
    if value.len() > MAX_HEADER_LEN {
        return Err(Why::Malformed);
    }
    let mut key_id = None;
    let mut algorithm = CavageAlgorithm::Hs2019;
    let mut headers = None;
    let mut signature = None;
    let mut created = None;
    let mut expires = None;
    for (name, v) in params(value)? {
        match name.as_str() {
            "keyId" => key_id = Some(v),
            "algorithm" => {
                algorithm = match v.as_str() {
                    "rsa-sha256" => CavageAlgorithm::RsaSha256,
                    "hs2019" => CavageAlgorithm::Hs2019,
                    _ => return Err(Why::UnsupportedAlgorithm),
                }
            }
            "headers" => headers = Some(v),
            "signature" => signature = Some(v),
            "created" => created = Some(stamp(&v)?),
            "expires" => expires = Some(stamp(&v)?),
            // Unknown parameters are ignored, as draft-cavage says.
            _ => {}
        }
    }
    let key_id = key_id.filter(|k| !k.is_empty()).ok_or(Why::Malformed)?;
    let signature = signature.filter(|s| !s.is_empty()).ok_or(Why::Malformed)?;
    if signature.len() > MAX_SIGNATURE_LEN * 4 / 3 + 4 {
        return Err(Why::Malformed);
    }
    let signature = B64_ANY_PAD
        .decode(signature.as_bytes())
        .map_err(|_| Why::Malformed)?;
    let headers = headers.unwrap_or_else(|| match algorithm {
        CavageAlgorithm::Hs2019 => "(created)".to_string(),
        CavageAlgorithm::RsaSha256 => "date".to_string(),
    });
    let headers: Vec<String> = headers
        .split_ascii_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    if headers.len() > MAX_COVERED {
        return Err(Why::Malformed);
    }
    // A name listed twice would let one header be signed as two lines.
    let mut seen = HashSet::new();
    if !headers.iter().all(|h| seen.insert(h.as_str())) {
        return Err(Why::Malformed);
    }
    Ok(Cavage {
        key_id,
        algorithm,
        headers,
        signature,
        created,
        expires,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_mastodon_header() {
        let c = parse(
            r#"keyId="https://a.example/users/x#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="AAEC""#,
        )
        .unwrap();
        assert_eq!(c.key_id, "https://a.example/users/x#main-key");
        assert_eq!(c.algorithm, CavageAlgorithm::RsaSha256);
        assert_eq!(
            c.headers,
            ["(request-target)", "host", "date", "digest", "content-type"]
        );
        assert_eq!(c.signature, [0, 1, 2]);
        assert_eq!(c.created, None);
    }

    #[test]
    fn defaults_escapes_and_stamps() {
        let c =
            parse(r#"keyId="a\"b", signature="AAEC", created=1618884473, expires="1618884773.5""#)
                .unwrap();
        assert_eq!(c.key_id, "a\"b");
        assert_eq!(c.algorithm, CavageAlgorithm::Hs2019);
        assert_eq!(c.headers, ["(created)"]);
        assert_eq!(c.created.unwrap().secs, 1618884473);
        let e = c.expires.unwrap();
        assert_eq!((e.secs, e.text.as_str()), (1618884773, "1618884773.5"));
        let r = parse(r#"keyId="k",algorithm="rsa-sha256",signature="AAEC""#).unwrap();
        assert_eq!(r.headers, ["date"]);
    }

    #[test]
    fn refuses() {
        for (h, why) in [
            (r#"keyId="k",keyId="l",signature="AAEC""#, Why::Malformed),
            (r#"keyId="k",keyid="l",signature="AAEC""#, Why::Malformed),
            (r#"keyId="k",signature="AAEC","#, Why::Malformed),
            (r#"keyId="k,signature="AAEC""#, Why::Malformed),
            (r#"keyId="k" signature="AAEC""#, Why::Malformed),
            (r#"signature="AAEC""#, Why::Malformed),
            (r#"keyId="k""#, Why::Malformed),
            (r#"keyId="",signature="AAEC""#, Why::Malformed),
            (r#"keyId="k",signature="!!""#, Why::Malformed),
            (r#"keyId="k",signature="AAEC",created=12a"#, Why::Malformed),
            (
                r#"keyId="k",signature="AAEC",headers="date Date""#,
                Why::Malformed,
            ),
            (
                r#"keyId="k",signature="AAEC",algorithm="hmac-sha256""#,
                Why::UnsupportedAlgorithm,
            ),
            (
                r#"keyId="k",signature="AAEC",algorithm="RSA-SHA256""#,
                Why::UnsupportedAlgorithm,
            ),
            ("", Why::Malformed),
            ("keyId=\"k\u{1}\",signature=\"AAEC\"", Why::Malformed),
        ] {
            assert_eq!(parse(h), Err(why), "{h}");
        }
        let long = format!(r#"keyId="k",signature="{}""#, "A".repeat(MAX_HEADER_LEN));
        assert_eq!(parse(&long), Err(Why::Malformed));
    }
}
