//! Signed deliveries (issue 28): HTTP signatures of fediverse requests,
//! draft-cavage and RFC 9421, verified as Mastodon does and no looser.
//! The RFC 9421 parts (parsing, signature base, keys, JWK thumbprints)
//! are shared with Web Bot Auth (issue 29).
//!
//! # How the nginx layer calls it
//!
//! ```text
//! // 1. Access phase, headers in: describe the request (no nginx types).
//! let headers: Vec<Header> = /* every header line, (name, value) bytes */;
//! let req = Request { method, scheme, authority, path, query, headers: &headers };
//! let mut pending = match signature::start(&req, now_unix_secs) {
//!     Start::Unsigned => /* no signature: the location's policy decides */,
//!     Start::Invalid(why) => /* deny, log why=why.as_str() */,
//!     Start::Pending(p) => p,   // a Box<Pending>: owns its data, `req` may go
//! };
//! // 2. If the signature covers a digest, read the body and feed it.
//! if pending.needs_body() {
//!     for chunk in body { pending.update_body(chunk) }
//! }
//! // 3. The verdict; the digest is checked first, so a wrong body never
//! //    costs a key fetch.
//! match pending.finish(cache.get(pending.key_id())) {
//!     Outcome::Valid { key_id, owner_host, scheme } => /* allow */,
//!     Outcome::Invalid { why } => /* deny */,
//!     Outcome::NeedKey { key_id } => {
//!         // GET key_id (without its #fragment), Accept: application/activity+json,
//!         // at most 64 KB; then
//!         let key = signature::key_from_document(&body, &key_id)?; // Err(why): deny
//!         cache.put(key.clone());
//!         pending.finish(Some(&key)) // Valid or Invalid now
//!     }
//! }
//! ```
//!
//! Every input is the sender's: parsers bound their work and allocation
//! (header and document sizes, parameter and component counts) and
//! return a [`Why`] instead of panicking. The algorithm comes from the
//! key, never from the headers: RSA (2048-8192 bits) verifies PKCS#1
//! v1.5 SHA-256 (and RSA-PSS SHA-512 in RFC 9421), Ed25519 Ed25519;
//! nothing verifies HMAC.
//!
//! Files: `request` (what nginx passes), `cavage` and `rfc9421` (header
//! parsing), `base` (signature bases), `policy` (Mastodon's coverage and
//! time window), `digest` (Digest/Content-Digest and the body hasher),
//! `key` (PEM/SPKI/PKCS#1 keys, ring), `jwk` (JWK, thumbprints, key
//! directories), `key_url` (where a key may be fetched from), `stored`
//! (a key as the shared key zone holds it), `actor` (ActivityPub key documents), `origin` (URL
//! origins), `verify` (the flow above), `why` (reason codes).

pub mod actor;
pub mod base;
pub mod cavage;
pub mod digest;
pub mod jwk;
pub mod key;
pub mod key_url;
pub mod origin;
pub mod policy;
pub mod request;
pub mod rfc9421;
pub mod stored;
pub mod verify;
pub mod why;

#[cfg(test)]
mod test_keys;
#[cfg(test)]
mod tests;

pub use actor::{key_from_document, ActorKey};
pub use digest::BodyDigest;
pub use jwk::{find_in_jwks, from_jwk};
pub use key::{Alg, PublicKey};
pub use key_url::{key_url, KeyUrl};
pub use request::{Header, Request};
pub use stored::StoredKey;
pub use verify::{start, Outcome, Pending, Scheme, Start};
pub use why::Why;
