//! `fediguard_agent_list`: agent names from a file, one per line or
//! ai.robots.txt's `robots.json`, read when the configuration is loaded.

use std::fs;

use fediguard_tests::{nginx_test, Nginx};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";

/// A robots.json of our own making, in the list's format (names as keys).
const ROBOTS_JSON: &str = r#"{
  "NewAICrawler": {"operator": "Example", "respect": "No", "function": "AI training", "frequency": "", "description": ""},
  "Other Helper": {"operator": "Example", "respect": "Yes", "function": "AI assistant", "frequency": "", "description": ""}
}"#;

fn conf(dir: &str) -> String {
    format!(
        "fediguard_agent_list listed {dir}/names.txt;
         fediguard_agent_list trained {dir}/robots.json;
         server {{ listen 127.0.0.1:{{PORT}};
           fediguard on; fediguard_agent_deny listed trained;
           add_header X-Class $fediguard_agent_class always;
           location / {{ try_files /nonexistent @page; }}
           location @page {{ return 200 page; }}
         }}"
    )
}

#[test]
fn both_formats_deny_their_names_and_a_reload_reads_the_files_again() {
    let files = tempfile::tempdir().unwrap();
    let dir = files.path().display().to_string();
    fs::write(
        files.path().join("names.txt"),
        "# our own list\nAcme Grabber\n\n  sneakybot  # trailing comment\n",
    )
    .unwrap();
    fs::write(files.path().join("robots.json"), ROBOTS_JSON).unwrap();
    let ngx = Nginx::start(&conf(&dir));
    let class = |agent: &str| {
        let r = ngx.get_as("/", agent);
        (r.status, r.header("X-Class").unwrap_or("").to_string())
    };
    assert_eq!(class("Acme Grabber/2.1"), (403, "listed".into()));
    assert_eq!(
        class("Mozilla/5.0 (compatible; SneakyBot/1.0)"),
        (403, "listed".into())
    );
    assert_eq!(class("NewAICrawler/1.0"), (403, "trained".into()));
    assert_eq!(
        class("Mozilla/5.0 (compatible; Other Helper/2)"),
        (403, "trained".into())
    );
    // Whole words only.
    assert_eq!(class("Acme Grabbers/1"), (200, "other".into()));
    assert_eq!(class(FIREFOX), (200, "other".into()));

    // A new list is read on reload. Old workers may still take a
    // connection or two while they finish: ask until the new ones answer.
    fs::write(files.path().join("names.txt"), "Fresh Fetcher\n").unwrap();
    ngx.reload();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut in_a_row = 0;
    while in_a_row < 8 {
        let new = class("Fresh Fetcher/1.0") == (403, "listed".into())
            && class("Acme Grabber/2.1").0 == 200;
        in_a_row = if new { in_a_row + 1 } else { 0 };
        assert!(std::time::Instant::now() < deadline, "{}", ngx.error_log());
    }
}

#[test]
fn a_bad_list_fails_nginx_t_with_its_path_and_line() {
    let files = tempfile::tempdir().unwrap();
    let dir = files.path().display().to_string();
    fs::write(files.path().join("robots.json"), ROBOTS_JSON).unwrap();
    // A control character on line 2.
    fs::write(files.path().join("names.txt"), "Fine\nBad\u{1}Name\n").unwrap();
    let t = nginx_test(&conf(&dir));
    assert!(!t.ok, "{}", t.output);
    let path = format!("{dir}/names.txt");
    assert!(t.output.contains(&path), "{}", t.output);
    assert!(t.output.contains("line 2"), "{}", t.output);
    assert!(
        t.output
            .contains(&t.place_of("fediguard_agent_list listed")),
        "{}",
        t.output
    );
    // A missing file, and JSON that is not an object of names.
    fs::remove_file(files.path().join("names.txt")).unwrap();
    let t = nginx_test(&conf(&dir));
    assert!(!t.ok && t.output.contains("cannot read"), "{}", t.output);
    fs::write(files.path().join("names.txt"), "x\n").unwrap();
    fs::write(files.path().join("robots.json"), "{\"a\": 1,").unwrap();
    let t = nginx_test(&conf(&dir));
    assert!(!t.ok && t.output.contains("robots.json"), "{}", t.output);
}
