//! The verification answers: `after_accounts`, `after_apps`, `app_name`
//! and `token_info` (`/oauth/token/info`).
//!
//! Input: a first line `<accounts status> <apps status>` (a number that
//! does not parse is 0, no answer), then the accounts body, a line `--`,
//! and the apps body (also the token/info body).
#![no_main]

use fediguard_core::token::{
    after_accounts, after_apps, app_name, token_info, Answer, Info, Step, TokenClass, MAX_NAME,
};
use fediguard_fuzz::{is_clean_cut, json_object, split_once, str_field};
use libfuzzer_sys::fuzz_target;

const MAX_BODY: usize = 64 * 1024;
const MAX_INFO_BODY: usize = 16 * 1024;

fn status(s: Option<&[u8]>) -> u16 {
    s.and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// A name or website the verdict keeps, against the field it came from.
fn kept(cut: &str, m: &serde_json::Map<String, serde_json::Value>, field: &str) -> bool {
    is_clean_cut(cut, str_field(m, field).unwrap_or(""), MAX_NAME)
}

fuzz_target!(|data: &[u8]| {
    let (first, rest) = split_once(data, b"\n");
    let mut st = first.splitn(2, |&b| b == b' ');
    let (sa, sb) = (status(st.next()), status(st.next()));
    let rest = rest.unwrap_or_default();
    let (acc_body, apps_body) = split_once(rest, b"\n--\n");
    let apps_body = apps_body.unwrap_or(acc_body);
    let acc = Answer {
        status: sa,
        body: acc_body,
    };
    let apps = Answer {
        status: sb,
        body: apps_body,
    };
    let acc_obj = json_object(acc_body, MAX_BODY);
    let apps_obj = json_object(apps_body, MAX_BODY);

    // accounts/verify_credentials: a user only for a 200 with an object.
    match after_accounts(&acc) {
        Step::Done(v) => {
            assert_eq!(sa, 200);
            assert_eq!(v.class, TokenClass::User);
            let m = acc_obj
                .as_ref()
                .expect("a user from a body that is no object");
            let acct = str_field(m, "acct").unwrap_or("");
            let from_acct = acct.chars().any(|c| !c.is_control());
            if from_acct {
                assert!(kept(&v.name, m, "acct"), "{:?} from {acct:?}", v.name);
            } else {
                assert!(kept(&v.name, m, "username"), "{:?}", v.name);
            }
            assert!(v.website.is_empty());
        }
        Step::AskApps => assert!(sa != 200 || acc_obj.is_none()),
    }

    // After both: never a user; the app's texts cut and clean.
    let v = after_apps(&acc, &apps);
    assert!(matches!(
        v.class,
        TokenClass::App | TokenClass::Invalid | TokenClass::Unknown
    ));
    for t in [&v.name, &v.website] {
        assert!(t.len() <= MAX_NAME && !t.chars().any(char::is_control));
    }
    if sb == 200 && apps_obj.is_some() {
        let m = apps_obj.as_ref().unwrap();
        assert_eq!(v.class, TokenClass::App);
        assert!(kept(&v.name, m, "name") && kept(&v.website, m, "website"));
    } else {
        assert!(v.name.is_empty() && v.website.is_empty());
        match v.class {
            TokenClass::App => assert!(matches!(sa, 401 | 403 | 422), "app from {sa}/{sb}"),
            TokenClass::Invalid => {
                assert!(
                    sb == 401 || (sa == 401 && matches!(sb, 403 | 404)),
                    "{sa}/{sb}"
                )
            }
            _ => {}
        }
    }
    // A 401 is Doorkeeper's refusal only when it is its JSON error; any
    // other 401 (a proxy's page) tells nothing.
    let apps_error = apps_obj
        .as_ref()
        .is_some_and(|m| m.get("error").is_some_and(serde_json::Value::is_string));
    if sb == 401 && apps_error {
        assert_eq!(v.class, TokenClass::Invalid);
    }
    if !matches!(sb, 200 | 401) && !matches!(sa, 401 | 403 | 422) {
        assert_eq!(v.class, TokenClass::Unknown, "{sa}/{sb}");
    }

    // The app's name alone: only from a 200 with an object.
    let (name, website) = app_name(&apps);
    match (&apps_obj, sb) {
        (Some(m), 200) => assert!(kept(&name, m, "name") && kept(&website, m, "website")),
        _ => assert!(name.is_empty() && website.is_empty()),
    }

    // /oauth/token/info.
    let info = token_info(&apps);
    match sb {
        401 if apps_error => assert_eq!(info, Info::Invalid),
        401 => assert_eq!(info, Info::Unknown),
        404 => assert_eq!(info, Info::NoEndpoint),
        200 => {}
        _ => assert_eq!(info, Info::Unknown),
    }
    if let Info::User { client_id } | Info::App { client_id } = &info {
        assert_eq!(sb, 200);
        let m = json_object(apps_body, MAX_INFO_BODY).expect("a verdict from no object");
        assert!(client_id.len() <= 128 && client_id.bytes().all(|b| b.is_ascii_graphic()));
        if !client_id.is_empty() {
            let uid = m.get("application").and_then(|a| a.get("uid"));
            assert_eq!(uid.and_then(|u| u.as_str()), Some(client_id.as_str()));
        }
        let owner = m.get("resource_owner_id").expect("no resource_owner_id");
        match info {
            Info::App { .. } => assert!(owner.is_null()),
            _ => assert!(
                owner.is_number() || owner.as_str().is_some_and(|s| !s.is_empty()),
                "{owner:?}"
            ),
        }
    }
});
