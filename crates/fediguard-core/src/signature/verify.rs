//! One signed request from start to verdict, under Mastodon's rules:
//! [`start`] reads and checks what the headers alone can tell (and
//! builds the signature base), the body is hashed as it arrives, and
//! [`Pending::finish`] checks digest and signature once the key is known.

use super::actor::ActorKey;
use super::base::{cavage_base, rfc9421_base};
use super::cavage::{self, CavageAlgorithm};
use super::digest::{parse_content_digest, parse_digest, BodyDigest};
use super::key::{Alg, PublicKey};
use super::policy::{cavage_covers, cavage_times, rfc9421_covers, window};
use super::request::Request;
use super::rfc9421;
use super::Why;

/// Which signature scheme a request used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// draft-cavage `Signature` (what the fediverse sends today).
    Cavage,
    /// RFC 9421 `Signature-Input` + `Signature`.
    Rfc9421,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Cavage => "cavage",
            Scheme::Rfc9421 => "rfc9421",
        }
    }
}

/// The verdict on a signed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Valid {
        key_id: String,
        owner_host: String,
        scheme: Scheme,
    },
    Invalid {
        why: Why,
    },
    /// Fetch the key document at `key_id` (or take it from the cache),
    /// then call [`Pending::finish`] again with it.
    NeedKey {
        key_id: String,
    },
}

/// What [`start`] found.
#[derive(Debug)]
pub enum Start {
    /// Neither `Signature` nor `Signature-Input`.
    Unsigned,
    /// Refused on the headers alone: no body to read, no key to fetch.
    Invalid(Why),
    Pending(Box<Pending>),
}

/// Which algorithms the signature allows, before the key says which one.
#[derive(Clone, Copy, Debug)]
enum Wanted {
    Cavage(CavageAlgorithm),
    /// RFC 9421's `alg`, when given.
    Rfc9421(Option<Alg>),
}

/// A signed request waiting for its body and its key. Owns everything it
/// needs: the request's buffers need not outlive [`start`].
#[derive(Debug)]
pub struct Pending {
    scheme: Scheme,
    key_id: String,
    /// The bases to try, in order (cavage: with the query, then without).
    bases: Vec<Vec<u8>>,
    signature: Vec<u8>,
    wanted: Wanted,
    body: Option<BodyDigest>,
    digest: Option<Result<(), Why>>,
}

/// RFC 9421 `alg` values; HMAC and ECDSA are not verified.
fn rfc9421_alg(alg: &str) -> Result<Alg, Why> {
    match alg {
        "rsa-v1_5-sha256" => Ok(Alg::RsaPkcs1Sha256),
        "rsa-pss-sha512" => Ok(Alg::RsaPssSha512),
        "ed25519" => Ok(Alg::Ed25519),
        _ => Err(Why::UnsupportedAlgorithm),
    }
}

fn start_cavage(req: &Request, header: &str, now: i64) -> Result<Pending, Why> {
    let sig = cavage::parse(header)?;
    cavage_covers(&sig, req)?;
    let (created, expires) = cavage_times(&sig, req)?;
    window(created, expires, now)?;
    let mut bases = vec![cavage_base(&sig, req, true)?];
    if sig.headers.iter().any(|h| h == "(request-target)")
        && req.query.is_some_and(|q| !q.is_empty())
    {
        bases.push(cavage_base(&sig, req, false)?);
    }
    let body = if sig.headers.iter().any(|h| h == "digest") {
        let d = req
            .field_text("digest")
            .ok_or(Why::Malformed)?
            .map_err(|_| Why::Malformed)?;
        Some(BodyDigest::new(parse_digest(&d)?))
    } else {
        None
    };
    Ok(Pending {
        scheme: Scheme::Cavage,
        key_id: sig.key_id,
        bases,
        signature: sig.signature,
        wanted: Wanted::Cavage(sig.algorithm),
        body,
        digest: None,
    })
}

fn start_rfc9421(req: &Request, input: &str, now: i64) -> Result<Pending, Why> {
    let signature = req
        .field_text("signature")
        .ok_or(Why::Malformed)?
        .map_err(|_| Why::Malformed)?;
    let sig = rfc9421::parse(input, &signature, None)?;
    rfc9421_covers(&sig, req)?;
    let alg = sig.params.alg.as_deref().map(rfc9421_alg).transpose()?;
    let created = sig.params.created.ok_or(Why::Malformed)?;
    window(created, sig.params.expires, now)?;
    let base = rfc9421_base(&sig, req)?;
    let body = if sig
        .components
        .iter()
        .any(|c| c.name == "content-digest" && c.key.is_none())
    {
        let d = req
            .field_text("content-digest")
            .ok_or(Why::Malformed)?
            .map_err(|_| Why::Malformed)?;
        Some(BodyDigest::new(parse_content_digest(&d)?))
    } else {
        None
    };
    Ok(Pending {
        scheme: Scheme::Rfc9421,
        key_id: sig.params.keyid.unwrap_or_default(),
        bases: vec![base],
        signature: sig.signature,
        wanted: Wanted::Rfc9421(alg),
        body,
        digest: None,
    })
}

/// Reads a request's signature headers at `now` (Unix seconds). As
/// Mastodon: a `Signature-Input` header means RFC 9421, else a
/// `Signature` header means draft-cavage.
pub fn start(req: &Request, now: i64) -> Start {
    let result = if let Some(input) = req.field_text("signature-input") {
        input
            .map_err(|_| Why::Malformed)
            .and_then(|i| start_rfc9421(req, &i, now))
    } else if let Some(header) = req.field_text("signature") {
        header
            .map_err(|_| Why::Malformed)
            .and_then(|h| start_cavage(req, &h, now))
    } else {
        return Start::Unsigned;
    };
    match result {
        Ok(p) => Start::Pending(Box::new(p)),
        Err(why) => Start::Invalid(why),
    }
}

impl Pending {
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Whether the signature covers a digest, so the body must be fed
    /// through [`Pending::update_body`] before [`Pending::finish`].
    pub fn needs_body(&self) -> bool {
        self.body.is_some()
    }

    /// One more chunk of the body, in order. Ignored once finished.
    pub fn update_body(&mut self, chunk: &[u8]) {
        if let Some(b) = self.body.as_mut() {
            b.update(chunk);
        }
    }

    /// The algorithms `key` may verify this signature with.
    fn algs(&self, key: &PublicKey) -> Result<Vec<Alg>, Why> {
        Ok(match (self.wanted, key) {
            (Wanted::Cavage(_), PublicKey::Rsa { .. }) => vec![Alg::RsaPkcs1Sha256],
            (Wanted::Cavage(CavageAlgorithm::Hs2019), PublicKey::Ed25519(_)) => vec![Alg::Ed25519],
            (Wanted::Cavage(CavageAlgorithm::RsaSha256), PublicKey::Ed25519(_)) => {
                return Err(Why::KeyMismatch)
            }
            (Wanted::Rfc9421(Some(alg)), key) if key.algs().contains(&alg) => vec![alg],
            (Wanted::Rfc9421(Some(_)), _) => return Err(Why::KeyMismatch),
            (Wanted::Rfc9421(None), key) => key.algs().to_vec(),
        })
    }

    /// Whether the signature verifies with `key` (the digest aside): for
    /// callers that hold a bare key, such as Web Bot Auth's directory.
    pub fn check_key(&self, key: &PublicKey) -> Result<(), Why> {
        let algs = self.algs(key)?;
        let ok = self.bases.iter().any(|base| {
            algs.iter()
                .any(|&alg| key.verify(alg, base, &self.signature).is_ok())
        });
        ok.then_some(()).ok_or(Why::BadSignature)
    }

    /// The verdict: the body's digest first (the body must have been fed
    /// whole), then the signature with `key`, the document fetched for
    /// [`Pending::key_id`]; without one, [`Outcome::NeedKey`].
    pub fn finish(&mut self, key: Option<&ActorKey>) -> Outcome {
        let digest = *self
            .digest
            .get_or_insert_with(|| self.body.take().map_or(Ok(()), BodyDigest::finish));
        if let Err(why) = digest {
            return Outcome::Invalid { why };
        }
        let Some(key) = key else {
            return Outcome::NeedKey {
                key_id: self.key_id.clone(),
            };
        };
        if key.key_id != self.key_id {
            return Outcome::Invalid {
                why: Why::KeyMismatch,
            };
        }
        match self.check_key(&key.key) {
            Ok(()) => Outcome::Valid {
                key_id: self.key_id.clone(),
                owner_host: key.owner_host.clone(),
                scheme: self.scheme,
            },
            Err(why) => Outcome::Invalid { why },
        }
    }
}
