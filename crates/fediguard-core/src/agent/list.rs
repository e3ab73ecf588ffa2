//! Agent name lists (`fediguard_agent_list <class> <file>;`): the file's
//! names become whole-word rules of one class, checked like `fediguard_agent`
//! names.
//!
//! Two formats, told apart by content:
//! - ai.robots.txt's `robots.json`: a JSON object whose keys are the names
//!   (the values, the list's descriptions of each agent, are not used);
//! - plain text: one name per line; `#` starts a comment, to the end of the
//!   line; blank lines are skipped; spaces around a name are not part of it.
//!
//! A name is a literal, never a regex: `~` has no meaning here.

use super::pattern::MAX_PATTERN_LEN;
use super::{ClassId, Pattern, Rule};

/// Most names one list may hold: each is a pattern of the shared automaton,
/// and the biggest public lists hold a few hundred.
pub const MAX_LIST_NAMES: usize = 10_000;

/// Parses a list file into its names, each once (names differing only in
/// ASCII case are one name: matching ignores case). Plain lists keep file
/// order; JSON keys come sorted. Order does not matter for classification:
/// every name of a list gives the same class. An empty list gives no names;
/// whether that is an error is the caller's call. Errors name the line (and,
/// for JSON syntax, the column).
pub fn parse_list(bytes: &[u8]) -> Result<Vec<String>, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    // A JSON document starts with `{` (or `[`, to tell that it is not the
    // object expected); no agent name does.
    let names = if matches!(first, Some(b'{' | b'[')) {
        parse_json(bytes)?
    } else {
        parse_lines(bytes)?
    };
    let mut seen = std::collections::HashSet::new();
    let names: Vec<String> = names
        .into_iter()
        .filter(|n| seen.insert(n.to_ascii_lowercase()))
        .collect();
    if names.len() > MAX_LIST_NAMES {
        return Err(format!(
            "{} names, more than the {MAX_LIST_NAMES} a list may hold",
            names.len()
        ));
    }
    Ok(names)
}

/// The rules that give `class` to each of `names`, matched as whole words,
/// ASCII case-insensitively (`Titan` is not in `Titanium`). They go where
/// `fediguard_agent` rules go: before the built-in catalogue, in order.
pub fn list_rules(class: ClassId, names: &[String]) -> Result<Vec<Rule>, String> {
    names
        .iter()
        .map(|name| {
            check_name(name)?;
            Ok(Rule {
                class,
                pattern: Pattern::Word(name.clone()),
                needs_instance_url: false,
            })
        })
        .collect()
}

/// A usable name: not empty, bounded, without control characters (which
/// no agent header carries).
fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("empty agent name".into());
    }
    if name.len() > MAX_PATTERN_LEN {
        return Err(format!(
            "agent name is longer than {MAX_PATTERN_LEN} characters"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("agent name has a control character".into());
    }
    Ok(())
}

fn parse_lines(bytes: &[u8]) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = i + 1;
        let line =
            std::str::from_utf8(raw).map_err(|_| format!("line {line_no}: not UTF-8 text"))?;
        let name = line.split('#').next().unwrap_or_default().trim();
        if name.is_empty() {
            continue;
        }
        check_name(name).map_err(|e| format!("line {line_no}: {e}"))?;
        names.push(name.to_string());
    }
    Ok(names)
}

fn parse_json(bytes: &[u8]) -> Result<Vec<String>, String> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(bytes)
        .map_err(|e| {
            let text = e.to_string();
            let what = text.split(" at line ").next().unwrap_or(&text);
            format!("line {}, column {}: {what}", e.line(), e.column())
        })?;
    let text = String::from_utf8_lossy(bytes);
    let mut names = Vec::with_capacity(object.len());
    for key in object.keys() {
        let name = key.trim();
        check_name(name).map_err(|e| match line_of_key(&text, key) {
            Some(line) => format!("line {line}: {e}"),
            None => format!("key \"{}\": {e}", key.escape_default()),
        })?;
        names.push(name.to_string());
    }
    Ok(names)
}

/// The line where `"key"` first appears, for error messages.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    let at = text.find(&format!("\"{key}\""))?;
    Some(text[..at].matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_with_comments() {
        let text = b"# AI crawlers\nGPTBot\n\n  ClaudeBot   # Anthropic\r\nKangaroo Bot\ngptbot\n";
        assert_eq!(
            parse_list(text).unwrap(),
            vec!["GPTBot", "ClaudeBot", "Kangaroo Bot"]
        );
        assert_eq!(parse_list(b"").unwrap(), Vec::<String>::new());
        assert_eq!(
            parse_list(b"# only a comment\n\n").unwrap(),
            Vec::<String>::new()
        );
        // A leading `~` is a literal, never a regex.
        assert_eq!(parse_list(b"~odd\n").unwrap(), vec!["~odd"]);
    }

    #[test]
    fn json_object_keys() {
        let json = br#"
            {
              "GPTBot": {"operator": "x", "function": "y"},
              "Brightbot 1.0": {},
              "gptbot": {}
            }"#;
        let mut names = parse_list(json).unwrap();
        names.sort();
        assert_eq!(names, vec!["Brightbot 1.0", "GPTBot"]);
        // A byte-order mark before the object is allowed.
        assert_eq!(parse_list(b"\xef\xbb\xbf{\"A\": 1}").unwrap(), vec!["A"]);
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse_list(b"GPTBot\nBad\x01Name\n").unwrap_err();
        assert_eq!(err, "line 2: agent name has a control character");
        let err = parse_list(b"ok\n\xff\xfe\n").unwrap_err();
        assert_eq!(err, "line 2: not UTF-8 text");
        let long = format!("a\n{}\n", "x".repeat(MAX_PATTERN_LEN + 1));
        assert!(parse_list(long.as_bytes())
            .unwrap_err()
            .starts_with("line 2: "));
        let err = parse_list(b"{\n  \"A\": 1,\n  \"B\" 2\n}").unwrap_err();
        assert!(err.starts_with("line 3, column "), "{err}");
        assert!(!err.contains(" at line "), "{err}");
        let err = parse_list(b"{\"A\": 1,\n \"  \": 2}").unwrap_err();
        assert_eq!(err, "line 2: empty agent name");
        let err = parse_list(b"[\"A\"]").unwrap_err();
        assert!(err.starts_with("line 1, column "), "{err}");
    }

    #[test]
    fn too_many_names() {
        let text: String = (0..=MAX_LIST_NAMES).map(|i| format!("bot{i}\n")).collect();
        assert!(parse_list(text.as_bytes())
            .unwrap_err()
            .contains("more than"));
    }

    #[test]
    fn rules_are_whole_word_names_of_the_class() {
        let names = parse_list(b"Titan\n").unwrap();
        let rules = list_rules(ClassId::AI, &names).unwrap();
        assert_eq!(
            rules,
            vec![Rule {
                class: ClassId::AI,
                pattern: Pattern::Word("Titan".into()),
                needs_instance_url: false,
            }]
        );
        assert!(list_rules(ClassId::AI, &["".to_string()]).is_err());
    }
}
