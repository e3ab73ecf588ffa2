//! `fediguard_verify_zone`, `fediguard_verify_timeout`,
//! `fediguard_agent_ranges`, `fediguard_agent_verify`,
//! `fediguard_agent_deny_unverified`.

use fediguard_core::claim::domains::parse_domain;
use fediguard_core::claim::{parse_ranges, Setting};
use fediguard_core::conf_value::{parse_msec, parse_zone};

use super::conf::{ClaimLoc, ClaimMain};
use super::zone::{ClaimZone, DEFAULT_LOOKUPS, DEFAULT_VALID_MS};
use crate::agent::conf::ClassList;
use crate::glue::directive::{once, Directive};
use crate::limit::budget::BudgetArgs;

/// Most lookups in flight per worker one may ask for.
const MAX_LOOKUPS: u32 = 100_000;

/// `fediguard_verify_zone zone=name:size [valid=time] [lookups=number]
/// [lookup_rate=rate] [lookup_burst=number] [lookup_key=key];` (http)
pub fn set_verify_zone(d: &Directive, main: &mut ClaimMain) -> Result<(), String> {
    let n = "\"fediguard_verify_zone\"";
    if main.zone.is_some() {
        return Err(format!("{n} directive is duplicate"));
    }
    let (name, size) = parse_zone(d.args[0]).map_err(|e| format!("{n}: {e}"))?;
    let (mut valid, mut lookups) = (DEFAULT_VALID_MS, DEFAULT_LOOKUPS);
    let mut budget = BudgetArgs::new("lookup");
    for p in &d.args[1..] {
        if let Some((k, v)) = p.split_once('=') {
            if budget.take(k, v).map_err(|e| format!("{n}: {e}"))? {
                continue;
            }
        }
        match p.split_once('=') {
            Some(("valid", v)) => {
                valid = parse_msec(v)
                    .ok()
                    .filter(|&v| v > 0)
                    .ok_or_else(|| format!("{n}: invalid time \"{v}\""))?;
            }
            Some(("lookups", v)) => {
                lookups = v
                    .parse::<u32>()
                    .ok()
                    .filter(|&v| (1..=MAX_LOOKUPS).contains(&v))
                    .ok_or_else(|| format!("{n}: invalid number \"{v}\""))?;
            }
            _ => return Err(format!("{n}: invalid parameter \"{p}\"")),
        }
    }
    // The budget's buckets: a zone of their own, an eighth of the answers'.
    let budget = budget
        .build(d, &format!("{name}_lookup_budget"), size / 8)
        .map_err(|e| format!("{n}: {e}"))?;
    main.zone = Some(ClaimZone::add(d, &name, size, valid, lookups, budget)?);
    Ok(())
}

/// `fediguard_verify_timeout time;` (http, server, location)
pub fn set_verify_timeout(
    d: &Directive,
    _main: &mut ClaimMain,
    loc: &mut ClaimLoc,
) -> Result<(), String> {
    let t = parse_msec(d.args[0]).and_then(|t| match t {
        1..=60_000 => Ok(t),
        _ => Err(format!("\"{}\" is not between 1ms and 60s", d.args[0])),
    });
    once(&mut loc.timeout, "fediguard_verify_timeout", t)
}

/// `fediguard_agent_ranges name file;` (http): the file is read now (and
/// again at each reload); a relative path is taken from nginx's
/// configuration prefix, as `include` does.
pub fn set_agent_ranges(d: &Directive, main: &mut ClaimMain) -> Result<(), String> {
    let n = "\"fediguard_agent_ranges\"";
    let (name, file) = (d.args[0], d.args[1]);
    let path = d
        .full_name(file)
        .ok_or_else(|| format!("{n}: out of memory"))?;
    let bytes = std::fs::read(&path).map_err(|e| format!("{n}: cannot read \"{path}\": {e}"))?;
    let ranges = parse_ranges(&bytes).map_err(|e| format!("{n}: \"{path}\", {e}"))?;
    main.settings
        .push((name.to_string(), Setting::Ranges(ranges), d.place.clone()));
    Ok(())
}

/// `fediguard_agent_verify name rdns domain ... | host | off;` (http)
pub fn set_agent_verify(d: &Directive, main: &mut ClaimMain) -> Result<(), String> {
    let n = "\"fediguard_agent_verify\"";
    let a = &d.args;
    let setting = match (a[1], a.len()) {
        ("rdns", 3..) => Setting::Rdns(
            a[2..]
                .iter()
                .map(|d| parse_domain(d).map_err(|e| format!("{n}: {e}")))
                .collect::<Result<_, _>>()?,
        ),
        ("host", 2) => Setting::Host,
        ("off", 2) => Setting::Off,
        ("rdns", _) => return Err(format!("{n}: \"rdns\" needs at least one domain")),
        _ => {
            return Err(format!(
                "{n}: expected \"rdns domain ...\", \"host\" or \"off\" after the name"
            ))
        }
    };
    main.settings
        .push((a[0].to_string(), setting, d.place.clone()));
    Ok(())
}

/// `fediguard_agent_deny_unverified class ... | off;` (http, server,
/// location): lists add up at one level; a level that has it replaces what
/// it inherits; `off` clears the inherited list.
pub fn set_deny_unverified(
    d: &Directive,
    main: &mut ClaimMain,
    loc: &mut ClaimLoc,
) -> Result<(), String> {
    let a = &d.args;
    let list = loc.deny.get_or_insert_with(ClassList::default);
    for name in a {
        let alone = *name == "off" && (a.len() > 1 || !list.names.is_empty());
        if alone || list.names.iter().any(|n| n == "off") {
            return Err("\"fediguard_agent_deny_unverified off\" must stand alone".into());
        }
        main.class_refs.push((name.to_string(), d.place.clone()));
        list.names.push(name.to_string());
    }
    Ok(())
}
