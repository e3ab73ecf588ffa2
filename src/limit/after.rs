//! `fediguard_limit_after`: charges from the finished request (log phase),
//! with a cost known only then (upstream time, status).

use fediguard_core::limit::{charge_after, drained_at};
use ngx::http::Request;

use super::apply::items;
use super::conf::{LimitLoc, LimitMain};
use crate::glue::time::now_ms;

/// Charges the location's `fediguard_limit_after`s.
pub fn charge(r: &Request, main: &LimitMain, loc: &LimitLoc) {
    if loc.after().is_empty() {
        return;
    }
    let now = now_ms();
    let (slots, n) = items(r, main, loc.after(), 0);
    for it in slots[..n].iter().flatten() {
        if it.cost == 0 {
            continue;
        }
        it.zone.update(it.key, now, it.cost, |current| {
            let b = charge_after(&it.limit, current, now, it.cost);
            (Some((b, drained_at(&it.limit, &b))), ())
        });
    }
}
