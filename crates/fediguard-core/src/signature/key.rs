//! Public keys and signature checks. The algorithm is the key's: an RSA
//! key verifies RSA signatures (PKCS#1 v1.5 SHA-256, or PSS SHA-512 for
//! RFC 9421), an Ed25519 key Ed25519 ones; nothing verifies HMAC. `ring`
//! does the arithmetic; its parameters admit RSA moduli of 2048-8192 bits,
//! and keys outside that are refused when read.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use spki::der::asn1::UintRef;
use spki::der::{Decode, Reader, SliceReader};
use spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};

use super::Why;

/// Longest PEM read: an 8192-bit SPKI is about 1,500 characters.
pub const MAX_PEM_LEN: usize = 8 * 1024;
pub const MIN_RSA_BITS: usize = 2048;
pub const MAX_RSA_BITS: usize = 8192;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// A key fediguard can verify with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKey {
    /// Modulus and exponent, big-endian, without leading zeros.
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ed25519([u8; 32]),
}

/// How a signature is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    RsaPkcs1Sha256,
    RsaPssSha512,
    Ed25519,
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

impl PublicKey {
    /// An RSA key from its modulus and exponent (big-endian), refused
    /// outside 2048-8192 bits.
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<PublicKey, Why> {
        let (n, e) = (strip_zeros(n), strip_zeros(e));
        let bits = match n.first() {
            Some(&top) => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
            None => return Err(Why::Malformed),
        };
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(Why::UnsupportedAlgorithm);
        }
        // ring wants an odd exponent of at most 33 bits.
        if e.is_empty() || e.len() > 5 || e[e.len() - 1] & 1 == 0 {
            return Err(Why::Malformed);
        }
        Ok(PublicKey::Rsa {
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    /// PKCS#1 `RSAPublicKey` (DER): SEQUENCE { n INTEGER, e INTEGER }.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<PublicKey, Why> {
        let parse = || -> spki::der::Result<(Vec<u8>, Vec<u8>)> {
            let mut r = SliceReader::new(der)?;
            let ne = r.sequence(|seq| {
                let n = UintRef::decode(seq)?;
                let e = UintRef::decode(seq)?;
                Ok((n.as_bytes().to_vec(), e.as_bytes().to_vec()))
            })?;
            r.finish(ne)
        };
        let (n, e) = parse().map_err(|_| Why::Malformed)?;
        PublicKey::rsa(&n, &e)
    }

    /// X.509 `SubjectPublicKeyInfo` (DER): RSA or Ed25519; EC and others
    /// are read but not supported.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, Why> {
        let spki = SubjectPublicKeyInfoRef::try_from(der).map_err(|_| Why::Malformed)?;
        let bits = spki.subject_public_key.as_bytes().ok_or(Why::Malformed)?;
        let oid = spki.algorithm.oid;
        if oid == RSA_ENCRYPTION || oid == RSASSA_PSS {
            PublicKey::from_pkcs1_der(bits)
        } else if oid == ED25519 {
            if spki.algorithm.parameters.is_some() {
                return Err(Why::Malformed);
            }
            Ok(PublicKey::Ed25519(
                bits.try_into().map_err(|_| Why::Malformed)?,
            ))
        } else {
            Err(Why::UnsupportedAlgorithm)
        }
    }

    /// A PEM public key: `BEGIN PUBLIC KEY` (SPKI, what Mastodon and most
    /// servers publish) or `BEGIN RSA PUBLIC KEY` (PKCS#1). Line breaks
    /// and spaces inside the base64 are skipped.
    pub fn from_pem(pem: &str) -> Result<PublicKey, Why> {
        if pem.len() > MAX_PEM_LEN {
            return Err(Why::Malformed);
        }
        let rest = pem
            .trim()
            .strip_prefix("-----BEGIN ")
            .ok_or(Why::Malformed)?;
        let (label, rest) = rest.split_once("-----").ok_or(Why::Malformed)?;
        let rest = rest.strip_suffix("-----").ok_or(Why::Malformed)?;
        let (body, end_label) = rest.rsplit_once("-----END ").ok_or(Why::Malformed)?;
        if end_label != label {
            return Err(Why::Malformed);
        }
        let b64: Vec<u8> = body.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let der = STANDARD.decode(b64).map_err(|_| Why::Malformed)?;
        match label {
            "PUBLIC KEY" => PublicKey::from_spki_der(&der),
            "RSA PUBLIC KEY" => PublicKey::from_pkcs1_der(&der),
            "EC PUBLIC KEY" => Err(Why::UnsupportedAlgorithm),
            _ => Err(Why::Malformed),
        }
    }

    /// Checks `sig` over `msg`. An algorithm of another kind than the key
    /// is a key mismatch, a failed check a bad signature.
    pub fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> Result<(), Why> {
        let ok =
            match (self, alg) {
                (PublicKey::Rsa { n, e }, Alg::RsaPkcs1Sha256) => RsaPublicKeyComponents { n, e }
                    .verify(&signature::RSA_PKCS1_2048_8192_SHA256, msg, sig),
                (PublicKey::Rsa { n, e }, Alg::RsaPssSha512) => RsaPublicKeyComponents { n, e }
                    .verify(&signature::RSA_PSS_2048_8192_SHA512, msg, sig),
                (PublicKey::Ed25519(k), Alg::Ed25519) => {
                    UnparsedPublicKey::new(&signature::ED25519, k).verify(msg, sig)
                }
                _ => return Err(Why::KeyMismatch),
            };
        ok.map_err(|_| Why::BadSignature)
    }

    /// The algorithms this key verifies, in the order tried when the
    /// signature does not name one.
    pub fn algs(&self) -> &'static [Alg] {
        match self {
            PublicKey::Rsa { .. } => &[Alg::RsaPkcs1Sha256, Alg::RsaPssSha512],
            PublicKey::Ed25519(_) => &[Alg::Ed25519],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_keys::*;
    use super::*;

    #[test]
    fn reads_the_rfc_test_keys() {
        let Ok(PublicKey::Rsa { n, e }) = PublicKey::from_pem(TEST_KEY_RSA_PSS_PUB) else {
            panic!("rsa-pss key");
        };
        assert_eq!((n.len(), e.as_slice()), (256, &[1, 0, 1][..]));
        // The same key as PKCS#1 and as SPKI.
        assert_eq!(
            PublicKey::from_pem(TEST_KEY_RSA_PUB_PKCS1),
            PublicKey::from_pem(TEST_KEY_RSA_PUB_SPKI)
        );
        assert!(matches!(
            PublicKey::from_pem(TEST_KEY_ED25519_PUB),
            Ok(PublicKey::Ed25519(_))
        ));
        assert_eq!(
            PublicKey::from_pem(TEST_KEY_ECC_P256_PUB),
            Err(Why::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn refuses_small_and_broken_keys() {
        assert_eq!(
            PublicKey::rsa(&[0xff; 255], &[1, 0, 1]),
            Err(Why::UnsupportedAlgorithm)
        );
        assert_eq!(
            PublicKey::rsa(&[0xff; 1025], &[1, 0, 1]),
            Err(Why::UnsupportedAlgorithm)
        );
        assert!(PublicKey::rsa(&[0xff; 1024], &[1, 0, 1]).is_ok());
        assert!(PublicKey::rsa(&[0, 0xff, 0xff], &[3]).is_err());
        assert_eq!(PublicKey::rsa(&[0xff; 256], &[2]), Err(Why::Malformed));
        for pem in [
            "",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END RSA PUBLIC KEY-----",
            "-----BEGIN CERTIFICATE-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END CERTIFICATE-----",
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=",
        ] {
            assert_eq!(PublicKey::from_pem(pem), Err(Why::Malformed), "{pem}");
        }
    }

    #[test]
    fn algorithm_comes_from_the_key() {
        let ed = PublicKey::from_pem(TEST_KEY_ED25519_PUB).unwrap();
        assert_eq!(
            ed.verify(Alg::RsaPkcs1Sha256, b"m", &[0; 256]),
            Err(Why::KeyMismatch)
        );
        assert_eq!(
            ed.verify(Alg::Ed25519, b"m", &[0; 64]),
            Err(Why::BadSignature)
        );
        let rsa = PublicKey::from_pem(TEST_KEY_RSA_PSS_PUB).unwrap();
        assert_eq!(
            rsa.verify(Alg::Ed25519, b"m", &[0; 64]),
            Err(Why::KeyMismatch)
        );
    }
}
