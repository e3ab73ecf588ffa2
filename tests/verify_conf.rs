//! Verification directives that `nginx -t` refuses, with a clear message
//! and the file and line.

use fediguard_tests::nginx_test;

const SERVER: &str = "server { listen 127.0.0.1:{PORT}; location / { fediguard on; } }";

fn assert_fails(body: &str, message: &str, at: &str) {
    let t = nginx_test(body);
    assert!(!t.ok, "nginx -t passed:\n{body}\n{}", t.output);
    assert!(
        t.output.contains(message),
        "want {message:?} in:\n{}",
        t.output
    );
    let place = t.place_of(at);
    assert!(
        t.output.contains(&place),
        "want {place:?} in:\n{}",
        t.output
    );
}

fn ranges_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ranges");
    std::fs::write(&path, text).expect("write");
    let p = path.display().to_string();
    (dir, p)
}

#[test]
fn a_good_configuration_passes() {
    let (_d, gpt) = ranges_file(r#"{"prefixes":[{"ipv4Prefix":"192.0.2.0/24"}]}"#);
    let (_e, mine) = ranges_file("198.51.100.0/24\n2001:db8::/32\n");
    let t = nginx_test(&format!(
        "resolver 127.0.0.1;
         fediguard_verify_zone zone=verify:1m valid=30m lookups=16 lookup_rate=10r/m lookup_burst=20 lookup_key=$binary_remote_addr;
         fediguard_agent partner \"Partner Bot\";
         fediguard_agent_ranges GPTBot {gpt};
         fediguard_agent_ranges partner {mine};
         fediguard_agent_verify Googlebot rdns googlebot.com;
         fediguard_agent_verify monitor rdns uptime.example;
         fediguard_agent_verify fediverse off;
         fediguard_verify_timeout 2s;
         server {{ listen 127.0.0.1:{{PORT}};
           fediguard on; fediguard_agent_deny_unverified search ai partner;
           location / {{ fediguard_verify_timeout 300ms; }}
           location /open/ {{ fediguard_agent_deny_unverified off; }}
         }}"
    ));
    assert!(t.ok, "{}", t.output);
}

#[test]
fn unknown_names_and_classes() {
    let (_d, f) = ranges_file("192.0.2.0/24\n");
    assert_fails(
        &format!("fediguard_agent_ranges Nobody {f};\n{SERVER}"),
        "fediguard_agent_ranges: no agent rule, operator or class is named \"Nobody\"",
        "fediguard_agent_ranges Nobody",
    );
    assert_fails(
        "fediguard_verify_zone zone=v:1m;\nserver { listen 127.0.0.1:{PORT};\n fediguard_agent_deny_unverified search nosuch; }",
        "fediguard_agent_deny_unverified: unknown agent class \"nosuch\"",
        "nosuch",
    );
    assert_fails(
        &format!(
            "fediguard_agent_verify GPTBot host;\nfediguard_agent_verify gptbot off;\n{SERVER}"
        ),
        "\"gptbot\" has a verification method already",
        "gptbot off",
    );
    assert_fails(
        &format!("fediguard_agent_verify CCBot off;\nfediguard_agent_ranges CCBot {f};\n{SERVER}"),
        "\"CCBot\" has ranges and its verification is off",
        "fediguard_agent_ranges CCBot",
    );
}

#[test]
fn unreadable_or_wrong_ranges_files() {
    assert_fails(
        &format!("fediguard_agent_ranges GPTBot /nonexistent/gptbot.json;\n{SERVER}"),
        "cannot read \"/nonexistent/gptbot.json\"",
        "fediguard_agent_ranges",
    );
    let (_d, f) = ranges_file("192.0.2.0/24\nnot-a-range\n");
    assert_fails(
        &format!("fediguard_agent_ranges GPTBot {f};\n{SERVER}"),
        "line 2: \"not-a-range\" is not an address range",
        "fediguard_agent_ranges",
    );
    let (_e, g) = ranges_file(r#"{"prefixes":[{"ipv4Prefix":"192.0.2.0/40"}]}"#);
    assert_fails(
        &format!("fediguard_agent_ranges GPTBot {g};\n{SERVER}"),
        "prefix 1: \"192.0.2.0/40\" has an invalid prefix length",
        "fediguard_agent_ranges",
    );
    let (_f, h) = ranges_file("# nothing yet\n");
    assert_fails(
        &format!("fediguard_agent_ranges GPTBot {h};\n{SERVER}"),
        "no address ranges in the file",
        "fediguard_agent_ranges",
    );
}

#[test]
fn bad_values() {
    assert_fails(
        &format!("fediguard_agent_verify GPTBot rdns;\n{SERVER}"),
        "\"rdns\" needs at least one domain",
        "fediguard_agent_verify",
    );
    assert_fails(
        &format!("fediguard_agent_verify GPTBot rdns openai..com;\n{SERVER}"),
        "\"openai..com\" is not a domain name",
        "fediguard_agent_verify",
    );
    assert_fails(
        &format!("fediguard_agent_verify GPTBot ranges;\n{SERVER}"),
        "expected \"rdns domain ...\", \"host\" or \"off\"",
        "fediguard_agent_verify",
    );
    assert_fails(
        &format!("fediguard_verify_zone zone=v:1m valid=0;\n{SERVER}"),
        "\"fediguard_verify_zone\": invalid time \"0\"",
        "fediguard_verify_zone",
    );
    assert_fails(
        &format!("fediguard_verify_zone zone=v:1m lookups=0;\n{SERVER}"),
        "invalid number \"0\"",
        "fediguard_verify_zone",
    );
    assert_fails(
        &format!("fediguard_verify_zone zone=v:1m lookup_burst=0;\n{SERVER}"),
        "\"fediguard_verify_zone\": invalid number \"0\"",
        "fediguard_verify_zone",
    );
    assert_fails(
        &format!("fediguard_verify_zone zone=v:1m lookup_rate=fast;\n{SERVER}"),
        "\"fediguard_verify_zone\": invalid rate",
        "fediguard_verify_zone",
    );
    assert_fails(
        &format!("fediguard_verify_zone zone=v:1m;\nfediguard_verify_zone zone=w:1m;\n{SERVER}"),
        "\"fediguard_verify_zone\" directive is duplicate",
        "zone=w",
    );
    assert_fails(
        &format!("fediguard_verify_timeout 2m;\n{SERVER}"),
        "is not between 1ms and 60s",
        "fediguard_verify_timeout",
    );
    assert_fails(
        "server { listen 127.0.0.1:{PORT};\n fediguard_agent_deny_unverified search off; }",
        "\"fediguard_agent_deny_unverified off\" must stand alone",
        "search off",
    );
}

#[test]
fn denying_by_dns_needs_a_zone() {
    assert_fails(
        "server { listen 127.0.0.1:{PORT};\n fediguard_agent_deny_unverified search; }",
        "agents of this class are verified by DNS, which needs fediguard_verify_zone",
        "fediguard_agent_deny_unverified search",
    );
    // A class verified by ranges alone needs none.
    let (_d, f) = ranges_file("192.0.2.0/24\n");
    let t = nginx_test(&format!(
        "fediguard_agent partner \"Partner Bot\";
         fediguard_agent_ranges partner {f};
         server {{ listen 127.0.0.1:{{PORT}}; fediguard_agent_deny_unverified partner; }}"
    ));
    assert!(t.ok, "{}", t.output);
}
