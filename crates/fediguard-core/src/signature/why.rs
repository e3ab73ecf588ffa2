//! Why a signature was refused: the `why=` of the log line and of the
//! denial. Admins grep and alert on these; keep them stable.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Why {
    /// Past its expiry (plus the clock-skew margin).
    Expired,
    /// Created more than the clock-skew margin in the future.
    Future,
    /// The body does not hash to the signed `Digest` / `Content-Digest`.
    DigestMismatch,
    /// The signature does not verify with the key.
    BadSignature,
    /// The signature leaves out a part the rules require it to cover.
    NotCovered,
    /// The key document does not vouch for the key id (wrong id, owner or
    /// origin), or the key is of another kind than the signature says.
    KeyMismatch,
    /// An algorithm fediguard does not verify (HMAC, ECDSA, RSA outside
    /// 2048-8192 bits, a digest other than SHA-256/512...).
    UnsupportedAlgorithm,
    /// Headers or key document that cannot be read.
    Malformed,
    /// The keyId may not be fetched: not `https`, an address literal, or
    /// an internal address, outside the admin's `allow=` ranges.
    KeyRefused,
}

impl Why {
    /// Every reason, in declaration order (the order of metrics).
    pub const ALL: [Why; 9] = [
        Why::Expired,
        Why::Future,
        Why::DigestMismatch,
        Why::BadSignature,
        Why::NotCovered,
        Why::KeyMismatch,
        Why::UnsupportedAlgorithm,
        Why::Malformed,
        Why::KeyRefused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Why::Expired => "expired",
            Why::Future => "future",
            Why::DigestMismatch => "digest-mismatch",
            Why::BadSignature => "bad-signature",
            Why::NotCovered => "not-covered",
            Why::KeyMismatch => "key-mismatch",
            Why::UnsupportedAlgorithm => "unsupported-algorithm",
            Why::Malformed => "malformed",
            Why::KeyRefused => "key-refused",
        }
    }
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for w in Why::ALL {
            assert!(seen.insert(w.as_str()));
            assert!(w
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-'));
        }
    }
}
