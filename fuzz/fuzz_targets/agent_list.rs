//! Agent list files (`fediguard_agent_list`): `parse_list` (one name per
//! line, or ai.robots.txt's robots.json) and `list_rules`, then a matcher
//! built from the rules.
//!
//! Input: the file.
#![no_main]

use std::collections::HashSet;

use fediguard_core::agent::list::MAX_LIST_NAMES;
use fediguard_core::agent::{list_rules, parse_list, AgentMatcher, ClassId, Pattern};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let names = match parse_list(data) {
        Ok(n) => n,
        Err(e) => {
            // An error is one line for `nginx -t`.
            assert!(!e.is_empty() && !e.contains('\n'), "{e:?}");
            return;
        }
    };
    assert!(names.len() <= MAX_LIST_NAMES);
    let text = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    let json = matches!(
        text.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    );
    let keys: Option<serde_json::Map<String, serde_json::Value>> = if json {
        Some(serde_json::from_slice(text).expect("parsed as JSON, but serde_json disagrees"))
    } else {
        None
    };
    let mut seen = HashSet::new();
    for n in &names {
        assert!(!n.is_empty() && n.trim() == n && n.len() <= 1024, "{n:?}");
        assert!(!n.chars().any(char::is_control), "{n:?}");
        assert!(seen.insert(n.to_ascii_lowercase()), "{n:?} twice");
        match &keys {
            // A key of the object, trimmed.
            Some(k) => assert!(k.keys().any(|key| key.trim() == n), "{n:?}"),
            // A piece of a line, before any `#`.
            None => assert!(
                text.split(|&b| b == b'\n').any(|line| {
                    let line = String::from_utf8_lossy(line);
                    line.split('#').next().unwrap_or("").trim() == n
                }),
                "{n:?}"
            ),
        }
    }

    let rules = list_rules(ClassId::AI, &names).expect("parsed names make rules");
    assert_eq!(rules.len(), names.len());
    for (r, n) in rules.iter().zip(&names) {
        assert_eq!(r.class, ClassId::AI);
        assert_eq!(r.pattern, Pattern::Word(n.clone()));
        assert!(!r.needs_instance_url);
    }

    // Each name, alone or inside an agent, gets the list's class (the
    // catalogue off: only the list classifies).
    if names.is_empty() || names.len() > 32 {
        return;
    }
    let m = AgentMatcher::build(&rules, false).expect("a list's rules build");
    for n in &names {
        assert_eq!(m.classify(Some(n.as_bytes())).class, ClassId::AI, "{n:?}");
        let agent = format!("Mozilla/5.0 (compatible; {n}/1.0; +https://bot.example)");
        if agent.len() <= 1024 {
            assert_eq!(
                m.classify(Some(agent.as_bytes())).class,
                ClassId::AI,
                "{agent:?}"
            );
        }
    }
});
