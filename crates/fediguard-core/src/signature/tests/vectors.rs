//! Published vectors: RFC 9421 Appendix B.2 and section 4.3, and the Web
//! Bot Auth drafts' examples (which use RFC 9421's Ed25519 test key).

use serde_json::json;

use super::super::base::rfc9421_base;
use super::super::test_keys::*;
use super::super::*;

/// RFC 9421's `test-request` (B.2), less the signature headers.
const RFC_HEADERS: [(&str, &str); 5] = [
    ("Host", "example.com"),
    ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
    ("Content-Type", "application/json"),
    (
        "Content-Digest",
        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
    ),
    ("Content-Length", "18"),
];
const RFC_BODY: &[u8] = br#"{"hello": "world"}"#;

pub(super) fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> Vec<Header<'a>> {
    pairs.iter().map(|(n, v)| Header::new(n, v)).collect()
}

fn rfc_request<'a>(authority: &'a str, h: &'a [Header<'a>]) -> Request<'a> {
    Request {
        method: "POST",
        scheme: "https",
        authority,
        path: "/foo",
        query: Some("param=Value&Pet=dog"),
        headers: h,
    }
}

/// Checks an RFC 9421 signature with the building blocks (no policy):
/// what Web Bot Auth will use.
fn check_9421(req: &Request, input: &str, sig: &str, key: &PublicKey, alg: Alg) -> Result<(), Why> {
    let s = rfc9421::parse(input, sig, None)?;
    key.verify(alg, &rfc9421_base(&s, req)?, &s.signature)
}

#[test]
fn rfc9421_b21_minimal_rsa_pss() {
    let h = headers(&RFC_HEADERS);
    let key = PublicKey::from_pem(TEST_KEY_RSA_PSS_PUB).unwrap();
    let input =
        r#"sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#;
    let sig = "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:";
    let req = rfc_request("example.com", &h);
    assert_eq!(
        check_9421(&req, input, sig, &key, Alg::RsaPssSha512),
        Ok(())
    );
    assert_eq!(
        check_9421(&req, input, sig, &key, Alg::RsaPkcs1Sha256),
        Err(Why::BadSignature)
    );
    // Mastodon's rules: a signature covering nothing is refused.
    let h2: Vec<(&str, &str)> = RFC_HEADERS
        .iter()
        .copied()
        .chain([("Signature-Input", input), ("Signature", sig)])
        .collect();
    let h2 = headers(&h2);
    assert!(matches!(
        start(&rfc_request("example.com", &h2), 1618884473),
        Start::Invalid(Why::NotCovered)
    ));
}

#[test]
fn rfc9421_b22_query_param_is_not_supported() {
    let input = r#"sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example""#;
    assert_eq!(
        rfc9421::parse(input, "sig-b22=:AAEC:", None),
        Err(Why::Malformed)
    );
}

#[test]
fn rfc9421_b23_full_coverage_rsa_pss() {
    let h = headers(&RFC_HEADERS);
    let key = PublicKey::from_pem(TEST_KEY_RSA_PSS_PUB).unwrap();
    let input = r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#;
    let sig = "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:";
    assert_eq!(
        check_9421(
            &rfc_request("example.com", &h),
            input,
            sig,
            &key,
            Alg::RsaPssSha512
        ),
        Ok(())
    );
    // Its Content-Digest is the body's.
    let mut d = BodyDigest::new(digest::parse_content_digest(RFC_HEADERS[3].1).unwrap());
    d.update(RFC_BODY);
    assert_eq!(d.finish(), Ok(()));
    assert_eq!(
        check_9421(
            &rfc_request("example.org", &h),
            input,
            sig,
            &key,
            Alg::RsaPssSha512
        ),
        Err(Why::BadSignature)
    );
}

#[test]
fn rfc9421_b24_ecdsa_and_b25_hmac_are_not_supported() {
    assert_eq!(
        PublicKey::from_pem(TEST_KEY_ECC_P256_PUB),
        Err(Why::UnsupportedAlgorithm)
    );
    // An HMAC signature is refused on its headers, before any key fetch.
    let pairs = [
        (
            "Signature-Input",
            r#"sig-b25=("@method" "@target-uri");created=1618882111;keyid="test-shared-secret";alg="hmac-sha256""#,
        ),
        (
            "Signature",
            "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:",
        ),
    ];
    let h = headers(&pairs);
    let req = Request {
        method: "GET",
        ..rfc_request("example.com", &h)
    };
    assert!(matches!(
        start(&req, 1618882111),
        Start::Invalid(Why::UnsupportedAlgorithm)
    ));
}

#[test]
fn rfc9421_b26_ed25519() {
    let h = headers(&RFC_HEADERS);
    let key = PublicKey::from_pem(TEST_KEY_ED25519_PUB).unwrap();
    let input = r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
    let sig = "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";
    assert_eq!(
        check_9421(
            &rfc_request("example.com", &h),
            input,
            sig,
            &key,
            Alg::Ed25519
        ),
        Ok(())
    );
    let req = Request {
        method: "PUT",
        ..rfc_request("example.com", &h)
    };
    assert_eq!(
        check_9421(&req, input, sig, &key, Alg::Ed25519),
        Err(Why::BadSignature)
    );
}

/// RFC 9421 4.3: the proxy's rsa-v1_5-sha256 signature with test-key-rsa.
#[test]
fn rfc9421_proxy_signature_rsa_v1_5() {
    let pairs: Vec<(&str, &str)> = RFC_HEADERS
        .iter()
        .copied()
        .chain([("Forwarded", "for=192.0.2.123;host=example.com;proto=https")])
        .collect();
    let h = headers(&pairs);
    let input = r#"proxy_sig=("@method" "@authority" "@path" "content-digest" "content-type" "content-length" "forwarded");created=1618884480;keyid="test-key-rsa";alg="rsa-v1_5-sha256";expires=1618884540"#;
    let sig = "proxy_sig=:S6ZzPXSdAMOPjN/6KXfXWNO/f7V6cHm7BXYUh3YD/fRad4BCaRZxP+JH+8XY1I6+8Cy+CM5g92iHgxtRPz+MjniOaYmdkDcnL9cCpXJleXsOckpURl49GwiyUpZ10KHgOEe11sx3G2gxI8S0jnxQB+Pu68U9vVcasqOWAEObtNKKZd8tSFu7LB5YAv0RAGhB8tmpv7sFnIm9y+7X5kXQfi8NMaZaA8i2ZHwpBdg7a6CMfwnnrtflzvZdXAsD3LH2TwevU+/PBPv0B6NMNk93wUs/vfJvye+YuI87HU38lZHowtznbLVdp770I6VHR6WfgS9ddzirrswsE1w5o0LV/g==:";
    for pem in [TEST_KEY_RSA_PUB_PKCS1, TEST_KEY_RSA_PUB_SPKI] {
        let key = PublicKey::from_pem(pem).unwrap();
        let req = rfc_request("origin.host.internal.example", &h);
        assert_eq!(
            check_9421(&req, input, sig, &key, Alg::RsaPkcs1Sha256),
            Ok(())
        );
    }
}

/// Web Bot Auth (draft-meunier-web-bot-auth-architecture,
/// draft-ietf-webbotauth-httpsig-protocol): Ed25519 test key, keyid its
/// JWK thumbprint, found in a key directory.
#[test]
fn web_bot_auth_examples() {
    let jwks =
        json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": TEST_KEY_ED25519_X}]}).to_string();
    let key = find_in_jwks(jwks.as_bytes(), TEST_KEY_ED25519_THUMBPRINT).unwrap();
    let cases = [
        // Signature-Agent absent.
        (
            None,
            r#"sig1=("@authority");created=1735689600;keyid="poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U";alg="ed25519";expires=4889289600;nonce="g0iqFa9e1ffijlyOScDkXpfSmTbYpRNSGPJrQ1It20ahwgzB3jOUcdgLgFxUg7RMtW4V8IILaKKtA+YuSyIgJQ==";tag="web-bot-auth""#,
            "sig1=:FFASViSdcgsyaqqYiCnkHreeZzbNKcTzDvZC5uVlP/dn9IbWj8j0o4wKFTH3rBnUiSUBduwm1Gp5VlIPCp01Ag==:",
        ),
        // Signature-Agent as a dictionary, its member covered with `key`.
        (
            Some(r#"agent2="https://signature-agent.test""#),
            r#"sig2=("@authority" "signature-agent";key="agent2");created=1735689600;keyid="poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U";alg="ed25519";expires=4889289600;nonce="n9p433xm+NJ3ph3upfBIGmsuwHw387YV7Q/F+6BSpGCVjYCqQw6rznNA8PVVLySrAWsv0hQtFioQb6E1YsauiA==";tag="web-bot-auth""#,
            "sig2=:RdNFx5Bj6au3YgAMQL/RzmUlZE8QZLIaXGRpw985hWnwPfMxT228NMk6ehRS1PSl4e8PhbNZACSanGdhEwYCCg==:",
        ),
        // Signature-Agent as a string (the earlier drafts).
        (
            Some(r#""https://signature-agent.test""#),
            r#"sig2=("@authority" "signature-agent");created=1735689600;keyid="poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U";alg="ed25519";expires=1735693200;nonce="e8N7S2MFd/qrd6T2R3tdfAuuANngKI7LFtKYI/vowzk4lAZYadIX6wW25MwG7DCT9RUKAJ0qVkU0mEeLElW1qg==";tag="web-bot-auth""#,
            "sig2=:jdq0SqOwHdyHr9+r5jw3iYZH6aNGKijYp/EstF4RQTQdi5N5YYKrD+mCT1HA1nZDsi6nJKuHxUi/5Syp3rLWBA==:",
        ),
    ];
    for (agent, input, sig) in cases {
        let pairs: Vec<(&str, &str)> = agent.map(|a| ("Signature-Agent", a)).into_iter().collect();
        let h = headers(&pairs);
        let req = Request {
            method: "GET",
            path: "/",
            query: None,
            ..rfc_request("example.com", &h)
        };
        let parsed = rfc9421::parse(input, sig, Some("web-bot-auth")).unwrap();
        assert_eq!(
            parsed.params.keyid.as_deref(),
            Some(TEST_KEY_ED25519_THUMBPRINT)
        );
        assert_eq!(
            check_9421(&req, input, sig, &key, Alg::Ed25519),
            Ok(()),
            "{input}"
        );
        let other = Request {
            authority: "example.org",
            ..req
        };
        assert_eq!(
            check_9421(&other, input, sig, &key, Alg::Ed25519),
            Err(Why::BadSignature)
        );
    }
}
