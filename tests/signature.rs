//! Signed deliveries through the real nginx and module (2 workers): real
//! cavage signatures made by PeerTube's signer (`@peertube/http-signature`,
//! installed from npm at a pinned version into tmp/signers), keys served by
//! an actor server stand-in of this test, `fediguard_signature require` on
//! an inbox proxied to a backend location whose hits are counted.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use fediguard_tests::browser::repo;
use fediguard_tests::{request, Nginx};

const PEERTUBE_SIGNER: &str = "1.7.0";

/// tmp/signers/node_modules with the signer at its pinned version.
fn signer_modules() -> PathBuf {
    fediguard_tests::npm::package("signers", "@peertube/http-signature", PEERTUBE_SIGNER)
}

fn node(script: &str, args: &[&str]) -> String {
    let out = Command::new("node")
        .env("NODE_PATH", signer_modules())
        .arg(repo().join("tests/signature").join(script))
        .args(args)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The actor server: GET /users/alice answers the actor with its key;
/// anything else 404. Counts the requests it gets.
struct Actors {
    port: u16,
    hits: Arc<AtomicUsize>,
}

fn actors(public_pem: String) -> Actors {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            h.fetch_add(1, Ordering::SeqCst);
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            let _ = r.read_line(&mut line);
            loop {
                let mut hdr = String::new();
                if r.read_line(&mut hdr).unwrap_or(0) == 0 || hdr == "\r\n" {
                    break;
                }
            }
            let path = line.split(' ').nth(1).unwrap_or("");
            let base = format!("http://127.0.0.1:{port}");
            let (status, body) = if path == "/users/alice" {
                let doc = serde_json::json!({
                    "id": format!("{base}/users/alice"),
                    "type": "Person",
                    "publicKey": {
                        "id": format!("{base}/users/alice#main-key"),
                        "owner": format!("{base}/users/alice"),
                        "publicKeyPem": public_pem,
                    }
                });
                ("200 OK", doc.to_string())
            } else {
                ("404 Not Found", "{}".to_string())
            };
            let mut s = s;
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: application/activity+json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Actors { port, hits }
}

fn setup() -> (Nginx, Actors, PathBuf) {
    // One directory per test: the tests of this file run at once.
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = repo().join(format!("tmp/signature-keys-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    node("keypair.js", &[dir.to_str().unwrap()]);
    let public = std::fs::read_to_string(dir.join("public.pem")).unwrap();
    let a = actors(public);
    let ngx = Nginx::start(
        "fediguard_signature_zone zone=sigkeys:1m fetch_rate=6r/m fetch_burst=5;
         log_format sig '$uri|$fediguard_signature|$fediguard_signer|$status';
         server { listen 127.0.0.1:{PORT};
           access_log {DIR}/sig.log sig; log_subrequest on;
           fediguard on;
           fediguard_signature_keys /_key allow=127.0.0.1;
           location = /inbox { fediguard_signature require;
             proxy_pass http://127.0.0.1:{PORT}/_backend; }
           location = /inbox_strict { fediguard_signature require;
             fediguard_signature_keys /_key;
             proxy_pass http://127.0.0.1:{PORT}/_backend; }
           location = /_backend { return 202 'accepted'; }
           location = /_key { internal; proxy_pass $fediguard_signature_key_url;
             proxy_connect_timeout 1s; proxy_read_timeout 2s;
             subrequest_output_buffer_size 64k; }
         }",
    );
    (ngx, a, dir)
}

fn deliver(
    ngx: &Nginx,
    path: &str,
    key_id: &str,
    key: &Path,
    body: &str,
    sent: Option<&str>,
) -> u16 {
    let url = format!("http://127.0.0.1:{}{path}", ngx.port);
    let mut args = vec![url.as_str(), key_id, key.to_str().unwrap(), body];
    if let Some(s) = sent {
        args.push(s);
    }
    let out = node("deliver.js", &args);
    out.lines()
        .next()
        .unwrap_or("0")
        .trim()
        .parse()
        .unwrap_or(0)
}

fn backend_hits(ngx: &Nginx) -> usize {
    ngx.access_lines("sig.log")
        .iter()
        .filter(|l| l.starts_with("/_backend|"))
        .count()
}

/// What is decided without a key fetch: a tampered body (the digest is
/// checked first), a keyId the rules refuse, forged and unsigned floods.
#[test]
fn refused_without_a_key_fetch() {
    let (ngx, a, dir) = setup();
    let key = dir.join("private.pem");
    let alice = format!("http://127.0.0.1:{}/users/alice#main-key", a.port);
    let body = r#"{"type":"Create","actor":"alice"}"#;

    // The body tampered with, the original digest kept: 401, digest-mismatch.
    assert_eq!(
        deliver(
            &ngx,
            "/inbox",
            &alice,
            &key,
            body,
            Some(r#"{"type":"Delete"}"#)
        ),
        401
    );
    let log = ngx.error_log();
    assert!(
        log.contains("reason=signature-invalid why=digest-mismatch scheme=cavage"),
        "{log}"
    );
    assert!(log.contains(&format!("keyid=\"{alice}\"")));

    // A keyId on 127.0.0.1 where allow= does not name it: refused.
    assert_eq!(
        deliver(&ngx, "/inbox_strict", &alice, &key, body, None),
        401
    );
    assert!(ngx.error_log().contains("why=key-refused"));

    // Forged (expired) and unsigned floods under require: nothing reaches
    // the backend.
    for i in 0..20 {
        let raw = format!(
            "POST /inbox HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\
             Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n\
             Signature: keyId=\"{alice}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"Zm9yZ2Vk{i}\"\r\n\
             Connection: close\r\n\r\n{{}}"
        );
        assert_eq!(request(ngx.port, raw.as_bytes()).unwrap().status, 401);
        let unsigned = "POST /inbox HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
        assert_eq!(request(ngx.port, unsigned.as_bytes()).unwrap().status, 401);
    }
    assert_eq!(
        backend_hits(&ngx),
        0,
        "no forged or unsigned delivery reached the backend"
    );
    assert_eq!(a.hits.load(Ordering::SeqCst), 0, "no key fetched");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Valid deliveries and key fetches.
#[test]

fn signed_deliveries() {
    let (ngx, a, dir) = setup();
    let key = dir.join("private.pem");
    let alice = format!("http://127.0.0.1:{}/users/alice#main-key", a.port);
    let body = r#"{"type":"Create","actor":"alice"}"#;

    // A valid delivery, signed by PeerTube's signer: proxied, signer known.
    let status = deliver(&ngx, "/inbox", &alice, &key, body, None);
    assert_eq!(
        status,
        202,
        "{}\n{:?}",
        ngx.error_log(),
        ngx.access_lines("sig.log")
    );
    let lines = ngx.access_lines("sig.log");
    assert!(
        lines.iter().any(|l| l == "/inbox|valid|127.0.0.1|202"),
        "{lines:?}"
    );

    // More deliveries from the same signer: no more key fetches.
    for _ in 0..5 {
        assert_eq!(deliver(&ngx, "/inbox", &alice, &key, body, None), 202);
    }
    assert_eq!(
        a.hits.load(Ordering::SeqCst),
        1,
        "one key fetch for six deliveries"
    );

    // An unknown key (404): 503 with Retry-After, never 401.
    let nobody = format!("http://127.0.0.1:{}/users/nobody#main-key", a.port);
    assert_eq!(deliver(&ngx, "/inbox", &nobody, &key, body, None), 503);

    // Random keyIds from one address: fetches within its budget (burst 5,
    // the 404 above spent one), then 503 without a fetch.
    let hits = a.hits.load(Ordering::SeqCst);
    for i in 0..15 {
        let k = format!("http://127.0.0.1:{}/users/r{i}#main-key", a.port);
        assert_eq!(deliver(&ngx, "/inbox", &k, &key, body, None), 503);
    }
    let fetched = a.hits.load(Ordering::SeqCst) - hits;
    assert!(fetched <= 5, "{fetched} key fetches for 15 random keyIds");
    let _ = std::fs::remove_dir_all(&dir);
}
