//! Link crawl: one `build` output, served like GitHub Pages under `/` and under
//! `/repo/`, has no broken link or fragment, and no internal URL that is
//! absolute or root-relative (except in 404.html, served at any depth, whose
//! URLs start with the base path); an `--offline` build resolves every link as
//! a file on disk. Run on the real edition of this repository and on a small
//! fixture edition.

mod common;

use apparat::BuildOptions;
use lol_html::{element, rewrite_str, RewriteStrSettings};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BASE_URL: &str = "https://user.github.io/repo/";
const BASE_PATH: &str = "/repo/";

/// A URL found in a page.
#[derive(Debug, Clone)]
struct Link {
    tag: String,
    attr: String,
    rel: String,
    url: String,
}

impl std::fmt::Display for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} {}=\"{}\">", self.tag, self.attr, self.url)
    }
}

/// The links and the fragment targets (`id`, `<a name>`) of an HTML page.
fn parse(html: &str) -> (Vec<Link>, HashSet<String>) {
    let links = Arc::new(Mutex::new(Vec::new()));
    let ids = Arc::new(Mutex::new(HashSet::new()));
    let (l2, i2) = (Arc::clone(&links), Arc::clone(&ids));
    let result = rewrite_str(
        html,
        RewriteStrSettings {
            element_content_handlers: vec![element!("*", move |el| {
                let tag = el.tag_name();
                let rel = el.get_attribute("rel").unwrap_or_default();
                for a in el.attributes() {
                    let (name, value) = (a.name(), a.value());
                    match name.as_str() {
                        "id" => {
                            i2.lock().expect("ids").insert(value);
                        }
                        "name" if tag == "a" => {
                            i2.lock().expect("ids").insert(value);
                        }
                        "href" | "src" | "action" | "poster" | "data" | "cite" => {
                            l2.lock().expect("links").push(Link {
                                tag: tag.clone(),
                                attr: name.clone(),
                                rel: rel.clone(),
                                url: value,
                            });
                        }
                        "srcset" => {
                            for part in value.split(',') {
                                if let Some(u) = part.split_whitespace().next() {
                                    l2.lock().expect("links").push(Link {
                                        tag: tag.clone(),
                                        attr: name.clone(),
                                        rel: rel.clone(),
                                        url: u.to_string(),
                                    });
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Ok(())
            })],
            ..RewriteStrSettings::new()
        },
    );
    assert!(result.is_ok(), "unparsable HTML: {result:?}");
    let links = links.lock().expect("links").clone();
    let ids = ids.lock().expect("ids").clone();
    (links, ids)
}

/// `scheme:` URLs (https:, mailto:, data:…) and `//host` ones leave the site.
fn is_external(url: &str) -> bool {
    if url.starts_with("//") {
        return true;
    }
    let scheme_end = url.find(':');
    let other = url.find(['/', '?', '#']);
    match (scheme_end, other) {
        (Some(c), Some(o)) => c < o,
        (Some(_), None) => true,
        _ => false,
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(v) = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits `a/b?q#f` into (`a/b`, `f`).
fn split_url(url: &str) -> (&str, Option<&str>) {
    let (before, frag) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let path = before.split('?').next().unwrap_or("");
    (path, frag)
}

/// Resolves `rel` (a URL path, relative or root-relative) against the
/// absolute URL path `page` (`/repo/a/`, `/repo/a/x.html`), as a browser does.
/// None when it climbs above the root.
fn resolve(page: &str, rel: &str) -> Option<String> {
    if rel.is_empty() {
        return Some(page.to_string());
    }
    let joined = if rel.starts_with('/') {
        rel.to_string()
    } else {
        let dir = &page[..page.rfind('/').map(|i| i + 1).unwrap_or(0)];
        format!("{dir}{rel}")
    };
    let mut out: Vec<&str> = Vec::new();
    let segs: Vec<&str> = joined.trim_start_matches('/').split('/').collect();
    let last = segs.len().saturating_sub(1);
    for (i, seg) in segs.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                out.pop()?;
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    Some(format!("/{}", out.join("/")))
}

fn all_files(dir: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            e.path()
                .strip_prefix(dir)
                .ok()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
        })
        .collect()
}

fn build(root: &Path, out: &Path, offline: bool) {
    let opts = BuildOptions {
        root: root.to_path_buf(),
        output: Some(out.to_path_buf()),
        base_url: Some(BASE_URL.into()),
        offline,
        ..Default::default()
    };
    if let Err(d) = apparat::build(&opts) {
        panic!("the edition at {} does not build:\n{d}", root.display());
    }
}

fn read_html(out: &Path, file: &str) -> String {
    String::from_utf8_lossy(&std::fs::read(out.join(file)).expect("read page")).into_owned()
}

/// No internal URL is absolute or root-relative, except in 404.html, where
/// they all start with the base path; absolute URLs to the site itself only in
/// `<link rel="canonical">`.
fn check_relative(out: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for file in all_files(out).iter().filter(|f| f.ends_with(".html")) {
        let (links, _) = parse(&read_html(out, file));
        for l in links {
            let u = l.url.as_str();
            if u.starts_with(BASE_URL) || u.starts_with(BASE_URL.trim_end_matches('/')) {
                if !(l.tag == "link" && l.rel == "canonical") {
                    problems.push(format!("{file}: absolute URL to the site itself: {l}"));
                }
            } else if u.starts_with("//") || u.contains("127.0.0.1") || u.contains("localhost") {
                problems.push(format!("{file}: protocol-relative or local URL: {l}"));
            } else if u.starts_with('/') {
                if file != "404.html" {
                    problems.push(format!("{file}: root-relative URL: {l}"));
                } else if !u.starts_with(BASE_PATH) {
                    problems.push(format!(
                        "{file}: URL outside the base path {BASE_PATH}: {l}"
                    ));
                }
            }
        }
    }
    problems
}

/// `url(…)` references in stylesheets (fonts, images) resolve to files, and
/// are relative (a root-relative one would break under a base path).
fn check_css(out: &Path) -> Vec<String> {
    let files = all_files(out);
    let mut problems = Vec::new();
    for css in files.iter().filter(|f| f.ends_with(".css")) {
        let text = std::fs::read_to_string(out.join(css)).unwrap_or_default();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("url(") {
            rest = &rest[i + 4..];
            let Some(end) = rest.find(')') else { break };
            let url = rest[..end].trim().trim_matches(['"', '\'']);
            rest = &rest[end..];
            if url.is_empty() || url.starts_with('#') || is_external(url) {
                continue;
            }
            if url.starts_with('/') {
                problems.push(format!("{css}: root-relative url({url})"));
                continue;
            }
            let (path, _) = split_url(url);
            match resolve(&format!("/{css}"), &percent_decode(path)) {
                Some(t) if files.contains(t.trim_start_matches('/')) => {}
                Some(t) => problems.push(format!("{css}: url({url}) → {t} is missing")),
                None => problems.push(format!("{css}: url({url}) climbs above the site root")),
            }
        }
    }
    problems
}

/// A GitHub-Pages-like static server for a folder, under a prefix: `dir` →
/// 301 to `dir/`, `dir/` → `dir/index.html`, the site's 404.html with 404.
fn pages_server(dir: PathBuf, prefix: &'static str) -> u16 {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("start a test server");
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .expect("a TCP port");
    std::thread::spawn(move || {
        for rq in server.incoming_requests() {
            let url = rq.url().split('?').next().unwrap_or("").to_string();
            let not_found = || {
                let body = std::fs::read(dir.join("404.html")).unwrap_or_default();
                tiny_http::Response::from_data(body).with_status_code(404)
            };
            let Some(rest) = url.strip_prefix(prefix) else {
                let _ = rq.respond(not_found());
                continue;
            };
            let rest = percent_decode(rest);
            if rest.split('/').any(|s| s == "..") {
                let _ =
                    rq.respond(tiny_http::Response::from_data(Vec::new()).with_status_code(400));
                continue;
            }
            let file = if rest.is_empty() || rest.ends_with('/') {
                format!("{rest}index.html")
            } else {
                rest
            };
            let path = dir.join(&file);
            let resp = if path.is_file() {
                tiny_http::Response::from_data(std::fs::read(&path).unwrap_or_default())
            } else if path.is_dir() {
                let loc = format!("{url}/");
                let mut r = tiny_http::Response::from_data(Vec::new()).with_status_code(301);
                if let Ok(h) = tiny_http::Header::from_bytes("Location", loc.as_bytes()) {
                    r.add_header(h);
                }
                r
            } else {
                not_found()
            };
            let _ = rq.respond(resp);
        }
    });
    port
}

/// Crawls every page of `out` as served by [`pages_server`] under `prefix`:
/// every internal href/src answers 200 and every fragment exists in its target.
fn crawl_http(out: &Path, prefix: &'static str) -> (Vec<String>, usize) {
    let port = pages_server(out.to_path_buf(), prefix);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let get = |path: &str| -> (u16, Vec<u8>) {
        let url = format!("http://127.0.0.1:{port}{path}");
        let mut r = agent.get(&url).call().expect("HTTP request");
        let status = r.status().as_u16();
        let body = r
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .unwrap_or_default();
        (status, body)
    };
    // every page of the output, and a missing one (404.html at depth)
    let mut queue: VecDeque<(String, u16)> = all_files(out)
        .iter()
        .filter(|f| f.ends_with(".html"))
        // 404.html is served at any depth, so its URLs are absolute and name
        // the base path of the build: it works under that base path only
        .filter(|f| *f != "404.html" || prefix == BASE_PATH)
        .map(|f| {
            let url = match f.strip_suffix("index.html") {
                Some(dir) => format!("{prefix}{dir}"),
                None => format!("{prefix}{f}"),
            };
            (url, 200)
        })
        .collect();
    if prefix == BASE_PATH {
        queue.push_back((format!("{prefix}no/such/page/"), 404));
    }
    let mut problems = Vec::new();
    // URL path → (status, ids if HTML)
    let mut seen: HashMap<String, (u16, Option<HashSet<String>>)> = HashMap::new();
    let fetch = |path: &str, seen: &mut HashMap<String, (u16, Option<HashSet<String>>)>| {
        if let Some(v) = seen.get(path) {
            return v.clone();
        }
        let (status, body) = get(path);
        let is_html = path.ends_with('/') || path.ends_with(".html");
        let ids = is_html.then(|| parse(&String::from_utf8_lossy(&body)).1);
        seen.insert(path.to_string(), (status, ids.clone()));
        (status, ids)
    };
    let mut pages = 0;
    let mut crawled: HashSet<String> = HashSet::new();
    while let Some((page, expected)) = queue.pop_front() {
        if !crawled.insert(page.clone()) {
            continue;
        }
        let (status, body) = get(&page);
        if status != expected {
            problems.push(format!("{page}: status {status}, expected {expected}"));
            continue;
        }
        pages += 1;
        let (links, ids) = parse(&String::from_utf8_lossy(&body));
        seen.insert(page.clone(), (status, Some(ids.clone())));
        for l in links {
            if is_external(&l.url) {
                continue;
            }
            let (path, frag) = split_url(&l.url);
            if path.is_empty() {
                // `#id`: this very page
                if let Some(f) = frag.map(percent_decode) {
                    if !(f.is_empty() || f == "top" || ids.contains(&f)) {
                        problems.push(format!("{page}: {} → no such id here", l.url));
                    }
                }
                continue;
            }
            let Some(target) = resolve(&page, path) else {
                problems.push(format!("{page}: {} climbs above the site root", l.url));
                continue;
            };
            let (status, ids) = fetch(&target, &mut seen);
            if status != 200 {
                problems.push(format!("{page}: {} → {target} answers {status}", l.url));
                continue;
            }
            if let Some(f) = frag {
                let f = percent_decode(f);
                match &ids {
                    _ if f.is_empty() || f == "top" => {}
                    Some(ids) if ids.contains(&f) => {}
                    Some(_) => {
                        problems.push(format!("{page}: {} → no id `{f}` in {target}", l.url))
                    }
                    None => {
                        problems.push(format!("{page}: {} → fragment on a non-HTML file", l.url))
                    }
                }
            }
            if ids.is_some() && !crawled.contains(&target) {
                queue.push_back((target, 200));
            }
        }
    }
    (problems, pages)
}

/// An `--offline` build: every link resolves to a file on disk (relative to
/// the page's file, no folder links), every fragment to an id in it.
fn check_offline(out: &Path) -> (Vec<String>, usize) {
    let files = all_files(out);
    let mut ids_of: HashMap<String, HashSet<String>> = HashMap::new();
    let mut problems = Vec::new();
    let html: Vec<&String> = files.iter().filter(|f| f.ends_with(".html")).collect();
    for file in &html {
        let (_, ids) = parse(&read_html(out, file));
        ids_of.insert((*file).clone(), ids);
    }
    for file in &html {
        let (links, _) = parse(&read_html(out, file));
        let page = format!("/{file}");
        for l in links {
            if is_external(&l.url) {
                continue;
            }
            if l.url.starts_with('/') {
                problems.push(format!("{file}: root-relative URL breaks file://: {l}"));
                continue;
            }
            let (path, frag) = split_url(&l.url);
            let Some(target) = resolve(&page, &percent_decode(path)) else {
                problems.push(format!("{file}: {} climbs above the site root", l.url));
                continue;
            };
            let target = target.trim_start_matches('/').to_string();
            if !files.contains(&target) {
                let why = if target.is_empty() || target.ends_with('/') {
                    "names a folder (file:// shows no index.html)"
                } else {
                    "is missing"
                };
                problems.push(format!("{file}: {} → {target} {why}", l.url));
                continue;
            }
            if let Some(f) = frag {
                let f = percent_decode(f);
                match ids_of.get(&target) {
                    _ if f.is_empty() || f == "top" => {}
                    Some(ids) if ids.contains(&f) => {}
                    Some(_) => {
                        problems.push(format!("{file}: {} → no id `{f}` in {target}", l.url))
                    }
                    None => {
                        problems.push(format!("{file}: {} → fragment on a non-HTML file", l.url))
                    }
                }
            }
        }
    }
    (problems, html.len())
}

fn report(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn check_online(root: &Path) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("site");
    build(root, &out, false);
    assert!(out.join("404.html").is_file() && out.join(".nojekyll").is_file());
    report("relative URLs", &check_relative(&out));
    report("stylesheets", &check_css(&out));
    for prefix in ["/", BASE_PATH] {
        let (problems, pages) = crawl_http(&out, prefix);
        report(&format!("crawl under {prefix}"), &problems);
        assert!(pages >= 4, "only {pages} pages crawled under {prefix}");
    }
}

fn check_offline_build(root: &Path) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("site");
    build(root, &out, true);
    let (problems, pages) = check_offline(&out);
    report("offline build", &problems);
    report("stylesheets (offline)", &check_css(&out));
    assert!(pages >= 4);
}

fn fixture() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    common::write_fixture(tmp.path());
    tmp
}

#[test]
fn resolution_follows_browsers() {
    assert_eq!(resolve("/repo/a/", "../b/").as_deref(), Some("/repo/b/"));
    assert_eq!(resolve("/repo/a/", "./").as_deref(), Some("/repo/a/"));
    assert_eq!(resolve("/repo/", "./").as_deref(), Some("/repo/"));
    assert_eq!(
        resolve("/repo/a/x.html", "y.css").as_deref(),
        Some("/repo/a/y.css")
    );
    assert_eq!(resolve("/a/", "../..").as_deref(), None);
    assert_eq!(resolve("/a/", "..").as_deref(), Some("/"));
    assert!(is_external("https://x.org/"));
    assert!(is_external("mailto:a@b"));
    assert!(!is_external("../a:b/"));
    assert!(!is_external("#n-1"));
}

#[test]
fn fixture_links_online() {
    let tmp = fixture();
    check_online(tmp.path());
}

#[test]
fn fixture_links_offline() {
    let tmp = fixture();
    check_offline_build(tmp.path());
}

/// The checks catch what they claim to: a broken link, a missing fragment, a
/// root-relative URL.
#[test]
fn the_checks_catch_broken_links() {
    let tmp = fixture();
    common::write(
        tmp.path(),
        "content/apropos.md",
        "+++\ntitle = \"À propos\"\n+++\n\n[cassé](/nulle-part/) [ancre](/texte/#pas-de-tel-id)\n",
    );
    // `build` refuses broken links (src/linkcheck.rs, tests/link_check.rs):
    // made warnings here, so that the crawl has some to find
    let toml = std::fs::read_to_string(tmp.path().join("site.toml")).expect("site.toml");
    common::write(
        tmp.path(),
        "site.toml",
        &format!("{toml}broken_links = \"warning\"\n"),
    );
    let out = tmp.path().join("site");
    build(tmp.path(), &out, false);
    let (problems, _) = crawl_http(&out, BASE_PATH);
    let all = problems.join("\n");
    assert!(
        all.contains("../nulle-part/ → /repo/nulle-part/ answers 404"),
        "{all}"
    );
    assert!(all.contains("no id `pas-de-tel-id`"), "{all}");
    let page = out.join("texte/index.html");
    let html = std::fs::read_to_string(&page).expect("page");
    std::fs::write(
        &page,
        html.replace("href=\"../apropos/\"", "href=\"/apropos/\""),
    )
    .expect("write");
    let all = check_relative(&out).join("\n");
    assert!(all.contains("texte/index.html: root-relative URL"), "{all}");
    std::fs::write(
        out.join("assets/style.css"),
        "@font-face { src: url(\"../fonts/f.woff2\") format(\"woff2\"), url(../fonts/none.woff2), url(/fonts/f.woff2); }",
    )
    .expect("write");
    let all = check_css(&out).join("\n");
    assert!(
        all.contains("url(../fonts/none.woff2) → /fonts/none.woff2 is missing"),
        "{all}"
    );
    assert!(all.contains("root-relative url(/fonts/f.woff2)"), "{all}");
    assert!(
        !all.contains("url(\"../fonts/f.woff2\")") && !all.contains("url(../fonts/f.woff2)"),
        "{all}"
    );
    let offline = tmp.path().join("offline");
    build(tmp.path(), &offline, true);
    let all = check_offline(&offline).0.join("\n");
    assert!(all.contains("nulle-part/index.html is missing"), "{all}");
}

#[test]
fn edition_links_online() {
    check_online(Path::new(env!("CARGO_MANIFEST_DIR")));
}

#[test]
fn edition_links_offline() {
    check_offline_build(Path::new(env!("CARGO_MANIFEST_DIR")));
}
