//! What a step of token classification tells the access handler, and what
//! the access handler hands it.

use core::cell::RefCell;

pub use super::state::Classify;
use super::state::TokenState;
use super::zone::TokenZone;
use crate::glue::stats_zone::StatsConf;

/// Everything a verification step needs, handed in by the access handler.
pub struct Verify<'a> {
    pub zone: &'a TokenZone,
    /// The internal location that proxies to the backend.
    pub prefix: &'a str,
    pub stats: Option<&'a StatsConf>,
    /// The account's name is shown (`$fediguard_account` is used).
    pub need_account: bool,
    /// The app's name is shown (`$fediguard_app_name` is used, or the
    /// location refuses app tokens and logs the app).
    pub need_app: bool,
    /// Where the request keeps its token state: a subrequest's answer is
    /// written there when it arrives, after the step has let go of it.
    pub slot: &'a RefCell<TokenState>,
    /// Arranges that the request's end gives back its place among the
    /// worker's verifications in flight (`inflight`).
    pub give_back_at_end: fn(&ngx::http::Request) -> bool,
}
