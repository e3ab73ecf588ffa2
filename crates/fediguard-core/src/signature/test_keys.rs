//! Test keys: RFC 9421 Appendix B.1's published test keys, and an RSA
//! key pair made for these tests. Test data only.

/// B.1.1 `test-key-rsa`, PKCS#1.
pub const TEST_KEY_RSA_PUB_PKCS1: &str = "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAhAKYdtoeoy8zcAcR874L8cnZxKzAGwd7v36APp7Pv6Q2jdsPBRrw
WEBnez6d0UDKDwGbc6nxfEXAy5mbhgajzrw3MOEt8uA5txSKobBpKDeBLOsdJKFq
MGmXCQvEG7YemcxDTRPxAleIAgYYRjTSd/QBwVW9OwNFhekro3RtlinV0a75jfZg
kne/YiktSvLG34lw2zqXBDTC5NHROUqGTlML4PlNZS5Ri2U4aCNx2rUPRcKIlE0P
uKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dSFFn/nnv5OoZJEIB+VmuKn3DCUcCZSFlQ
PSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ10wIDAQAB
-----END RSA PUBLIC KEY-----
";

/// The same key as SubjectPublicKeyInfo, as an actor's publicKeyPem is.
pub const TEST_KEY_RSA_PUB_SPKI: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAhAKYdtoeoy8zcAcR874L
8cnZxKzAGwd7v36APp7Pv6Q2jdsPBRrwWEBnez6d0UDKDwGbc6nxfEXAy5mbhgaj
zrw3MOEt8uA5txSKobBpKDeBLOsdJKFqMGmXCQvEG7YemcxDTRPxAleIAgYYRjTS
d/QBwVW9OwNFhekro3RtlinV0a75jfZgkne/YiktSvLG34lw2zqXBDTC5NHROUqG
TlML4PlNZS5Ri2U4aCNx2rUPRcKIlE0PuKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dS
FFn/nnv5OoZJEIB+VmuKn3DCUcCZSFlQPSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ1
0wIDAQAB
-----END PUBLIC KEY-----
";

/// B.1.2 `test-key-rsa-pss`.
pub const TEST_KEY_RSA_PSS_PUB: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----
";

/// B.1.3 `test-key-ecc-p256`: not supported.
pub const TEST_KEY_ECC_P256_PUB: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lf
w0EkjqF7xB4FivAxzic30tMM4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==
-----END PUBLIC KEY-----
";

/// B.1.4 `test-key-ed25519`; Web Bot Auth's drafts use it too.
pub const TEST_KEY_ED25519_PUB: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
";

/// Its JWK `x` and private `d` (the seed), base64url.
pub const TEST_KEY_ED25519_X: &str = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs";
pub const TEST_KEY_ED25519_D: &str = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU";

/// The Ed25519 test key's RFC 7638 thumbprint: Web Bot Auth's keyid.
pub const TEST_KEY_ED25519_THUMBPRINT: &str = "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U";

/// An RSA-2048 key pair made for fediguard's tests (`openssl genpkey`),
/// to sign draft-cavage requests with: ring cannot sign with RFC 9421's
/// test-key-rsa (its primes are of unequal sizes). PKCS#8.
pub const FIXTURE_RSA_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQCZVMBelWcy3OwD
2xsXIvltYD3YRONjIIens1Lfo3IM1Rh6YBNlmJOmsLl/MJ7srq3dmbrAry8AlMIK
M/cYrWnNXzu6A4HABgPtHAoXuT/Ylv1KuE+XuNzis7JYQUxtR0YSztaOGbtwR/3V
iiTPBNb//9yKo6q0+RcHcqy4RjfX2CnsKhQVYtFgxfpRohbXv+MRIA60QuPM24Z5
0cDtNOSNYep7/02ddAxmG4swkMiWTWOYaRl8OQObg1WMRLD+jKfFLXVnOjtcNdJC
JPS9lao8pal6QPzMZh8neC1Qe5v6UxIyRbQYm2psrh7hEK7+GcLTrnvzhgLiYjPX
D4gAbXjhAgMBAAECggEAByePOlqaUCNC2AM3RmMZZGMjP54nRg7UhZy2dzz3K2Ye
GEe3X/w4l4STgz3PjJeyAS8VKbyC4vIOA8/c7cfZsf2Jmepj+YPOVxgB2I2KTx7s
froO7LNxixp7bebOHCNBP8tq84J73oddbsNdaFN/fL6Bme59HqiozG4rZQXRwT6A
aJxIbkJxIz7JV7mESOYmOB3y3cUU2TQcL2+v275AlS2ShRxYFSNgG3+pLs9iHw9R
QJK3Ulg0pE68fu4kF9DMYdznDOTm1629NAdwrvPrWE1LReF/r9YbcQaWqSLB+Fsf
eeTd6r+GjSyQJYjlJ9TxzE+aR6C7/5/RZqSJ8TvFyQKBgQDIp400jNUPVRdm2e/9
0IR50uZpptbyT8QiZPqosTAyrycl+gZTKH9G8C+bJPsDIf0hz5lwLa7m90zG8Z8P
QjUcFo7AmFLRVbD9vAmijPqywqxszMVDAwfrXAEqvtPvhaklIQsmM4aIGMNgheaM
iFDRiTgjsBh8vBRVd9YBgiwP1wKBgQDDn6L7HSiDc/86Wif3rMigzrP0GlFwCqgZ
8rH7/I2gADRuOWc28Tv9+oubyee7367UIIwHUEDczsrVHrIadMZeFfvjXuXDDKpC
tkXJ3oOrRwV+tst1XQ7mrqoaMxsbiSqGrsBYrzdEDFTIj6Z6IeTvLTZWUZMPPpjK
k6KfSrYGBwKBgQCJ91sKFQOyhSmQGK4BcUyFj1PKtWL6PYp4s8H+F8cyMmjSnfWX
XDMXjbLOFEFbyBULGHlCPscSHFx4Nk7N6RInfAMvvgzDzw3hiVd+oz0FiQGR1cKU
7xKU7DAJOijzeo3w76WA4NDR52T/i1IYsuoPCTDGqSBNM+0vTzSg2OZ/BQKBgQCd
FQXZYLuUesOahqSLVBoyTmjf/XYhYt1DIMfc0RqkPSXc0IlZ6/HBartKGKHVEbOg
MJZglQfQhtkGs0ROzDAxgrOmCyCyM+xP728wv1W5Zik6a+wKTPRXNi/vI9SDkuws
BAz96YyWPtShy//hGHBtwj9cptpQpnIoUM6H3IU3ZwKBgQCX8zj4eGpVaOPWvHW0
dJakf81E8ndun4hB3da7G4oz/rzJP6jFegs2UPwojB4rI8vu1QtHeitd29mxiFI3
PlBQnhV8JLamZOlmzwl/gGSnff7sX7j1pJzbYwBjkGA/D3yf/zJSz0Oi2DSUaIq8
/IoTJTZXyxNQoVN/4/YdunODYQ==
-----END PRIVATE KEY-----
";

/// Its public key (SPKI).
pub const FIXTURE_RSA_PUB: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmVTAXpVnMtzsA9sbFyL5
bWA92ETjYyCHp7NS36NyDNUYemATZZiTprC5fzCe7K6t3Zm6wK8vAJTCCjP3GK1p
zV87ugOBwAYD7RwKF7k/2Jb9SrhPl7jc4rOyWEFMbUdGEs7Wjhm7cEf91YokzwTW
///ciqOqtPkXB3KsuEY319gp7CoUFWLRYMX6UaIW17/jESAOtELjzNuGedHA7TTk
jWHqe/9NnXQMZhuLMJDIlk1jmGkZfDkDm4NVjESw/oynxS11Zzo7XDXSQiT0vZWq
PKWpekD8zGYfJ3gtUHub+lMSMkW0GJtqbK4e4RCu/hnC065784YC4mIz1w+IAG14
4QIDAQAB
-----END PUBLIC KEY-----
";

/// The fixture key pair, to sign with.
pub fn rsa_signer() -> ring::signature::RsaKeyPair {
    use base64::Engine;
    let b64: String = FIXTURE_RSA_PRIVATE
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap()
}

/// The Ed25519 test key pair.
pub fn ed25519_signer() -> ring::signature::Ed25519KeyPair {
    use base64::Engine;
    let seed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(TEST_KEY_ED25519_D)
        .unwrap();
    let public = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(TEST_KEY_ED25519_X)
        .unwrap();
    ring::signature::Ed25519KeyPair::from_seed_and_public_key(&seed, &public).unwrap()
}

/// Signs `msg` with the fixture key, PKCS#1 v1.5 SHA-256.
pub fn rsa_sign(msg: &[u8]) -> Vec<u8> {
    let kp = rsa_signer();
    let mut sig = vec![0; kp.public().modulus_len()];
    let rng = ring::rand::SystemRandom::new();
    kp.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, msg, &mut sig)
        .unwrap();
    sig
}
