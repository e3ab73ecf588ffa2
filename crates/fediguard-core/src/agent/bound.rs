//! How a catalogue name must sit in an agent for its match to count.
//!
//! The automaton finds every occurrence of every name; the bound then says
//! whether that occurrence is the agent the name means (`Titan` is not in
//! `Titanium`) or, for the generic signs of an automated agent, whether the
//! text around it really is a bot word, a domain or an e-mail address.

/// Where a name may stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bound {
    /// A whole word: no letter, digit or `_` right before or after it. A name
    /// that itself begins or ends with a non-word byte (`Code/`) carries its
    /// own boundary on that side.
    Word,
    /// Starts a word and may run on (`StatusCake` in `StatusCake_Uptime`).
    Prefix,
    /// Ends a word and may start inside one (`bot` in `FooBot/1.0`).
    Suffix,
    /// Anywhere, even inside a word (`crawl` in `Crawler4j`).
    Anywhere,
    /// A top-level domain such as `.com` that ends a host name: a label right
    /// before it, and no further label after it (`br.com.bank` is an app's
    /// reverse-DNS id, not a host).
    Domain,
    /// The `@` of an e-mail address: a local part before it, a domain name
    /// after it (`ios@11.0` is a version, not an address).
    Email,
    /// `compatible;` followed by something else than a browser's own token
    /// (Internet Explorer's `MSIE`, Konqueror).
    Compatible,
}

impl Bound {
    /// Whether the match `hay[start..end]` fits this bound. Never panics,
    /// whatever the range.
    pub(crate) fn fits(self, hay: &[u8], start: usize, end: usize) -> bool {
        match self {
            Bound::Word => starts_word(hay, start) && ends_word(hay, start, end),
            Bound::Prefix => starts_word(hay, start),
            Bound::Suffix => ends_word(hay, start, end),
            Bound::Anywhere => true,
            Bound::Domain => ends_host(hay, start, end),
            Bound::Email => is_email_at(hay, start),
            Bound::Compatible => names_no_browser(hay, end),
        }
    }
}

/// A word byte: what may not stand right before or after a name for it to
/// count as a whole word.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn byte_before(hay: &[u8], pos: usize) -> Option<u8> {
    pos.checked_sub(1).and_then(|i| hay.get(i)).copied()
}

fn starts_word(hay: &[u8], start: usize) -> bool {
    let first_is_word = hay.get(start).copied().is_some_and(is_word_byte);
    !first_is_word || !byte_before(hay, start).is_some_and(is_word_byte)
}

fn ends_word(hay: &[u8], start: usize, end: usize) -> bool {
    let last_is_word = end > start && byte_before(hay, end).is_some_and(is_word_byte);
    !last_is_word || !hay.get(end).copied().is_some_and(is_word_byte)
}

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// `hay[start..end]` is `.tld`: a host label ends right before it and nothing
/// that continues a host name follows it.
fn ends_host(hay: &[u8], start: usize, end: usize) -> bool {
    let label_before = byte_before(hay, start).is_some_and(is_host_byte);
    let continues = hay
        .get(end)
        .is_some_and(|&b| is_host_byte(b) || b == b'.' || b == b'_');
    label_before && !continues
}

/// Longest domain part read after an `@`; an address is far shorter.
const MAX_EMAIL_DOMAIN: usize = 255;

/// `hay[at]` is the `@` of `local@name.tld`.
fn is_email_at(hay: &[u8], at: usize) -> bool {
    let local_before = byte_before(hay, at).is_some_and(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
    });
    if !local_before {
        return false;
    }
    let domain: &[u8] = hay.get(at.saturating_add(1)..).unwrap_or_default();
    let domain = &domain[..domain.len().min(MAX_EMAIL_DOMAIN)];
    let len = domain
        .iter()
        .take_while(|&&b| is_host_byte(b) || b == b'.')
        .count();
    let domain = &domain[..len];
    // name.tld: starts with a letter, and a dot is followed by a letter.
    domain.first().is_some_and(u8::is_ascii_alphabetic)
        && domain
            .windows(2)
            .any(|w| w[0] == b'.' && w[1].is_ascii_alphabetic())
}

/// The browsers' own `compatible;` tokens.
const BROWSER_TOKENS: [&[u8]; 2] = [b"msie", b"konqueror"];

/// What follows `compatible;` (at `end`) names a product that is not a
/// browser: `Mozilla/5.0 (compatible; Optimizer)`, not
/// `Mozilla/4.0 (compatible; MSIE 8.0; ...)`.
fn names_no_browser(hay: &[u8], end: usize) -> bool {
    let rest: &[u8] = hay.get(end..).unwrap_or_default();
    let skip = rest.iter().take_while(|b| **b == b' ').count();
    let rest = &rest[skip..];
    rest.first().is_some_and(u8::is_ascii_alphanumeric)
        && !BROWSER_TOKENS.iter().any(|t| {
            rest.get(..t.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(t))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fits(bound: Bound, hay: &str, needle: &str) -> bool {
        hay.to_ascii_lowercase()
            .match_indices(&needle.to_ascii_lowercase())
            .any(|(s, m)| bound.fits(hay.as_bytes(), s, s + m.len()))
    }

    #[test]
    fn word_prefix_suffix_anywhere() {
        assert!(fits(Bound::Word, "Titan/2.0", "Titan"));
        assert!(!fits(Bound::Word, "Titanium/2.0", "Titan"));
        assert!(!fits(Bound::Word, "MyTitan/2.0", "Titan"));
        assert!(fits(Bound::Word, "Code/1.2 Chrome", "Code/"));
        assert!(fits(Bound::Prefix, "StatusCake_Uptime", "StatusCake"));
        assert!(!fits(Bound::Prefix, "MyStatusCake", "StatusCake"));
        assert!(fits(Bound::Suffix, "FooBot/1.0", "bot"));
        assert!(!fits(Bound::Suffix, "Bottom/1.0", "bot"));
        assert!(fits(Bound::Anywhere, "Crawler4j", "crawl"));
    }

    #[test]
    fn domains_end_a_host() {
        assert!(fits(Bound::Domain, "Foo (example.com)", ".com"));
        assert!(fits(Bound::Domain, "remove.bg/1.0", ".bg"));
        assert!(fits(Bound::Domain, "x example.com", ".com"));
        assert!(!fits(Bound::Domain, "App (br.com.bank.app)", ".com"));
        assert!(!fits(Bound::Domain, "IE; .NET CLR 2.0", ".net"));
        assert!(!fits(Bound::Domain, "x.community", ".com"));
        assert!(!fits(Bound::Domain, ".com", ".com"));
    }

    #[test]
    fn email_needs_local_part_and_domain() {
        assert!(fits(Bound::Email, "bot (admin@example.org)", "@"));
        assert!(fits(Bound::Email, "x; ops+ua@mail.example.com>", "@"));
        assert!(!fits(Bound::Email, "Safari (Ecosia ios@11.0.2)", "@"));
        assert!(!fits(Bound::Email, "a @example.com", "@"));
        assert!(!fits(Bound::Email, "a@localhost", "@"));
        assert!(!fits(Bound::Email, "a@", "@"));
        assert!(!fits(Bound::Email, "@", "@"));
    }

    #[test]
    fn compatible_with_a_product_not_a_browser() {
        assert!(fits(
            Bound::Compatible,
            "Mozilla/5.0 (compatible; Optimizer)",
            "compatible;"
        ));
        assert!(fits(
            Bound::Compatible,
            "Mozilla/5.0 (compatible;Impact Agent)",
            "compatible;"
        ));
        assert!(!fits(
            Bound::Compatible,
            "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1)",
            "compatible;"
        ));
        assert!(!fits(
            Bound::Compatible,
            "Mozilla/5.0 (compatible; Konqueror/4.5; Linux)",
            "compatible;"
        ));
        assert!(!fits(
            Bound::Compatible,
            "Mozilla/5.0 (compatible; )",
            "compatible;"
        ));
        assert!(!fits(Bound::Compatible, "compatible;", "compatible;"));
    }

    #[test]
    fn odd_ranges_do_not_panic() {
        for b in [
            Bound::Word,
            Bound::Prefix,
            Bound::Suffix,
            Bound::Anywhere,
            Bound::Domain,
            Bound::Email,
            Bound::Compatible,
        ] {
            for (s, e) in [(0, 0), (5, 3), (99, 120), (0, 99), (3, 3)] {
                let _ = b.fits(b"abc@d", s, e);
                let _ = b.fits(b"", s, e);
            }
        }
    }
}
