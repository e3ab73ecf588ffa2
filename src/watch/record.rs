//! What a watched answer records: a notice line, the stats zone's ring and
//! counters, and, for a client_credentials token, its verdict.

use core::fmt::Write;

use fediguard_core::escape::quote_into;
use fediguard_core::fingerprint::{fingerprint, token_id};
use fediguard_core::stats::Seen;
use fediguard_core::token::TokenClass;
use fediguard_core::verdict_cache::Cached;
use fediguard_core::watch::{
    log_client_id, registration, token_answer, token_request, Conflict, Registration,
};
use nginx_sys::NGX_LOG_NOTICE;
use ngx::http::Request;

use crate::glue::log::write_for_request;
use crate::glue::request_data;
use crate::glue::stats_zone::StatsConf;
use crate::glue::time::now_ms;
use crate::token::zone::TokenZone;

/// Where a watched answer is recorded.
#[derive(Clone, Copy)]
pub struct Sinks<'a> {
    pub token_zone: Option<&'a TokenZone>,
    pub stats: Option<&'a StatsConf>,
}

/// Longest piece of a field quoted in a log line.
const MAX_LOGGED: usize = 256;

pub fn answer(r: &Request, body: &[u8], sinks: &Sinks) {
    if let Some(reg) = registration(body) {
        registered(r, &reg, sinks.stats);
    } else if let Some(token) = token_answer(body) {
        granted(r, token, sinks);
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The client's address and agent.
fn who(r: &Request) -> (String, String) {
    let addr = String::from_utf8_lossy(request_data::client_text(r)).into_owned();
    let agent = r
        .user_agent()
        .map(|a| String::from_utf8_lossy(a.as_bytes()).into_owned())
        .unwrap_or_default();
    (addr, agent)
}

fn field(msg: &mut String, name: &str, value: &[u8]) {
    let _ = write!(msg, " {name}=\"");
    quote_into(msg, value, MAX_LOGGED);
    msg.push('"');
}

fn registered(r: &Request, reg: &Registration, stats: Option<&StatsConf>) {
    let (client, agent) = who(r);
    if let Some(stats) = stats {
        let seen = Seen {
            now: unix_now(),
            client: &client,
            agent: &agent,
        };
        stats.with_lock(|z| {
            z.register(reg, &seen);
            fediguard_core::stats::StatsZone::bump_counter(&z.counters().app_registrations);
        });
    }
    let mut msg = String::from("fediguard: app registered");
    field(&mut msg, "name", reg.name.as_bytes());
    field(&mut msg, "website", reg.website.as_bytes());
    field(&mut msg, "scopes", reg.scopes.as_bytes());
    field(&mut msg, "redirect_uri", reg.redirect_uri.as_bytes());
    let _ = write!(msg, " client_id={}", log_client_id(&reg.client_id));
    field(&mut msg, "agent", agent.as_bytes());
    write_for_request(r, NGX_LOG_NOTICE as usize, &msg);
}

fn granted(r: &Request, token: String, sinks: &Sinks) {
    let raw = r.as_ref();
    let (ctype, auth) = (
        request_data::content_type(r),
        request_data::authorization(r),
    );
    let mut body = request_data::body_in_memory(r, fediguard_core::watch::MAX_ANSWER);
    let req = token_request(ctype, body.as_deref(), raw.args.as_bytes(), auth);
    if let Some(b) = body.as_mut() {
        b.fill(0); // it holds the client secret
    }
    if req.is_client_credentials() {
        match &req.conflict {
            Some(c) => disputed(r, c, sinks.stats),
            None => grant(r, &token, req.client_id.as_deref().unwrap_or(""), sinks),
        }
    }
    wipe(token);
}

/// A grant whose client cannot be told: Mastodon gave the token to the
/// client of HTTP Basic, the parameters name another. Recorded under
/// neither name; logged and counted.
fn disputed(r: &Request, c: &Conflict, stats: Option<&StatsConf>) {
    crate::metrics::count::grant_disputed(stats);
    let (_, agent) = who(r);
    let basic = match &c.basic {
        Some(id) => log_client_id(id),
        None => "unreadable".to_string(),
    };
    let mut msg = format!(
        "fediguard: app token granted but not recorded: HTTP Basic and client_id \
         disagree basic_client_id={basic} client_id={}",
        log_client_id(&c.params)
    );
    field(&mut msg, "agent", agent.as_bytes());
    write_for_request(r, NGX_LOG_NOTICE as usize, &msg);
}

fn grant(r: &Request, token: &str, client_id: &str, sinks: &Sinks) {
    let (client, agent) = who(r);
    let zone = sinks.token_zone;
    let fp = zone
        .and_then(|z| z.with_table(|t| t.secret()))
        .map(|secret| fingerprint(&secret, token.as_bytes()));
    let mut app_name = String::new();
    let mut website = String::new();
    let mut app = Default::default();
    if let Some(stats) = sinks.stats {
        let seen = Seen {
            now: unix_now(),
            client: &client,
            agent: &agent,
        };
        let recorded = stats.with_lock(|z| {
            fediguard_core::stats::StatsZone::bump_counter(&z.counters().client_credentials_grants);
            z.grant(client_id, &fp.unwrap_or_default(), &seen)
        });
        if let Some((a, n, w)) = recorded {
            (app, app_name, website) = (a, n, w);
        }
    }
    // The token is known to be an app's: its first use needs no
    // verification round trip.
    if let (Some(zone), Some(fp)) = (zone, fp) {
        let ttl = zone.lifetimes.app;
        if ttl > 0 {
            let cached = Cached::new(
                TokenClass::App as u8,
                app_name.as_bytes(),
                website.as_bytes(),
            )
            .with_app(app);
            let until = now_ms().saturating_add(ttl);
            // In a `sync` zone the verdict goes to the other hosts too, as
            // a verified one does: the token is known everywhere without
            // a verification on each host.
            zone.with_table(|t| t.store_marked(&fp, cached, until, zone.sync));
        }
    }
    let mut msg = format!(
        "fediguard: app token granted grant_type=client_credentials client_id={}",
        log_client_id(client_id)
    );
    if !app_name.is_empty() {
        field(&mut msg, "app", app_name.as_bytes());
    }
    if let Some(fp) = fp {
        msg.push_str(" token_id=");
        msg.push_str(core::str::from_utf8(&token_id(&fp)).unwrap_or(""));
    }
    field(&mut msg, "agent", agent.as_bytes());
    write_for_request(r, NGX_LOG_NOTICE as usize, &msg);
}

/// Overwrites a token before its memory is freed.
fn wipe(token: String) {
    let mut bytes = token.into_bytes();
    bytes.fill(0);
    // The zeros must be written, though the buffer is freed next.
    core::hint::black_box(&bytes);
}
