//! Mastodon's rules for signed deliveries, no looser
//! (app/lib/signed_request.rb): what a signature must cover, and the
//! time window it is good for.

use super::cavage::{Cavage, CavageAlgorithm};
use super::request::Request;
use super::rfc9421::Rfc9421;
use super::Why;

/// Without `expires`, a signature is good for 5 minutes after `created`.
pub const DEFAULT_VALIDITY: i64 = 5 * 60;
/// `expires` counts for at most 12 hours after `created`.
pub const MAX_VALIDITY: i64 = 12 * 3600;
/// Clocks may be an hour apart either way.
pub const CLOCK_SKEW: i64 = 3600;

/// Whether `now` (Unix seconds) is inside the window of a signature
/// created at `created`, expiring at `expires` if given.
pub fn window(created: i64, expires: Option<i64>, now: i64) -> Result<(), Why> {
    let expires = expires
        .unwrap_or(created.saturating_add(DEFAULT_VALIDITY))
        .min(created.saturating_add(MAX_VALIDITY));
    if created > now.saturating_add(CLOCK_SKEW) {
        return Err(Why::Future);
    }
    if now > expires.saturating_add(CLOCK_SKEW) {
        return Err(Why::Expired);
    }
    Ok(())
}

/// draft-cavage: `date` or `(created)`; `(request-target)` or `digest`;
/// `host` on GET; `digest` on POST.
pub fn cavage_covers(sig: &Cavage, req: &Request) -> Result<(), Why> {
    let has = |n: &str| sig.headers.iter().any(|h| h == n);
    let ok = (has("date") || has("(created)"))
        && (has("(request-target)") || has("digest"))
        && (!req.is("GET") || has("host"))
        && (!req.is("POST") || has("digest"));
    ok.then_some(()).ok_or(Why::NotCovered)
}

/// When a cavage signature was made and when it expires, from signed
/// parts only: `(created)` (hs2019) or else the `Date` header; `expires`
/// only when `(expires)` is covered. (Mastodon also reads an unsigned
/// `created`/`expires`; an attacker could then move the window.)
pub fn cavage_times(sig: &Cavage, req: &Request) -> Result<(i64, Option<i64>), Why> {
    let has = |n: &str| sig.headers.iter().any(|h| h == n);
    let hs2019 = sig.algorithm == CavageAlgorithm::Hs2019;
    let created = match &sig.created {
        Some(c) if hs2019 && has("(created)") => c.secs,
        _ if has("date") => {
            let date = req
                .field_text("date")
                .ok_or(Why::Malformed)?
                .map_err(|_| Why::Malformed)?;
            let t = httpdate::parse_http_date(&date).map_err(|_| Why::Malformed)?;
            let secs = t
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|_| Why::Malformed)?
                .as_secs();
            i64::try_from(secs).map_err(|_| Why::Malformed)?
        }
        _ => return Err(Why::Malformed),
    };
    let expires = match &sig.expires {
        Some(e) if hs2019 && has("(expires)") => Some(e.secs),
        _ => None,
    };
    Ok((created, expires))
}

/// RFC 9421: `@method` and `@target-uri`; `content-digest` on POST;
/// `created` and `keyid` present.
pub fn rfc9421_covers(sig: &Rfc9421, req: &Request) -> Result<(), Why> {
    if sig.params.created.is_none() || sig.params.keyid.as_deref().is_none_or(str::is_empty) {
        return Err(Why::Malformed);
    }
    let has = |n: &str| {
        sig.components
            .iter()
            .any(|c| c.name == n && c.key.is_none())
    };
    let ok = has("@method") && has("@target-uri") && (!req.is("POST") || has("content-digest"));
    ok.then_some(()).ok_or(Why::NotCovered)
}

#[cfg(test)]
mod tests {
    use super::super::request::Header;
    use super::super::{cavage, rfc9421};
    use super::*;

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn window_as_mastodon() {
        assert_eq!(window(NOW, None, NOW), Ok(()));
        assert_eq!(window(NOW + 3600, None, NOW), Ok(()));
        assert_eq!(window(NOW + 3601, None, NOW), Err(Why::Future));
        // 5 minutes, plus an hour of skew.
        assert_eq!(window(NOW - 3900, None, NOW), Ok(()));
        assert_eq!(window(NOW - 3901, None, NOW), Err(Why::Expired));
        // expires extends it, to 12 hours at most.
        assert_eq!(window(NOW - 7200, Some(NOW), NOW), Ok(()));
        assert_eq!(
            window(NOW - 86400, Some(NOW + 86400), NOW),
            Err(Why::Expired)
        );
        assert_eq!(window(NOW - 46800, Some(NOW + 86400), NOW), Ok(()));
        assert_eq!(window(NOW, Some(NOW - 3601), NOW), Err(Why::Expired));
        assert_eq!(window(i64::MAX, Some(i64::MAX), NOW), Err(Why::Future));
        assert_eq!(window(i64::MIN, None, NOW), Err(Why::Expired));
    }

    fn req<'a>(method: &'a str, h: &'a [Header<'a>]) -> Request<'a> {
        Request {
            method,
            scheme: "https",
            authority: "b.example",
            path: "/inbox",
            query: None,
            headers: h,
        }
    }

    #[test]
    fn cavage_coverage() {
        let sig = |h: &str| {
            cavage::parse(&format!(
                r#"keyId="k",algorithm="rsa-sha256",headers="{h}",signature="AAEC""#
            ))
            .unwrap()
        };
        let (get, post) = (req("GET", &[]), req("POST", &[]));
        assert_eq!(
            cavage_covers(&sig("(request-target) host date"), &get),
            Ok(())
        );
        assert_eq!(
            cavage_covers(&sig("(request-target) date"), &get),
            Err(Why::NotCovered)
        );
        assert_eq!(
            cavage_covers(&sig("(request-target) host date"), &post),
            Err(Why::NotCovered)
        );
        assert_eq!(
            cavage_covers(&sig("(request-target) host date digest"), &post),
            Ok(())
        );
        assert_eq!(cavage_covers(&sig("host date digest"), &post), Ok(()));
        assert_eq!(
            cavage_covers(&sig("(request-target) host digest"), &post),
            Err(Why::NotCovered)
        );
        assert_eq!(
            cavage_covers(&sig("(request-target) host (created) digest"), &post),
            Ok(())
        );
    }

    #[test]
    fn cavage_times_come_from_signed_parts() {
        let h = [Header::new("Date", "Tue, 20 Apr 2021 02:07:55 GMT")];
        let r = req("GET", &h);
        let s = cavage::parse(r#"keyId="k",headers="date",created=5,expires=9,signature="AAEC""#)
            .unwrap();
        assert_eq!(cavage_times(&s, &r), Ok((1618884475, None)));
        let s = cavage::parse(
            r#"keyId="k",headers="(created) (expires)",created=5,expires=9.5,signature="AAEC""#,
        )
        .unwrap();
        assert_eq!(cavage_times(&s, &r), Ok((5, Some(9))));
        let s = cavage::parse(r#"keyId="k",headers="date",signature="AAEC""#).unwrap();
        assert_eq!(cavage_times(&s, &req("GET", &[])), Err(Why::Malformed));
        let bad = [Header::new("Date", "yesterday")];
        assert_eq!(cavage_times(&s, &req("GET", &bad)), Err(Why::Malformed));
    }

    #[test]
    fn rfc9421_coverage() {
        let sig = |i: &str| rfc9421::parse(i, "s=:AAEC:", None).unwrap();
        let (get, post) = (req("GET", &[]), req("POST", &[]));
        assert_eq!(
            rfc9421_covers(
                &sig(r#"s=("@method" "@target-uri");created=1;keyid="k""#),
                &get
            ),
            Ok(())
        );
        assert_eq!(
            rfc9421_covers(
                &sig(r#"s=("@method" "@target-uri");created=1;keyid="k""#),
                &post
            ),
            Err(Why::NotCovered)
        );
        assert_eq!(
            rfc9421_covers(
                &sig(r#"s=("@method" "@target-uri" "content-digest");created=1;keyid="k""#),
                &post
            ),
            Ok(())
        );
        assert_eq!(
            rfc9421_covers(
                &sig(r#"s=("@method" "@path" "@authority");created=1;keyid="k""#),
                &get
            ),
            Err(Why::NotCovered)
        );
        assert_eq!(
            rfc9421_covers(&sig(r#"s=("@method" "@target-uri");keyid="k""#), &get),
            Err(Why::Malformed)
        );
        assert_eq!(
            rfc9421_covers(&sig(r#"s=("@method" "@target-uri");created=1"#), &get),
            Err(Why::Malformed)
        );
    }
}
