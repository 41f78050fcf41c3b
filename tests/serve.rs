//! `apparat serve`, end to end: the real binary on a free port, in a temp copy
//! of a small edition, fetched with an HTTP client (ureq) and, where the exact
//! request bytes matter (traversal attempts, the event stream), a raw socket.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_apparat");
/// Bound on every wait: generous for a loaded CI machine, never reached when things work.
const WAIT: Duration = Duration::from_secs(15);

/// A running `apparat serve`, killed on drop.
struct Serve {
    child: Child,
    /// `http://127.0.0.1:PORT/base/`
    url: String,
    port: u16,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(stream: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let mut s = into.lock().unwrap_or_else(|e| e.into_inner());
            s.push_str(&line);
            s.push('\n');
        }
    });
}

/// Polls `f` until it returns Some, or panics after [`WAIT`].
fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Serve {
    /// Writes the fixture (then lets `prepare` change it) and starts the server.
    fn start(args: &[&str], prepare: impl FnOnce(&Path)) -> Serve {
        Serve::start_env(args, &[], prepare)
    }

    /// [`Serve::start`] with these variables in the server's environment.
    fn start_env(args: &[&str], env: &[(&str, &str)], prepare: impl FnOnce(&Path)) -> Serve {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("edition");
        common::write_fixture(&root);
        prepare(&root);
        let mut child = Command::new(BIN)
            .envs(env.iter().copied())
            .arg("serve")
            .arg("--root")
            .arg(&root)
            .args(["--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn apparat serve");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        collect(child.stdout.take().expect("stdout"), Arc::clone(&stdout));
        collect(child.stderr.take().expect("stderr"), Arc::clone(&stderr));
        let mut serve = Serve {
            child,
            url: String::new(),
            port: 0,
            stdout,
            stderr,
            _dir: dir,
            root,
        };
        let url = wait_for("the URL line", || {
            if let Ok(Some(status)) = serve.child.try_wait() {
                panic!("serve exited with {status}: {}", serve.err());
            }
            let out = serve.out();
            out.lines()
                .find_map(|l| l.strip_prefix("serving "))
                .and_then(|l| l.split_whitespace().next())
                .map(str::to_string)
        });
        let port = url
            .trim_start_matches("http://127.0.0.1:")
            .split('/')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port in the URL");
        serve.url = url;
        serve.port = port;
        serve
    }

    fn out(&self) -> String {
        self.stdout
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn err(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// An absolute URL for a root-relative path on this server.
    fn at(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn get(&self, path: &str) -> Fetched {
        fetch(agent().get(self.at(path)).call())
    }

    fn write(&self, rel: &str, text: &str) {
        common::write(&self.root, rel, text);
    }

    fn child_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

struct Fetched {
    status: u16,
    ctype: String,
    location: String,
    length: Option<usize>,
    body: String,
}

fn fetch(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Fetched {
    let mut r = r.expect("HTTP request");
    let h = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (ctype, location) = (h("content-type"), h("location"));
    let length = h("content-length").parse().ok();
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().unwrap_or_default();
    Fetched {
        status,
        ctype,
        location,
        length,
        body,
    }
}

/// Sends `target` byte for byte (no client normalisation) and returns status and response.
fn raw(port: u16, method: &str, target: &str) -> (u16, String) {
    raw_with(port, &format!("{method} {target}"), "Host: 127.0.0.1\r\n")
}

/// Sends the request line `line` with the header lines `headers` (each
/// ending in CRLF) and `Connection: close`; returns status and response
/// (status 0 when the server closed the connection without answering).
fn raw_with(port: u16, line: &str, headers: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    // a server that refuses a large head may close before reading all of it
    let _ = write!(s, "{line} HTTP/1.1\r\n{headers}Connection: close\r\n\r\n");
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// The live-reload channel, read from a raw socket.
struct Events {
    stream: TcpStream,
    buf: String,
    /// How much of `buf` the tests already consumed.
    seen: usize,
}

impl Events {
    fn open(serve: &Serve, base: &str) -> Events {
        let mut stream = TcpStream::connect(("127.0.0.1", serve.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("timeout");
        write!(
            stream,
            "GET {base}__apparat/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        )
        .expect("send");
        let mut ev = Events {
            stream,
            buf: String::new(),
            seen: 0,
        };
        ev.expect("event: hello");
        assert!(ev.buf.starts_with("HTTP/1.1 200"), "{}", ev.buf);
        assert!(ev.buf.contains("Content-Type: text/event-stream"));
        ev
    }

    fn poll(&mut self) {
        let mut chunk = [0u8; 4096];
        match self.stream.read(&mut chunk) {
            Ok(0) => panic!("event stream closed: {}", self.buf),
            Ok(n) => self.buf.push_str(&String::from_utf8_lossy(&chunk[..n])),
            Err(_) => {} // timeout: nothing yet
        }
    }

    /// Waits for `needle` after what was already consumed; consumes up to it.
    fn expect(&mut self, needle: &str) {
        let start = Instant::now();
        loop {
            if let Some(i) = self.buf[self.seen..].find(needle) {
                self.seen += i + needle.len();
                return;
            }
            assert!(
                start.elapsed() < WAIT,
                "no `{needle}` on the event stream; got:\n{}",
                &self.buf[self.seen..]
            );
            self.poll();
        }
    }

    /// Reads for `d` and returns every event name received meanwhile.
    fn drain_for(&mut self, d: Duration) -> Vec<String> {
        let start = Instant::now();
        while start.elapsed() < d {
            self.poll();
        }
        let names = self.buf[self.seen..]
            .lines()
            .filter_map(|l| l.strip_prefix("event: "))
            .map(str::to_string)
            .collect();
        self.seen = self.buf.len();
        names
    }
}

#[test]
fn serves_pages_with_types_statuses_and_safety() {
    let s = Serve::start(&[], |_| {});
    assert!(s.url.starts_with("http://127.0.0.1:") && s.url.ends_with('/'));
    assert!(s.out().contains("built 4 pages"), "{}", s.out());

    let home = s.get("/");
    assert_eq!(home.status, 200);
    assert_eq!(home.ctype, "text/html; charset=utf-8");
    assert!(home.body.contains("Édition miniature"));
    // serve mode only: the live-reload client, relative to the page
    assert!(home
        .body
        .contains("<script src=\"__apparat/reload.js\" defer></script>"));
    let text = s.get("/texte/");
    assert_eq!(text.status, 200);
    assert!(text.body.contains("src=\"../__apparat/reload.js\""));
    assert!(text.body.contains("id=\"p-1\""));

    // content types
    for (path, ctype) in [
        ("/index.html", "text/html; charset=utf-8"),
        ("/assets/style.css", "text/css; charset=utf-8"),
        ("/assets/style.css?v=123", "text/css; charset=utf-8"),
        ("/assets/highlight.css", "text/css; charset=utf-8"),
        ("/assets/apparat.js", "text/javascript; charset=utf-8"),
        ("/__apparat/reload.js", "text/javascript; charset=utf-8"),
        ("/__apparat/overlay.css", "text/css; charset=utf-8"),
        ("/assets/favicon.svg", "image/svg+xml"),
        ("/fonts/f.woff2", "font/woff2"),
        ("/data.json", "application/json"),
        ("/sitemap.xml", "application/xml"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/notes.txt", "text/plain; charset=utf-8"),
        ("/refs.bib", "application/x-bibtex; charset=utf-8"),
        ("/img/p.png", "image/png"),
        ("/img/p.jpg", "image/jpeg"),
    ] {
        let f = s.get(path);
        assert_eq!(f.status, 200, "{path}");
        assert_eq!(f.ctype, ctype, "{path}");
    }
    assert_eq!(s.get("/data.json").body, "{\"ok\": true}\n");

    // folders: `dir` → `dir/`, `dir/` → `dir/index.html`
    let redirect = s.get("/texte?x=1");
    assert_eq!(redirect.status, 302);
    assert_eq!(redirect.location, "/texte/?x=1");
    assert_eq!(s.get("/texte/source/").status, 200);

    // the site's own 404 page, with status 404
    let missing = s.get("/nulle-part/");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.ctype, "text/html; charset=utf-8");
    assert!(
        missing.body.contains("Page introuvable"),
        "{}",
        missing.body
    );
    // served at any depth: its links are absolute under the base path
    assert!(missing.body.contains("href=\"/assets/style.css\""));
    assert!(missing.body.contains("src=\"/__apparat/reload.js\""));
    assert_eq!(s.get("/assets/nope.css").status, 404);
    // sources are not part of the site
    assert_eq!(s.get("/content/texte.md").status, 404);
    assert_eq!(s.get("/site.toml").status, 404);

    // HEAD: headers and length, no body
    let head = fetch(agent().head(s.at("/texte/")).call());
    assert_eq!(head.status, 200);
    assert_eq!(head.ctype, "text/html; charset=utf-8");
    assert_eq!(head.length, Some(text.body.len()));
    assert!(head.body.is_empty());
    let (status, resp) = raw(s.port, "HEAD", "/assets/style.css");
    assert_eq!(status, 200);
    assert!(resp.ends_with("\r\n\r\n"), "HEAD sent a body: {resp}");

    // only GET and HEAD
    let post = fetch(agent().post(s.at("/")).send("x=1"));
    assert_eq!(post.status, 405);
    for method in ["PUT", "DELETE", "OPTIONS", "PATCH"] {
        let (status, resp) = raw(s.port, method, "/");
        assert_eq!(status, 405, "{method}");
        assert!(resp.contains("Allow: GET, HEAD"), "{resp}");
    }

    // path traversal, encoded or not, and absolute paths are refused
    let secret = std::fs::read_to_string(s.root.join("site.toml")).expect("site.toml");
    assert!(secret.contains("base_url"));
    for target in [
        "/../site.toml",
        "/../../../../etc/passwd",
        "/texte/../../site.toml",
        "/%2e%2e/site.toml",
        "/%2E%2E/%2e%2e/etc/passwd",
        "/texte/%2e%2e/%2e%2e/site.toml",
        "/..%2fsite.toml",
        "/..%2Fsite.toml",
        "/texte/..%2f..%2fsite.toml",
        "/..%5csite.toml",
        "/..\\site.toml",
        "//etc/passwd",
        "/texte//index.html",
        "/%00",
        "http://127.0.0.1/../site.toml",
    ] {
        let (status, resp) = raw(s.port, "GET", target);
        assert!(
            status == 400 || status == 404,
            "{target} answered {status}: {resp}"
        );
        assert!(!resp.contains("base_url"), "{target} leaked site.toml");
        assert!(!resp.contains("root:"), "{target} leaked /etc/passwd");
    }
    assert_eq!(raw(s.port, "GET", "/%2e%2e/site.toml").0, 400);

    // serve never writes the output folder
    assert!(!s.root.join("public").exists());
}

#[test]
fn serves_under_a_base_path() {
    let s = Serve::start(&["--base-path", "/repo/"], |_| {});
    assert!(s.url.ends_with("/repo/"), "{}", s.url);
    assert_eq!(s.get("/repo/").status, 200);
    assert_eq!(s.get("/repo/texte/").status, 200);
    assert_eq!(
        s.get("/repo/assets/style.css").ctype,
        "text/css; charset=utf-8"
    );
    let r = s.get("/repo");
    assert_eq!(r.status, 302);
    assert_eq!(r.location, "/repo/");
    // nothing outside the base path
    for path in ["/", "/texte/", "/assets/style.css", "/repository/"] {
        assert_eq!(s.get(path).status, 404, "{path}");
    }
    assert!(s.get("/").body.contains("href=\"/repo/\""));
    // the 404 page's links point into the base path
    let missing = s.get("/repo/a/b/c");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Page introuvable"));
    assert!(missing.body.contains("href=\"/repo/assets/style.css\""));
    assert!(missing.body.contains("src=\"/repo/__apparat/reload.js\""));
    assert!(missing.body.contains("href=\"/repo/texte/\""));
    // canonical links point at the local server
    assert!(s
        .get("/repo/texte/")
        .body
        .contains(&format!("rel=\"canonical\" href=\"{}texte/\"", s.url)));
    assert_eq!(raw(s.port, "GET", "/repo/../site.toml").0, 400);
    Events::open(&s, "/repo/");
}

/// `path:line:col` of the first occurrence of `needle` in a source.
fn position(rel: &str, text: &str, needle: &str) -> String {
    let (n, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(needle))
        .expect("needle in text");
    let byte = line.find(needle).unwrap_or(0);
    format!("{rel}:{}:{}", n + 1, line[..byte].chars().count() + 1)
}

#[test]
fn reloads_on_change_and_shows_errors_until_fixed() {
    let s = Serve::start(&[], |_| {});
    let mut ev = Events::open(&s, "/");

    // a content change: one `reload`, and the new page
    let edited = common::TEXT_MD.replace("Premier paragraphe", "Paragraphe révisé");
    s.write("content/texte.md", &edited);
    ev.expect("event: reload");
    let page = s.get("/texte/");
    assert!(page.body.contains("Paragraphe révisé"));
    assert!(!page.body.contains("apparat-overlay"));

    // a burst of saves (an editor's "save all", a checkout) is one reload;
    // the reload event may reach us before the server's log line about the
    // rebuild that sent it, so wait for that line before marking the log
    let before = wait_for("the first rebuild's log line", || {
        let out = s.out();
        (out.lines().filter(|l| l.starts_with("built ")).count() >= 2).then_some(out.len())
    });
    let about = std::fs::read_to_string(s.root.join("content/apropos.md")).expect("apropos");
    for i in 0..5 {
        let t = edited.replace("Second paragraphe", &format!("Second paragraphe ({i})"));
        s.write("content/texte.md", &t);
        s.write("content/apropos.md", &format!("{about}\nAjout {i}.\n"));
    }
    ev.expect("event: reload");
    let later = ev.drain_for(Duration::from_millis(700));
    assert!(later.is_empty(), "more events after one burst: {later:?}");
    // normally one rebuild; on a loaded machine a stall longer than the
    // debounce may split the burst, but a rebuild that reads files already
    // rebuilt must then find nothing new and send nothing
    let out = s.out();
    let builds: Vec<&str> = out[before..]
        .lines()
        .filter(|l| l.starts_with("built "))
        .collect();
    assert!(!builds.is_empty(), "{out}");
    for extra in &builds[1..] {
        assert!(extra.ends_with("no change in the output"), "{out}");
    }
    assert!(s.get("/texte/").body.contains("Second paragraphe (4)"));
    assert!(s.get("/apropos/").body.contains("Ajout 4."));

    // a stylesheet alone: `css`
    s.write("static/assets/style.css", "body { color: #222; }\n");
    ev.expect("event: css");
    assert_eq!(s.get("/assets/style.css").body, "body { color: #222; }\n");

    // a broken source: `error-page`, the overlay on every page, the last good site underneath
    let broken = edited.replace("(person:dupont)", "(person:inconnu)");
    s.write("content/texte.md", &broken);
    ev.expect("event: error-page");
    let at = position(
        "content/texte.md",
        &broken,
        "[Jeanne Dupont](person:inconnu)",
    );
    let page = s.get("/texte/");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("id=\"apparat-overlay\""),
        "{}",
        page.body
    );
    assert!(page.body.contains(&at), "no {at} in the overlay");
    assert!(page.body.contains("unknown person id `inconnu`"));
    assert!(page.body.contains("__apparat/overlay.css"));
    assert!(
        page.body.contains("Paragraphe révisé"),
        "the last good page is gone"
    );
    assert!(page.body.contains("__apparat/reload.js"));
    for other in ["/", "/apropos/", "/nulle-part/"] {
        assert!(s.get(other).body.contains(&at), "no overlay on {other}");
    }
    // other files are served as they were
    assert_eq!(s.get("/assets/style.css").body, "body { color: #222; }\n");
    // the terminal shows the diagnostics
    wait_for("diagnostics on stderr", || {
        s.err().contains(&at).then_some(())
    });

    // fixed: `reload`, and the overlay is gone
    let fixed = edited.replace("Paragraphe révisé", "Paragraphe corrigé");
    s.write("content/texte.md", &fixed);
    ev.expect("event: reload");
    let page = s.get("/texte/");
    assert!(page.body.contains("Paragraphe corrigé"));
    assert!(!page.body.contains("apparat-overlay"));
    assert!(!s.get("/").body.contains("apparat-overlay"));

    // templates and site.toml are watched too
    let toml = std::fs::read_to_string(s.root.join("site.toml")).expect("site.toml");
    s.write(
        "site.toml",
        &toml.replace("Édition miniature", "Édition retitrée"),
    );
    ev.expect("event: reload");
    assert!(s.get("/").body.contains("Édition retitrée"));
    s.write(
        "templates/404.html",
        "{% extends \"base.html\" %}{% block main %}<p>Autre 404</p>{% endblock main %}",
    );
    ev.expect("event: reload");
    assert!(s.get("/nulle-part/").body.contains("Autre 404"));
    assert!(!s.root.join("public").exists());
}

#[test]
fn serves_an_error_page_when_the_first_build_fails() {
    let s = Serve::start(&[], |root| {
        common::write(root, "content/apropos.md", "pas de front matter\n");
    });
    let page = s.get("/");
    assert_eq!(page.status, 500);
    assert!(page.body.contains("id=\"apparat-overlay\""));
    assert!(
        page.body.contains("content/apropos.md:1:1"),
        "{}",
        page.body
    );
    assert!(page.body.contains("src=\"/__apparat/reload.js\""));
    assert_eq!(s.get("/__apparat/reload.js").status, 200);
    let mut ev = Events::open(&s, "/");
    common::write(
        &s.root,
        "content/apropos.md",
        // with the heading the text links to (`/apropos/#contexte`)
        "+++\ntitle = \"À propos\"\n+++\n\n## Contexte\n\nRéparé.\n",
    );
    ev.expect("event: reload");
    let page = s.get("/apropos/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Réparé."));
    assert!(!page.body.contains("apparat-overlay"));
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    common::write_fixture(dir.path());
    let out = Command::new(BIN)
        .arg("serve")
        .arg("--root")
        .arg(dir.path())
        .args(["--port", &port])
        .stdin(Stdio::null())
        .output()
        .expect("run apparat serve");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("already in use"), "{err}");
    assert!(err.contains("--port"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    drop(taken);
}

#[test]
fn refuses_a_bad_base_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    common::write_fixture(dir.path());
    let out = Command::new(BIN)
        .arg("serve")
        .arg("--root")
        .arg(dir.path())
        .args(["--port", "0", "--base-path", "/../x/"])
        .stdin(Stdio::null())
        .output()
        .expect("run apparat serve");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--base-path"), "{err}");
}

/// The number of threads of a process (Linux only).
fn threads(pid: u32) -> Option<usize> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
}

/// A paragraph mentioning `n` unknown persons on one line: every error
/// quotes the line, so the diagnostics (sent whole in the `error-page`
/// event) grow as n²: about 0.8 MB for n = 150.
fn unknown_mentions(round: usize, n: usize) -> String {
    let line: Vec<String> = (0..n)
        .map(|k| format!("[X](person:inconnu-{round}-{k})"))
        .collect();
    common::TEXT_MD.replace("Premier paragraphe", &line.join(" "))
}

#[test]
fn a_stalled_event_client_delays_no_one() {
    let s = Serve::start(&[], |_| {});
    // connects to the event stream and never reads: once the socket buffers
    // are full (a few MB on loopback), writing to it blocks
    let mut stalled = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
    write!(
        stalled,
        "GET /__apparat/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .expect("send");
    let mut ev = Events::open(&s, "/");
    // each failed build sends its diagnostics, about 0.8 MB, to every page:
    // 12 rounds are about 10 MB, more than the stalled client's buffers hold
    let mut sent = 0;
    for round in 0..12 {
        s.write("content/texte.md", &unknown_mentions(round, 150));
        let start = ev.buf.len();
        // the event's last line counts the errors
        ev.expect(&format!("person:inconnu-{round}-0"));
        ev.expect("errors, ");
        ev.expect("\n\n");
        sent += ev.buf.len() - start;
        // the pages are answered meanwhile, with the current errors
        let page = s.get("/");
        assert_eq!(page.status, 200);
        assert!(page.body.contains(&format!("inconnu-{round}-0")));
    }
    assert!(sent > 8_000_000, "only {sent} bytes of events");
    // a good build still reaches the reading client
    s.write("content/texte.md", common::TEXT_MD);
    ev.expect("event: reload");
    assert!(!s.get("/texte/").body.contains("apparat-overlay"));
    drop(stalled);
}

#[test]
fn oversized_request_heads_get_431() {
    let s = Serve::start(&[], |_| {});
    let big = format!("X-Big: {}\r\nHost: 127.0.0.1\r\n", "a".repeat(64 * 1024));
    let many: String = (0..1000).map(|i| format!("X-{i}: 1\r\n")).collect();
    for headers in [big, format!("Host: 127.0.0.1\r\n{many}")] {
        let (status, resp) = raw_with(s.port, "GET /", &headers);
        // 431, or at least closed without an answer
        assert!(status == 431 || status == 0, "{status}: {resp}");
        assert_eq!(s.get("/").status, 200);
    }
    // a head of ordinary size is served
    let (status, _) = raw_with(s.port, "GET /", "Host: 127.0.0.1\r\nX-Small: 1\r\n");
    assert_eq!(status, 200);
}

#[test]
fn idle_connections_do_not_lock_out_a_new_request() {
    let s = Serve::start(&[], |_| {});
    let pid = s.child.id();
    let before = threads(pid);
    // 300 connections that never finish a request
    let idle: Vec<TcpStream> = (0..300)
        .map(|i| {
            let mut c = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
            if i % 2 == 0 {
                let _ = c.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            }
            c
        })
        .collect();
    let home = s.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Édition miniature"));
    // the server's threads stay bounded (one per open connection, at most 128)
    if let (Some(before), Some(now)) = (before, threads(pid)) {
        assert!(
            now < before + 150,
            "{before} threads before, {now} with 300 idle connections"
        );
    }
    drop(idle);
    assert_eq!(s.get("/texte/").status, 200);
}

#[test]
fn refuses_requests_for_other_hosts() {
    let s = Serve::start(&[], |_| {});
    let port = s.port;
    for host in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.evil.example:{port}"),
        "10.1.2.3".to_string(),
        format!("[::2]:{port}"),
    ] {
        let (status, resp) = raw_with(port, "GET /", &format!("Host: {host}\r\n"));
        assert_eq!(status, 403, "Host: {host}: {resp}");
        assert!(!resp.contains("Édition miniature"), "{host}");
        let (status, _) = raw_with(port, "GET /__apparat/events", &format!("Host: {host}\r\n"));
        assert_eq!(status, 403, "events, Host: {host}");
    }
    for host in [
        format!("localhost:{port}"),
        "localhost".to_string(),
        format!("LocalHost:{port}"),
        format!("127.0.0.1:{port}"),
        "127.0.0.1".to_string(),
        format!("127.1.2.3:{port}"),
        format!("[::1]:{port}"),
    ] {
        let (status, resp) = raw_with(port, "GET /", &format!("Host: {host}\r\n"));
        assert_eq!(status, 200, "Host: {host}: {resp}");
    }
    // HTTP/1.1 requires exactly one Host
    assert_eq!(raw_with(port, "GET /", "").0, 400);
    assert_eq!(
        raw_with(port, "GET /", "Host: 127.0.0.1\r\nHost: evil.example\r\n").0,
        400
    );
}

#[test]
fn a_template_error_keeps_the_last_good_site() {
    let mut s = Serve::start(&[], |_| {});
    let mut ev = Events::open(&s, "/");
    s.write(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block main %}\n<p>{% if %}</p>\n{% endblock main %}\n",
    );
    ev.expect("event: error-page");
    // still serving the last good site, with the error over it
    let page = s.get("/apropos/");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("id=\"apparat-overlay\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("templates/page.html"), "{}", page.body);
    assert!(page.body.contains("Retour à"), "the last good page is gone");
    assert_eq!(s.get("/texte/").status, 200);
    wait_for("the error on stderr", || {
        s.err().contains("templates/page.html").then_some(())
    });
    std::fs::remove_file(s.root.join("templates/page.html")).expect("remove");
    ev.expect("event: reload");
    let page = s.get("/apropos/");
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("apparat-overlay"));
    assert!(s.child_alive());
}

/// The search index's entry files as served (that of the bundle, the list
/// of shards and each shard's): each names the hash of its shard's files,
/// so equal entries are equal indexes.
fn search_entries(s: &Serve) -> Vec<(String, String)> {
    let mut entries = Vec::new();
    for path in ["/pagefind/pagefind-entry.json", "/pagefind/shards.json"] {
        let got = s.get(path);
        assert_eq!(got.status, 200, "{path}");
        entries.push((path.to_string(), got.body));
    }
    let shards: Vec<String> = serde_json::from_str(&entries[1].1).expect("list of shards");
    for folder in shards {
        let path = format!("/{folder}pagefind-entry.json");
        let got = s.get(&path);
        assert_eq!(got.status, 200, "{path}");
        entries.push((path, got.body));
    }
    entries
}

/// The `search index (…)` timing lines serve printed.
fn index_lines(s: &Serve) -> Vec<String> {
    s.err()
        .lines()
        .filter(|l| l.contains("search index ("))
        .map(str::to_string)
        .collect()
}

/// After a save, the first search makes again only the shards whose pages
/// changed (one shard a page here), and the index is the one a server
/// started on the saved sources makes from nothing.
#[test]
fn a_save_makes_the_search_index_again_only_where_pages_changed() {
    let env = [("APPARAT_SEARCH_SHARD", "1"), ("APPARAT_TIMINGS", "1")];
    let s = Serve::start_env(&[], &env, |_| {});
    let mut ev = Events::open(&s, "/");
    let before = search_entries(&s);
    let first = wait_for("the first index's line", || {
        index_lines(&s).first().cloned()
    });
    let shards: usize = first
        .split_once("search index (")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_default();
    assert!(
        first.contains(&format!("({shards} shards made, 0 kept)")),
        "{first}"
    );
    assert!(shards >= 3, "{first}");

    let edited = common::TEXT_MD.replace("Premier paragraphe", "Paragraphe révisé");
    s.write("content/texte.md", &edited);
    ev.expect("event: reload");
    let after = search_entries(&s);
    let second = wait_for("the second index's line", || {
        index_lines(&s).get(1).cloned()
    });
    let kept = format!("(1 shards made, {} kept)", shards - 1);
    assert!(second.contains(&kept), "{second}, expected {kept}");
    assert_ne!(after, before);

    let fresh = Serve::start_env(&[], &env, |root| {
        common::write(root, "content/texte.md", &edited);
    });
    assert_eq!(after, search_entries(&fresh));
}
