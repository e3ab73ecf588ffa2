//! `fediguard_app_watch on | off;` (location).

use fediguard_core::conf_value::parse_flag;

use crate::glue::directive::{once, Directive};

/// `http`-level.
#[derive(Debug, Default)]
pub struct WatchMain {
    /// Some location has `fediguard_app_watch on`: the filters look.
    pub used: bool,
}

/// `server`- and `location`-level.
#[derive(Debug, Default)]
pub struct WatchLoc {
    pub on: Option<bool>,
}

impl WatchLoc {
    pub fn watches(&self) -> bool {
        self.on == Some(true)
    }

    pub fn merge(&mut self, prev: &WatchLoc) {
        if self.on.is_none() {
            self.on = prev.on;
        }
    }
}

pub fn set_app_watch(
    d: &Directive,
    main: &mut WatchMain,
    loc: &mut WatchLoc,
) -> Result<(), String> {
    let on = parse_flag(d.args[0]);
    if on == Ok(true) {
        main.used = true;
    }
    once(&mut loc.on, "fediguard_app_watch", on)
}
