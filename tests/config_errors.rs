//! Wrong configuration fails `nginx -t` with a clear message and file:line.

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

#[test]
fn a_good_configuration_passes() {
    let t = nginx_test(
        "fediguard_agent friends \"Friendly Bot\";
         fediguard_agent partner ~*^Partner/;
         fediguard_agent_catalog on;
         server { listen 127.0.0.1:{PORT};
           fediguard dry_run; fediguard_agent_deny ai friends; fediguard_deny_status 429;
           fediguard_log_level notice;
           location / { fediguard on; fediguard_agent_deny off; } }",
    );
    assert!(t.ok, "{}", t.output);
    assert!(t.output.contains("test is successful"), "{}", t.output);
}

#[test]
fn bad_regex() {
    assert_fails(
        &format!("fediguard_agent x ~(unclosed;\n{SERVER}"),
        "\"fediguard_agent\": invalid agent regex: regex parse error",
        "~(unclosed",
    );
}

#[test]
fn deny_of_an_undefined_class() {
    assert_fails(
        "server { listen 127.0.0.1:{PORT};\n fediguard on;\n fediguard_agent_deny ai nosuchclass;\n }",
        "fediguard_agent_deny: unknown agent class \"nosuchclass\"",
        "nosuchclass",
    );
}

#[test]
fn a_class_defined_later_in_http_is_known() {
    let t = nginx_test(
        "server { listen 127.0.0.1:{PORT}; fediguard on; fediguard_agent_deny late; }
         fediguard_agent late LateBot;",
    );
    assert!(t.ok, "{}", t.output);
}

#[test]
fn status_out_of_range() {
    for bad in ["399", "600", "abc"] {
        assert_fails(
            &format!("server {{ listen 127.0.0.1:{{PORT}};\n fediguard_deny_status {bad};\n }}"),
            &format!("\"fediguard_deny_status\": value must be between 400 and 599, not \"{bad}\""),
            "fediguard_deny_status",
        );
    }
}

#[test]
fn directives_in_the_wrong_context() {
    assert_fails(
        "server { listen 127.0.0.1:{PORT};\n fediguard_agent x X;\n }",
        "\"fediguard_agent\" directive is not allowed here",
        "fediguard_agent x",
    );
    assert_fails(
        "server { listen 127.0.0.1:{PORT};\n location / { fediguard_agent_catalog off; }\n }",
        "\"fediguard_agent_catalog\" directive is not allowed here",
        "fediguard_agent_catalog",
    );
}

#[test]
fn bad_values() {
    assert_fails(
        "server { listen 127.0.0.1:{PORT};\n fediguard yes;\n }",
        "\"fediguard\": invalid value \"yes\": must be \"on\", \"off\" or \"dry_run\"",
        "fediguard yes",
    );
    assert_fails(
        "server { listen 127.0.0.1:{PORT};\n fediguard_log_level debug;\n }",
        "\"fediguard_log_level\": invalid value \"debug\"",
        "fediguard_log_level",
    );
    assert_fails(
        "fediguard_agent \"bad class\" X;\nserver { listen 127.0.0.1:{PORT}; }",
        "invalid agent class name \"bad class\"",
        "bad class",
    );
    assert_fails(
        "fediguard_agent off X;\nserver { listen 127.0.0.1:{PORT}; }",
        "\"off\" is not a class name",
        "fediguard_agent off",
    );
    assert_fails(
        "server { listen 127.0.0.1:{PORT};\n fediguard_agent_deny ai off;\n }",
        "\"fediguard_agent_deny off\" must stand alone",
        "fediguard_agent_deny ai off",
    );
}

#[test]
fn duplicates() {
    assert_fails(
        "server { listen 127.0.0.1:{PORT};\n fediguard on;\n fediguard off;\n }",
        "\"fediguard\" directive is duplicate",
        "fediguard off",
    );
    assert_fails(
        "fediguard_agent_catalog on;\nfediguard_agent_catalog off;\nserver { listen 127.0.0.1:{PORT}; }",
        "\"fediguard_agent_catalog\" directive is duplicate",
        "fediguard_agent_catalog off",
    );
}

#[test]
fn token_directives() {
    assert_fails(
        "server { listen 127.0.0.1:{PORT};\n fediguard_token_verify /_fediguard;\n }",
        "fediguard_token_verify in",
        "fediguard_token_verify",
    );
    assert_fails(
        "fediguard_token_zone zone=t:8k;\nserver { listen 127.0.0.1:{PORT}; }",
        "\"fediguard_token_zone\": zone \"t\" is too small (at least 32k)",
        "fediguard_token_zone",
    );
    assert_fails(
        "fediguard_token_zone zone=t:1m user=forever;\nserver { listen 127.0.0.1:{PORT}; }",
        "\"fediguard_token_zone\": invalid time \"forever\"",
        "fediguard_token_zone",
    );
    assert_fails(
        "fediguard_token_zone zone=t:1m colour=red;\nserver { listen 127.0.0.1:{PORT}; }",
        "\"fediguard_token_zone\": invalid parameter \"colour=red\"",
        "fediguard_token_zone",
    );
    assert_fails(
        "fediguard_token_zone zone=t:1m;\nfediguard_token_zone zone=u:1m;\nserver { listen 127.0.0.1:{PORT}; }",
        "\"fediguard_token_zone\" directive is duplicate",
        "zone=u:1m",
    );
    assert_fails(
        "fediguard_token_zone zone=t:1m;\nserver { listen 127.0.0.1:{PORT};\n fediguard_token_require app;\n }",
        "\"fediguard_token_require\": invalid value \"app\"",
        "fediguard_token_require",
    );
    assert_fails(
        "fediguard_token_zone zone=t:1m;\nserver { listen 127.0.0.1:{PORT};\n fediguard_token_verify _fediguard;\n }",
        "invalid prefix \"_fediguard\"",
        "fediguard_token_verify",
    );
    let t = nginx_test(
        "fediguard_token_zone zone=t:1m user=1h app=30m invalid=30s unknown=0;
         server { listen 127.0.0.1:{PORT}; fediguard on; fediguard_token_verify /_fg;
           location / { fediguard_token_require user; fediguard_token_fail open; }
           location /x/ { fediguard_token_verify off; } }",
    );
    assert!(t.ok, "{}", t.output);
}

#[test]
fn limit_directives() {
    assert_fails(
        "server { listen 127.0.0.1:{PORT};\n fediguard_limit zone=nosuch;\n }",
        "unknown fediguard_limit_zone \"nosuch\" in",
        "zone=nosuch",
    );
    assert_fails(
        "fediguard_limit_zone $remote_addr zone=a:1m rate=10r/h;\nserver { listen 127.0.0.1:{PORT}; }",
        "\"fediguard_limit_zone\": invalid rate \"10r/h\"",
        "fediguard_limit_zone",
    );
    assert_fails(
        "fediguard_limit_zone $remote_addr zone=a:1m;\nserver { listen 127.0.0.1:{PORT}; }",
        "invalid number of arguments in \"fediguard_limit_zone\" directive",
        "fediguard_limit_zone",
    );
    assert_fails(
        "fediguard_limit_zone $remote_addr zone=a:1m rate=1r/s;\nfediguard_limit_zone $uri zone=a:1m rate=1r/s;\nserver { listen 127.0.0.1:{PORT}; }",
        "duplicate zone \"a\"",
        "$uri zone=a",
    );
    let zone = "fediguard_limit_zone $remote_addr zone=a:1m rate=1r/s;\n";
    assert_fails(
        &format!(
            "{zone}server {{ listen 127.0.0.1:{{PORT}};\n fediguard_limit zone=a burst=x;\n }}"
        ),
        "\"fediguard_limit\": invalid number \"x\"",
        "burst=x",
    );
    assert_fails(
        &format!("{zone}server {{ listen 127.0.0.1:{{PORT}};\n fediguard_limit zone=a burst=5 nodelay delay=2;\n }}"),
        "\"nodelay\" and \"delay=\" exclude each other",
        "nodelay delay=2",
    );
    assert_fails(
        &format!(
            "{zone}server {{ listen 127.0.0.1:{{PORT}};\n fediguard_limit zone=a cost=-1;\n }}"
        ),
        "\"fediguard_limit\": invalid cost \"-1\"",
        "cost=-1",
    );
    assert_fails(
        &format!("{zone}server {{ listen 127.0.0.1:{{PORT}};\n fediguard_limit_status 200;\n }}"),
        "\"fediguard_limit_status\": value must be between 400 and 599",
        "fediguard_limit_status",
    );
    assert_fails(
        &format!("{zone}server {{ listen 127.0.0.1:{{PORT}};\n fediguard_limit_after zone=a burst=2;\n }}"),
        "\"fediguard_limit_after\": invalid parameter \"burst=2\"",
        "fediguard_limit_after",
    );
    let t = nginx_test(&format!(
        "{zone}map $request_method $c {{ default 1; POST 5; }}
         server {{ listen 127.0.0.1:{{PORT}}; fediguard on;
           fediguard_limit zone=a burst=10 delay=4 cost=$c;
           fediguard_limit_after zone=a cost=$upstream_response_time;
           location / {{ fediguard_limit zone=a; fediguard_limit_status 503; }} }}"
    ));
    assert!(t.ok, "{}", t.output);
}

/// `nginx -t` passes but warns, at the directive's file:line, where a
/// directive can have no effect wherever it applies; a directive that acts
/// in some location is not warned about.
#[test]
fn nginx_t_warns_where_a_directive_can_have_no_effect() {
    let warns = |body: &str, message: &str, at: Option<&str>| {
        let t = nginx_test(body);
        assert!(t.ok, "nginx -t failed:\n{body}\n{}", t.output);
        let line = t
            .output
            .lines()
            .find(|l| l.contains("[warn]") && l.contains(message))
            .unwrap_or_else(|| panic!("want a warning {message:?} in:\n{}", t.output))
            .to_string();
        if let Some(at) = at {
            let place = t.place_of(at);
            assert!(line.contains(&place), "want {place:?} in {line}");
        }
    };
    let quiet = |body: &str| {
        let t = nginx_test(body);
        assert!(t.ok, "{}", t.output);
        assert!(
            !t.output.contains("[warn]"),
            "a warning for:\n{body}\n{}",
            t.output
        );
    };
    let page = "try_files /x =404;";
    // fediguard_agent_deny without fediguard on in effect.
    warns(
        &format!("server {{ listen 127.0.0.1:{{PORT}}; fediguard_agent_deny ai; location / {{ {page} }} }}"),
        "fediguard_agent_deny ai has no effect: fediguard is off",
        Some("fediguard_agent_deny ai"),
    );
    quiet(&format!(
        "server {{ listen 127.0.0.1:{{PORT}}; fediguard_agent_deny ai;
           location / {{ {page} }} location /on/ {{ fediguard on; {page} }} }}"
    ));
    // fediguard_token_require without fediguard_token_verify.
    warns(
        &format!(
            "server {{ listen 127.0.0.1:{{PORT}}; fediguard on;
               location /api/ {{ fediguard_token_require user; {page} }} }}"
        ),
        "fediguard_token_require has no effect without fediguard_token_verify",
        Some("fediguard_token_require user"),
    );
    // fediguard_token_verify /prefix with no such location.
    warns(
        &format!(
            "fediguard_token_zone zone=t:1m;
             server {{ listen 127.0.0.1:{{PORT}}; fediguard on;
               location / {{ {page} }}
               location /api/ {{ fediguard_token_verify /_fediguard; {page} }} }}"
        ),
        "fediguard_token_verify /_fediguard: no location of this server but \"location /\" serves /_fediguard/oauth/token/info",
        Some("fediguard_token_verify /_fediguard"),
    );
    quiet(&format!(
        "fediguard_token_zone zone=t:1m;
         server {{ listen 127.0.0.1:{{PORT}}; fediguard on;
           location /api/ {{ fediguard_token_verify /_fediguard; fediguard_token_require user; {page} }}
           location /_fediguard/ {{ internal; {page} }} }}"
    ));
    // fediguard_limit where fediguard is off.
    warns(
        &format!(
            "fediguard_limit_zone $remote_addr zone=ip:1m rate=1r/s;
             server {{ listen 127.0.0.1:{{PORT}}; fediguard_limit zone=ip; location / {{ {page} }} }}"
        ),
        "fediguard_limit zone=ip has no effect where fediguard is off",
        None,
    );
}
