//! `fediguard_signature_zone`, `fediguard_signature_keys`,
//! `fediguard_signature`.

use fediguard_core::claim::ranges::Cidr;
use fediguard_core::conf_value::{parse_msec, parse_zone};

use super::conf::{Keys, SignatureLoc, SignatureMain, SignatureMode};
use super::inflight::DEFAULT_IN_FLIGHT;
use super::zone::KeyZone;
use crate::glue::directive::{once, Directive};
use crate::limit::budget::BudgetArgs;

/// Keys are kept a day by default: Mastodon's keys live for years, and a
/// rotation is noticed by a failed signature (one refetch a minute).
pub const DEFAULT_VALID_MS: u64 = 24 * 3600 * 1000;

/// `fediguard_signature_zone zone=name:size [valid=time]
/// [fetch_rate=] [fetch_burst=] [fetch_key=] [fetch_in_flight=];` (http)
pub fn set_signature_zone(d: &Directive, main: &mut SignatureMain) -> Result<(), String> {
    let n = "\"fediguard_signature_zone\"";
    if main.zone.is_some() {
        return Err(format!("{n} directive is duplicate"));
    }
    let (name, size) = parse_zone(d.args[0]).map_err(|e| format!("{n}: {e}"))?;
    let mut valid = DEFAULT_VALID_MS;
    let mut in_flight = DEFAULT_IN_FLIGHT;
    let mut budget = BudgetArgs::new("fetch");
    for p in &d.args[1..] {
        let (key, value) = p
            .split_once('=')
            .ok_or_else(|| format!("{n}: invalid parameter \"{p}\""))?;
        match key {
            "valid" => valid = parse_msec(value).map_err(|e| format!("{n}: {e}"))?,
            "fetch_in_flight" => {
                in_flight = value
                    .parse::<u32>()
                    .ok()
                    .filter(|&v| v > 0)
                    .ok_or_else(|| format!("{n}: invalid number \"{value}\""))?
            }
            _ if budget.take(key, value).map_err(|e| format!("{n}: {e}"))? => {}
            _ => return Err(format!("{n}: invalid parameter \"{p}\"")),
        }
    }
    if valid == 0 {
        return Err(format!("{n}: valid= must be more than 0"));
    }
    let budget = budget
        .build(d, &format!("{name}_fetch_budget"), size / 8)
        .map_err(|e| format!("{n}: {e}"))?;
    main.zone = Some(
        KeyZone::add(d, &name, size, valid, budget, in_flight).map_err(|e| format!("{n}: {e}"))?,
    );
    Ok(())
}

/// `fediguard_signature_keys location [allow=cidr...];`
pub fn set_signature_keys(
    d: &Directive,
    _main: &mut SignatureMain,
    loc: &mut SignatureLoc,
) -> Result<(), String> {
    let n = "\"fediguard_signature_keys\"";
    let location = d.args[0];
    if !location.starts_with('/') || location.contains(['?', '#', ' ']) {
        return Err(format!(
            "{n}: invalid location \"{location}\": must be a path starting with \"/\""
        ));
    }
    let mut allow = Vec::new();
    for p in &d.args[1..] {
        let Some(list) = p.strip_prefix("allow=") else {
            return Err(format!("{n}: invalid parameter \"{p}\""));
        };
        for c in list.split(',') {
            allow.push(Cidr::parse(c).map_err(|e| format!("{n}: {e}"))?);
        }
    }
    let keys = Keys {
        location: location.to_string(),
        allow,
    };
    once(&mut loc.keys, "fediguard_signature_keys", Ok(keys))
}

/// `fediguard_signature on | require | off;`
pub fn set_signature(
    d: &Directive,
    main: &mut SignatureMain,
    loc: &mut SignatureLoc,
) -> Result<(), String> {
    let mode = match d.args[0] {
        "off" => SignatureMode::Off,
        "on" => SignatureMode::On,
        "require" => SignatureMode::Require,
        v => {
            return Err(format!(
                "\"fediguard_signature\": invalid value \"{v}\": must be on, require or off"
            ))
        }
    };
    if mode != SignatureMode::Off {
        main.places.push(d.place.clone());
    }
    once(&mut loc.mode, "fediguard_signature", Ok(mode))
}
