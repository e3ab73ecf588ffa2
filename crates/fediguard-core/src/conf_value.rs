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
}
