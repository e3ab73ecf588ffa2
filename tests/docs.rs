//! The documentation against the module: every directive of the module's
//! directive table has its entry in `docs/directives.md` (with `Syntax:`,
//! `Default:` and `Context:`), every entry there is a directive of the
//! table; likewise the variable table and `docs/variables.md`; and the
//! relative links of the README and of `docs/` lead somewhere.
//!
//! The tables are found by their type, wherever they are in `src/`: the
//! body of every array of `ngx_command_t` (the directive table) and of
//! `VarDef` (the variable table), whose `"fediguard..."`
//! string literals are the names nginx registers. Comments are left out, so
//! a directive merely mentioned in one does not count. No nginx needed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A Rust source with its comments blanked out (string and character
/// literals kept, so that `"http://"` is not taken for a comment).
fn without_comments(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(b' ');
            }
            // A raw string (r"...", r#"..."#), kept whole.
            b'r' if (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
                && matches!(b.get(i + 1), Some(b'"' | b'#')) =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                let open = i + 1 + hashes;
                if b.get(open) != Some(&b'"') {
                    out.push(b[i]);
                    i += 1;
                    continue;
                }
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                let end = b[open + 1..]
                    .windows(close.len())
                    .position(|w| w == close.as_slice())
                    .map_or(b.len(), |p| open + 1 + p + close.len());
                out.extend_from_slice(&b[i..end]);
                i = end;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.extend_from_slice(&b[start..i.min(b.len())]);
            }
            // A character literal ('"', '\''), not a lifetime ('a).
            b'\'' if b.get(i + 2) == Some(&b'\'') || b.get(i + 1) == Some(&b'\\') => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'\'' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.extend_from_slice(&b[start..i.min(b.len())]);
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("comments cut at ASCII bytes")
}

/// The string literals of `src`, in order.
fn string_literals(src: &str) -> Vec<String> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            let start = i + 1;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            out.push(src[start..i.min(b.len())].to_string());
        }
        i += 1;
    }
    out
}

/// The bodies of the arrays of `ty` in `src` (`[ty; N] = [ ... ]`, the type
/// possibly written with its path), each with its declared length when that
/// is a number.
fn array_bodies<'a>(src: &'a str, ty: &str) -> Vec<(&'a str, Option<usize>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = src[from..].find(ty) {
        let at = from + at;
        from = at + ty.len();
        // `[`, then the type or a path ending in it.
        let before =
            src[..at].trim_end_matches(|c: char| c.is_alphanumeric() || c == '_' || c == ':');
        let ident_start = before.len();
        let path = &src[ident_start..at];
        if !(path.is_empty() || path.ends_with("::")) || !before.trim_end().ends_with('[') {
            continue;
        }
        // The identifier must be exactly `ty`.
        let after = &src[from..];
        if after.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let after = after.trim_start();
        let Some(len_part) = after.strip_prefix(';') else {
            continue;
        };
        let Some(close) = len_part.find(']') else {
            continue;
        };
        let len = len_part[..close].trim().replace('_', "").parse().ok();
        let rest = len_part[close + 1..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        if !rest.starts_with('[') {
            continue;
        }
        let body_start = src.len() - rest.len() + 1;
        let mut depth = 1;
        let mut in_str = false;
        let bytes = src.as_bytes();
        let mut i = body_start;
        while i < bytes.len() && depth > 0 {
            match bytes[i] {
                b'\\' if in_str => i += 1,
                b'"' => in_str = !in_str,
                b'[' if !in_str => depth += 1,
                b']' if !in_str => depth -= 1,
                _ => {}
            }
            i += 1;
        }
        out.push((&src[body_start..i - 1], len));
    }
    out
}

fn is_fediguard_name(s: &str) -> bool {
    s.starts_with("fediguard")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && (s == "fediguard" || s.starts_with("fediguard_"))
}

/// The `fediguard...` names of every table of `ty` in `src/`.
fn table_names(ty: &str) -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files.sort();
    let mut names = BTreeSet::new();
    let mut tables = 0;
    for file in &files {
        let src = without_comments(&read(file));
        for (body, len) in array_bodies(&src, ty) {
            tables += 1;
            let found: Vec<String> = string_literals(body)
                .into_iter()
                .filter(|s| is_fediguard_name(s))
                .collect();
            // Every entry is seen: the array's length is its names and
            // its terminator (nginx's null command), if any.
            if let Some(len) = len {
                let terminators = body.matches("empty()").count();
                assert_eq!(
                    found.len() + terminators,
                    len,
                    "{}: the array of {ty} has {len} entries, the test sees the names of {} \
                     (an entry whose name is not a \"fediguard...\" literal?)",
                    file.display(),
                    found.len()
                );
            }
            names.extend(found);
        }
    }
    assert!(
        tables > 0,
        "no array of {ty} in src/: where has the table gone?"
    );
    names
}

/// The `### fediguard...` entries of docs/directives.md: name to the lines
/// of its section.
fn documented_directives(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
        }
        if !fence && line.starts_with('#') {
            current = None;
            if let Some(name) = line.strip_prefix("### ") {
                let name = name.trim().trim_matches('`').to_string();
                if is_fediguard_name(&name) {
                    assert!(
                        !out.contains_key(&name),
                        "docs/directives.md: \"### {name}\" twice"
                    );
                    out.insert(name.clone(), Vec::new());
                    current = Some(name);
                }
            }
            continue;
        }
        if let Some(name) = &current {
            out.get_mut(name).expect("inserted").push(line.to_string());
        }
    }
    out
}

/// The value of the `field:` line of an entry (`Syntax:  ...`, also as
/// `**Syntax:** `...``), when there is one.
fn field<'a>(lines: &'a [String], field: &str) -> Option<&'a str> {
    let label = format!("{field}:");
    lines.iter().find_map(|l| {
        let l = l.trim().trim_start_matches(['*', '|', ' ']);
        let rest = l.strip_prefix(&label)?;
        Some(rest.trim().trim_matches(['*', '`', '|', ' ']))
    })
}

#[test]
fn every_directive_is_documented_and_every_documented_one_exists() {
    let table = table_names("ngx_command_t");
    assert!(
        table.len() >= 20,
        "only {} directives found in src/: {table:?}",
        table.len()
    );
    let doc_path = root().join("docs/directives.md");
    let docs = documented_directives(&read(&doc_path));

    let missing: Vec<_> = table.iter().filter(|n| !docs.contains_key(*n)).collect();
    assert!(
        missing.is_empty(),
        "directives of the module without a \"### name\" entry in docs/directives.md: {missing:?}"
    );
    let unknown: Vec<_> = docs.keys().filter(|n| !table.contains(*n)).collect();
    assert!(
        unknown.is_empty(),
        "docs/directives.md documents directives the module does not have: {unknown:?}"
    );

    let contexts = ["http", "server", "location"];
    let mut problems = Vec::new();
    for (name, lines) in &docs {
        for f in ["Syntax", "Default", "Context"] {
            if field(lines, f).is_none_or(str::is_empty) {
                problems.push(format!("{name}: no \"{f}:\" line"));
            }
        }
        if let Some(syntax) = field(lines, "Syntax") {
            let first = syntax.split_whitespace().next().unwrap_or("");
            if first.trim_end_matches(';') != name {
                problems.push(format!("{name}: \"Syntax: {syntax}\" is not of {name}"));
            }
        }
        if let Some(default) = field(lines, "Default") {
            let first = default.split_whitespace().next().unwrap_or("");
            if default != "—" && first.trim_end_matches(';') != name {
                problems.push(format!(
                    "{name}: \"Default: {default}\" is neither \"—\" nor \"{name} value;\""
                ));
            }
        }
        if let Some(context) = field(lines, "Context") {
            for c in context.split(',').map(|c| c.trim().trim_matches('`')) {
                if !contexts.contains(&c) {
                    problems.push(format!(
                        "{name}: context \"{c}\" is not one of {contexts:?}"
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "docs/directives.md:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_variable_is_documented_and_every_documented_one_exists() {
    let table = table_names("VarDef");
    let text = read(&root().join("docs/variables.md"));
    // The rows of the table: | `$fediguard_...` | ... |
    let docs: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("| `$"))
        .filter_map(|l| l.split('`').next())
        .filter(|n| is_fediguard_name(n))
        .map(str::to_string)
        .collect();
    let missing: Vec<_> = table.difference(&docs).collect();
    assert!(
        missing.is_empty(),
        "variables of the module without a row in docs/variables.md: {missing:?}"
    );
    let unknown: Vec<_> = docs.difference(&table).collect();
    assert!(
        unknown.is_empty(),
        "docs/variables.md lists variables the module does not have: {unknown:?}"
    );
}

/// GitHub's anchor of a heading: lower case, punctuation dropped but `-`
/// and `_`, spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a markdown file's headings (outside code blocks).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
            continue;
        }
        if fence || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#');
        if !title.starts_with(' ') {
            continue;
        }
        let s = slug(title);
        let n = seen.entry(s.clone()).or_insert(0);
        out.insert(if *n == 0 {
            s.clone()
        } else {
            format!("{s}-{n}")
        });
        *n += 1;
    }
    out
}

/// The targets of the inline links and images of a markdown text, outside
/// code blocks and code spans.
fn link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        // Drop code spans, then look for `](target)`.
        let mut plain = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                plain.push_str(part);
            }
        }
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find(')') {
                out.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }
    out
}

#[test]
fn links_of_the_readme_and_docs_lead_somewhere() {
    let root = root();
    let mut pages = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(root.join("docs"))
        .expect("docs/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    let mut broken = Vec::new();
    for page in &pages {
        let text = read(page);
        let dir = page.parent().expect("a page has a folder");
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (target.as_str(), None),
            };
            let path = if file.is_empty() {
                page.clone()
            } else {
                dir.join(file)
            };
            let name = page
                .strip_prefix(&root)
                .unwrap_or(page)
                .display()
                .to_string();
            if !path.exists() {
                broken.push(format!("{name}: ({target}): no {}", path.display()));
                continue;
            }
            if let Some(anchor) = anchor {
                if path.extension().is_some_and(|e| e == "md")
                    && !anchors(&read(&path)).contains(anchor)
                {
                    broken.push(format!("{name}: ({target}): no heading with that anchor"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
