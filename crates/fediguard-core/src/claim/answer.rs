//! What the verification zone keeps per client address: the answer of a
//! DNS lookup, or that one is under way. Two kinds of entries, told apart
//! by their key:
//! - the address's PTR name and whether it resolves back to the address
//!   (forward-confirmed reverse DNS), shared by every operator's claim
//!   from that address: the claim's domains are matched per request;
//! - whether a fediverse instance host resolves to the address (one entry
//!   per address and host).

use std::net::IpAddr;

use crate::fingerprint::fingerprint;
use crate::shm_table::{bytes_per_entry, KEY_LEN};

use super::domains::{name_in_any, MAX_DOMAIN};
use super::ranges::canonical;
use super::Verified;

/// Bytes kept of a PTR name: its end, where the domains are (the longest
/// domain and the dot before it).
pub const NAME_TAIL: usize = MAX_DOMAIN + 1;

/// What a lookup found.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// A lookup is under way (since `started`).
    Pending = 0,
    /// PTR: the name resolves back to the address.
    Confirmed = 1,
    /// PTR: the name does not resolve back to the address (or not at all).
    Unconfirmed = 2,
    /// PTR: a name in none of the configured domains, so not resolved back.
    Unchecked = 3,
    /// PTR: the address has no name.
    NoName = 4,
    /// Host: the instance host resolves to the address.
    Match = 5,
    /// Host: it does not, or the host does not exist.
    NoMatch = 6,
    /// No answer: timed out, the server failed or refused, no resolver.
    Failed = 7,
}

impl Found {
    fn from_u8(v: u8) -> Found {
        match v {
            0 => Found::Pending,
            1 => Found::Confirmed,
            2 => Found::Unconfirmed,
            3 => Found::Unchecked,
            4 => Found::NoName,
            5 => Found::Match,
            6 => Found::NoMatch,
            _ => Found::Failed,
        }
    }
}

/// A zone entry's value. Bytes only, so that it packs without padding.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    found: u8,
    name_len: u8,
    /// The name was longer than `NAME_TAIL`: `name` is its end.
    cut: u8,
    /// When the lookup started (msec, nginx's clock), little-endian.
    started: [u8; 8],
    name: [u8; NAME_TAIL],
}

/// Bytes of shared memory one cached answer costs.
pub const BYTES_PER_ENTRY: usize = bytes_per_entry::<Answer>();

/// The result of a claim, as far as a cached answer tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Verified(Verified),
    /// No answer in time: `$fediguard_agent_verified` is empty.
    Unknown,
    /// The answer holds a name in the claim's domains that was not
    /// resolved back: look it up again, confirming this time.
    Recheck,
}

impl Answer {
    /// A lookup under way since `now`.
    pub fn pending(now: u64) -> Answer {
        Answer {
            found: Found::Pending as u8,
            name_len: 0,
            cut: 0,
            started: now.to_le_bytes(),
            name: [0; NAME_TAIL],
        }
    }

    /// A finished lookup; `name` is the PTR name, if any (its end is kept).
    pub fn done(found: Found, name: &[u8]) -> Answer {
        let name = name.strip_suffix(b".").unwrap_or(name);
        let tail = &name[name.len().saturating_sub(NAME_TAIL)..];
        let mut a = Answer {
            found: found as u8,
            name_len: tail.len() as u8,
            cut: u8::from(tail.len() < name.len()),
            started: [0; 8],
            name: [0; NAME_TAIL],
        };
        a.name[..tail.len()].copy_from_slice(tail);
        a
    }

    pub fn found(&self) -> Found {
        Found::from_u8(self.found)
    }

    pub fn started(&self) -> u64 {
        u64::from_le_bytes(self.started)
    }

    /// The PTR name (its last `NAME_TAIL` bytes), lower-cased by the
    /// caller's comparisons.
    pub fn name(&self) -> &[u8] {
        &self.name[..(self.name_len as usize).min(NAME_TAIL)]
    }

    /// Whether the name was cut to its end.
    pub fn is_cut(&self) -> bool {
        self.cut != 0
    }

    /// A claim verified by reverse DNS in `domains`, from a PTR answer.
    pub fn ptr_outcome(&self, domains: &[String]) -> Outcome {
        match self.found() {
            Found::Confirmed if name_in_any(self.name(), domains) => {
                Outcome::Verified(Verified::Yes)
            }
            Found::Unchecked if name_in_any(self.name(), domains) => Outcome::Recheck,
            Found::Pending | Found::Failed => Outcome::Unknown,
            _ => Outcome::Verified(Verified::No),
        }
    }

    /// A claim verified by its instance host, from a host answer.
    pub fn host_outcome(&self) -> Outcome {
        match self.found() {
            Found::Match => Outcome::Verified(Verified::Yes),
            Found::Pending | Found::Failed => Outcome::Unknown,
            _ => Outcome::Verified(Verified::No),
        }
    }
}

/// Longest instance host (a DNS name).
const MAX_HOST: usize = 253;

/// Writes the key's text: a kind byte, the address's bytes, and for a
/// host key a space and the host, lower-cased; on the stack (no allocation
/// on the request path).
fn key_of(secret: &[u8; 32], kind: u8, addr: IpAddr, host: Option<&[u8]>) -> [u8; KEY_LEN] {
    let mut buf = [0u8; 1 + 16 + 1 + MAX_HOST];
    buf[0] = kind;
    let mut n = match canonical(addr) {
        IpAddr::V4(a) => {
            buf[1..5].copy_from_slice(&a.octets());
            5
        }
        IpAddr::V6(a) => {
            buf[1..17].copy_from_slice(&a.octets());
            17
        }
    };
    if let Some(host) = host {
        let host = &host[..host.len().min(MAX_HOST)];
        buf[n] = b' ';
        n += 1;
        for (d, s) in buf[n..].iter_mut().zip(host) {
            *d = s.to_ascii_lowercase();
        }
        n += host.len();
    }
    fingerprint(secret, &buf[..n])
}

/// The zone key of an address's PTR answer.
pub fn ptr_key(secret: &[u8; 32], addr: IpAddr) -> [u8; KEY_LEN] {
    key_of(secret, b'p', addr, None)
}

/// The zone key of whether `host` (any case) resolves to `addr`.
pub fn host_key(secret: &[u8; 32], addr: IpAddr, host: &[u8]) -> [u8; KEY_LEN] {
    key_of(secret, b'h', addr, Some(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains(d: &[&str]) -> Vec<String> {
        d.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ptr_answers_tell_each_claim() {
        let google = domains(&["googlebot.com", "google.com"]);
        let bing = domains(&["search.msn.com"]);
        let real = Answer::done(Found::Confirmed, b"crawl-66-249-66-1.googlebot.com.");
        assert_eq!(real.ptr_outcome(&google), Outcome::Verified(Verified::Yes));
        // The same address claiming to be bingbot.
        assert_eq!(real.ptr_outcome(&bing), Outcome::Verified(Verified::No));
        let forged = Answer::done(Found::Unconfirmed, b"crawl-1-2-3-4.googlebot.com");
        assert_eq!(forged.ptr_outcome(&google), Outcome::Verified(Verified::No));
        let other = Answer::done(Found::Unchecked, b"host.example.net");
        assert_eq!(other.ptr_outcome(&google), Outcome::Verified(Verified::No));
        // A name that a later configuration's domains cover: confirm it.
        assert_eq!(
            other.ptr_outcome(&domains(&["example.net"])),
            Outcome::Recheck
        );
        assert_eq!(
            Answer::done(Found::NoName, b"").ptr_outcome(&google),
            Outcome::Verified(Verified::No)
        );
        assert_eq!(
            Answer::done(Found::Failed, b"").ptr_outcome(&google),
            Outcome::Unknown
        );
        assert_eq!(Answer::pending(5).ptr_outcome(&google), Outcome::Unknown);
        assert_eq!(Answer::pending(5).started(), 5);
    }

    #[test]
    fn host_answers() {
        assert_eq!(
            Answer::done(Found::Match, b"").host_outcome(),
            Outcome::Verified(Verified::Yes)
        );
        assert_eq!(
            Answer::done(Found::NoMatch, b"").host_outcome(),
            Outcome::Verified(Verified::No)
        );
        assert_eq!(
            Answer::done(Found::Failed, b"").host_outcome(),
            Outcome::Unknown
        );
    }

    #[test]
    fn long_names_keep_their_end() {
        let long = format!("{}.crawl.baidu.com", "x".repeat(200));
        let a = Answer::done(Found::Confirmed, long.as_bytes());
        assert!(a.is_cut());
        assert_eq!(a.name().len(), NAME_TAIL);
        assert!(a.name().ends_with(b".crawl.baidu.com"));
        assert_eq!(
            a.ptr_outcome(&domains(&["baidu.com"])),
            Outcome::Verified(Verified::Yes)
        );
        // The longest domain accepted still fits with its dot.
        let d = format!("{}.com", "d".repeat(MAX_DOMAIN - 4));
        let a = Answer::done(
            Found::Confirmed,
            format!("{}.{d}", "y".repeat(100)).as_bytes(),
        );
        assert_eq!(a.ptr_outcome(&[d]), Outcome::Verified(Verified::Yes));
    }

    #[test]
    fn keys_tell_kinds_and_families_apart() {
        let s = [7u8; 32];
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(ptr_key(&s, v4), ptr_key(&s, mapped));
        assert_ne!(ptr_key(&s, v4), host_key(&s, v4, b""));
        assert_eq!(
            host_key(&s, v4, b"Mastodon.Social"),
            host_key(&s, v4, b"mastodon.social")
        );
        assert_ne!(
            host_key(&s, v4, b"a.example"),
            host_key(&s, v4, b"b.example")
        );
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_ne!(ptr_key(&s, v6), ptr_key(&s, v4));
        // The longest host fits; a longer one is cut (hosts are at most
        // 253 bytes anyway).
        let long = vec![b'a'; 400];
        assert_eq!(host_key(&s, v6, &long), host_key(&s, v6, &long[..253]));
    }

    #[test]
    fn entry_cost() {
        assert_eq!(core::mem::size_of::<Answer>(), 75);
        assert_eq!(BYTES_PER_ENTRY, 116);
    }
}
