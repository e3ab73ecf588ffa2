//! Step: the token's class (verified against the backend when the zone
//! does not know it), and `fediguard_token_require`.

use fediguard_core::conf_value::{FailPolicy, Require};
use fediguard_core::reason::Reason;
use fediguard_core::token::TokenClass;

use super::step::{Denial, Outcome, Pass};
use crate::conf::{LocConf, MainConf};
use crate::metrics::count;
use crate::request;
use crate::token::begin::verify as start_verify;
use crate::token::classify;
use crate::token::progress::{Classify, Verify};

/// Whether tokens are classified here.
pub fn verifies(mcf: &MainConf, lcf: &LocConf) -> bool {
    lcf.token.verify().is_some() && mcf.token.zone.is_some()
}

pub fn step(p: &mut Pass) -> Outcome {
    let (Some(prefix), Some(zone)) = (p.lcf.token.verify(), p.mcf.token.zone.as_ref()) else {
        return Outcome::Next;
    };
    let stats = p.mcf.metrics.stats();
    let require = p.lcf.token.require();
    let v = Verify {
        zone,
        prefix,
        stats,
        need_account: p.mcf.token.name_vars.account_used(),
        // A location that refuses app tokens names the app in its log line.
        need_app: p.mcf.token.name_vars.app_used() || require == Require::User,
        slot: &p.ctx.token,
        give_back_at_end: request::give_back_at_end,
    };
    let Ok(mut st) = p.ctx.token.try_borrow_mut() else {
        return Outcome::Error;
    };
    let mut progress = classify::advance(p.r, &mut st, &v);
    if let Classify::Verify = progress {
        progress = start_verify(p.r, &mut st, &v);
    }
    match progress {
        Classify::Classified => {}
        Classify::Verify | Classify::Again => return Outcome::Wait,
        Classify::Error => return Outcome::Error,
    }
    let class = st.class.unwrap_or(TokenClass::Unknown);
    if !st.counted {
        st.counted = true;
        count::token(stats, class);
    }
    let Some(reason) = reason(class, require, p.lcf.token.fail()) else {
        return Outcome::Next;
    };
    let retry_after = match reason {
        Reason::VerifyLimited => st.retry_secs.clamp(1, u64::from(u32::MAX)) as u32,
        _ => 0,
    };
    Outcome::Deny(Denial {
        reason,
        retry_after,
    })
}

/// Why a token of this class is refused here, if it is.
fn reason(class: TokenClass, require: Require, fail: FailPolicy) -> Option<Reason> {
    if require == Require::Off {
        return None;
    }
    match class {
        TokenClass::User => None,
        TokenClass::App if require == Require::Valid => None,
        TokenClass::App => Some(Reason::TokenAppOnly),
        TokenClass::None => Some(Reason::NoAuth),
        TokenClass::Malformed => Some(Reason::TokenMalformed),
        TokenClass::Invalid => Some(Reason::TokenInvalid),
        TokenClass::Unknown if fail == FailPolicy::Open => None,
        TokenClass::Unknown => Some(Reason::VerifyUnavailable),
        // A client's own flood is never an `unknown` that fail-open lets
        // through.
        TokenClass::Limited => Some(Reason::VerifyLimited),
    }
}
