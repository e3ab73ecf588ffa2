//! `fediguard_token_zone`, `fediguard_token_verify`,
//! `fediguard_token_require`, `fediguard_token_fail`.

use fediguard_core::conf_value::{parse_fail, parse_msec, parse_require, parse_zone};

use super::conf::{TokenLoc, TokenMain};
use super::inflight::DEFAULT_IN_FLIGHT;
use super::zone::{Lifetimes, TokenZone};
use crate::glue::directive::{once, Directive};
use crate::limit::budget::BudgetArgs;

/// `fediguard_token_zone zone=name:size [user=] [app=] [invalid=]
/// [unknown=] [verify_rate=] [verify_burst=] [verify_key=]
/// [verify_in_flight=] [sync];` (http)
pub fn set_token_zone(d: &Directive, main: &mut TokenMain) -> Result<(), String> {
    let a = &d.args;
    let n = "\"fediguard_token_zone\"";
    if main.zone.is_some() {
        return Err(format!("{n} directive is duplicate"));
    }
    let (name, size) = parse_zone(a[0]).map_err(|e| format!("{n}: {e}"))?;
    let mut lifetimes = Lifetimes::default();
    let mut sync = false;
    let mut in_flight = DEFAULT_IN_FLIGHT;
    let mut budget = BudgetArgs::new("verify");
    for p in &a[1..] {
        if *p == "sync" {
            sync = true;
            continue;
        }
        let (key, value) = p
            .split_once('=')
            .ok_or_else(|| format!("{n}: invalid parameter \"{p}\""))?;
        let number = |v: &str| {
            v.parse::<u32>()
                .ok()
                .filter(|&v| v > 0)
                .ok_or_else(|| format!("{n}: invalid number \"{v}\""))
        };
        if key == "verify_in_flight" {
            in_flight = number(value)?;
            continue;
        }
        if budget.take(key, value).map_err(|e| format!("{n}: {e}"))? {
            continue;
        }
        let slot = match key {
            "user" => &mut lifetimes.user,
            "app" => &mut lifetimes.app,
            "invalid" => &mut lifetimes.invalid,
            "unknown" => &mut lifetimes.unknown,
            _ => return Err(format!("{n}: invalid parameter \"{p}\"")),
        };
        *slot = parse_msec(value).map_err(|e| format!("{n}: {e}"))?;
    }
    // The budget's buckets: a zone of their own, an eighth of the verdicts'.
    let budget = budget
        .build(d, &format!("{name}_verify_budget"), size / 8)
        .map_err(|e| format!("{n}: {e}"))?;
    let zone = TokenZone::add(d, &name, size, lifetimes, sync, budget, in_flight)
        .map_err(|e| format!("{n}: {e}"))?;
    main.zone = Some(zone);
    Ok(())
}

/// `fediguard_token_verify prefix | off;`
pub fn set_token_verify(
    d: &Directive,
    main: &mut TokenMain,
    loc: &mut TokenLoc,
) -> Result<(), String> {
    let prefix = match d.args[0] {
        "off" => String::new(),
        p if p.starts_with('/') && !p.contains(['?', '#', ' ']) => {
            main.verify_places.push(d.place.clone());
            p.trim_end_matches('/').to_string()
        }
        p => {
            return Err(format!(
                "\"fediguard_token_verify\": invalid prefix \"{p}\": \
                 must be a location path starting with \"/\", or \"off\""
            ))
        }
    };
    loc.verify_place = d.place.to_string();
    once(&mut loc.verify, "fediguard_token_verify", Ok(prefix))
}

/// `fediguard_token_require off | valid | user;`
pub fn set_token_require(
    d: &Directive,
    _main: &mut TokenMain,
    loc: &mut TokenLoc,
) -> Result<(), String> {
    loc.require_place = d.place.to_string();
    once(
        &mut loc.require,
        "fediguard_token_require",
        parse_require(d.args[0]),
    )
}

/// `fediguard_token_fail open | closed;`
pub fn set_token_fail(
    d: &Directive,
    _main: &mut TokenMain,
    loc: &mut TokenLoc,
) -> Result<(), String> {
    once(&mut loc.fail, "fediguard_token_fail", parse_fail(d.args[0]))
}
