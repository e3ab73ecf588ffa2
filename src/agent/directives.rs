//! `fediguard_agent`, `fediguard_agent_catalog`, `fediguard_agent_deny`.

use fediguard_core::agent::{list_rules, parse_list, Pattern, Rule};
use fediguard_core::conf_value::parse_flag;

use super::conf::{AgentLoc, AgentMain, ClassList};
use crate::glue::directive::{once, Directive};

/// `fediguard_agent class pattern;` (http)
pub fn set_agent(d: &Directive, main: &mut AgentMain) -> Result<(), String> {
    let a = &d.args;
    let pattern = Pattern::parse(a[1]).map_err(|e| format!("\"fediguard_agent\": {e}"))?;
    if a[0] == "off" {
        return Err("\"fediguard_agent\": \"off\" is not a class name".into());
    }
    let class = main
        .classes
        .intern(a[0])
        .map_err(|e| format!("\"fediguard_agent\": {e}"))?;
    main.rules.push(Rule {
        class,
        pattern,
        needs_instance_url: false,
    });
    Ok(())
}

/// `fediguard_agent_list class file;` (http): every name of the file (one
/// per line, or ai.robots.txt's `robots.json`) as a rule of `class`, read
/// when the configuration is loaded (a reload reads it again). A relative
/// path is taken from nginx's configuration prefix, as `include` does.
pub fn set_agent_list(d: &Directive, main: &mut AgentMain) -> Result<(), String> {
    let n = "\"fediguard_agent_list\"";
    let (class_name, file) = (d.args[0], d.args[1]);
    if class_name == "off" {
        return Err(format!("{n}: \"off\" is not a class name"));
    }
    let path = d
        .full_name(file)
        .ok_or_else(|| format!("{n}: out of memory"))?;
    let bytes = std::fs::read(&path).map_err(|e| format!("{n}: cannot read \"{path}\": {e}"))?;
    let names = parse_list(&bytes).map_err(|e| format!("{n}: \"{path}\", {e}"))?;
    let class = main
        .classes
        .intern(class_name)
        .map_err(|e| format!("{n}: {e}"))?;
    let rules = list_rules(class, &names).map_err(|e| format!("{n}: \"{path}\", {e}"))?;
    main.rules.extend(rules);
    Ok(())
}

/// `fediguard_agent_catalog on | off;` (http)
pub fn set_agent_catalog(d: &Directive, main: &mut AgentMain) -> Result<(), String> {
    once(
        &mut main.catalog,
        "fediguard_agent_catalog",
        parse_flag(d.args[0]),
    )
}

/// `fediguard_agent_deny class ...;` may be repeated at one level (the lists
/// add up); a level that has it replaces what it inherits, and `off` clears
/// the inherited list.
pub fn set_agent_deny(
    d: &Directive,
    main: &mut AgentMain,
    loc: &mut AgentLoc,
) -> Result<(), String> {
    let a = &d.args;
    let list = loc.deny.get_or_insert_with(ClassList::default);
    if list.place.is_empty() {
        list.place = d.place.to_string();
    }
    for name in a {
        if *name == "off" && (a.len() > 1 || !list.names.is_empty()) {
            return Err("\"fediguard_agent_deny off\" must stand alone".into());
        }
        if list.names.iter().any(|n| n == "off") {
            return Err("\"fediguard_agent_deny off\" must stand alone".into());
        }
        main.class_refs.push((name.to_string(), d.place.clone()));
        list.names.push(name.to_string());
    }
    Ok(())
}
