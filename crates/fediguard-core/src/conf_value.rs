//! Parsing of directive values, shared by every directive of the module.

/// `fediguard on | off | dry_run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Off,
    On,
    /// Decide and log, but let every request through.
    DryRun,
}

pub fn parse_mode(v: &str) -> Result<Mode, String> {
    match v {
        "on" => Ok(Mode::On),
        "off" => Ok(Mode::Off),
        "dry_run" => Ok(Mode::DryRun),
        _ => Err(format!(
            "invalid value \"{v}\": must be \"on\", \"off\" or \"dry_run\""
        )),
    }
}

/// An error_log level, as nginx numbers them (`NGX_LOG_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Error = 4,
    Warn = 5,
    Notice = 6,
    Info = 7,
}

impl LogLevel {
    /// One level lower (less severe), as limit_req logs delays below
    /// refusals; `info` stays `info`.
    pub fn lower(self) -> LogLevel {
        match self {
            LogLevel::Error => LogLevel::Warn,
            LogLevel::Warn => LogLevel::Notice,
            LogLevel::Notice | LogLevel::Info => LogLevel::Info,
        }
    }
}

pub fn parse_log_level(v: &str) -> Result<LogLevel, String> {
    match v {
        "info" => Ok(LogLevel::Info),
        "notice" => Ok(LogLevel::Notice),
        "warn" => Ok(LogLevel::Warn),
        "error" => Ok(LogLevel::Error),
        _ => Err(format!(
            "invalid value \"{v}\": must be \"info\", \"notice\", \"warn\" or \"error\""
        )),
    }
}

/// A response status for denied requests: 400 to 599, as `limit_req_status`.
pub fn parse_status(v: &str) -> Result<u16, String> {
    match v.parse::<u16>() {
        Ok(n) if (400..=599).contains(&n) && v.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(format!("value must be between 400 and 599, not \"{v}\"")),
    }
}

/// `on | off`.
pub fn parse_flag(v: &str) -> Result<bool, String> {
    match v {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("invalid value \"{v}\": must be \"on\" or \"off\"")),
    }
}

/// `fediguard_token_require off | valid | user`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Require {
    /// Classify only (variables and logs).
    #[default]
    Off,
    /// An app-only or a user token.
    Valid,
    /// A token bound to a user.
    User,
}

pub fn parse_require(v: &str) -> Result<Require, String> {
    match v {
        "off" => Ok(Require::Off),
        "valid" => Ok(Require::Valid),
        "user" => Ok(Require::User),
        _ => Err(format!(
            "invalid value \"{v}\": must be \"off\", \"valid\" or \"user\""
        )),
    }
}

/// `fediguard_token_fail open | closed`: what happens when a token cannot be
/// verified (backend down, slow, unreadable).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FailPolicy {
    Open,
    #[default]
    Closed,
}

pub fn parse_fail(v: &str) -> Result<FailPolicy, String> {
    match v {
        "open" => Ok(FailPolicy::Open),
        "closed" => Ok(FailPolicy::Closed),
        _ => Err(format!(
            "invalid value \"{v}\": must be \"open\" or \"closed\""
        )),
    }
}

/// A time in nginx's syntax (`500ms`, `5s`, `10m`, `1h`, `1d`, `1m30s`; a bare
/// number is seconds), in milliseconds.
pub fn parse_msec(v: &str) -> Result<u64, String> {
    let err = || format!("invalid time \"{v}\"");
    if v.is_empty() {
        return Err(err());
    }
    let mut total: u64 = 0;
    let mut rest = v;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 12 {
            return Err(err());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| err())?;
        rest = &rest[digits..];
        let (unit, len) = if rest.starts_with("ms") {
            (1, 2)
        } else {
            match rest.bytes().next() {
                None => (1000, 0),
                Some(b's') => (1000, 1),
                Some(b'm') => (60_000, 1),
                Some(b'h') => (3_600_000, 1),
                Some(b'd') => (86_400_000, 1),
                Some(b'w') => (604_800_000, 1),
                _ => return Err(err()),
            }
        };
        rest = &rest[len..];
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(err)?;
    }
    Ok(total)
}

/// A size in nginx's syntax (`512`, `64k`, `10m`, `1g`), in bytes.
pub fn parse_size(v: &str) -> Result<usize, String> {
    let err = || format!("invalid size \"{v}\"");
    let (num, mult) = match v.as_bytes().last() {
        Some(b'k' | b'K') => (&v[..v.len() - 1], 1usize << 10),
        Some(b'm' | b'M') => (&v[..v.len() - 1], 1 << 20),
        Some(b'g' | b'G') => (&v[..v.len() - 1], 1 << 30),
        _ => (v, 1),
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    num.parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(err)
}

/// `zone=name:size`, as `limit_req_zone` writes it.
pub fn parse_zone(v: &str) -> Result<(String, usize), String> {
    let spec = v
        .strip_prefix("zone=")
        .ok_or_else(|| format!("invalid parameter \"{v}\": expected zone=name:size"))?;
    let (name, size) = spec
        .rsplit_once(':')
        .ok_or_else(|| format!("invalid zone size in \"{v}\""))?;
    if name.is_empty() {
        return Err(format!("invalid zone name in \"{v}\""));
    }
    let size = parse_size(size).map_err(|_| format!("invalid zone size in \"{v}\""))?;
    Ok((name.to_string(), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(parse_mode("on"), Ok(Mode::On));
        assert_eq!(parse_mode("off"), Ok(Mode::Off));
        assert_eq!(parse_mode("dry_run"), Ok(Mode::DryRun));
        assert!(parse_mode("ON").is_err());
        assert!(parse_mode("dryrun").is_err());
    }

    #[test]
    fn statuses() {
        assert_eq!(parse_status("403"), Ok(403));
        assert_eq!(parse_status("400"), Ok(400));
        assert_eq!(parse_status("599"), Ok(599));
        for bad in ["399", "600", "200", "", "abc", "+403", "4030", "-1"] {
            assert!(parse_status(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn levels_and_flags() {
        assert_eq!(parse_log_level("info"), Ok(LogLevel::Info));
        assert_eq!(parse_log_level("error"), Ok(LogLevel::Error));
        assert!(parse_log_level("debug").is_err());
        assert_eq!(parse_flag("on"), Ok(true));
        assert!(parse_flag("yes").is_err());
    }

    #[test]
    fn times() {
        assert_eq!(parse_msec("5s"), Ok(5000));
        assert_eq!(parse_msec("10m"), Ok(600_000));
        assert_eq!(parse_msec("500ms"), Ok(500));
        assert_eq!(parse_msec("1m30s"), Ok(90_000));
        assert_eq!(parse_msec("2"), Ok(2000));
        assert_eq!(parse_msec("1h"), Ok(3_600_000));
        for bad in ["", "s", "5x", "-1s", "1.5s", "99999999999999999s"] {
            assert!(parse_msec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_and_zones() {
        assert_eq!(parse_size("10m"), Ok(10 << 20));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("m").is_err());
        assert!(parse_size("1x").is_err());
        assert_eq!(
            parse_zone("zone=tokens:10m"),
            Ok(("tokens".into(), 10 << 20))
        );
        assert!(parse_zone("tokens:10m").is_err());
        assert!(parse_zone("zone=:10m").is_err());
        assert!(parse_zone("zone=tokens").is_err());
        assert!(parse_zone("zone=tokens:abc").is_err());
    }

    #[test]
    fn require_and_fail() {
        assert_eq!(parse_require("user"), Ok(Require::User));
        assert_eq!(parse_require("valid"), Ok(Require::Valid));
        assert!(parse_require("app").is_err());
        assert_eq!(parse_fail("open"), Ok(FailPolicy::Open));
        assert!(parse_fail("maybe").is_err());
    }
}
