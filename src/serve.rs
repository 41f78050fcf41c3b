//! `apparat serve`: builds the site in memory, serves it over HTTP (tiny_http),
//! watches the sources (notify, debounced) and tells open pages to reload over
//! server-sent events.
//!
//! - Nothing is written to disk: `public/` made by `build` is never touched.
//! - The site is served under a base path (`/` or `/repo/`), like GitHub Pages.
//! - URL paths are mapped to site paths strictly: only GET and HEAD, no dot
//!   segments, no encoded slashes, no empty segments, no absolute-form targets.
//! - When a rebuild fails, the terminal shows the diagnostics, the last good
//!   site keeps being served, and every HTML page carries an overlay with them;
//!   the next good build clears it.

use apparat::diagnostics::Diagnostics;
use apparat::{BuildOptions, Session};
use lol_html::html_content::ContentType;
use lol_html::{element, rewrite_str, RewriteStrSettings};
use notify_debouncer_mini::notify::event::{AccessKind, AccessMode, Event, EventKind};
use notify_debouncer_mini::notify::{
    self, EventHandler, RecommendedWatcher, RecursiveMode, Watcher, WatcherKind,
};
use notify_debouncer_mini::{new_debouncer_opt, DebounceEventResult, DebouncedEventKind};
use std::collections::{HashMap, HashSet};
use std::io::{self, Cursor, Write};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tiny_http::{Header, Method, Request, Response, StatusCode};

/// What `apparat serve` was asked for.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub port: u16,
    pub bind: IpAddr,
    pub open: bool,
    pub base_path: String,
    pub drafts: bool,
}

/// Sources whose changes trigger a rebuild, relative to the root.
const WATCHED_DIRS: [&str; 3] = ["content", "templates", "static"];
const WATCHED_FILE: &str = "site.toml";
/// Serve-only files, under `<base>__apparat/`.
const RELOAD_JS: &[u8] = include_bytes!("reload.js");
const OVERLAY_CSS: &[u8] = include_bytes!("overlay.css");
const WORKERS: usize = 4;
const HEARTBEAT: Duration = Duration::from_secs(15);
/// A file is rebuilt once it has been quiet this long (an editor's save is
/// one write, or a write and a rename, well within it).
const DEBOUNCE: Duration = Duration::from_millis(50);
/// After a change, other changes arriving within this gap join the same
/// rebuild (several files saved together, a `git checkout`).
const BURST_GAP: Duration = Duration::from_millis(30);
/// A rebuild waits at most this long for a burst of changes to end.
const MAX_BURST: Duration = Duration::from_secs(2);

/// Bytes shared between the site and the responses that serve them.
#[derive(Clone)]
struct Bytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// One good build, in memory.
struct Site {
    files: HashMap<String, Bytes>,
}

impl Site {
    fn new(files: Vec<apparat::SharedFile>) -> Site {
        Site {
            files: files
                .into_iter()
                .map(|f| (f.path, Bytes(f.bytes)))
                .collect(),
        }
    }

    fn get(&self, path: &str) -> Option<&Bytes> {
        self.files.get(path)
    }
}

/// What is being served: the last good site, and the diagnostics of the
/// current failure, if the last build failed.
struct State {
    site: Option<Arc<Site>>,
    error: Option<Arc<String>>,
    /// Bumped on every change of what is served; sent to clients on connect
    /// so that a page reloads when it missed an event.
    generation: u64,
}

struct Shared {
    state: RwLock<State>,
    clients: Mutex<Vec<Box<dyn Write + Send>>>,
    base_path: String,
    /// Identifies this server process in the `hello` event.
    instance: u128,
}

impl Shared {
    fn snapshot(&self) -> (Option<Arc<Site>>, Option<Arc<String>>, u64) {
        let s = self.state.read().unwrap_or_else(PoisonError::into_inner);
        (s.site.clone(), s.error.clone(), s.generation)
    }

    /// Sends one server-sent event to every connected page, dropping the dead ones.
    fn broadcast(&self, event: Option<&str>, data: &str) {
        let mut msg = String::new();
        match event {
            Some(e) => {
                msg.push_str("event: ");
                msg.push_str(e);
                msg.push('\n');
                for line in data.lines() {
                    msg.push_str("data: ");
                    msg.push_str(line);
                    msg.push('\n');
                }
                if data.is_empty() {
                    msg.push_str("data:\n");
                }
            }
            None => msg.push_str(": ping\n"),
        }
        msg.push('\n');
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        clients.retain_mut(|w| w.write_all(msg.as_bytes()).and_then(|_| w.flush()).is_ok());
    }
}

/// Normalises `--base-path`: `repo`, `/repo`, `/repo/` → `/repo/`; `/` stays.
pub fn normalize_base_path(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim().trim_matches('/');
    if trimmed.is_empty() {
        return Ok("/".into());
    }
    for seg in trimmed.split('/') {
        let ok = !seg.is_empty()
            && seg != "."
            && seg != ".."
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c));
        if !ok {
            return Err(format!(
                "invalid --base-path `{raw}`: use a path such as /repo/ (letters, digits, `-`, `.`, `_`, `~`)"
            ));
        }
    }
    Ok(format!("/{trimmed}/"))
}

/// Where a request target leads.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// A path inside the site (decoded, `/`-separated, no leading slash);
    /// empty or ending in `/` for a folder.
    Site(String),
    /// The base path without its final slash (`/repo`): redirect to `/repo/`.
    BaseWithoutSlash,
    /// Not under the base path.
    Outside,
}

/// Maps a request target (`/repo/a/b.css?v=1`) to a site path, refusing
/// anything that is not a plain path: absolute-form URLs, dot segments
/// (raw or percent-encoded), encoded slashes or backslashes, NUL, empty
/// segments, invalid percent escapes or UTF-8.
pub fn map_target(target: &str, base_path: &str) -> Result<Target, &'static str> {
    let path = match target.find(['?', '#']) {
        Some(i) => &target[..i],
        None => target,
    };
    if !path.starts_with('/') {
        return Err("only origin-form request targets (/path) are served");
    }
    if path.contains('\\') {
        return Err("backslashes are refused");
    }
    let Some(rest) = path.strip_prefix(base_path) else {
        if format!("{path}/") == base_path {
            return Ok(Target::BaseWithoutSlash);
        }
        // still refuse traversal attempts outright, wherever they are
        check_segments(&path[1..])?;
        return Ok(Target::Outside);
    };
    let decoded = check_segments(rest)?;
    Ok(Target::Site(decoded))
}

/// Decodes every segment of a relative path and refuses unsafe ones.
fn check_segments(rest: &str) -> Result<String, &'static str> {
    if rest.is_empty() {
        return Ok(String::new());
    }
    let segs: Vec<&str> = rest.split('/').collect();
    let last = segs.len() - 1;
    let mut out = Vec::with_capacity(segs.len());
    for (i, seg) in segs.iter().enumerate() {
        if seg.is_empty() {
            if i == last {
                out.push(String::new());
                continue;
            }
            return Err("empty path segments (//) are refused");
        }
        let dec = percent_decode(seg).ok_or("invalid percent-encoding")?;
        let dec = String::from_utf8(dec).map_err(|_| "path is not valid UTF-8")?;
        if dec == "." || dec == ".." {
            return Err("path traversal (dot segments) is refused");
        }
        if dec.contains(['/', '\\', '\0']) {
            return Err("encoded slashes, backslashes and NUL are refused");
        }
        if dec.chars().any(char::is_control) {
            return Err("control characters are refused");
        }
        out.push(dec);
    }
    Ok(out.join("/"))
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The Content-Type of a site file, by extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "bib" => "application/x-bibtex; charset=utf-8",
        "ris" => "application/x-research-info-systems",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn reply(rq: Request, status: u16, ctype: &str, body: Bytes, extra: &[(&str, &str)]) {
    let len = body.0.len();
    let mut resp = Response::new(
        StatusCode(status),
        Vec::new(),
        Cursor::new(body),
        Some(len),
        None,
    );
    let base = [
        ("Content-Type", ctype),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ];
    for (n, v) in base.iter().chain(extra) {
        if let Some(h) = header(n, v) {
            resp.add_header(h);
        }
    }
    // a client that went away is not an error of the server
    let _ = rq.respond(resp);
}

fn reply_text(rq: Request, status: u16, text: String, extra: &[(&str, &str)]) {
    reply(
        rq,
        status,
        "text/plain; charset=utf-8",
        Bytes(Arc::new(text.into_bytes())),
        extra,
    );
}

fn reply_html(rq: Request, status: u16, html: String) {
    reply(
        rq,
        status,
        "text/html; charset=utf-8",
        Bytes(Arc::new(html.into_bytes())),
        &[],
    );
}

fn escape(s: &str) -> String {
    apparat::markup::escape_html(s)
}

/// The overlay block listing the diagnostics of the failed build.
fn overlay_html(diags: &str, last_good: bool) -> String {
    let below = if last_good {
        "The page below is from the last good build. "
    } else {
        ""
    };
    format!(
        "<div id=\"apparat-overlay\" role=\"alertdialog\" aria-labelledby=\"apparat-overlay-title\">\
<div class=\"apparat-overlay-box\">\
<p id=\"apparat-overlay-title\"><strong>apparat serve: the build failed.</strong> \
{below}Fix the source and save: the page reloads by itself.</p>\
<pre class=\"apparat-overlay-diagnostics\">{}</pre>\
<button type=\"button\" class=\"apparat-overlay-close\">Hide</button>\
</div></div>",
        escape(diags)
    )
}

/// Injects the error overlay (and its stylesheet) into a page of the last good build.
fn with_overlay(page: &[u8], diags: &str, base_path: &str) -> Vec<u8> {
    let html = String::from_utf8_lossy(page);
    let link = format!(
        "<link rel=\"stylesheet\" href=\"{}__apparat/overlay.css\">",
        escape(base_path)
    );
    let overlay = overlay_html(diags, true);
    let (link2, overlay2) = (link.clone(), overlay.clone());
    let rewritten = rewrite_str(
        &html,
        RewriteStrSettings {
            element_content_handlers: vec![
                element!("head", move |el| {
                    el.append(&link2, ContentType::Html);
                    Ok(())
                }),
                element!("body", move |el| {
                    el.append(&overlay2, ContentType::Html);
                    Ok(())
                }),
            ],
            ..RewriteStrSettings::new()
        },
    );
    match rewritten {
        Ok(s) if s.contains("id=\"apparat-overlay\"") => s.into_bytes(),
        // no <body>, or unparsable: put the overlay at the end
        _ => format!("{html}{link}{overlay}").into_bytes(),
    }
}

/// A whole page for the case where no build ever succeeded.
fn error_page(diags: &str, base_path: &str) -> String {
    let b = escape(base_path);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<title>Build failed · apparat serve</title>\n\
<link rel=\"stylesheet\" href=\"{b}__apparat/overlay.css\">\n</head>\n<body>\n{}\n\
<script src=\"{b}__apparat/reload.js\" defer></script>\n</body>\n</html>\n",
        overlay_html(diags, false)
    )
}

fn not_under_base_page(base_path: &str) -> String {
    let b = escape(base_path);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<title>Not found · apparat serve</title>\n</head>\n<body>\n\
<h1>404 Not Found</h1>\n<p>This server serves the site under <a href=\"{b}\">{b}</a>.</p>\n\
</body>\n</html>\n"
    )
}

fn handle(rq: Request, shared: &Shared) {
    let method = rq.method().clone();
    if method != Method::Get && method != Method::Head {
        reply_text(
            rq,
            405,
            "405 Method Not Allowed: only GET and HEAD\n".into(),
            &[("Allow", "GET, HEAD")],
        );
        return;
    }
    let base = shared.base_path.as_str();
    let target = match map_target(rq.url(), base) {
        Ok(t) => t,
        Err(why) => {
            reply_text(rq, 400, format!("400 Bad Request: {why}\n"), &[]);
            return;
        }
    };
    let rel = match target {
        Target::Site(rel) => rel,
        Target::BaseWithoutSlash => {
            reply_text(rq, 302, format!("see {base}\n"), &[("Location", base)]);
            return;
        }
        Target::Outside => {
            reply_html(rq, 404, not_under_base_page(base));
            return;
        }
    };
    // serve-only files, also available before the first good build
    match rel.as_str() {
        "__apparat/events" => return events(rq, shared, method == Method::Head),
        "__apparat/reload.js" => {
            let b = Bytes(Arc::new(RELOAD_JS.to_vec()));
            return reply(rq, 200, content_type(&rel), b, &[]);
        }
        "__apparat/overlay.css" => {
            let b = Bytes(Arc::new(OVERLAY_CSS.to_vec()));
            return reply(rq, 200, content_type(&rel), b, &[]);
        }
        _ => {}
    }
    let (site, error, _) = shared.snapshot();
    let Some(site) = site else {
        let diags = error.as_deref().map(String::as_str).unwrap_or("");
        reply_html(rq, 500, error_page(diags, base));
        return;
    };
    let file = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.clone()
    };
    let (status, path, bytes) = match site.get(&file) {
        Some(b) => (200, file, b.clone()),
        None => {
            if site.get(&format!("{rel}/index.html")).is_some() {
                // a folder without its final slash: relative links need it
                let raw = rq.url();
                let (path, query) = match raw.find('?') {
                    Some(i) => raw.split_at(i),
                    None => (raw, ""),
                };
                let location = format!("{path}/{query}");
                reply_text(
                    rq,
                    302,
                    format!("see {location}\n"),
                    &[("Location", &location)],
                );
                return;
            }
            match site.get("404.html") {
                Some(b) => (404, "404.html".to_string(), b.clone()),
                None => {
                    reply_text(rq, 404, "404 Not Found\n".into(), &[]);
                    return;
                }
            }
        }
    };
    let ctype = content_type(&path);
    let bytes = match (&error, ctype.starts_with("text/html")) {
        (Some(diags), true) => Bytes(Arc::new(with_overlay(&bytes.0, diags, base))),
        _ => bytes,
    };
    reply(rq, status, ctype, bytes, &[]);
}

/// The live-reload channel: a never-ending `text/event-stream` response.
fn events(rq: Request, shared: &Shared, head: bool) {
    if head {
        reply(
            rq,
            200,
            "text/event-stream",
            Bytes(Arc::new(Vec::new())),
            &[],
        );
        return;
    }
    let (_, _, generation) = shared.snapshot();
    // tiny_http buffers streamed bodies: take the raw stream and write the
    // response head ourselves, then one event per message
    let mut w = rq.into_writer();
    let hello = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\
X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n\
retry: 1000\nevent: hello\ndata: {}-{generation}\n\n",
        shared.instance
    );
    if w.write_all(hello.as_bytes())
        .and_then(|_| w.flush())
        .is_ok()
    {
        shared
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(w);
    }
}

/// Builds the site in memory, reusing what the session kept of the last build.
fn build(
    session: &mut Session,
    opts: &BuildOptions,
    changed: &[PathBuf],
) -> Result<(Site, apparat::Summary, Diagnostics), Diagnostics> {
    let (files, summary, warnings) = session.render(opts, changed)?;
    Ok((Site::new(files), summary, warnings))
}

fn summary_line(s: &apparat::Summary, ms: u128) -> String {
    let mut line = format!(
        "built {} pages, {} notes, {} persons in {ms} ms",
        s.pages, s.notes, s.persons
    );
    if s.parsed < s.pages || s.rendered < s.pages {
        line.push_str(&format!(
            " ({} parsed, {} rendered again)",
            s.parsed, s.rendered
        ));
    }
    line
}

fn print_failure(d: &Diagnostics) {
    eprintln!("{d}");
    eprintln!("build failed: still serving the last good build; the browser shows these errors");
}

/// Whether a changed path is one of the watched sources.
fn is_source(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let mut comps = rel.components();
    match comps.next().and_then(|c| c.as_os_str().to_str()) {
        Some(first) if WATCHED_DIRS.contains(&first) => true,
        Some(WATCHED_FILE) => comps.next().is_none(),
        _ => false,
    }
}

fn open_browser(url: &str) {
    let cmd = if cfg!(target_os = "macos") {
        vec!["open", url]
    } else if cfg!(windows) {
        vec!["cmd", "/C", "start", "", url]
    } else {
        vec!["xdg-open", url]
    };
    let spawned = std::process::Command::new(cmd[0])
        .args(&cmd[1..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        eprintln!(
            "warning: could not open a browser ({}: {e}); open {url} yourself",
            cmd[0]
        );
    }
}

/// Runs the server until the process is stopped. Returns an error message for
/// problems that prevent serving at all (bad root, port taken).
pub fn run(opts: ServeOptions) -> Result<(), String> {
    let root = std::fs::canonicalize(&opts.root).map_err(|e| {
        format!(
            "cannot open the edition folder {}: {e}",
            opts.root.display()
        )
    })?;
    let base_path = normalize_base_path(&opts.base_path)?;
    let addr = SocketAddr::new(opts.bind, opts.port);
    let listener = TcpListener::bind(addr).map_err(|e| {
        if e.kind() == io::ErrorKind::AddrInUse {
            format!(
                "cannot listen on {addr}: the port is already in use (another `apparat serve`?). \
Stop the other server, or choose another port with --port (--port 0 picks a free one)"
            )
        } else {
            format!("cannot listen on {addr}: {e}")
        }
    })?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    if !opts.bind.is_loopback() {
        eprintln!(
            "warning: listening on {}, not on loopback: other machines can read the site",
            opts.bind
        );
    }
    let host = match local.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let url = format!("http://{host}:{}{base_path}", local.port());
    let build_opts = BuildOptions {
        root: root.clone(),
        output: None,
        base_url: Some(url.clone()),
        drafts: opts.drafts,
        offline: false,
        live_reload: true,
        ..Default::default()
    };

    let watch = start_watching(&root);
    let start = Instant::now();
    // the watcher names every changed file: nothing else is looked at
    let mut session = Session::trusting_changes();
    let state = match build(&mut session, &build_opts, &[]) {
        Ok((site, summary, warnings)) => {
            if !warnings.is_empty() {
                eprintln!("{warnings}");
            }
            println!("{}", summary_line(&summary, start.elapsed().as_millis()));
            State {
                site: Some(Arc::new(site)),
                error: None,
                generation: 0,
            }
        }
        Err(d) => {
            print_failure(&d);
            State {
                site: None,
                error: Some(Arc::new(d.to_string())),
                generation: 0,
            }
        }
    };
    let shared = Arc::new(Shared {
        state: RwLock::new(state),
        clients: Mutex::new(Vec::new()),
        base_path,
        instance: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    });

    let server = tiny_http::Server::from_listener(listener, None)
        .map_err(|e| format!("cannot start the HTTP server: {e}"))?;
    let server = Arc::new(server);
    for _ in 0..WORKERS {
        let server = Arc::clone(&server);
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || loop {
            match server.recv() {
                Ok(rq) => handle(rq, &shared),
                Err(e) => eprintln!("warning: HTTP: {e}"),
            }
        });
    }

    println!("serving {url} (Ctrl-C to stop)");
    if opts.open {
        open_browser(&url);
    }
    watch_loop(&root, &build_opts, &shared, &mut session, watch);
    Ok(())
}

/// The source watcher, with the channel its debounced changes arrive on.
struct Watch {
    rx: mpsc::Receiver<DebounceEventResult>,
    debouncer: Option<Debouncer>,
    watched: HashSet<PathBuf>,
}

/// Starts watching the sources. Done before the first build, so that a file
/// saved while it runs still triggers a rebuild.
fn start_watching(root: &Path) -> Watch {
    let (tx, rx) = mpsc::channel::<DebounceEventResult>();
    let mut watched: HashSet<PathBuf> = HashSet::new();
    // no batch mode: it may hold events back for up to twice the timeout
    let config = notify_debouncer_mini::Config::default()
        .with_timeout(DEBOUNCE)
        .with_batch_mode(false);
    let mut debouncer = match new_debouncer_opt::<_, ChangeWatcher>(config, tx) {
        Ok(d) => Some(d),
        Err(e) => {
            eprintln!("warning: cannot watch the sources ({e}): no live reload");
            None
        }
    };
    add_watches(root, &mut debouncer, &mut watched);
    Watch {
        rx,
        debouncer,
        watched,
    }
}

/// Watches the sources and rebuilds on every (debounced) change; keeps the
/// reload channel alive with heartbeats. Never returns.
fn watch_loop(
    root: &Path,
    build_opts: &BuildOptions,
    shared: &Shared,
    session: &mut Session,
    watch: Watch,
) {
    let Watch {
        rx,
        mut debouncer,
        mut watched,
    } = watch;
    loop {
        let first = match rx.recv_timeout(HEARTBEAT) {
            Ok(r) => r,
            Err(RecvTimeoutError::Timeout) => {
                shared.broadcast(None, "");
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => {
                // no watcher: just keep the heartbeats going
                std::thread::sleep(HEARTBEAT);
                shared.broadcast(None, "");
                continue;
            }
        };
        // a burst of saves is one rebuild: gather the batches that follow
        // each other closely (several files saved together), within bounds
        let mut changed: Vec<PathBuf> = Vec::new();
        let mut next = Some(first);
        let burst = Instant::now();
        while let Some(r) = next.take() {
            match r {
                // `AnyContinuous` arrives while a path keeps changing; its
                // final `Any` follows once it is quiet: rebuild only then
                Ok(events) => changed.extend(
                    events
                        .into_iter()
                        .filter(|e| e.kind == DebouncedEventKind::Any)
                        .map(|e| e.path),
                ),
                Err(e) => eprintln!("warning: watching: {e}"),
            }
            if burst.elapsed() < MAX_BURST {
                next = rx.recv_timeout(BURST_GAP).ok();
            }
        }
        changed.retain(|p| is_source(root, p));
        if changed.is_empty() {
            continue;
        }
        changed.sort();
        changed.dedup();
        // a source folder deleted and made anew needs a new watch
        for dir in WATCHED_DIRS {
            let p = root.join(dir);
            if changed.contains(&p) && watched.remove(&p) {
                if let Some(d) = debouncer.as_mut() {
                    let _ = d.watcher().unwatch(&p);
                }
            }
        }
        add_watches(root, &mut debouncer, &mut watched);
        let names: Vec<String> = changed
            .iter()
            .filter_map(|p| p.strip_prefix(root).ok())
            .map(|p| p.display().to_string())
            .collect();
        println!("changed: {}", names.join(", "));
        rebuild(session, build_opts, shared, &changed);
    }
}

/// The recommended watcher without access events (a file opened or read,
/// as every build does: unfiltered, each build would trigger the next one).
/// The debouncer sees paths only, so the filtering happens here.
struct ChangeWatcher(RecommendedWatcher);

struct OnlyChanges<F>(F);

impl<F: EventHandler> EventHandler for OnlyChanges<F> {
    fn handle_event(&mut self, event: notify::Result<Event>) {
        if let Ok(e) = &event {
            let written = EventKind::Access(AccessKind::Close(AccessMode::Write));
            if matches!(e.kind, EventKind::Access(_)) && e.kind != written {
                return;
            }
        }
        self.0.handle_event(event);
    }
}

impl Watcher for ChangeWatcher {
    fn new<F: EventHandler>(handler: F, config: notify::Config) -> notify::Result<Self> {
        RecommendedWatcher::new(OnlyChanges(handler), config).map(ChangeWatcher)
    }

    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        self.0.watch(path, mode)
    }

    fn unwatch(&mut self, path: &Path) -> notify::Result<()> {
        self.0.unwatch(path)
    }

    fn configure(&mut self, option: notify::Config) -> notify::Result<bool> {
        self.0.configure(option)
    }

    fn kind() -> WatcherKind {
        RecommendedWatcher::kind()
    }
}

type Debouncer = notify_debouncer_mini::Debouncer<ChangeWatcher>;

/// Watches the root itself, not recursively (site.toml, which editors often
/// replace, breaking a watch on the file itself, and new source folders), and
/// every existing source folder recursively.
fn add_watches(root: &Path, debouncer: &mut Option<Debouncer>, watched: &mut HashSet<PathBuf>) {
    let Some(d) = debouncer.as_mut() else {
        return;
    };
    if watched.insert(root.to_path_buf()) {
        if let Err(e) = d.watcher().watch(root, RecursiveMode::NonRecursive) {
            eprintln!("warning: cannot watch {}: {e}", root.display());
        }
    }
    for dir in WATCHED_DIRS {
        let p = root.join(dir);
        if p.is_dir() && !watched.contains(&p) {
            match d.watcher().watch(&p, RecursiveMode::Recursive) {
                Ok(()) => {
                    watched.insert(p);
                }
                Err(e) => eprintln!("warning: cannot watch {}: {e}", p.display()),
            }
        }
    }
}

/// Rebuilds, swaps the served site on success, and tells the pages.
fn rebuild(session: &mut Session, build_opts: &BuildOptions, shared: &Shared, changed: &[PathBuf]) {
    let start = Instant::now();
    let result = build(session, build_opts, changed);
    let mut state = shared.state.write().unwrap_or_else(PoisonError::into_inner);
    let (event, data) = match result {
        Ok((site, summary, warnings)) => {
            if !warnings.is_empty() {
                eprintln!("{warnings}");
            }
            let was_broken = state.error.is_some();
            // the session knows what changed since its last good build
            let changed = match (&state.site, summary.changed.clone()) {
                (Some(_), Some(changed)) => changed,
                _ => vec!["*".into()],
            };
            state.site = Some(Arc::new(site));
            state.error = None;
            let ms = start.elapsed().as_millis();
            if changed.is_empty() && !was_broken {
                println!("{}: no change in the output", summary_line(&summary, ms));
                return;
            }
            let css_only = !was_broken && changed.iter().all(|p| p.ends_with(".css"));
            let event = if css_only { "css" } else { "reload" };
            println!("{} → {event}", summary_line(&summary, ms));
            (event, changed.join("\n"))
        }
        Err(d) => {
            print_failure(&d);
            let text = d.to_string();
            if state.error.as_deref() == Some(&text) {
                return;
            }
            state.error = Some(Arc::new(text.clone()));
            ("error-page", text)
        }
    };
    state.generation += 1;
    drop(state);
    shared.broadcast(Some(event), &data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths() {
        assert_eq!(normalize_base_path("/").as_deref(), Ok("/"));
        assert_eq!(normalize_base_path("").as_deref(), Ok("/"));
        assert_eq!(normalize_base_path("repo").as_deref(), Ok("/repo/"));
        assert_eq!(normalize_base_path("/a/b").as_deref(), Ok("/a/b/"));
        assert!(normalize_base_path("/../x/").is_err());
        assert!(normalize_base_path("/a b/").is_err());
    }

    #[test]
    fn targets() {
        let site = |s: &str| Ok(Target::Site(s.to_string()));
        assert_eq!(map_target("/", "/"), site(""));
        assert_eq!(map_target("/a/b.css?v=2", "/"), site("a/b.css"));
        assert_eq!(map_target("/r/a/", "/r/"), site("a/"));
        assert_eq!(map_target("/r", "/r/"), Ok(Target::BaseWithoutSlash));
        assert_eq!(map_target("/x/", "/r/"), Ok(Target::Outside));
        assert_eq!(map_target("/caf%C3%A9/", "/"), site("café/"));
        for bad in [
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/x",
            "/%2E%2e/x",
            "/a/%2e/",
            "/a%2fb",
            "/a%5cb",
            "/a\\b",
            "//etc/passwd",
            "/a//b",
            "/%zz",
            "/%00",
            "/%ff",
            "http://example.org/",
            "*",
            "/r/../x",
        ] {
            assert!(map_target(bad, "/r/").is_err(), "{bad}");
        }
        assert!(map_target("/../", "/").is_err());
    }

    #[test]
    fn types() {
        assert_eq!(content_type("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("f.WOFF2"), "font/woff2");
        assert_eq!(content_type("sitemap.xml"), "application/xml");
        assert_eq!(content_type(".nojekyll"), "application/octet-stream");
    }

    #[test]
    fn overlay_goes_into_body() {
        let out = with_overlay(
            b"<html><head></head><body><p>x</p></body></html>",
            "a.md:1:2: error: <b>",
            "/r/",
        );
        let s = String::from_utf8(out).unwrap_or_default();
        assert!(s.contains("<head><link rel=\"stylesheet\" href=\"/r/__apparat/overlay.css\">"));
        assert!(s.contains("a.md:1:2: error: &lt;b&gt;"));
        assert!(s.find("<p>x</p>") < s.find("apparat-overlay"));
    }
}
