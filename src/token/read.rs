//! Reading the token a request presents, and what the zone knows of it
//! without a round trip.

use fediguard_core::fingerprint::fingerprint;
use fediguard_core::token::{find_token_unchecked, well_formed, Presented, TokenClass};
use fediguard_core::verdict_cache::Lookup;
use ngx::http::Request;

use super::state::{TokenPhase, TokenState};
use super::zone::TokenZone;
use crate::glue::pool::copy as pool_copy;
use crate::glue::request_data;
use crate::glue::time::now_ms;

/// What can be told of the token without a round trip, for variables read
/// where the token is not checked (or before the access phase): `none`,
/// `malformed`, or a verdict already in the zone. Starts nothing.
pub fn peek(r: &Request, st: &mut TokenState, zone: Option<&TokenZone>) {
    if st.phase != TokenPhase::Start || st.peeked {
        return;
    }
    st.peeked = true;
    let token = match presented(r) {
        Presented::None => return st.class = Some(TokenClass::None),
        Presented::Malformed(_) => return st.class = Some(TokenClass::Malformed),
        Presented::Token(t) => t,
    };
    let Some(zone) = zone else {
        return;
    };
    let now = now_ms();
    let seen = zone.with_table(|t| {
        let fp = fingerprint(&t.secret(), &token);
        // A look, not a use: the cache's counters and LRU are left alone.
        (fp, t.peek(&fp, now))
    });
    let Some((fp, lookup)) = seen else { return };
    if lookup == Lookup::Miss && !well_formed(&token) {
        st.class = Some(TokenClass::Malformed);
        return;
    }
    st.set_fingerprint(fp);
    if let Lookup::Hit(c) = lookup {
        st.class = TokenClass::from_u8(c.class);
        st.name = pool_copy(r, c.name()).unwrap_or_default();
        st.website = pool_copy(r, c.website()).unwrap_or_default();
    }
}

/// The token as presented: the Authorization header (nginx itself refuses
/// a request with two) and the query string. The alphabet of a header
/// token is checked by the caller, only when the zone does not know it.
pub fn presented(r: &Request) -> Presented<'_> {
    let value = request_data::authorization(r);
    let auth: &[&[u8]] = match &value {
        Some(v) => core::slice::from_ref(v),
        None => &[],
    };
    let args = &r.as_ref().args;
    let query = if args.len > 0 {
        Some(args.as_bytes())
    } else {
        None
    };
    find_token_unchecked(auth, query)
}
