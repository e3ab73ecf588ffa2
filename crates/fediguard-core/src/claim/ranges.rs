//! Published address ranges (`fediguard_agent_ranges <name> <file>;`).
//!
//! Two file formats, told apart by content:
//! - the operators' JSON, as Google (`googlebot.json`), Bing
//!   (`bingbot.json`), OpenAI (`gptbot.json`, `searchbot.json`,
//!   `chatgpt-user.json`), Perplexity, Apple (`applebot.json`) and Common
//!   Crawl (`ccbot.json`) publish it:
//!   `{"prefixes":[{"ipv4Prefix":"66.249.64.0/27"},{"ipv6Prefix":"2001:4860:4801:10::/64"}]}`
//!   (other keys, such as `creationTime`, are ignored);
//! - plain text: one range per line (`192.0.2.0/24`, `2001:db8::/32`, or an
//!   address alone for a single address); `#` starts a comment, to the end
//!   of the line; blank lines are skipped.
//!
//! The ranges become a sorted table of disjoint intervals per family,
//! searched by binary search: a lookup costs about log2(n) comparisons,
//! which stays flat in practice (a table of 10,000 ranges takes 14).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Most ranges one file may hold (the biggest published lists hold a few
/// thousand).
pub const MAX_RANGES: usize = 1_000_000;

/// One CIDR range, its host bits cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// `a.b.c.d/n`, `x:y::/n`, or an address alone (all its bits). Host
    /// bits set below the prefix are cleared, as nginx's `geo` does.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("\"{s}\" is not an address range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max && !p.starts_with('+') => n,
                _ => return Err(format!("\"{s}\" has an invalid prefix length")),
            },
        };
        let addr = match addr {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask32(prefix))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask128(prefix))),
        };
        Ok(Cidr { addr, prefix })
    }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - prefix as u32).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - prefix as u32).unwrap_or(0)
}

/// Parses a ranges file (JSON or one range per line). An empty list is an
/// error: a file that names nothing is most likely not the one meant.
/// Errors name the line, or the entry of the JSON list.
pub fn parse_ranges(bytes: &[u8]) -> Result<Vec<Cidr>, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let ranges = if matches!(first, Some(b'{' | b'[')) {
        parse_json(bytes)?
    } else {
        parse_lines(bytes)?
    };
    if ranges.is_empty() {
        return Err("no address ranges in the file".into());
    }
    if ranges.len() > MAX_RANGES {
        return Err(format!(
            "{} ranges, more than the {MAX_RANGES} a file may hold",
            ranges.len()
        ));
    }
    Ok(ranges)
}

fn parse_json(bytes: &[u8]) -> Result<Vec<Cidr>, String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| format!("{e}"))?;
    let list = v
        .get("prefixes")
        .and_then(|p| p.as_array())
        .ok_or("a JSON file needs a \"prefixes\" list")?;
    list.iter()
        .enumerate()
        .map(|(i, entry)| {
            let text = entry
                .get("ipv4Prefix")
                .or_else(|| entry.get("ipv6Prefix"))
                .and_then(|p| p.as_str())
                .ok_or_else(|| {
                    format!(
                        "prefix {} has neither \"ipv4Prefix\" nor \"ipv6Prefix\"",
                        i + 1
                    )
                })?;
            Cidr::parse(text).map_err(|e| format!("prefix {}: {e}", i + 1))
        })
        .collect()
}

fn parse_lines(bytes: &[u8]) -> Result<Vec<Cidr>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text")?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        out.push(Cidr::parse(line).map_err(|e| format!("line {}: {e}", n + 1))?);
    }
    Ok(out)
}

/// Disjoint, sorted intervals of addresses, one table per family.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeTable {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl RangeTable {
    pub fn new(ranges: &[Cidr]) -> RangeTable {
        let mut t = RangeTable::default();
        t.add(ranges);
        t
    }

    /// Adds ranges (another file under the same name).
    pub fn add(&mut self, ranges: &[Cidr]) {
        for c in ranges {
            match c.addr {
                IpAddr::V4(a) => {
                    let lo = u32::from(a);
                    self.v4.push((lo, lo | !mask32(c.prefix)));
                }
                IpAddr::V6(a) => {
                    let lo = u128::from(a);
                    self.v6.push((lo, lo | !mask128(c.prefix)));
                }
            }
        }
        self.v4 = merge(core::mem::take(&mut self.v4), |x| x.checked_add(1));
        self.v6 = merge(core::mem::take(&mut self.v6), |x| x.checked_add(1));
    }

    /// Disjoint intervals in the table (adjacent and overlapping ranges
    /// are joined).
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `addr` is in a range; an IPv4-mapped IPv6 address
    /// (`::ffff:192.0.2.1`, as a dual-stack listener sees IPv4 clients) is
    /// looked up as the IPv4 address it is.
    pub fn contains(&self, addr: IpAddr) -> bool {
        match canonical(addr) {
            IpAddr::V4(a) => find(&self.v4, u32::from(a)),
            IpAddr::V6(a) => find(&self.v6, u128::from(a)),
        }
    }
}

/// An IPv4-mapped IPv6 address as IPv4; any other address as it is.
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(a),
        },
        v4 => v4,
    }
}

fn merge<T: Copy + Ord>(mut v: Vec<(T, T)>, next: impl Fn(T) -> Option<T>) -> Vec<(T, T)> {
    v.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(v.len());
    for (lo, hi) in v {
        if let Some(last) = out.last_mut() {
            // Overlapping or adjacent: one interval.
            if next(last.1).is_none_or(|n| lo <= n) {
                last.1 = last.1.max(hi);
                continue;
            }
        }
        out.push((lo, hi));
    }
    out.shrink_to_fit();
    out
}

fn find<T: Copy + Ord>(v: &[(T, T)], x: T) -> bool {
    // The last interval starting at or before x is the only candidate.
    let i = v.partition_point(|&(lo, _)| lo <= x);
    i > 0 && v.get(i - 1).is_some_and(|&(_, hi)| x <= hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn reads_the_operators_json() {
        let json = br#"{"creationTime":"2026-01-01T00:00:00.000000","prefixes":[
            {"ipv6Prefix":"2001:4860:4801:10::/64"},{"ipv4Prefix":"66.249.64.0/27"}]}"#;
        let r = parse_ranges(json).unwrap();
        assert_eq!(r.len(), 2);
        let t = RangeTable::new(&r);
        assert!(t.contains(ip("66.249.64.0")));
        assert!(t.contains(ip("66.249.64.31")));
        assert!(!t.contains(ip("66.249.64.32")));
        assert!(!t.contains(ip("66.249.63.255")));
        assert!(t.contains(ip("2001:4860:4801:10::1")));
        assert!(t.contains(ip("2001:4860:4801:10:ffff:ffff:ffff:ffff")));
        assert!(!t.contains(ip("2001:4860:4801:11::")));
        // A dual-stack listener's view of an IPv4 client.
        assert!(t.contains(ip("::ffff:66.249.64.7")));
    }

    #[test]
    fn reads_one_range_per_line() {
        let text = b"# GPTBot\n192.0.2.0/24\n\n  198.51.100.7  # one address\n2001:db8::/32\n::1\n";
        let t = RangeTable::new(&parse_ranges(text).unwrap());
        assert!(t.contains(ip("192.0.2.200")));
        assert!(t.contains(ip("198.51.100.7")));
        assert!(!t.contains(ip("198.51.100.8")));
        assert!(t.contains(ip("2001:db8:1::5")));
        assert!(t.contains(ip("::1")));
        assert!(!t.contains(ip("::2")));
    }

    #[test]
    fn errors_name_the_place() {
        let e = parse_ranges(b"192.0.2.0/24\nnot-a-range\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let e = parse_ranges(b"192.0.2.0/33\n").unwrap_err();
        assert!(e.contains("prefix length"), "{e}");
        let e = parse_ranges(br#"{"prefixes":[{"ipv4Prefix":"1.2.3.0/24"},{"x":1}]}"#).unwrap_err();
        assert!(e.contains("prefix 2"), "{e}");
        let e = parse_ranges(br#"{"creationTime":"x"}"#).unwrap_err();
        assert!(e.contains("prefixes"), "{e}");
        let e = parse_ranges(b"{ not json").unwrap_err();
        assert!(e.contains("line 1"), "{e}");
        assert!(parse_ranges(b"# nothing\n\n").is_err());
        assert!(parse_ranges(br#"{"prefixes":[]}"#).is_err());
    }

    #[test]
    fn host_bits_are_cleared_and_edges_hold() {
        let c = Cidr::parse("66.249.64.5/27").unwrap();
        assert_eq!(c.addr, ip("66.249.64.0"));
        let t = RangeTable::new(&[
            Cidr::parse("0.0.0.0/0").unwrap(),
            Cidr::parse("::/0").unwrap(),
        ]);
        assert!(t.contains(ip("255.255.255.255")));
        assert!(t.contains(ip("0.0.0.0")));
        assert!(t.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn overlapping_and_adjacent_ranges_are_joined() {
        let r: Vec<Cidr> = ["10.0.0.0/24", "10.0.1.0/24", "10.0.0.128/25", "10.0.3.0/24"]
            .iter()
            .map(|s| Cidr::parse(s).unwrap())
            .collect();
        let t = RangeTable::new(&r);
        assert_eq!(t.len(), 2);
        assert!(t.contains(ip("10.0.1.255")));
        assert!(!t.contains(ip("10.0.2.0")));
        assert!(t.contains(ip("10.0.3.9")));
    }

    /// The table against a linear scan of the ranges, on many addresses.
    #[test]
    fn same_answers_as_a_linear_scan() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let ranges: Vec<Cidr> = (0..2000)
            .map(|_| {
                let a = Ipv4Addr::from((rnd() as u32) & 0x0fff_ffff);
                let p = 8 + (rnd() % 25) as u8;
                Cidr::parse(&format!("{a}/{p}")).unwrap()
            })
            .collect();
        let t = RangeTable::new(&ranges);
        for _ in 0..20_000 {
            let a = (rnd() as u32) & 0x0fff_ffff;
            let linear = ranges.iter().any(|c| match c.addr {
                IpAddr::V4(lo) => a & mask32(c.prefix) == u32::from(lo),
                _ => false,
            });
            assert_eq!(t.contains(IpAddr::V4(Ipv4Addr::from(a))), linear);
        }
    }
}
