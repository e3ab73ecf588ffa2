//! Warnings for `nginx -t`, as nginx warns about a conflicting server
//! name: directives that are valid but can have no effect where they
//! apply. Collected while nginx merges every location, reported once the
//! `http` block is merged (a directive written at a server applies to
//! every location below it: it is warned about only when it has no effect
//! in any of them).

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::glue::location::{LocAt, LocKind};

#[derive(Debug, Default)]
pub struct Lint {
    inner: RefCell<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// A directive (by its place) -> the warning, and whether it has an
    /// effect in some location.
    sites: BTreeMap<String, (String, bool)>,
    /// Every location seen, by server.
    locations: Vec<(usize, LocKind, String)>,
    /// Where `fediguard_token_verify` is in effect: server, prefix, place.
    verifies: Vec<(usize, String, String)>,
}

impl Lint {
    /// A location nginx merged.
    pub fn location(&self, at: &LocAt) {
        let mut i = self.inner.borrow_mut();
        i.locations.push((at.server, at.kind, at.name.clone()));
    }

    /// A directive at `place` applies here; `effective` whether it can act.
    pub fn site(&self, place: String, warning: impl FnOnce() -> String, effective: bool) {
        let mut i = self.inner.borrow_mut();
        let e = i.sites.entry(place).or_insert_with(|| (warning(), false));
        e.1 |= effective;
    }

    /// `fediguard_token_verify prefix` is in effect in a location of
    /// `server`: its subrequests go to `prefix/...`.
    pub fn verify(&self, server: usize, prefix: &str, place: String) {
        let mut i = self.inner.borrow_mut();
        i.verifies.push((server, prefix.to_string(), place));
    }

    /// The warnings, once everything is merged.
    pub fn warnings(&self) -> Vec<String> {
        let i = self.inner.borrow();
        let mut out: Vec<String> = i
            .sites
            .iter()
            .filter(|(_, (_, effective))| !effective)
            .map(|(place, (w, _))| with_place(w, place))
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        for (server, prefix, place) in &i.verifies {
            if !seen.insert((server, prefix, place)) {
                continue;
            }
            let path = format!("{prefix}/oauth/token/info");
            let served = i.locations.iter().any(|(s, kind, name)| {
                s == server
                    && match kind {
                        LocKind::Exact => *name == path,
                        LocKind::Prefix => name != "/" && path.starts_with(name.as_str()),
                        _ => false,
                    }
            });
            if !served {
                out.push(with_place(
                    &format!(
                        "fediguard_token_verify {prefix}: no location of this server but \
                         \"location /\" serves {path} (every token would be \"unknown\", \
                         answered 503)"
                    ),
                    place,
                ));
            }
        }
        out
    }
}

fn with_place(w: &str, place: &str) -> String {
    if place.is_empty() || place.ends_with(":0") {
        w.to_string()
    } else {
        format!("{w} in {place}")
    }
}
