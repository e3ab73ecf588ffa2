//! The access phase: the location's decisions as a list of steps, in the
//! order an admin reads the configuration. Each step works on its own
//! capability's state and says go on, wait, or deny; the decision (status,
//! error_log line, variables, counters) is made in one place, `decision`.
//!
//! A step that waits (a subrequest, a DNS answer, a zone neighbour's
//! verification, a delay) has armed what wakes the request; nginx runs the
//! access phase again and the list resumes at that step (the context's
//! cursor). After a whole pass, or a denial, the cursor goes back to the
//! first step: an internal redirect (`try_files`, `error_page`) to another
//! location runs that location's list, each step going on from its own
//! state (a token is classified once, a limit charged once); one to a
//! location of the same configuration (`index`) has nothing new to decide.

mod agent_claim;
mod agent_class;
mod decision;
mod limits;
mod signature;
mod step;
mod token;

use fediguard_core::conf_value::Mode;
use nginx_sys::{ngx_int_t, NGX_HTTP_INTERNAL_SERVER_ERROR};
use ngx::core::Status;
use ngx::http::Request;

use crate::conf::{self, LocConf, MainConf};
use crate::request;
use step::{Outcome, Pass};

/// The steps, in order: step `i`'s outcome, None past the last. (A match,
/// not a table of function pointers, so that the compiler can inline the
/// small ones: every request runs the list.)
fn step(i: usize, p: &mut Pass) -> Option<Outcome> {
    Some(match i {
        0 => agent_class::step(p),
        1 => limits::before_claim(p),
        2 => agent_claim::step(p),
        3 => limits::before_token(p),
        4 => token::step(p),
        5 => limits::before_signature(p),
        6 => signature::step(p),
        7 => limits::the_rest(p),
        _ => return None,
    })
}

pub fn handler(r: &mut Request) -> Status {
    // Subrequests (auth_request, SSI, fediguard's own verifications) belong
    // to a main request that has been decided already.
    if !r.is_main() {
        return Status::NGX_DECLINED;
    }
    let (Some(mcf), Some(lcf)) = (conf::main_conf(r), conf::loc_conf(r)) else {
        return Status::NGX_DECLINED;
    };
    if lcf.mode() == Mode::Off || !has_work(mcf, lcf) {
        return Status::NGX_DECLINED;
    }
    let Some((r, ctx)) = request::split(r) else {
        return internal_error();
    };
    let mut i = usize::from(ctx.cursor.get());
    if i == 0 && ctx.passed.get().is_some_and(|l| core::ptr::eq(l, lcf)) {
        return Status::NGX_DECLINED;
    }
    let mut pass = Pass { r, ctx, mcf, lcf };
    while let Some(outcome) = step(i, &mut pass) {
        match outcome {
            Outcome::Next => i += 1,
            Outcome::Wait => {
                ctx.cursor.set(i as u8);
                return Status::NGX_AGAIN;
            }
            Outcome::Deny(d) => match decision::deny(&mut pass, &d) {
                Some(status) => {
                    ctx.cursor.set(0);
                    return status;
                }
                None => i += 1,
            },
            Outcome::Answer(status) => {
                ctx.cursor.set(0);
                return status;
            }
            Outcome::Error => {
                ctx.cursor.set(0);
                return internal_error();
            }
        }
    }
    ctx.cursor.set(0);
    ctx.passed.set(Some(lcf));
    Status::NGX_DECLINED
}

/// Whether the location asks anything of the access phase.
fn has_work(mcf: &MainConf, lcf: &LocConf) -> bool {
    lcf.agent.checks()
        || token::verifies(mcf, lcf)
        || agent_claim::verifies(mcf, lcf)
        || signature::verifies(mcf, lcf)
        || !lcf.limit.limits().is_empty()
}

fn internal_error() -> Status {
    Status(NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t)
}
