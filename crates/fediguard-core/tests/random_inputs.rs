//! Every function that request or backend data reaches, fed pseudo-random
//! bytes (deterministic, so a failure reproduces): none may panic, and
//! each keeps its promises on any input.

use fediguard_core::agent::{instance_host, AgentMatcher, ClassId, RecentAgents};
use fediguard_core::escape::quote;
use fediguard_core::limit::parse_cost;
use fediguard_core::redact::redact_request_line;
use fediguard_core::stats::{wants_json, OwnedStatsZone, Seen};
use fediguard_core::token::{
    after_accounts, after_apps, find_token, find_token_unchecked, well_formed, Answer, Presented,
    MAX_NAME,
};
use fediguard_core::watch::{log_client_id, registration, token_answer, token_request};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Bytes biased towards the characters the parsers care about.
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        const PIECES: &[&[u8]] = &[
            b"Bearer ",
            b"bearer",
            b"access_token=",
            b"bearer_token",
            b"%",
            b"+",
            b"&",
            b"=",
            b"https://",
            b"http://",
            b"Mastodon/4.4",
            b"GPTBot",
            b" ",
            b"\t",
            b"\"",
            b"\\",
            b"{\"error\":\"",
            b"\"acct\":",
            b"}",
            b"[",
            b"\xff",
            b"\x00",
            b"\xc3\xa9",
            b".",
            b"0.5",
            b",",
            b"-",
            b"@",
            b"{\"name\":\"",
            b"\"client_id\":\"",
            b"\"access_token\":\"",
            b"\"scopes\":[\"",
            b"grant_type=client_credentials",
            b"Basic ",
            b"format=json",
        ];
        let n = (self.next() as usize) % (max + 1);
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            if self.next() % 3 == 0 {
                out.extend_from_slice(PIECES[(self.next() as usize) % PIECES.len()]);
            } else {
                out.push(self.next() as u8);
            }
        }
        out
    }
}

#[test]
fn parsers_survive_random_input() {
    let matcher = AgentMatcher::build(&[], true).unwrap();
    let recent = RecentAgents::default();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..20_000 {
        let a = rng.bytes(300);
        let b = rng.bytes(300);

        let checked = find_token(&[&a], Some(&b));
        match &checked {
            Presented::Token(t) => assert!(!t.is_empty() && t.len() <= 512),
            Presented::Malformed(why) => assert!(!why.is_empty()),
            Presented::None => {}
        }
        // The hot path's deferred check reaches the same class.
        let deferred = match find_token_unchecked(&[&a], Some(&b)) {
            Presented::Token(t) if !well_formed(&t) => Presented::Malformed("bad characters"),
            p => p,
        };
        assert_eq!(
            std::mem::discriminant(&checked),
            std::mem::discriminant(&deferred)
        );
        if let (Presented::Token(x), Presented::Token(y)) = (&checked, &deferred) {
            assert_eq!(x, y);
        }

        let c = matcher.classify(Some(&a));
        assert_eq!(recent.classify(&matcher, Some(&a)), c);
        if let Some((s, e)) = c.host {
            assert!(s <= e && e <= a.len());
            assert_eq!(c.class, ClassId::FEDIVERSE);
        }
        if let Some((s, e)) = instance_host(&a, (rng.next() % 400) as usize) {
            assert!(s < e && e <= a.len());
        }

        let q = quote(&a, 64);
        assert!(!q.contains('\n') && !q.contains('\r'));

        if let std::borrow::Cow::Owned(o) = redact_request_line(&a) {
            assert!(o.windows(10).any(|w| w == b"[redacted]"));
        }

        let _ = parse_cost(&a);

        let acc = Answer {
            status: [0, 200, 401, 403, 422, 500][(rng.next() % 6) as usize],
            body: &a,
        };
        let app = Answer {
            status: [0, 200, 401, 403, 404][(rng.next() % 5) as usize],
            body: &b,
        };
        let _ = after_accounts(&acc);
        let v = after_apps(&acc, &app);
        assert!(v.name.len() <= MAX_NAME && v.website.len() <= MAX_NAME);
        assert!(!v.name.chars().any(char::is_control));
    }
}

#[test]
fn app_watch_parsers_survive_random_input() {
    let zone = OwnedStatsZone::new(128 * 1024).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let a = rng.bytes(300);
        let b = rng.bytes(100);
        let c = rng.bytes(40);
        let agent = String::from_utf8_lossy(&b).into_owned();
        let seen = Seen {
            now: rng.next() % 4_000_000_000,
            client: "192.0.2.1",
            agent: &agent,
        };
        if let Some(reg) = registration(&a) {
            assert!(!reg.client_id.is_empty());
            let app = zone.register(&reg, &seen);
            zone.count_request(app, rng.next() % 2 == 0);
        }
        if let Some(t) = token_answer(&a) {
            assert!(!t.is_empty());
        }
        let req = token_request(Some(&c), Some(&a), &b, Some(&c));
        if let Some(id) = req.client_id {
            let q = log_client_id(&id);
            assert!(!q.contains('\n') && !q.contains(' ') || q.starts_with('"'));
            zone.grant(&id, &[(rng.next() % 255) as u8 + 1; 16], &seen);
        }
        let _ = wants_json(&a);
    }
    for app in zone.apps() {
        for text in [
            &app.name,
            &app.website,
            &app.scopes,
            &app.client_id,
            &app.agent,
        ] {
            assert!(!text.chars().any(char::is_control));
            assert!(text.len() <= 128);
        }
    }
}
