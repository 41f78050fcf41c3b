//! `apparat serve`: builds the site in memory, serves it over HTTP (a small
//! HTTP/1.1 server on std's sockets, requests parsed by httparse), watches the
//! sources (notify, debounced) and tells open pages to reload over
//! server-sent events.
//!
//! - Nothing is written to disk: `public/` made by `build` is never touched.
//! - The site is served under a base path (`/` or `/repo/`), like GitHub Pages.
//! - URL paths are mapped to site paths strictly: only GET and HEAD, no dot
//!   segments, no encoded slashes, no empty segments, no absolute-form targets.
//! - When a rebuild fails, the terminal shows the diagnostics, the last good
//!   site keeps being served, and every HTML page carries an overlay with them;
//!   the next good build clears it.
//! - Bounded, whatever clients do: a request head is at most [`MAX_HEAD`] bytes
//!   (else 431), at most [`MAX_CONNECTIONS`] connections are open at once (a
//!   new one closes the longest-idle one), every read and write times out, and
//!   each live-reload client has a queue of [`EVENT_QUEUE`] events: one that
//!   falls behind is dropped (its page reconnects and reloads), so no client
//!   can stall a rebuild or another client.
//! - Requests whose `Host` is not this server's address, `localhost` or a
//!   loopback address get 403: a page of another site cannot reach the server
//!   through DNS rebinding.

use apparat::diagnostics::Diagnostics;
use apparat::pack::Packed;
use apparat::{BuildOptions, Session};
use lol_html::html_content::ContentType;
use lol_html::{element, rewrite_str, RewriteStrSettings};
use notify_debouncer_mini::notify::event::{AccessKind, AccessMode, Event, EventKind};
use notify_debouncer_mini::notify::{
    self, EventHandler, RecommendedWatcher, RecursiveMode, Watcher, WatcherKind,
};
use notify_debouncer_mini::{new_debouncer_opt, DebounceEventResult, DebouncedEventKind};
use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
/// Each live-reload stream sends a comment this often when nothing happens,
/// so that a page that went away is noticed.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// At most this many connections are open at once (each has its thread);
/// beyond it, a new connection closes the one idle the longest.
const MAX_CONNECTIONS: usize = 128;
/// The largest request head (request line and headers), as Node's default;
/// a larger one gets 431.
const MAX_HEAD: usize = 16 * 1024;
/// The most header fields in a request head; more get 431.
const MAX_HEADERS: usize = 64;
/// A connection that sends no complete request head for this long (a new
/// one, or one kept alive after a response) is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// A write that makes no progress for this long closes the connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Events waiting to be written to one live-reload client; a client with a
/// full queue stopped reading and is dropped.
const EVENT_QUEUE: usize = 16;
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

/// One good build, in memory: its files as the session keeps them,
/// compressed ([`apparat::SharedFile`]), each unpacked when it is asked for.
struct Site {
    files: foldhash::HashMap<String, Arc<Packed>>,
    /// The edition's language, for the search index (none: search is off).
    language: Option<String>,
    /// The search index ([`apparat::search`]), made when a file of it is
    /// first asked for, so that a save does not wait for it.
    search: std::sync::OnceLock<HashMap<String, Bytes>>,
    /// What the last index made kept for the next (shared by the sites of
    /// one serve): a save makes again only the shards of the pages it
    /// changed.
    kept: Arc<Mutex<apparat::search::Kept>>,
}

impl Site {
    fn new(
        files: Vec<apparat::SharedFile>,
        language: Option<String>,
        kept: Arc<Mutex<apparat::search::Kept>>,
    ) -> Site {
        Site {
            files: files.into_iter().map(|f| (f.path, f.packed)).collect(),
            language,
            search: std::sync::OnceLock::new(),
            kept,
        }
    }

    fn has(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// The bytes of the file at `path`; an error if they cannot be unpacked.
    fn get(&self, path: &str) -> Option<Result<Bytes, String>> {
        match self.files.get(path) {
            Some(p) => Some(p.unpack().map(|b| Bytes(Arc::new(b)))),
            None => path
                .strip_prefix(apparat::search::BUNDLE)
                .filter(|rest| rest.starts_with('/'))
                .and_then(|_| self.search().get(path).cloned().map(Ok)),
        }
    }

    fn search(&self) -> &HashMap<String, Bytes> {
        self.search.get_or_init(|| {
            let Some(language) = &self.language else {
                return HashMap::new();
            };
            let t = Instant::now();
            let mut pages: Vec<(&str, u64)> = self
                .files
                .iter()
                .filter(|(p, _)| p.ends_with(".html"))
                .map(|(p, packed)| (p.as_str(), packed.hash()))
                .collect();
            pages.sort_unstable();
            // one page unpacked at a time, and only those that changed
            let read = |p: &str| {
                let packed = self.files.get(p)?;
                Some(packed.unpack().map(apparat::output::PageBytes::Whole))
            };
            let shard = apparat::search::shard_pages();
            let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
            match kept.index(language, &pages, shard, &read) {
                Ok(Some(made)) => {
                    let label = format!(
                        "search index ({} shards made, {} kept)",
                        made.made, made.kept
                    );
                    apparat::timing(&label, t);
                    made.files
                        .into_iter()
                        .map(|(path, bytes)| (path, Bytes(bytes)))
                        .collect()
                }
                Ok(None) => HashMap::new(),
                Err(e) => {
                    // (nothing kept: the next index starts from nothing)
                    *kept = apparat::search::Kept::default();
                    eprintln!("error: {e}");
                    HashMap::new()
                }
            }
        })
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

/// A live-reload client: the queue of the thread that writes its stream.
struct EventClient {
    /// The connection, as registered in [`Connections`].
    conn: u64,
    tx: SyncSender<Arc<str>>,
}

/// What an open connection is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request head (new, or kept alive after a response).
    Waiting,
    /// Reading a request head or answering it.
    Busy,
    /// Streaming live-reload events.
    Events,
}

struct Conn {
    /// A handle on the socket, to close it from the acceptor.
    stream: TcpStream,
    phase: Phase,
    /// When `phase` began.
    since: Instant,
}

/// The open connections, each served by its own thread.
#[derive(Default)]
struct Connections {
    next: u64,
    open: HashMap<u64, Conn>,
}

struct Shared {
    state: RwLock<State>,
    clients: Mutex<Vec<EventClient>>,
    conns: Mutex<Connections>,
    /// Connection threads still running (those of closed connections
    /// included, until they end), with a signal when one ends.
    threads: (Mutex<usize>, Condvar),
    base_path: String,
    /// The address listened on; requests must name it, `localhost` or a
    /// loopback address in `Host`.
    bind: IpAddr,
    /// Identifies this server process in the `hello` event.
    instance: u128,
}

impl Shared {
    fn snapshot(&self) -> (Option<Arc<Site>>, Option<Arc<String>>, u64) {
        let s = self.state.read().unwrap_or_else(PoisonError::into_inner);
        (s.site.clone(), s.error.clone(), s.generation)
    }

    /// Queues one server-sent event for every connected page. Never waits: a
    /// page whose queue is full (it stopped reading) or whose stream ended is
    /// dropped; a dropped page reconnects and reloads, if it still can.
    fn broadcast(&self, event: &str, data: &str) {
        let mut msg = format!("event: {event}\n");
        for line in data.lines() {
            msg.push_str("data: ");
            msg.push_str(line);
            msg.push('\n');
        }
        if data.is_empty() {
            msg.push_str("data:\n");
        }
        msg.push('\n');
        let msg: Arc<str> = msg.into();
        self.clients()
            .retain(|c| c.tx.try_send(Arc::clone(&msg)).is_ok());
    }

    fn clients(&self) -> MutexGuard<'_, Vec<EventClient>> {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn conns(&self) -> MutexGuard<'_, Connections> {
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new connection. At [`MAX_CONNECTIONS`], first closes the
    /// one idle the longest: waiting for a request, else streaming events.
    /// `None` (the new connection is refused) when every connection is busy
    /// answering a request, which lasts at most [`WRITE_TIMEOUT`] per write.
    fn admit(&self, stream: &TcpStream) -> Option<u64> {
        let mut conns = self.conns();
        if conns.open.len() >= MAX_CONNECTIONS {
            let victim = [Phase::Waiting, Phase::Events]
                .into_iter()
                .find_map(|phase| {
                    conns
                        .open
                        .iter()
                        .filter(|(_, c)| c.phase == phase)
                        .min_by_key(|(id, c)| (c.since, **id))
                        .map(|(id, _)| *id)
                })?;
            if let Some(c) = conns.open.remove(&victim) {
                // its thread's read or write fails at once and it ends
                let _ = c.stream.shutdown(Shutdown::Both);
            }
            // an event stream's thread waits on its queue: close that too
            self.clients().retain(|c| c.conn != victim);
        }
        let handle = stream.try_clone().ok()?;
        let id = conns.next;
        conns.next += 1;
        conns.open.insert(
            id,
            Conn {
                stream: handle,
                phase: Phase::Waiting,
                since: Instant::now(),
            },
        );
        Some(id)
    }

    fn set_phase(&self, id: u64, phase: Phase) {
        if let Some(c) = self.conns().open.get_mut(&id) {
            c.phase = phase;
            c.since = Instant::now();
        }
    }

    fn forget(&self, id: u64) {
        self.conns().open.remove(&id);
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

/// What a request gets.
enum Answer {
    /// A complete response.
    Full {
        status: u16,
        ctype: String,
        body: Bytes,
        extra: Vec<(&'static str, String)>,
    },
    /// The live-reload channel: the connection becomes an event stream.
    Events,
}

fn reply(status: u16, ctype: &str, body: Bytes, extra: &[(&'static str, &str)]) -> Answer {
    Answer::Full {
        status,
        ctype: ctype.to_string(),
        body,
        extra: extra.iter().map(|(n, v)| (*n, v.to_string())).collect(),
    }
}

fn reply_text(status: u16, text: String, extra: &[(&'static str, &str)]) -> Answer {
    reply(
        status,
        "text/plain; charset=utf-8",
        Bytes(Arc::new(text.into_bytes())),
        extra,
    )
}

fn reply_html(status: u16, html: String) -> Answer {
    reply(
        status,
        "text/html; charset=utf-8",
        Bytes(Arc::new(html.into_bytes())),
        &[],
    )
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        _ => "",
    }
}

/// A request head, as far as this server reads it.
struct Head {
    method: String,
    target: String,
    http11: bool,
    /// Every `Host` field (there must be one in HTTP/1.1).
    hosts: Vec<String>,
    /// The client asked to close, speaks HTTP/1.0 or sent a body (which is
    /// not read): the connection closes after the response.
    close: bool,
}

impl Head {
    fn new(req: &httparse::Request) -> Head {
        let http11 = req.version == Some(1);
        let mut hosts = Vec::new();
        let mut close = !http11;
        for h in req.headers.iter() {
            let value = String::from_utf8_lossy(h.value);
            let value = value.trim();
            if h.name.eq_ignore_ascii_case("host") {
                hosts.push(value.to_string());
            } else if h.name.eq_ignore_ascii_case("connection") {
                close |= value
                    .split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("close"));
            } else if h.name.eq_ignore_ascii_case("transfer-encoding")
                || (h.name.eq_ignore_ascii_case("content-length") && value != "0")
            {
                close = true;
            }
        }
        Head {
            method: req.method.unwrap_or_default().to_string(),
            target: req.path.unwrap_or_default().to_string(),
            http11,
            hosts,
            close,
        }
    }
}

enum HeadError {
    /// The client closed the connection or sent nothing in time.
    Closed,
    /// Larger than [`MAX_HEAD`], or more than [`MAX_HEADERS`] fields.
    TooLarge,
    /// Not HTTP.
    Malformed,
}

/// Reads one request head into `buf` (which keeps what follows it, a
/// pipelined request) until `deadline`.
fn read_head(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    deadline: Instant,
) -> Result<Head, HeadError> {
    let mut chunk = [0u8; 4096];
    loop {
        if !buf.is_empty() {
            let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut req = httparse::Request::new(&mut fields);
            match req.parse(buf) {
                Ok(httparse::Status::Complete(n)) if n <= MAX_HEAD => {
                    let head = Head::new(&req);
                    buf.drain(..n);
                    return Ok(head);
                }
                Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
                Ok(_) | Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
                Err(_) => return Err(HeadError::Malformed),
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Err(HeadError::Closed);
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err(HeadError::Closed),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Err(HeadError::Closed),
        }
    }
}

/// Whether a `Host` field names this server: `localhost`, a loopback
/// address or the address listened on (any address when listening on all of
/// them), with any port. A name that only resolves to this machine (DNS
/// rebinding) is refused.
fn host_allowed(host: &str, bind: IpAddr) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        // [v6] or [v6]:port
        let Some((ip, port)) = rest.split_once(']') else {
            return false;
        };
        if !(port.is_empty() || port.strip_prefix(':').is_some_and(is_port)) {
            return false;
        }
        match ip.parse::<std::net::Ipv6Addr>() {
            Ok(ip) => return ip_allowed(IpAddr::V6(ip), bind),
            Err(_) => return false,
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) if is_port(port) => name,
            Some(_) => return false,
            None => host,
        }
    };
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match name.parse::<std::net::Ipv4Addr>() {
        Ok(ip) => ip_allowed(IpAddr::V4(ip), bind),
        Err(_) => false,
    }
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

fn ip_allowed(ip: IpAddr, bind: IpAddr) -> bool {
    ip.is_loopback() || ip == bind || bind.is_unspecified()
}

/// Accepts connections for ever, each served by its own thread, at most
/// [`MAX_CONNECTIONS`] at once.
fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                // out of file descriptors, say: wait rather than spin
                eprintln!("warning: HTTP: cannot accept a connection: {e}");
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        // refused (closed) when every connection is busy answering
        let Some(id) = shared.admit(&stream) else {
            continue;
        };
        // the threads of closed connections end at once (their socket is
        // shut down); wait for them, so that there are never more threads
        // than MAX_CONNECTIONS
        {
            let (count, ended) = &shared.threads;
            let mut n = count.lock().unwrap_or_else(PoisonError::into_inner);
            while *n >= MAX_CONNECTIONS {
                n = ended
                    .wait_timeout(n, Duration::from_millis(100))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            *n += 1;
        }
        let s = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("apparat-http".into())
            .spawn(move || {
                let _running = ThreadCount(&s);
                connection(stream, id, &s);
                s.forget(id);
            });
        if let Err(e) = spawned {
            eprintln!("warning: HTTP: cannot start a thread: {e}");
            shared.forget(id);
            drop(ThreadCount(&shared));
        }
    }
}

/// Counts a connection thread until dropped (when the thread ends).
struct ThreadCount<'a>(&'a Shared);

impl Drop for ThreadCount<'_> {
    fn drop(&mut self) {
        let (count, ended) = &self.0.threads;
        let mut n = count.lock().unwrap_or_else(PoisonError::into_inner);
        *n = n.saturating_sub(1);
        ended.notify_one();
    }
}

/// Serves the requests of one connection (kept alive between them) until
/// it closes, times out, or becomes an event stream.
fn connection(mut stream: TcpStream, id: u64, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut buf = Vec::new();
    loop {
        shared.set_phase(id, Phase::Waiting);
        let head = read_head(&mut stream, &mut buf, Instant::now() + IDLE_TIMEOUT);
        shared.set_phase(id, Phase::Busy);
        let (answer, head_only, close) = match head {
            Ok(head) => (handle(&head, shared), head.method == "HEAD", head.close),
            Err(HeadError::Closed) => return,
            Err(HeadError::TooLarge) => {
                let text = format!(
                    "431 Request Header Fields Too Large: at most {MAX_HEAD} bytes and {MAX_HEADERS} fields\n"
                );
                (reply_text(431, text, &[]), false, true)
            }
            Err(HeadError::Malformed) => (
                reply_text(400, "400 Bad Request: malformed request\n".into(), &[]),
                false,
                true,
            ),
        };
        match answer {
            Answer::Events => return event_stream(stream, id, shared),
            Answer::Full {
                status,
                ctype,
                body,
                extra,
            } => {
                let sent = write_response(
                    &mut stream,
                    (status, &ctype, &extra),
                    &body,
                    head_only,
                    close,
                );
                if sent.is_err() {
                    return;
                }
                if close {
                    return linger(stream);
                }
            }
        }
    }
}

fn write_response(
    w: &mut TcpStream,
    (status, ctype, extra): (u16, &str, &[(&'static str, String)]),
    body: &Bytes,
    head_only: bool,
    close: bool,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
        reason(status),
        body.0.len()
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    let body: &[u8] = if head_only { &[] } else { &body.0 };
    // small responses in one write
    if body.len() <= 16 * 1024 {
        out.extend_from_slice(body);
        w.write_all(&out)?;
    } else {
        w.write_all(&out)?;
        w.write_all(body)?;
    }
    w.flush()
}

/// Closes a connection whose client may still be sending (a body, an
/// oversized head): ends the response first and reads a little of what
/// follows, so that the client sees the response rather than a reset.
fn linger(mut stream: TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut chunk = [0u8; 4096];
    let mut left = 256 * 1024usize;
    while left > 0 {
        let wait = deadline.saturating_duration_since(Instant::now());
        if wait.is_zero() || stream.set_read_timeout(Some(wait)).is_err() {
            break;
        }
        match stream.read(&mut chunk) {
            Ok(n) if n > 0 => left = left.saturating_sub(n),
            _ => break,
        }
    }
}

/// Writes the live-reload events of one page as they are queued, with a
/// heartbeat when there are none, until the page goes away or is dropped.
fn event_stream(mut stream: TcpStream, id: u64, shared: &Shared) {
    let (_, _, generation) = shared.snapshot();
    let (tx, rx) = mpsc::sync_channel::<Arc<str>>(EVENT_QUEUE);
    shared.clients().push(EventClient { conn: id, tx });
    shared.set_phase(id, Phase::Events);
    let hello = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\
X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n\
retry: 1000\nevent: hello\ndata: {}-{generation}\n\n",
        shared.instance
    );
    let mut msg: Arc<str> = hello.into();
    loop {
        if stream
            .write_all(msg.as_bytes())
            .and_then(|_| stream.flush())
            .is_err()
        {
            return;
        }
        msg = match rx.recv_timeout(HEARTBEAT) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => ": ping\n\n".into(),
            // dropped: it fell behind, or was closed to admit another connection
            Err(RecvTimeoutError::Disconnected) => return,
        };
    }
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

fn handle(rq: &Head, shared: &Shared) -> Answer {
    match rq.hosts.as_slice() {
        [host] if !host_allowed(host, shared.bind) => {
            return reply_text(
                403,
                "403 Forbidden: the Host header names another site; \
open the address that apparat serve printed\n"
                    .into(),
                &[],
            );
        }
        [_] => {}
        [] if !rq.http11 => {}
        _ => {
            return reply_text(
                400,
                "400 Bad Request: one Host header is required\n".into(),
                &[],
            )
        }
    }
    let head = rq.method == "HEAD";
    if rq.method != "GET" && !head {
        return reply_text(
            405,
            "405 Method Not Allowed: only GET and HEAD\n".into(),
            &[("Allow", "GET, HEAD")],
        );
    }
    let base = shared.base_path.as_str();
    let target = match map_target(&rq.target, base) {
        Ok(t) => t,
        Err(why) => return reply_text(400, format!("400 Bad Request: {why}\n"), &[]),
    };
    let rel = match target {
        Target::Site(rel) => rel,
        Target::BaseWithoutSlash => {
            return reply_text(302, format!("see {base}\n"), &[("Location", base)]);
        }
        Target::Outside => return reply_html(404, not_under_base_page(base)),
    };
    // serve-only files, also available before the first good build
    match rel.as_str() {
        "__apparat/events" if head => {
            return reply(200, "text/event-stream", Bytes(Arc::new(Vec::new())), &[]);
        }
        "__apparat/events" => return Answer::Events,
        "__apparat/reload.js" => {
            let b = Bytes(Arc::new(RELOAD_JS.to_vec()));
            return reply(200, content_type(&rel), b, &[]);
        }
        "__apparat/overlay.css" => {
            let b = Bytes(Arc::new(OVERLAY_CSS.to_vec()));
            return reply(200, content_type(&rel), b, &[]);
        }
        _ => {}
    }
    let (site, error, _) = shared.snapshot();
    let Some(site) = site else {
        let diags = error.as_deref().map(String::as_str).unwrap_or("");
        return reply_html(500, error_page(diags, base));
    };
    let file = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.clone()
    };
    let (status, path, bytes) = match site.get(&file) {
        Some(b) => (200, file, b),
        None => {
            if site.has(&format!("{rel}/index.html")) {
                // a folder without its final slash: relative links need it
                let raw = rq.target.as_str();
                let (path, query) = match raw.find('?') {
                    Some(i) => raw.split_at(i),
                    None => (raw, ""),
                };
                let location = format!("{path}/{query}");
                return reply_text(302, format!("see {location}\n"), &[("Location", &location)]);
            }
            match site.get("404.html") {
                Some(b) => (404, "404.html".to_string(), b),
                None => return reply_text(404, "404 Not Found\n".into(), &[]),
            }
        }
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => return reply_text(500, format!("500: cannot unpack {path}: {e}\n"), &[]),
    };
    let ctype = content_type(&path);
    let bytes = match (&error, ctype.starts_with("text/html")) {
        (Some(diags), true) => Bytes(Arc::new(with_overlay(&bytes.0, diags, base))),
        _ => bytes,
    };
    reply(status, ctype, bytes, &[])
}

/// Builds the site in memory, reusing what the session kept of the last build.
fn build(
    session: &mut Session,
    opts: &BuildOptions,
    changed: &[PathBuf],
    kept: Arc<Mutex<apparat::search::Kept>>,
) -> Result<(Site, apparat::Summary, Diagnostics), Diagnostics> {
    let (files, summary, warnings) = session.render_unordered(opts, changed)?;
    let language = apparat::search::site_search(&opts.root);
    Ok((Site::new(files, language, kept), summary, warnings))
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
    let state = match build(&mut session, &build_opts, &[], Arc::default()) {
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
        conns: Mutex::new(Connections::default()),
        threads: (Mutex::new(0), Condvar::new()),
        base_path,
        bind: opts.bind,
        instance: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    });

    {
        let shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("apparat-accept".into())
            .spawn(move || accept_loop(listener, shared))
            .map_err(|e| format!("cannot start the HTTP server: {e}"))?;
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

/// Watches the sources and rebuilds on every (debounced) change. Never returns.
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
        let Ok(first) = rx.recv() else {
            // no watcher: nothing will change; the server threads go on
            loop {
                std::thread::park();
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
    // (the search index of the last good site kept what the next reuses)
    let kept = shared
        .state
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .site
        .as_ref()
        .map(|s| Arc::clone(&s.kept))
        .unwrap_or_default();
    let result = build(session, build_opts, changed, kept);
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
    shared.broadcast(event, &data);
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
    fn hosts() {
        let lo: IpAddr = [127, 0, 0, 1].into();
        for ok in [
            "localhost",
            "LOCALHOST:1111",
            "127.0.0.1",
            "127.0.0.1:80",
            "127.9.8.7:1",
            "[::1]",
            "[::1]:1111",
        ] {
            assert!(host_allowed(ok, lo), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:1111",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "10.0.0.1",
            "::1",
            "[::1",
            "[::2]:1",
            "localhost:",
            "localhost:x",
            "",
        ] {
            assert!(!host_allowed(bad, lo), "{bad}");
        }
        let lan: IpAddr = [192, 168, 1, 5].into();
        assert!(host_allowed("192.168.1.5:1111", lan));
        assert!(!host_allowed("192.168.1.6:1111", lan));
        let any: IpAddr = [0, 0, 0, 0].into();
        assert!(host_allowed("192.168.1.6:1111", any));
        assert!(!host_allowed("mylaptop.example:1111", any));
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
