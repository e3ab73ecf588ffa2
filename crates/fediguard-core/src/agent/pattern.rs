//! The pattern argument of `fediguard_agent`: a name, `~regex` or `~*regex`.

use regex::bytes::RegexBuilder;

/// Longest pattern accepted; agent strings are short, and a bounded pattern
/// keeps the compiled automaton small.
pub const MAX_PATTERN_LEN: usize = 1024;

/// Compiled regexes are limited in size so a pathological configuration fails
/// `nginx -t` instead of eating memory.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// A name matched as a whole word, ASCII case-insensitively.
    Word(String),
    /// A regular expression (Rust `regex` syntax) over the raw agent bytes.
    Regex {
        source: String,
        case_insensitive: bool,
    },
}

impl Pattern {
    /// Parses a directive argument the way nginx's `map` and `location` read
    /// theirs: `~` starts a case-sensitive regex, `~*` a case-insensitive one,
    /// and a leading `\` escapes a name that itself starts with `~`.
    pub fn parse(arg: &str) -> Result<Pattern, String> {
        if arg.len() > MAX_PATTERN_LEN {
            return Err(format!(
                "agent pattern is longer than {MAX_PATTERN_LEN} characters"
            ));
        }
        let pattern = if let Some(re) = arg.strip_prefix("~*") {
            Pattern::Regex {
                source: re.to_string(),
                case_insensitive: true,
            }
        } else if let Some(re) = arg.strip_prefix('~') {
            Pattern::Regex {
                source: re.to_string(),
                case_insensitive: false,
            }
        } else {
            let name = arg.strip_prefix('\\').unwrap_or(arg);
            if name.trim().is_empty() {
                return Err("empty agent name".into());
            }
            Pattern::Word(name.to_string())
        };
        if let Pattern::Regex {
            source,
            case_insensitive,
        } = &pattern
        {
            if source.is_empty() {
                return Err("empty agent regex".into());
            }
            compile_check(source, *case_insensitive)?;
        }
        Ok(pattern)
    }

    /// The regex as given to the regex engine, with its case flag inlined.
    pub(crate) fn regex_source(&self) -> Result<String, String> {
        match self {
            Pattern::Regex {
                source,
                case_insensitive: true,
            } => Ok(format!("(?i:{source})")),
            Pattern::Regex { source, .. } => Ok(format!("(?:{source})")),
            Pattern::Word(_) => Err("not a regex".into()),
        }
    }
}

fn compile_check(source: &str, case_insensitive: bool) -> Result<(), String> {
    RegexBuilder::new(source)
        .case_insensitive(case_insensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map(|_| ())
        .map_err(|e| {
            // The regex crate's message spans several lines; nginx -t prints one.
            let text = e.to_string();
            let flat: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            format!("invalid agent regex: {}", flat.join(" "))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(
            Pattern::parse("Titan").unwrap(),
            Pattern::Word("Titan".into())
        );
        assert_eq!(
            Pattern::parse("~^Foo").unwrap(),
            Pattern::Regex {
                source: "^Foo".into(),
                case_insensitive: false
            }
        );
        assert_eq!(
            Pattern::parse("~*bar$").unwrap(),
            Pattern::Regex {
                source: "bar$".into(),
                case_insensitive: true
            }
        );
        assert_eq!(
            Pattern::parse("\\~odd").unwrap(),
            Pattern::Word("~odd".into())
        );
    }

    #[test]
    fn rejects_bad_patterns() {
        let err = Pattern::parse("~(unclosed").unwrap_err();
        assert!(err.starts_with("invalid agent regex:"), "{err}");
        assert!(!err.contains('\n'));
        assert!(Pattern::parse("~").is_err());
        assert!(Pattern::parse("~*").is_err());
        assert!(Pattern::parse("").is_err());
        assert!(Pattern::parse("  ").is_err());
        assert!(Pattern::parse(&"a".repeat(MAX_PATTERN_LEN + 1)).is_err());
        // look-around is not in Rust's regex syntax: a clear error, not a crash
        assert!(Pattern::parse("~(?=x)").is_err());
    }
}
