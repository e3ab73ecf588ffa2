//! `fediguard_limit_zone`, `fediguard_limit`, `fediguard_limit_after`,
//! `fediguard_limit_status`.

use fediguard_core::conf_value::{parse_status, parse_zone};
use fediguard_core::limit::{parse_cost, parse_rate};

use super::conf::{Cost, LimitLoc, LimitMain, LimitRef, MAX_LIMITS};
use super::zone::{LimitTable, LimitZone};
use crate::glue::directive::{once, Directive};
use crate::glue::key::Key;
use crate::glue::zone::SharedZone;

/// `fediguard_limit_zone key zone=name:size rate=rate [sync];` (http)
pub fn set_limit_zone(dir: &Directive, main: &mut LimitMain) -> Result<(), String> {
    let a = &dir.args;
    let d = "\"fediguard_limit_zone\"";
    let (mut zone, mut rate, mut sync) = (None, None, false);
    for p in &a[1..] {
        if *p == "sync" {
            sync = true;
        } else if p.starts_with("zone=") {
            zone = Some(parse_zone(p).map_err(|e| format!("{d}: {e}"))?);
        } else if let Some(r) = p.strip_prefix("rate=") {
            rate = Some(parse_rate(r).map_err(|e| format!("{d}: {e}"))?);
        } else {
            return Err(format!("{d}: invalid parameter \"{p}\""));
        }
    }
    let (Some((name, size)), Some(rate)) = (zone, rate) else {
        return Err(format!("{d}: zone=name:size and rate= are required"));
    };
    if main.zones.iter().any(|z| z.name == name) {
        return Err(format!("{d}: duplicate zone \"{name}\""));
    }
    let key = Key::new(dir, a[0]).map_err(|e| format!("{d}: {e}"))?;
    let shared = if sync {
        SharedZone::add(dir, &name, size).map(LimitTable::Cluster)
    } else {
        SharedZone::add(dir, &name, size).map(LimitTable::Local)
    }
    .map_err(|e| format!("{d}: {e}"))?;
    main.zones.push(LimitZone {
        name,
        rate,
        key,
        key_uses_token: uses_token(a[0]),
        key_uses_claim: uses_claim(a[0]),
        key_uses_signer: uses_signer(a[0]),
        zone: shared,
        keep_ms: 0,
        place: dir.place.clone(),
    });
    Ok(())
}

/// A key or cost that names `$fediguard_agent_verified`: its limits are
/// checked after the agent's claim is.
fn uses_claim(value: &str) -> bool {
    value.split('$').skip(1).any(|v| {
        v.trim_start_matches('{')
            .starts_with("fediguard_agent_verified")
    })
}

/// A key or cost that names `$fediguard_signer` or a
/// `$fediguard_signature*` variable: its limits are checked after the
/// signature is.
fn uses_signer(value: &str) -> bool {
    value.split('$').skip(1).any(|v| {
        let name = v.trim_start_matches('{');
        name.starts_with("fediguard_signer") || name.starts_with("fediguard_signature")
    })
}

/// The variables a limit can use only once the token is verified.
const TOKEN_VARIABLES: [&str; 4] = [
    "fediguard_token_",
    "fediguard_account",
    "fediguard_app_",
    "fediguard_reason",
];

/// A key or cost that names a token variable (`$fediguard_token_class`,
/// `${fediguard_account}`, ...): its limits are checked after the token's
/// verification. One read through a `map` is not seen here: the access
/// phase notices it when it computes the key (docs/security.md, "Budgets").
fn uses_token(value: &str) -> bool {
    value.split('$').skip(1).any(|v| {
        let name = v.trim_start_matches('{');
        TOKEN_VARIABLES.iter().any(|t| name.starts_with(t))
    })
}

/// Parses `zone=name [burst=n] [nodelay | delay=n] [cost=value]`.
fn parse_limit(dir: &Directive, d: &str, args: &[&str], after: bool) -> Result<LimitRef, String> {
    let mut r = LimitRef {
        zone_name: String::new(),
        zone: 0,
        burst: 0,
        delay: 0,
        cost: Cost::Fixed(1000),
        cost_uses_token: false,
        cost_uses_claim: false,
        cost_uses_signer: false,
    };
    let mut nodelay = false;
    let mut delay = None;
    let number = |v: &str| -> Result<u64, String> {
        v.parse::<u32>()
            .map(|n| n as u64 * 1000)
            .map_err(|_| format!("{d}: invalid number \"{v}\""))
    };
    for p in args {
        if let Some(z) = p.strip_prefix("zone=") {
            r.zone_name = z.to_string();
        } else if let (false, Some(b)) = (after, p.strip_prefix("burst=")) {
            r.burst = number(b)?;
        } else if let (false, Some(v)) = (after, p.strip_prefix("delay=")) {
            delay = Some(number(v)?);
        } else if !after && *p == "nodelay" {
            nodelay = true;
        } else if let Some(c) = p.strip_prefix("cost=") {
            r.cost_uses_token = uses_token(c);
            r.cost_uses_claim = uses_claim(c);
            r.cost_uses_signer = uses_signer(c);
            r.cost = if c.contains('$') {
                Cost::Computed(dir.complex_value(c).map_err(|e| format!("{d}: {e}"))?)
            } else {
                Cost::Fixed(
                    parse_cost(c.as_bytes()).ok_or_else(|| format!("{d}: invalid cost \"{c}\""))?,
                )
            };
        } else {
            return Err(format!("{d}: invalid parameter \"{p}\""));
        }
    }
    if r.zone_name.is_empty() {
        return Err(format!("{d}: zone= is required"));
    }
    if nodelay && delay.is_some() {
        return Err(format!(
            "{d}: \"nodelay\" and \"delay=\" exclude each other"
        ));
    }
    r.delay = if nodelay {
        r.burst
    } else {
        delay.unwrap_or(0).min(r.burst)
    };
    if after && matches!(r.cost, Cost::Fixed(1000)) && !args.iter().any(|p| p.starts_with("cost="))
    {
        return Err(format!("{d}: cost= is required"));
    }
    Ok(r)
}

fn add_limit(
    dir: &Directive,
    main: &mut LimitMain,
    loc: &mut LimitLoc,
    after: bool,
) -> Result<(), String> {
    let d = if after {
        "\"fediguard_limit_after\""
    } else {
        "\"fediguard_limit\""
    };
    let r = parse_limit(dir, d, &dir.args, after)?;
    main.refs.push((r.zone_name.clone(), dir.place.clone()));
    let list = if after {
        &mut loc.after
    } else {
        &mut loc.limits
    };
    let list = list.get_or_insert_with(Vec::new);
    if list.len() >= MAX_LIMITS {
        return Err(format!("{d}: at most {MAX_LIMITS} per location"));
    }
    list.push(r);
    Ok(())
}

/// `fediguard_limit zone=name [burst=] [nodelay | delay=] [cost=];`
pub fn set_limit(d: &Directive, main: &mut LimitMain, loc: &mut LimitLoc) -> Result<(), String> {
    add_limit(d, main, loc, false)
}

/// `fediguard_limit_after zone=name cost=value;`
pub fn set_limit_after(
    d: &Directive,
    main: &mut LimitMain,
    loc: &mut LimitLoc,
) -> Result<(), String> {
    add_limit(d, main, loc, true)
}

/// `fediguard_limit_status code;`
pub fn set_limit_status(
    d: &Directive,
    _main: &mut LimitMain,
    loc: &mut LimitLoc,
) -> Result<(), String> {
    once(
        &mut loc.status,
        "fediguard_limit_status",
        parse_status(d.args[0]),
    )
}
