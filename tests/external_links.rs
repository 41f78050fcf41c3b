//! Issue 13: `apparat check --external` requests every http(s) link written
//! in content, reports each failure at its position, and caches the links
//! that answered well. Against a local server only: no outside traffic.

mod fixture;
use fixture::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A server with one behaviour per path; counts the requests per
/// "METHOD path".
fn server() -> (u16, Arc<Mutex<HashMap<String, usize>>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("start a test server");
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .expect("a TCP port");
    let counts = Arc::new(Mutex::new(HashMap::new()));
    let seen = Arc::clone(&counts);
    std::thread::spawn(move || {
        for rq in server.incoming_requests() {
            let path = rq.url().to_string();
            let method = rq.method().to_string();
            *seen
                .lock()
                .expect("counts")
                .entry(format!("{method} {path}"))
                .or_insert(0) += 1;
            let head = method == "HEAD";
            // each request answered on its own thread: a slow one blocks no other
            std::thread::spawn(move || {
                let code = match path.as_str() {
                    "/ok" => 200,
                    "/no-head" if head => 405,
                    "/no-head" => 200,
                    "/gone" => 404,
                    "/moved" => 301,
                    "/slow" => {
                        std::thread::sleep(Duration::from_secs(4));
                        200
                    }
                    _ => 500,
                };
                let mut r = tiny_http::Response::from_data(b"x".to_vec()).with_status_code(code);
                if code == 301 {
                    if let Ok(h) = tiny_http::Header::from_bytes("Location", "/ok") {
                        r.add_header(h);
                    }
                }
                let _ = rq.respond(r);
            });
        }
    });
    (port, counts)
}

fn page(port: u16) -> String {
    format!(
        "+++\ntitle = \"Liens\"\n+++\n\n\
         Un [bon lien](http://127.0.0.1:{port}/ok#section) et un [autre](http://127.0.0.1:{port}/no-head).\n\n\
         Un [lien mort](http://127.0.0.1:{port}/gone), une [redirection](http://127.0.0.1:{port}/moved).\n\n\
         Le [même lien mort](http://127.0.0.1:{port}/gone) et un [lent](http://127.0.0.1:{port}/slow).\n"
    )
}

fn count(counts: &Arc<Mutex<HashMap<String, usize>>>, key: &str) -> usize {
    counts
        .lock()
        .expect("counts")
        .get(key)
        .copied()
        .unwrap_or(0)
}

#[test]
fn check_without_external_makes_no_request() {
    let (port, counts) = server();
    let s = Site::new();
    s.write("content/_index.md", &page(port));
    let o = s.check();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(counts.lock().expect("counts").is_empty());
    assert!(!s.exists(".apparat-links.json"));
}

#[test]
fn failures_are_reported_at_every_position_and_good_links_are_cached() {
    let (port, counts) = server();
    let s = Site::new();
    s.write("content/_index.md", &page(port));
    let o = s.run(&["check", "--external", "--timeout", "1"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    // the dead link at both of its places (lines 7 and 9), the slow one; the
    // column of `[lent]` depends on the port's digits
    let line9 = page(port).lines().nth(8).unwrap_or("").to_string();
    let col = line9
        .find("[lent]")
        .map(|b| line9[..b].chars().count() + 1)
        .unwrap_or(0);
    assert!(
        err.contains(&format!(
            "content/_index.md:7:4: error: external link `http://127.0.0.1:{port}/gone` failed: HTTP 404 Not Found"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "content/_index.md:9:4: error: external link `http://127.0.0.1:{port}/gone` failed: HTTP 404"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "content/_index.md:9:{col}: error: external link `http://127.0.0.1:{port}/slow` failed: no answer within 1 s"
        )),
        "{err}"
    );
    assert_eq!(err.matches("error: external link").count(), 3, "{err}");
    assert!(
        err.contains("external links: 5 checked, 0 from the cache, 2 failed"),
        "{err}"
    );
    // HEAD refused: GET decides; a redirect is followed; the fragment is not sent
    assert_eq!(count(&counts, "GET /no-head"), 1);
    assert_eq!(
        count(&counts, "HEAD /ok"),
        2,
        "the link and the redirect's target"
    );
    // the cache holds the links that answered well, and only those
    let cache = s.read(".apparat-links.json");
    assert!(
        cache.contains(&format!("http://127.0.0.1:{port}/ok\"")),
        "{cache}"
    );
    assert!(cache.contains("/moved"), "{cache}");
    assert!(!cache.contains("/gone"), "{cache}");

    // a second run asks only what failed; --no-cache asks everything again
    let o = s.run(&["check", "--external", "--timeout", "1"]);
    assert!(
        stderr(&o).contains("external links: 2 checked, 3 from the cache, 2 failed"),
        "{}",
        stderr(&o)
    );
    assert_eq!(count(&counts, "HEAD /gone"), 2);
    assert_eq!(count(&counts, "HEAD /ok"), 2, "cached");
    let o = s.run(&["check", "--external", "--timeout", "1", "--no-cache"]);
    assert!(
        stderr(&o).contains("external links: 5 checked, 0 from the cache, 2 failed"),
        "{}",
        stderr(&o)
    );
    assert_eq!(count(&counts, "HEAD /ok"), 4);
}

#[test]
fn broken_links_warning_makes_external_failures_warnings() {
    let (port, _counts) = server();
    let s = Site::new();
    s.write(
        "site.toml",
        &format!("broken_links = \"warning\"\n{SITE_TOML}"),
    );
    s.write(
        "content/_index.md",
        &format!("+++\ntitle = \"Liens\"\n+++\n\nUn [lien mort](http://127.0.0.1:{port}/gone).\n"),
    );
    let o = s.run(&["check", "--external", "--no-cache"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("content/_index.md:5:4: warning: external link"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_unreachable_host_is_a_positioned_error_not_a_crash() {
    // a port nothing listens on (bound, then closed)
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let s = Site::new();
    s.write(
        "content/_index.md",
        &format!("+++\ntitle = \"Liens\"\n+++\n\n[x](http://127.0.0.1:{port}/)\n"),
    );
    let o = s.run(&["check", "--external", "--no-cache", "--timeout", "2"]);
    assert_fails_with(
        &o,
        &format!("content/_index.md:5:1: error: external link `http://127.0.0.1:{port}/` failed: cannot connect: connection refused"),
    );
}
