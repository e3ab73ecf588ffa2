//! Agent classification and denial through the real nginx and module.

use fediguard_tests::Nginx;

const GPTBOT: &str = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
const MASTODON: &str = "Mastodon/4.4.1 (http.rb/5.3.1; +https://Example.Social/)";
const MASTODON_APP: &str = "Mastodon/2024.5 CFNetwork/1494.0.7 Darwin/23.4.0";
const SCRAPER: &str = "Python/3.6 aiohttp/3.6.2";
const AHREFS: &str = "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)";

/// Locations answer from the config: `try_files` runs after the access
/// phase (a bare `return` would answer before fediguard decides).
const PAGE: &str = "try_files /nonexistent @page;";
const PAGE_LOCATION: &str = "location @page { default_type text/plain; return 200 \"page\"; }";

fn server(inner: &str) -> String {
    format!("server {{ listen 127.0.0.1:{{PORT}};\n{inner}\n{PAGE_LOCATION}\n}}")
}

#[test]
fn denies_listed_classes_and_serves_the_rest_with_1_and_2_workers() {
    for workers in [1, 2] {
        let ngx = Nginx::start_with(
            workers,
            &server(&format!(
                "fediguard on; fediguard_agent_deny ai tool;
                 location / {{ {PAGE} }}"
            )),
        );
        assert_eq!(ngx.get_as("/", GPTBOT).status, 403);
        assert_eq!(ngx.get_as("/", SCRAPER).status, 403);
        assert_eq!(ngx.get_as("/x", "curl/8.5.0").status, 403);
        let ok = ngx.get_as("/", FIREFOX);
        assert_eq!((ok.status, ok.text().as_str()), (200, "page"));
        assert_eq!(ngx.get_as("/", MASTODON).status, 200);
        assert_eq!(ngx.get_as("/", MASTODON_APP).status, 200);
        assert_eq!(ngx.get_as("/", AHREFS).status, 200);
        assert_eq!(
            ngx.get("/", &[]).status,
            200,
            "no User-Agent is class empty"
        );

        let lines = ngx.fediguard_lines();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        let gpt = &lines[0];
        assert!(gpt.contains("[error]"), "default level is error: {gpt}");
        assert!(
            gpt.contains(&format!(
                "fediguard: deny reason=agent-denied agent_class=ai agent=\"{GPTBOT}\", client: 127.0.0.1"
            )),
            "{gpt}"
        );
        assert!(gpt.contains("request: \"GET / HTTP/1.1\""), "{gpt}");
        assert!(lines[1].contains("agent_class=tool agent=\"Python/3.6 aiohttp/3.6.2\""));
        assert!(lines[2].contains("request: \"GET /x HTTP/1.1\""));
    }
}

#[test]
fn deny_status_and_log_level() {
    let ngx = Nginx::start(&server(&format!(
        "fediguard on; fediguard_agent_deny ai;
         fediguard_deny_status 429; fediguard_log_level notice;
         location / {{ {PAGE} }}
         location /quiet/ {{ error_log {{DIR}}/quiet.log warn; fediguard_log_level info; {PAGE} }}
         location /loud/ {{ error_log {{DIR}}/loud.log warn; fediguard_log_level error; {PAGE} }}"
    )));
    assert_eq!(ngx.get_as("/", GPTBOT).status, 429);
    let lines = ngx.fediguard_lines();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("[notice]"), "{}", lines[0]);

    // Below the error_log level: nothing written, but still denied.
    assert_eq!(ngx.get_as("/quiet/", GPTBOT).status, 429);
    assert!(!ngx.read("quiet.log").contains("fediguard:"));
    assert_eq!(ngx.get_as("/loud/", GPTBOT).status, 429);
    let loud = ngx.read("loud.log");
    assert!(
        loud.contains("[error]") && loud.contains("fediguard: deny"),
        "{loud}"
    );
}

#[test]
fn dry_run_serves_and_logs_once() {
    let ngx = Nginx::start(
        "server { listen 127.0.0.1:{PORT}; root {DIR};
           fediguard dry_run; fediguard_agent_deny ai;
           location / { index index.html; } }",
    );
    std::fs::write(ngx.path("index.html"), "index").unwrap();
    // "/" goes through the index module's internal redirect: the access
    // phase runs twice, the line is written once.
    let r = ngx.get_as("/", GPTBOT);
    assert_eq!((r.status, r.text().as_str()), (200, "index"));
    let lines = ngx.fediguard_lines();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("fediguard: would deny reason=agent-denied agent_class=ai"));
}

#[test]
fn off_and_inheritance_http_server_location() {
    let ngx = Nginx::start(&format!(
        "fediguard on;
         fediguard_agent_deny seo;
         fediguard_deny_status 451;
         server {{ listen 127.0.0.1:{{PORT}};
           fediguard_agent_deny ai;
           location / {{ {PAGE} }}
           location /off/ {{ fediguard off; {PAGE} }}
           location /own/ {{ fediguard_agent_deny tool; {PAGE} }}
           location /none/ {{ fediguard_agent_deny off; {PAGE} }}
           location /dry/ {{ fediguard dry_run; {PAGE} }}
           {PAGE_LOCATION}
         }}
         server {{ listen 127.0.0.1:{{PORT}}; server_name other;
           location / {{ {PAGE} }}
           {PAGE_LOCATION}
         }}"
    ));
    // Server level replaces the http-level list; status comes from http.
    assert_eq!(ngx.get_as("/", GPTBOT).status, 451);
    assert_eq!(ngx.get_as("/", AHREFS).status, 200);
    assert_eq!(ngx.get_as("/off/", GPTBOT).status, 200);
    // A location's own list replaces the server's.
    assert_eq!(ngx.get_as("/own/", GPTBOT).status, 200);
    assert_eq!(ngx.get_as("/own/", SCRAPER).status, 451);
    assert_eq!(ngx.get_as("/none/", GPTBOT).status, 200);
    assert_eq!(ngx.get_as("/dry/", GPTBOT).status, 200);
    // The second server inherits everything from http.
    let raw = |agent: &str| {
        fediguard_tests::request(
            ngx.port,
            format!(
                "GET / HTTP/1.1\r\nHost: other\r\nUser-Agent: {agent}\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap()
        .status
    };
    assert_eq!(raw(AHREFS), 451);
    assert_eq!(raw(GPTBOT), 200);
}

#[test]
fn variables_in_add_header_and_log_format_also_where_off() {
    let ngx = Nginx::start(&format!(
        "log_format fg '$uri|$fediguard_agent_class|$fediguard_agent_host|$fediguard_reason|$status';
         server {{ listen 127.0.0.1:{{PORT}};
           access_log {{DIR}}/fg.log fg;
           add_header X-Class $fediguard_agent_class always;
           add_header X-Host $fediguard_agent_host always;
           add_header X-Reason $fediguard_reason always;
           error_page 403 /denied;
           location / {{ fediguard on; fediguard_agent_deny ai; {PAGE} }}
           location /dry/ {{ fediguard dry_run; fediguard_agent_deny ai; {PAGE} }}
           location /plain/ {{ {PAGE} }}
           location = /denied {{ internal; {PAGE} }}
           {PAGE_LOCATION}
         }}"
    ));
    let r = ngx.get_as("/plain/", MASTODON);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("X-Class"), Some("fediverse"));
    assert_eq!(r.header("X-Host"), Some("example.social"));
    // nginx's add_header leaves out a header whose value is empty.
    assert_eq!(r.header("X-Reason"), None);

    let r = ngx.get_as("/", FIREFOX);
    assert_eq!(r.header("X-Class"), Some("other"));
    assert_eq!(r.header("X-Host"), None);

    // Denied, then answered by error_page through an internal redirect:
    // the reason survives it.
    let r = ngx.get_as("/", GPTBOT);
    assert_eq!(r.status, 403);
    assert_eq!(r.header("X-Reason"), Some("agent-denied"));
    assert_eq!(r.header("X-Class"), Some("ai"));

    let r = ngx.get_as("/dry/", GPTBOT);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("X-Reason"), Some("agent-denied"));

    let r = ngx.get("/plain/", &[]);
    assert_eq!(r.header("X-Class"), Some("empty"));

    assert_eq!(
        ngx.access_lines("fg.log"),
        vec![
            "/plain/|fediverse|example.social||200",
            "/|other|||200",
            "/denied|ai||agent-denied|403",
            "/dry/|ai||agent-denied|200",
            "/plain/|empty|||200",
        ]
    );
}

#[test]
fn admin_rules_custom_classes_and_catalog_off() {
    let ngx = Nginx::start(&format!(
        "fediguard_agent friends ~*^Mastodon/.*\\+https://friends\\.example/;
         fediguard_agent titan Titan;
         fediguard_agent ai \"Sneaky Scraper\";
         server {{ listen 127.0.0.1:{{PORT}};
           fediguard on; fediguard_agent_deny titan ai fediverse;
           add_header X-Class $fediguard_agent_class always;
           location / {{ {PAGE} }}
           {PAGE_LOCATION}
         }}"
    ));
    let friend = "Mastodon/4.4.1 (http.rb/5.3.1; +https://friends.example/)";
    let r = ngx.get_as("/", friend);
    assert_eq!((r.status, r.header("X-Class")), (200, Some("friends")));
    assert_eq!(ngx.get_as("/", MASTODON).status, 403);
    assert_eq!(ngx.get_as("/", "Titan/2.0").status, 403);
    let r = ngx.get_as("/", "Titanium/2.0");
    assert_eq!((r.status, r.header("X-Class")), (200, Some("other")));
    assert_eq!(
        ngx.get_as("/", "Mozilla/5.0 (Sneaky Scraper 1.0)").status,
        403
    );
    let lines = ngx.fediguard_lines();
    assert!(
        lines[0].contains("agent_class=fediverse instance=example.social agent="),
        "{lines:#?}"
    );

    let ngx = Nginx::start(&format!(
        "fediguard_agent_catalog off;
         fediguard_agent mine MyBot;
         server {{ listen 127.0.0.1:{{PORT}};
           fediguard on; fediguard_agent_deny ai mine;
           add_header X-Class $fediguard_agent_class always;
           location / {{ {PAGE} }}
           {PAGE_LOCATION}
         }}"
    ));
    let r = ngx.get_as("/", GPTBOT);
    assert_eq!((r.status, r.header("X-Class")), (200, Some("other")));
    assert_eq!(ngx.get_as("/", "MyBot/1").status, 403);
}

#[test]
fn hostile_agents_are_handled_and_quoted() {
    let ngx = Nginx::start(&format!(
        "large_client_header_buffers 4 32k;
         server {{ listen 127.0.0.1:{{PORT}};
           fediguard on; fediguard_agent_deny ai;
           location / {{ {PAGE} }}
           {PAGE_LOCATION}
         }}"
    ));
    // 16 KB agent with the bot name at the start: denied, quoted short.
    let long = format!("GPTBot/1.1 {}", "A".repeat(16 * 1024));
    assert_eq!(ngx.get_as("/", &long).status, 403);
    // Quotes and non-ASCII bytes cannot break the log line.
    let raw = b"GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: GPTBot \"x\" \xc3\xa9\xff\r\nConnection: close\r\n\r\n";
    assert_eq!(fediguard_tests::request(ngx.port, raw).unwrap().status, 403);
    let lines = ngx.fediguard_lines();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[0].contains("agent=\"GPTBot/1.1 AAAA"), "{}", lines[0]);
    assert!(
        lines[0].len() < 1024,
        "agent not truncated: {} bytes",
        lines[0].len()
    );
    assert!(lines[0].contains("...\""));
    assert!(
        lines[1].contains(r#"agent="GPTBot \"x\" \xc3\xa9\xff""#),
        "{}",
        lines[1]
    );
    // nginx is still serving.
    assert_eq!(ngx.get_as("/", FIREFOX).status, 200);
}
