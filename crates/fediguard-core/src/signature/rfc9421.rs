//! RFC 9421's `Signature-Input` and `Signature` headers: two structured
//! dictionaries (RFC 8941/9651) whose members are matched by label.
//! `sig1=("@method" "@target-uri" "content-digest");created=1;keyid="k"`
//! and `sig1=:base64:`. Parsing is the `sfv` crate's.

use std::collections::HashSet;

use sfv::{BareItem, Dictionary, FieldType, InnerList, ListEntry, Parser};

use super::cavage::{MAX_COVERED, MAX_SIGNATURE_LEN};
use super::Why;

/// Longest `Signature-Input` or `Signature` header read.
pub const MAX_HEADER_LEN: usize = 16 * 1024;

/// One covered component: `"content-type"`, `"@method"`, or a member of
/// a dictionary header, `"signature-agent";key="agent1"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    /// Lower case: a field name, or `@` and a derived component's name.
    pub name: String,
    /// The `key` parameter: which member of a dictionary field.
    pub key: Option<String>,
    /// The identifier serialized as the signature base shows it.
    pub identifier: String,
}

/// The parameters of a signature that fediguard reads. Others are kept
/// in [`Rfc9421::params_line`], which the signature covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SigParams {
    pub created: Option<i64>,
    pub expires: Option<i64>,
    pub keyid: Option<String>,
    pub alg: Option<String>,
    pub nonce: Option<String>,
    pub tag: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rfc9421 {
    pub label: String,
    pub components: Vec<Component>,
    pub params: SigParams,
    /// The inner list and its parameters, serialized: the value of the
    /// `@signature-params` line, the last of the signature base.
    pub params_line: String,
    pub signature: Vec<u8>,
}

fn dictionary(value: &str) -> Result<Dictionary, Why> {
    if value.len() > MAX_HEADER_LEN {
        return Err(Why::Malformed);
    }
    Parser::new(value)
        .parse::<Dictionary>()
        .map_err(|_| Why::Malformed)
}

/// A component name: lower case, `@` only in front (RFC 9421 2.1).
fn valid_name(name: &str) -> bool {
    let body = name.strip_prefix('@').unwrap_or(name);
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+.^_`|~-".contains(&b)
        })
}

fn component(item: &sfv::Item) -> Result<Component, Why> {
    let name = item.bare_item.as_string().ok_or(Why::Malformed)?.as_str();
    if !valid_name(name) {
        return Err(Why::Malformed);
    }
    let mut key = None;
    for (k, v) in &item.params {
        match k.as_str() {
            "key" if !name.starts_with('@') => {
                key = Some(v.as_string().ok_or(Why::Malformed)?.as_str().to_string())
            }
            // `sf`, `bs`, `req`, `tr`, `name`: not needed by the fediverse
            // or Web Bot Auth; refused rather than half-done.
            _ => return Err(Why::Malformed),
        }
    }
    Ok(Component {
        name: name.to_string(),
        key,
        identifier: item.serialize(),
    })
}

fn params(inner: &InnerList) -> Result<SigParams, Why> {
    let mut p = SigParams::default();
    let int = |v: &BareItem| v.as_integer().map(i64::from).ok_or(Why::Malformed);
    let text = |v: &BareItem| Ok(v.as_string().ok_or(Why::Malformed)?.as_str().to_string());
    for (k, v) in &inner.params {
        match k.as_str() {
            "created" => p.created = Some(int(v)?),
            "expires" => p.expires = Some(int(v)?),
            "keyid" => p.keyid = Some(text(v)?),
            "alg" => p.alg = Some(text(v)?),
            "nonce" => p.nonce = Some(text(v)?),
            "tag" => p.tag = Some(text(v)?),
            _ => {}
        }
    }
    Ok(p)
}

/// Reads both headers and picks one signature: the first label of
/// `Signature-Input` (with `tag` equal to `want_tag` when given) that
/// `Signature` also has.
pub fn parse(
    signature_input: &str,
    signature: &str,
    want_tag: Option<&str>,
) -> Result<Rfc9421, Why> {
    let inputs = dictionary(signature_input)?;
    let signatures = dictionary(signature)?;
    for (label, entry) in &inputs {
        let ListEntry::InnerList(inner) = entry else {
            return Err(Why::Malformed);
        };
        let params = params(inner)?;
        if want_tag.is_some_and(|t| params.tag.as_deref() != Some(t)) {
            continue;
        }
        if inner.items.len() > MAX_COVERED {
            return Err(Why::Malformed);
        }
        let components = inner
            .items
            .iter()
            .map(component)
            .collect::<Result<Vec<_>, _>>()?;
        // RFC 9421 2.5: an identifier listed twice is an error.
        let mut seen = HashSet::new();
        if !components
            .iter()
            .all(|c| seen.insert(c.identifier.as_str()))
        {
            return Err(Why::Malformed);
        }
        let params_line = vec![ListEntry::InnerList(inner.clone())]
            .serialize()
            .ok_or(Why::Malformed)?;
        let sig = match signatures.get(label.as_str()) {
            Some(ListEntry::Item(item)) => {
                item.bare_item.as_byte_sequence().ok_or(Why::Malformed)?
            }
            _ => return Err(Why::Malformed),
        };
        if sig.is_empty() || sig.len() > MAX_SIGNATURE_LEN {
            return Err(Why::Malformed);
        }
        return Ok(Rfc9421 {
            label: label.as_str().to_string(),
            components,
            params,
            params_line,
            signature: sig.to_vec(),
        });
    }
    Err(Why::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_rfc_full_coverage_example() {
        let s = parse(
            r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#,
            "sig-b23=:AAEC:",
            None,
        )
        .unwrap();
        assert_eq!(s.label, "sig-b23");
        assert_eq!(s.components.len(), 8);
        assert_eq!(s.components[1].identifier, r#""@method""#);
        assert_eq!(s.params.created, Some(1618884473));
        assert_eq!(s.params.keyid.as_deref(), Some("test-key-rsa-pss"));
        assert_eq!(s.signature, [0, 1, 2]);
        assert_eq!(
            s.params_line,
            r#"("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#
        );
    }

    #[test]
    fn picks_by_tag_and_keeps_key_parameters() {
        let input = r#"a=("@method");created=1, b=("@authority" "signature-agent";key="agent2");created=2;tag="web-bot-auth""#;
        let s = parse(input, "a=:AAEC:, b=:AQID:", Some("web-bot-auth")).unwrap();
        assert_eq!(s.label, "b");
        assert_eq!(s.components[1].key.as_deref(), Some("agent2"));
        assert_eq!(
            s.components[1].identifier,
            r#""signature-agent";key="agent2""#
        );
        assert_eq!(parse(input, "a=:AAEC:, b=:AQID:", None).unwrap().label, "a");
        assert_eq!(
            parse(input, "a=:AAEC:", Some("web-bot-auth")),
            Err(Why::Malformed)
        );
    }

    #[test]
    fn refuses() {
        for (input, sig) in [
            (r#"s=("@method")"#, "t=:AAEC:"),
            (r#"s=("@method")"#, r#"s="AAEC""#),
            (r#"s=("@method")"#, "s=::"),
            (r#"s="@method""#, "s=:AAEC:"),
            (r#"s=("@method" "@method")"#, "s=:AAEC:"),
            (r#"s=("Host")"#, "s=:AAEC:"),
            (r#"s=(@method)"#, "s=:AAEC:"),
            (r#"s=("@")"#, "s=:AAEC:"),
            (r#"s=("content-digest";sf)"#, "s=:AAEC:"),
            (r#"s=("@method";key="a")"#, "s=:AAEC:"),
            (r#"s=("@method");created="1""#, "s=:AAEC:"),
            (r#"s=("@method");keyid=1"#, "s=:AAEC:"),
            (r#"s=("@method""#, "s=:AAEC:"),
            ("", "s=:AAEC:"),
        ] {
            assert_eq!(
                parse(input, sig, None),
                Err(Why::Malformed),
                "{input} / {sig}"
            );
        }
    }
}
