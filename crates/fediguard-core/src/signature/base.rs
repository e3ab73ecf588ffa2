//! The signature base: the bytes a signature is over, rebuilt from the
//! request and the covered names, for either scheme.

use sfv::{Dictionary, FieldType, Parser};

use super::cavage::{Cavage, CavageAlgorithm};
use super::request::Request;
use super::rfc9421::{Component, Rfc9421};
use super::Why;

/// A line break inside a value would let one value forge the next line.
fn push_value(out: &mut Vec<u8>, v: &[u8]) -> Result<(), Why> {
    if v.iter().any(|&b| b == b'\n' || b == b'\r') {
        return Err(Why::Malformed);
    }
    out.extend_from_slice(v);
    Ok(())
}

/// draft-cavage 2.3: `name: value` lines joined by `\n`, in the order of
/// `headers`. `with_query` chooses the `(request-target)` form (Mastodon
/// tries with the query, then without).
pub fn cavage_base(sig: &Cavage, req: &Request, with_query: bool) -> Result<Vec<u8>, Why> {
    let mut out = Vec::new();
    for (i, name) in sig.headers.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        match name.as_str() {
            "(request-target)" => push_value(&mut out, req.request_target(with_query).as_bytes())?,
            "(created)" | "(expires)" => {
                // Only hs2019 defines these, and only with the parameter.
                let stamp = if name == "(created)" {
                    &sig.created
                } else {
                    &sig.expires
                };
                match (sig.algorithm, stamp) {
                    (CavageAlgorithm::Hs2019, Some(s)) => out.extend_from_slice(s.text.as_bytes()),
                    _ => return Err(Why::Malformed),
                }
            }
            // HTTP/2 has no Host line; its :authority is the host.
            "host" => match req.field("host") {
                Some(v) => push_value(&mut out, &v)?,
                None => push_value(&mut out, req.authority.as_bytes())?,
            },
            // draft-cavage: a covered header that is absent is an error
            // (Mastodon would sign an empty value; refusing is stricter).
            _ => push_value(&mut out, &req.field(name).ok_or(Why::Malformed)?)?,
        }
    }
    Ok(out)
}

/// The value of one RFC 9421 component (2.1, 2.2).
fn component_value(c: &Component, req: &Request) -> Result<Vec<u8>, Why> {
    Ok(match c.name.as_str() {
        "@method" => req.method.as_bytes().to_vec(),
        "@target-uri" => req.target_uri().into_bytes(),
        "@authority" => req.authority_normalized().into_bytes(),
        "@scheme" => req.scheme.to_ascii_lowercase().into_bytes(),
        "@request-target" => req.path_and_query().into_bytes(),
        "@path" => req.path_or_slash().as_bytes().to_vec(),
        "@query" => req.query_component().into_bytes(),
        // @query-param, @status and unknown names.
        n if n.starts_with('@') => return Err(Why::Malformed),
        n => {
            let v = req.field(n).ok_or(Why::Malformed)?;
            match &c.key {
                None => v,
                // 2.1.2: the member of a dictionary field, serialized.
                Some(key) => {
                    let text = std::str::from_utf8(&v).map_err(|_| Why::Malformed)?;
                    let dict = Parser::new(text)
                        .parse::<Dictionary>()
                        .map_err(|_| Why::Malformed)?;
                    let member = dict.get(key.as_str()).ok_or(Why::Malformed)?;
                    match member {
                        sfv::ListEntry::Item(item) => item.serialize().into_bytes(),
                        inner => vec![inner.clone()]
                            .serialize()
                            .ok_or(Why::Malformed)?
                            .into_bytes(),
                    }
                }
            }
        }
    })
}

/// RFC 9421 2.5: one `"identifier": value` line per component, then the
/// `"@signature-params"` line, joined by `\n`.
pub fn rfc9421_base(sig: &Rfc9421, req: &Request) -> Result<Vec<u8>, Why> {
    let mut out = Vec::new();
    for c in &sig.components {
        out.extend_from_slice(c.identifier.as_bytes());
        out.extend_from_slice(b": ");
        push_value(&mut out, &component_value(c, req)?)?;
        out.push(b'\n');
    }
    out.extend_from_slice(b"\"@signature-params\": ");
    out.extend_from_slice(sig.params_line.as_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::request::Header;
    use super::super::{cavage, rfc9421};
    use super::*;

    const HEADERS: [Header<'static>; 5] = [
        Header { name: b"Host", value: b"example.com" },
        Header { name: b"Date", value: b"Tue, 20 Apr 2021 02:07:55 GMT" },
        Header { name: b"Content-Type", value: b"application/json" },
        Header { name: b"Content-Digest", value: b"sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:" },
        Header { name: b"Content-Length", value: b"18" },
    ];

    fn req() -> Request<'static> {
        Request {
            method: "POST",
            scheme: "https",
            authority: "example.com",
            path: "/foo",
            query: Some("param=Value&Pet=dog"),
            headers: &HEADERS,
        }
    }

    /// RFC 9421 B.2.3's signature base, byte for byte.
    #[test]
    fn rfc9421_full_coverage_base() {
        let sig = rfc9421::parse(
            r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#,
            "sig-b23=:AAEC:",
            None,
        )
        .unwrap();
        let want = concat!(
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n",
            "\"@method\": POST\n",
            "\"@path\": /foo\n",
            "\"@query\": ?param=Value&Pet=dog\n",
            "\"@authority\": example.com\n",
            "\"content-type\": application/json\n",
            "\"content-digest\": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\n",
            "\"content-length\": 18\n",
            "\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@query\" \"@authority\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-rsa-pss\"",
        );
        assert_eq!(
            String::from_utf8(rfc9421_base(&sig, &req()).unwrap()).unwrap(),
            want
        );
    }

    #[test]
    fn rfc9421_dictionary_member_and_refusals() {
        let h = [Header::new(
            "Signature-Agent",
            r#"agent1="https://a.test", agent2="https://b.test""#,
        )];
        let r = Request {
            headers: &h,
            ..req()
        };
        let sig = rfc9421::parse(
            r#"s=("signature-agent";key="agent2" "@target-uri")"#,
            "s=:AAEC:",
            None,
        )
        .unwrap();
        let base = String::from_utf8(rfc9421_base(&sig, &r).unwrap()).unwrap();
        assert!(base.starts_with("\"signature-agent\";key=\"agent2\": \"https://b.test\"\n\"@target-uri\": https://example.com/foo?param=Value&Pet=dog\n"), "{base}");
        for input in [
            r#"s=("signature-agent";key="agent3")"#,
            r#"s=("absent")"#,
            r#"s=("@status")"#,
            r#"s=("@query-param")"#,
        ] {
            let sig = rfc9421::parse(input, "s=:AAEC:", None).unwrap();
            assert_eq!(rfc9421_base(&sig, &r), Err(Why::Malformed), "{input}");
        }
    }

    #[test]
    fn cavage_lines() {
        let sig = cavage::parse(r#"keyId="k",algorithm="hs2019",created=1618884473,headers="(request-target) (created) host date",signature="AAEC""#).unwrap();
        let base = cavage_base(&sig, &req(), true).unwrap();
        assert_eq!(
            String::from_utf8(base).unwrap(),
            "(request-target): post /foo?param=Value&Pet=dog\n(created): 1618884473\nhost: example.com\ndate: Tue, 20 Apr 2021 02:07:55 GMT"
        );
        let base = cavage_base(&sig, &req(), false).unwrap();
        assert!(base.starts_with(b"(request-target): post /foo\n"));
        // (created) under rsa-sha256, (expires) without the parameter, an absent header.
        for h in [
            r#"keyId="k",algorithm="rsa-sha256",created=1,headers="(created)",signature="AAEC""#,
            r#"keyId="k",headers="(expires)",signature="AAEC""#,
            r#"keyId="k",headers="digest",signature="AAEC""#,
        ] {
            assert_eq!(
                cavage_base(&cavage::parse(h).unwrap(), &req(), true),
                Err(Why::Malformed),
                "{h}"
            );
        }
    }

    #[test]
    fn line_breaks_in_values_are_refused() {
        let h = [Header::new("X", "a\nb")];
        let r = Request {
            headers: &h,
            ..req()
        };
        let sig = cavage::parse(r#"keyId="k",headers="x",signature="AAEC""#).unwrap();
        assert_eq!(cavage_base(&sig, &r, true), Err(Why::Malformed));
    }
}
