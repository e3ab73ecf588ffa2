//! A strict reader of Prometheus text exposition (format 0.0.4), for
//! checking what `fediguard_metrics` writes: every line must be a `# HELP`,
//! a `# TYPE` or a sample of a declared family.

use std::collections::BTreeMap;

fn is_name(s: &str, colon: bool) -> bool {
    let mut chars = s.chars();
    let ok_first = |c: char| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':');
    chars.next().is_some_and(ok_first)
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':'))
}

/// Reads `name{labels}` up to the value; returns the series and the rest.
fn series(line: &str) -> Result<(String, &str), String> {
    let end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..end];
    if !is_name(name, true) {
        return Err(format!("bad metric name {name:?}"));
    }
    let mut rest = &line[end..];
    if let Some(r) = rest.strip_prefix('{') {
        let mut r = r;
        loop {
            if let Some(after) = r.strip_prefix('}') {
                rest = after;
                break;
            }
            let eq = r.find('=').ok_or("label without =")?;
            if !is_name(&r[..eq], false) {
                return Err(format!("bad label name {:?}", &r[..eq]));
            }
            r = r[eq + 1..]
                .strip_prefix('"')
                .ok_or("label value not quoted")?;
            let mut escaped = false;
            let mut close = None;
            for (i, c) in r.char_indices() {
                match (escaped, c) {
                    (true, '\\' | '"' | 'n') => escaped = false,
                    (true, _) => return Err("bad escape in label value".into()),
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        close = Some(i);
                        break;
                    }
                    (false, '\n') => return Err("newline in label value".into()),
                    _ => {}
                }
            }
            r = &r[close.ok_or("unterminated label value")? + 1..];
            r = r.strip_prefix(',').unwrap_or(r);
        }
    }
    let series_text = &line[..line.len() - rest.len()];
    Ok((series_text.to_string(), rest))
}

/// Every sample of a valid exposition, by series (`name{labels}`); the
/// error names the first invalid line.
pub fn parse(text: &str) -> Result<BTreeMap<String, f64>, String> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut out = BTreeMap::new();
    if !text.ends_with('\n') {
        return Err("no final newline".into());
    }
    for line in text.lines() {
        let fail = |e: String| format!("{e}: {line:?}");
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').ok_or_else(|| fail("TYPE".into()))?;
            if !is_name(name, true)
                || !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind)
            {
                return Err(fail("bad TYPE".into()));
            }
            if types.insert(name.to_string(), kind.to_string()).is_some() {
                return Err(fail("family declared twice".into()));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap_or("");
            if !is_name(name, true) {
                return Err(fail("bad HELP".into()));
            }
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            return Err(fail("stray line".into()));
        }
        let (s, rest) = series(line).map_err(fail)?;
        let value = rest
            .strip_prefix(' ')
            .ok_or_else(|| fail("no space before value".into()))?;
        let v: f64 = value.parse().map_err(|_| fail("bad value".into()))?;
        let name = s.split('{').next().unwrap_or("");
        if !types.contains_key(name) {
            return Err(fail("sample of an undeclared family".into()));
        }
        if types[name] == "counter" && !name.ends_with("_total") {
            return Err(fail("counter not named _total".into()));
        }
        if out.insert(s, v).is_some() {
            return Err(fail("series twice".into()));
        }
    }
    Ok(out)
}

/// One series of the metrics page at `/metrics` (0 when absent).
pub fn metric(ngx: &crate::Nginx, series: &str) -> f64 {
    let text = ngx.get("/metrics", &[]).text();
    parse(&text)
        .expect("metrics parse")
        .get(series)
        .copied()
        .unwrap_or(0.0)
}
