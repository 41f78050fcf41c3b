//! apparat: a static-site generator for critical digital editions.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! load ([`content`], [`config`]) → parse ([`markup`]) → resolve ([`edition`])
//! → render ([`render`]) → rewrite ([`rewrite`]) → write ([`output`]),
//! with [`diagnostics`] collected at every stage.

pub mod citation;
pub mod config;
pub mod content;
pub mod diagnostics;
pub mod edition;
pub mod highlight;
pub mod i18n;
pub mod lang;
pub mod manifest;
pub mod markup;
pub mod output;
pub mod render;
pub mod rewrite;
pub mod tei;
pub mod theme;

use diagnostics::Diagnostics;
use output::SiteFile;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// What to build, and how.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// Output folder; default: `output_dir` of site.toml, relative to root.
    pub output: Option<PathBuf>,
    pub base_url: Option<String>,
    pub drafts: bool,
    /// Links name `index.html`, for browsing from disk.
    pub offline: bool,
    /// Inject the live-reload client (serve).
    pub live_reload: bool,
    /// `build` only: how many bytes of body HTML the parse stage may keep
    /// for the render stage; pages beyond it are parsed again when rendered
    /// (None: [`HTML_BUDGET`]). The output is the same either way.
    pub html_budget: Option<usize>,
    /// `build` only: replace an output folder that holds files apparat did
    /// not write (never the edition's own folders; see [`output::claim`]).
    pub force: bool,
}

/// Body HTML a build keeps between parse and render (16 MB: every page of
/// an edition of about a thousand texts of 1,500 words). Beyond it, pages
/// are parsed again when rendered, so that a large edition never holds
/// every body at once.
pub const HTML_BUDGET: usize = 16 << 20;

/// Figures of a build.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub pages: usize,
    pub notes: usize,
    pub persons: usize,
    pub files: usize,
    /// Content files read and parsed (fewer than the pages when a session
    /// reused what did not change).
    pub parsed: usize,
    /// Units rendered (a page with its source view, or a
    /// letter page of a divided person index).
    pub rendered: usize,
    /// For a [`Session`]'s builds after the first: the paths whose bytes
    /// changed since its previous build (added, changed or removed).
    pub changed: Option<Vec<String>>,
    pub millis: u128,
    pub output: PathBuf,
}

impl Summary {
    pub fn line(&self) -> String {
        let again = if self.rendered < self.pages {
            format!(" ({} rendered again, the rest unchanged)", self.rendered)
        } else {
            String::new()
        };
        format!(
            "built {} pages, {} notes, {} persons in {} ms → {}/{again}",
            self.pages,
            self.notes,
            self.persons,
            self.millis,
            self.output
                .strip_prefix(".")
                .unwrap_or(&self.output)
                .display()
                .to_string()
                .trim_end_matches('/')
        )
    }
}

/// With `APPARAT_TIMINGS` set in the environment, prints how long a phase
/// took to stderr (for profiling; see BENCHMARKS.md).
pub fn timing(phase: &str, since: Instant) {
    if std::env::var_os("APPARAT_TIMINGS").is_some() {
        // peak and current resident memory, where the system says (Linux)
        let mem = std::fs::read_to_string("/proc/self/status")
            .map(|s| {
                s.lines()
                    .filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS"))
                    .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
                    .collect::<Vec<_>>()
                    .join(", now ")
            })
            .unwrap_or_default();
        eprintln!(
            "timing: {phase} {} ms (peak memory {mem})",
            since.elapsed().as_millis()
        );
    }
}

/// load → parse → resolve, and the templates compiled: every check, nothing written.
pub fn check(opts: &BuildOptions) -> (Option<(config::Config, edition::Edition)>, Diagnostics) {
    let (checked, mut diags) =
        check_with(opts, &HashSet::new(), &mut edition::ParseCache::default());
    // the templates too: syntax, references, cycles (what a build would refuse)
    let sources = render::read_templates(&opts.root, &mut diags);
    let _ = render::compile_templates(sources, &mut diags);
    (checked, diags)
}

/// [`check`] reusing the pages `cache` holds (see [`edition::ParseCache`]).
fn check_with(
    opts: &BuildOptions,
    changed: &HashSet<PathBuf>,
    cache: &mut edition::ParseCache,
) -> (Option<(config::Config, edition::Edition)>, Diagnostics) {
    let mut diags = Diagnostics::default();
    let Some(mut config) = config::Config::load(&opts.root, &mut diags) else {
        // still report content problems
        let _ = content::load(&opts.root, opts.drafts, &mut diags);
        return (None, diags);
    };
    if let Some(b) = &opts.base_url {
        config.base_url = b.clone();
        if !config.base_url.ends_with('/') {
            config.base_url.push('/');
        }
    }
    let t = Instant::now();
    let walked = match cache.reusable_walk(&opts.root, changed) {
        Some(w) => w,
        None => Arc::new(content::walk(&opts.root, &mut diags).unwrap_or_default()),
    };
    cache.walked = Some(Arc::clone(&walked));
    timing("walk", t);
    if walked.pages.is_empty() && !diags.has_errors() {
        diags.file_error(
            Path::new("content"),
            "no pages found in content/: an edition needs at least one Markdown page \
             (content/_index.md is its home page)"
                .to_string(),
        );
    }
    let t = Instant::now();
    let entries = edition::load_and_parse(
        &opts.root,
        &config,
        opts.drafts,
        &walked.pages,
        changed,
        cache,
        &mut diags,
    );
    timing("load + parse", t);
    let t = Instant::now();
    let register = content::load_registers(&opts.root, &walked, &mut diags);
    timing("register", t);
    let t = Instant::now();
    let ed = edition::resolve_with(
        &config,
        &register,
        entries,
        cache.index.as_ref(),
        &mut diags,
    );
    cache.index = Some((ed.index_hash, Arc::clone(&ed.index)));
    timing("resolve", t);
    (Some((config, ed)), diags)
}

/// Loaded, parsed, resolved and templates read: what rendering needs.
struct Prepared {
    config: config::Config,
    ed: edition::Edition,
    templates: Arc<render::Templates>,
    version: render::Version,
    diags: Diagnostics,
}

fn prepare(
    opts: &BuildOptions,
    changed: &HashSet<PathBuf>,
    cache: &mut edition::ParseCache,
) -> Result<Prepared, Diagnostics> {
    let (checked, mut diags) = check_with(opts, changed, cache);
    let t = Instant::now();
    let sources = render::read_templates(&opts.root, &mut diags);
    let key = edition::hash_of(&sources);
    let templates = match &cache.templates {
        Some((k, t)) if *k == key => Some(Arc::clone(t)),
        _ => render::compile_templates(sources, &mut diags).map(Arc::new),
    };
    if let Some(t) = &templates {
        cache.templates = Some((key, Arc::clone(t)));
    }
    timing("templates", t);
    let (Some((config, ed)), Some(templates)) = (checked, templates) else {
        return Err(diags);
    };
    if diags.has_errors() {
        return Err(diags);
    }
    let t = Instant::now();
    let version = git_version(&opts.root);
    timing("git version", t);
    Ok(Prepared {
        config,
        ed,
        templates,
        version,
        diags,
    })
}

fn mode(opts: &BuildOptions) -> &'static str {
    if opts.live_reload {
        "serve"
    } else {
        "build"
    }
}

/// A rendered file made final: pages go through the rewrite stage. Also
/// returns the page URL for the sitemap (none for 404.html and non-pages).
fn finish(
    f: render::OutputFile,
    (opts, config, base_path, persons): FinishWith,
) -> Result<(SiteFile, Option<String>), diagnostics::Diagnostic> {
    let bytes = match &f.page_url {
        Some(url) => {
            let ropts = rewrite::RewriteOptions {
                offline: opts.offline,
                live_reload: opts.live_reload,
                ui: config.ui().clone(),
                absolute_prefix: if url == "/404.html" && !opts.offline {
                    Some(base_path.to_string())
                } else {
                    None
                },
                insert: f.insert,
                persons: persons.cloned(),
            };
            match rewrite::rewrite(&f.html, url, &ropts) {
                Ok(s) => s.into_bytes(),
                Err(e) => {
                    return Err(diagnostics::Diagnostic {
                        severity: diagnostics::Severity::Error,
                        path: PathBuf::from(&f.path),
                        line: 0,
                        col: 0,
                        message: format!("HTML rewrite failed: {e}"),
                        snippet: None,
                    });
                }
            }
        }
        None => f.html.into_bytes(),
    };
    let url = f.page_url.filter(|u| u != "/404.html");
    Ok((
        SiteFile {
            path: f.path,
            bytes,
        },
        url,
    ))
}

/// Which entry writes each page path (entry `len()` for `404.html`); the
/// first entry that claims a path writes it, as [`Session::render`]'s stable
/// sort and dedup keep the first.
fn page_claims(renderer: &render::Renderer) -> HashMap<String, usize> {
    let n = renderer.len();
    let mut claims: HashMap<String, usize> = HashMap::new();
    for i in 0..n {
        for p in renderer.paths(i) {
            claims.entry(p).or_insert(i);
        }
    }
    claims.entry("404.html".into()).or_insert(n);
    claims
}

/// The source of entry `i` (see [`page_claims`]), for messages.
fn describe_source(ed: &edition::Edition, i: usize) -> String {
    match ed.entries.get(i) {
        Some(e) => e.page.src.path.display().to_string(),
        None => "the template 404.html".into(),
    }
}

/// What follows the pages: static files, generated files, sitemap, robots.txt.
/// `urls`: every page URL but 404.html. `page_source(path)`: the source of the
/// page written at `path`, if a page is (a static file there is an error).
/// `generated`: the files made from the edition (`tei::files`), its XML
/// documents listed in the sitemap.
fn tail_files(
    opts: &BuildOptions,
    config: &config::Config,
    mut urls: Vec<String>,
    generated: Vec<SiteFile>,
    page_source: &dyn Fn(&str) -> Option<String>,
    diags: &mut Diagnostics,
) -> Option<Vec<SiteFile>> {
    // static files, copied verbatim to the root of the output (links that
    // leave the edition root are refused)
    let errors = diags.error_count();
    let own = output::read_tree(&opts.root, "static", diags);
    // a static file replaces a file of the built-in theme, the stylesheet of
    // highlighted code and `.nojekyll` (it comes first, and the first file
    // claiming a path is written); at the path of a page, the sitemap,
    // robots.txt or the live-reload script it is an error
    for f in &own {
        let generated = match page_source(&f.path) {
            Some(src) => Some(format!("the page generated from {src}")),
            None => (matches!(
                f.path.as_str(),
                "sitemap.xml" | "robots.txt" | "__apparat/reload.js"
            ) || generated.iter().any(|g| g.path == f.path))
            .then(|| format!("the generated {}", f.path)),
        };
        if let Some(what) = generated {
            diags.file_error(
                &Path::new("static").join(&f.path),
                format!(
                    "collides with {what} ({}); remove or rename the static file",
                    f.path
                ),
            );
        }
    }
    if diags.error_count() > errors {
        return None;
    }
    // the built-in theme's files, unless the edition has its own at the same path
    let own_paths: HashSet<&str> = own.iter().map(|f| f.path.as_str()).collect();
    let mut files: Vec<SiteFile> = theme::FILES
        .iter()
        .filter(|(path, _)| !own_paths.contains(path))
        .map(|(path, bytes)| SiteFile {
            path: path.to_string(),
            bytes: bytes.to_vec(),
        })
        .collect();
    drop(own_paths);
    files.extend(own);
    files.push(SiteFile {
        path: "assets/highlight.css".into(),
        bytes: highlight::stylesheet().into_bytes(),
    });
    files.push(SiteFile {
        path: ".nojekyll".into(),
        bytes: Vec::new(),
    });
    urls.extend(
        generated
            .iter()
            .filter(|f| f.path.ends_with(".xml"))
            .map(|f| format!("/{}", content::encode_url_path(&f.path))),
    );
    files.extend(generated);
    urls.sort();
    let mut sitemap = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for u in &urls {
        sitemap.push_str(&format!(
            "  <url><loc>{}{}</loc></url>\n",
            markup::escape_html(&config.base_url),
            markup::escape_html(u.trim_start_matches('/'))
        ));
    }
    sitemap.push_str("</urlset>\n");
    files.push(SiteFile {
        path: "sitemap.xml".into(),
        bytes: sitemap.into_bytes(),
    });
    files.push(SiteFile {
        path: "robots.txt".into(),
        bytes: format!(
            "User-agent: *\nAllow: /\nSitemap: {}sitemap.xml\n",
            config.base_url
        )
        .into_bytes(),
    });
    if opts.live_reload {
        files.push(SiteFile {
            path: "__apparat/reload.js".into(),
            bytes: include_bytes!("reload.js").to_vec(),
        });
    }
    Some(files)
}

/// The whole site in memory: every page rendered and rewritten, static files,
/// generated files. Nothing written. [`build`] writes the same files.
pub fn render_site(
    opts: &BuildOptions,
) -> Result<(Vec<SiteFile>, Summary, Diagnostics), Diagnostics> {
    let mut session = Session::default();
    let result = session.render(opts, &[]);
    // the session shares the files' bytes: without it, they are ours alone
    drop(session);
    let (files, summary, diags) = result?;
    let files = files
        .into_iter()
        .map(|f| SiteFile {
            path: f.path,
            bytes: Arc::try_unwrap(f.bytes).unwrap_or_else(|shared| (*shared).clone()),
        })
        .collect();
    Ok((files, summary, diags))
}

/// A file of a site built in memory; its bytes are shared with the
/// [`Session`] that built it, and with the next build if they did not change.
#[derive(Debug, Clone)]
pub struct SharedFile {
    pub path: String,
    pub bytes: Arc<Vec<u8>>,
}

/// An entry's files as last rendered and rewritten.
struct RenderedEntry {
    fingerprint: u64,
    files: Vec<SharedFile>,
    urls: Vec<String>,
    diags: Diagnostics,
}

/// Incremental builds in memory, for `serve`: between two builds a session
/// keeps every page as loaded and parsed, and every entry's files as
/// rendered and rewritten. A build then reads and parses only the content
/// files that changed (see [`edition::ParseCache`]), resolves the whole
/// edition again (cross-references, the person index), and renders only the
/// entries whose [`render::Renderer::fingerprint`] changed. The result is
/// the same, byte for byte, as a build from scratch (tested).
#[derive(Default)]
pub struct Session {
    parse: edition::ParseCache,
    /// By content file and unit ([`render::Renderer::units`]).
    /// (Keyed by the hash of the file's path, and the unit.)
    rendered: HashMap<(u64, usize), Arc<RenderedEntry>>,
    /// The other files of the last build (404 page, static and generated files).
    others: HashMap<String, Arc<Vec<u8>>>,
    /// Whether the session has built once.
    built: bool,
    /// The 404 page as last rendered.
    not_found: Option<RenderedEntry>,
    /// The person index's lines as last rendered.
    fragments: render::Fragments,
    /// The TEI documents as last made.
    tei: tei::Cache,
}

impl Session {
    /// A session for a file watcher: the files it names as changed are the
    /// only ones that changed (files not named are not looked at).
    pub fn trusting_changes() -> Session {
        let mut s = Session::default();
        s.parse.trust_changes = true;
        s
    }
}

/// Paths of `new` that are not in `old` with the same bytes, then paths of
/// `old` that `new` lacks.
fn diff_files<'a>(
    old: impl Iterator<Item = &'a SharedFile> + Clone,
    new: impl Iterator<Item = &'a SharedFile> + Clone,
    out: &mut Vec<String>,
) {
    for f in new.clone() {
        if !old.clone().any(|o| o.path == f.path && o.bytes == f.bytes) {
            out.push(f.path.clone());
        }
    }
    for o in old {
        if !new.clone().any(|f| f.path == o.path) {
            out.push(o.path.clone());
        }
    }
}

impl Session {
    /// Builds the whole site in memory. `changed`: files known to have
    /// changed since the last call (as a file watcher reports them, absolute
    /// or relative to the root); files not named are checked by size,
    /// modification time and inode.
    pub fn render(
        &mut self,
        opts: &BuildOptions,
        changed: &[PathBuf],
    ) -> Result<(Vec<SharedFile>, Summary, Diagnostics), Diagnostics> {
        use rayon::prelude::*;
        let start = Instant::now();
        let changed: HashSet<PathBuf> = changed
            .iter()
            .map(|p| p.strip_prefix(&opts.root).unwrap_or(p).to_path_buf())
            .collect();
        let Prepared {
            config,
            ed,
            templates,
            version,
            mut diags,
        } = prepare(opts, &changed, &mut self.parse)?;
        let parsed = self.parse.parsed;
        let settings = render::RenderSettings {
            config: &config,
            mode: mode(opts),
            version,
        };
        let t = Instant::now();
        let mut renderer = render::Renderer::new(&ed, &templates, &settings)
            .with_fragments(std::mem::take(&mut self.fragments));
        timing("renderer", t);
        let t = Instant::now();
        let base_path = base_path(&config.base_url);
        let salt = edition::hash_of(&(opts.offline, opts.live_reload, &base_path));
        let old = &self.rendered;
        let persons = renderer.person_pages.as_ref();
        // (entry, unit, its key in the cache: the hash of the file's path and the unit)
        let units: Vec<(usize, usize, (u64, usize))> = (0..renderer.len())
            .flat_map(|i| {
                let path = edition::hash_of(&ed.entries[i].page.src.path);
                (0..renderer.units(i)).map(move |u| (i, u, (path, u)))
            })
            .collect();
        let results: Vec<(Result<Arc<RenderedEntry>, Diagnostics>, bool)> = units
            .par_iter()
            .map(|&(i, u, key)| {
                let fingerprint = edition::hash_of(&(renderer.fingerprint_unit(i, u), salt));
                match old.get(&key) {
                    Some(r) if r.fingerprint == fingerprint => (Ok(r.clone()), false),
                    _ => {
                        let (files, d) = renderer.render_unit(i, u, None);
                        let at = (opts, &config, base_path.as_str(), persons);
                        (finish_entry(fingerprint, files, d, at).map(Arc::new), true)
                    }
                }
            })
            .collect();
        // the 404 page lists the texts: rendered again only if they changed
        let fingerprint_404 = edition::hash_of(&(renderer.fingerprint_404(), salt));
        let not_found = match &self.not_found {
            Some(r) if r.fingerprint == fingerprint_404 => Ok(RenderedEntry {
                fingerprint: r.fingerprint,
                files: r.files.clone(),
                urls: r.urls.clone(),
                diags: r.diags.clone(),
            }),
            _ => {
                let (f404, d404) = renderer.render_404();
                finish_entry(
                    fingerprint_404,
                    f404.into_iter().collect(),
                    d404,
                    (opts, &config, base_path.as_str(), persons),
                )
            }
        };
        self.fragments = renderer.take_fragments();
        timing("render + rewrite", t);
        let t = Instant::now();
        let mut rendered = HashMap::with_capacity(results.len());
        let mut files: Vec<SharedFile> = Vec::new();
        let mut urls = Vec::new();
        let mut count = 0;
        for (&(_, _, key), (r, fresh)) in units.iter().zip(results) {
            count += usize::from(fresh);
            match r {
                Ok(r) => {
                    diags.extend(r.diags.clone());
                    files.extend(r.files.iter().cloned());
                    urls.extend(r.urls.iter().cloned());
                    rendered.insert(key, r);
                }
                Err(d) => diags.extend(d),
            }
        }
        let mut not_found_files = Vec::new();
        let mut not_found_kept = None;
        match not_found {
            Ok(r) => {
                diags.extend(r.diags.clone());
                not_found_files = r.files.clone();
                urls.extend(r.urls.iter().cloned());
                not_found_kept = Some(r);
            }
            Err(d) => diags.extend(d),
        }
        if diags.has_errors() {
            return Err(diags);
        }
        let claims = page_claims(&renderer);
        let source = |p: &str| claims.get(p).map(|&i| describe_source(&ed, i));
        let Some(tail) = tail_files(
            opts,
            &config,
            urls,
            tei::files(&config, &ed, &settings.version, &mut self.tei),
            &source,
            &mut diags,
        ) else {
            return Err(diags);
        };
        let others: Vec<SharedFile> = not_found_files
            .into_iter()
            .chain(tail.into_iter().map(|f| SharedFile {
                path: f.path,
                bytes: Arc::new(f.bytes),
            }))
            .collect();
        // what changed since the last build, from what was rendered again
        let mut changed_paths = Vec::new();
        for (key, r) in &rendered {
            match self.rendered.get(key) {
                Some(old) if Arc::ptr_eq(old, r) => {}
                Some(old) => diff_files(old.files.iter(), r.files.iter(), &mut changed_paths),
                None => changed_paths.extend(r.files.iter().map(|f| f.path.clone())),
            }
        }
        for (key, old) in &self.rendered {
            if !rendered.contains_key(key) {
                changed_paths.extend(old.files.iter().map(|f| f.path.clone()));
            }
        }
        for f in &others {
            if self.others.get(&f.path) != Some(&f.bytes) {
                changed_paths.push(f.path.clone());
            }
        }
        let other_paths: HashSet<&str> = others.iter().map(|f| f.path.as_str()).collect();
        changed_paths.extend(
            self.others
                .keys()
                .filter(|p| !other_paths.contains(p.as_str()))
                .cloned(),
        );
        drop(other_paths);
        changed_paths.sort();
        changed_paths.dedup();
        let changed_paths = self.built.then_some(changed_paths);
        self.rendered = rendered;
        self.not_found = not_found_kept;
        self.others = others
            .iter()
            .map(|f| (f.path.clone(), Arc::clone(&f.bytes)))
            .collect();
        self.built = true;
        files.extend(others);
        // a path claimed twice goes to the first file that claims it
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files.dedup_by(|a, b| a.path == b.path);
        timing("collect", t);
        let summary = Summary {
            pages: ed.entries.len(),
            notes: ed.notes,
            persons: ed.persons,
            files: files.len(),
            parsed,
            rendered: count,
            changed: changed_paths,
            millis: start.elapsed().as_millis(),
            output: output_dir(opts, &config),
        };
        Ok((files, summary, diags))
    }
}

/// What the rewrite stage needs besides the file.
type FinishWith<'a> = (
    &'a BuildOptions,
    &'a config::Config,
    &'a str,
    Option<&'a Arc<rewrite::PersonPages>>,
);

/// Rewrites an entry's rendered files, or gathers why it failed.
fn finish_entry(
    fingerprint: u64,
    files: Vec<render::OutputFile>,
    diags: Diagnostics,
    at: FinishWith,
) -> Result<RenderedEntry, Diagnostics> {
    if diags.has_errors() {
        return Err(diags);
    }
    let mut done = RenderedEntry {
        fingerprint,
        files: Vec::with_capacity(files.len()),
        urls: Vec::new(),
        diags,
    };
    let mut errors = Diagnostics::default();
    for f in files {
        match finish(f, at) {
            Ok((f, url)) => {
                done.urls.extend(url);
                done.files.push(SharedFile {
                    path: f.path,
                    bytes: Arc::new(f.bytes),
                });
            }
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        Ok(done)
    } else {
        Err(errors)
    }
}

/// The path part of a base URL (`https://u.github.io/repo/` → `/repo/`).
pub fn base_path(base_url: &str) -> String {
    let rest = base_url
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or(base_url);
    let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
    if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    }
}

fn output_dir(opts: &BuildOptions, config: &config::Config) -> PathBuf {
    opts.output
        .clone()
        .unwrap_or_else(|| opts.root.join(&config.output_dir))
}

/// Builds the site and writes it atomically. On error the previous output is untouched.
///
/// The same files as [`render_site`], but streamed: pages are rendered in
/// parallel and each is written as soon as it is ready into a folder beside
/// the output; over an existing output only files whose bytes changed are
/// written, and they are moved in only once everything succeeded (see
/// [`output`]). Memory holds one page per thread, not the whole site.
pub fn build(opts: &BuildOptions) -> Result<(Summary, Diagnostics), Diagnostics> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let start = Instant::now();
    // where the site goes is checked first, and reported with every other problem
    let out = opts.output.clone().or_else(|| {
        config::Config::load(&opts.root, &mut Diagnostics::default())
            .map(|c| opts.root.join(&c.output_dir))
    });
    let refused = out.and_then(|o| {
        output::claim(&opts.root, &o, opts.force)
            .err()
            .map(|e| (o, e))
    });
    // memory: the edition holds body HTML up to a budget; the others are
    // made again when their page is rendered, and freed with it
    let mut cache = edition::ParseCache::default();
    cache.html_budget = Some(Arc::new(AtomicUsize::new(
        opts.html_budget.unwrap_or(HTML_BUDGET),
    )));
    let Prepared {
        config,
        ed,
        templates,
        version,
        mut diags,
    } = match (prepare(opts, &HashSet::new(), &mut cache), refused) {
        (Ok(p), None) => p,
        (Ok(Prepared { diags: mut d, .. }) | Err(mut d), Some((out, e))) => {
            d.file_error(&out, e);
            return Err(d);
        }
        (Err(d), None) => return Err(d),
    };
    drop(cache);
    // `None`: the body the edition holds
    let take_body = |i: usize| -> Option<String> {
        ed.entries
            .get(i)
            .filter(|e| e.doc.html.is_empty())
            .map(|e| edition::reparse_html(&config, &e.page))
    };
    let settings = render::RenderSettings {
        config: &config,
        mode: mode(opts),
        version,
    };
    let t = Instant::now();
    let renderer = render::Renderer::new(&ed, &templates, &settings);
    timing("renderer", t);
    let out = output_dir(opts, &config);
    let base_path = base_path(&config.base_url);
    // a path is written by the first file that claims it, as render_site's
    // stable sort and dedup keep the first
    let n = renderer.len();
    let claims = page_claims(&renderer);
    let t = Instant::now();
    let staging = match output::Staging::new(&out) {
        Ok(s) => s,
        Err(e) => {
            diags.file_error(&out, format!("cannot write the site: {e}"));
            return Err(diags);
        }
    };
    timing("staging", t);
    let failed = AtomicBool::new(false);
    let written = AtomicUsize::new(0);
    // over an existing output, the manifest of the last build tells which
    // units are already written as this build would write them
    let manifest_path = manifest::path_for(&out);
    let manifest_key = manifest::build_key();
    let old_manifest = if staging.has_previous() {
        manifest::Manifest::load(&manifest_path, &manifest_key)
    } else {
        None
    };
    let salt = edition::hash_of(&(opts.offline, opts.live_reload, &base_path));
    #[derive(Default)]
    struct Done {
        render: Diagnostics,
        rewrite: Diagnostics,
        urls: Vec<String>,
        io: Option<std::io::Error>,
        /// The unit's name, fingerprint and files, for the next manifest;
        /// `kept`: not rendered, its files are the previous output's.
        unit: Option<(String, u64, Vec<String>)>,
        kept: Option<manifest::Unit>,
    }
    let one = |i: usize, files: Vec<render::OutputFile>, render: Diagnostics| {
        let mut done = Done {
            render,
            ..Default::default()
        };
        if done.render.has_errors() {
            failed.store(true, Ordering::Relaxed);
            return done;
        }
        for f in files {
            match finish(
                f,
                (opts, &config, &base_path, renderer.person_pages.as_ref()),
            ) {
                Ok((f, url)) => {
                    done.urls.extend(url);
                    if claims.get(&f.path) != Some(&i) || failed.load(Ordering::Relaxed) {
                        continue;
                    }
                    match staging.put(&f.path, &f.bytes) {
                        Ok(()) => {
                            written.fetch_add(1, Ordering::Relaxed);
                            done.unit
                                .get_or_insert_with(Default::default)
                                .2
                                .push(f.path);
                        }
                        Err(e) => {
                            failed.store(true, Ordering::Relaxed);
                            done.io = Some(e);
                        }
                    }
                }
                Err(d) => {
                    failed.store(true, Ordering::Relaxed);
                    done.rewrite.push(d);
                }
            }
        }
        done
    };
    // one unit: kept as the last build wrote it, or rendered
    let unit = |i: usize, u: usize| -> Done {
        let name = format!("{}#{u}", ed.entries[i].page.src.path.display());
        let fingerprint = edition::hash_of(&(renderer.fingerprint_unit(i, u), salt));
        if let Some(kept) = old_manifest
            .as_ref()
            .and_then(|m| m.intact(&name, fingerprint, &out))
        {
            let mut done = Done {
                urls: kept.urls.clone(),
                ..Default::default()
            };
            for f in &kept.files {
                if let Err(e) = staging.keep(&f.path) {
                    failed.store(true, Ordering::Relaxed);
                    done.io = Some(e);
                }
            }
            done.kept = Some(kept.clone());
            done.unit = Some((name, fingerprint, Vec::new()));
            return done;
        }
        // only the page itself (unit 0) shows the body
        let content = if u == 0 { take_body(i) } else { None };
        let (files, d) = renderer.render_unit(i, u, content);
        let mut done = one(i, files, d);
        let paths = done.unit.take().map(|u| u.2).unwrap_or_default();
        done.unit = Some((name, fingerprint, paths));
        done
    };
    let t = Instant::now();
    // the person index, by far the largest page, last: most bodies are freed by then
    let (index_pages, pages): (Vec<usize>, Vec<usize>) =
        (0..n).partition(|&i| renderer.is_persons_entry(i));
    let mut results: Vec<Done> = pages.into_par_iter().map(|i| unit(i, 0)).collect();
    for i in index_pages {
        for u in 0..renderer.units(i) {
            results.push(unit(i, u));
        }
    }
    let (f404, d404) = renderer.render_404();
    let mut not_found = one(n, f404.into_iter().collect(), d404);
    not_found.unit = None;
    results.push(not_found);
    timing("render + rewrite + stage", t);
    let mut urls = Vec::new();
    let mut rewrite_diags = Diagnostics::default();
    let mut io_error = None;
    let mut units = Vec::new();
    let mut rendered = 0;
    for r in results {
        diags.extend(r.render);
        rewrite_diags.extend(r.rewrite);
        if let Some((name, fingerprint, paths)) = r.unit {
            rendered += usize::from(r.kept.is_none());
            units.push((name, fingerprint, paths, r.urls.clone(), r.kept));
        }
        urls.extend(r.urls);
        if io_error.is_none() {
            io_error = r.io;
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    diags.extend(rewrite_diags);
    if diags.has_errors() {
        return Err(diags);
    }
    if let Some(e) = io_error {
        diags.file_error(&out, format!("cannot write the site: {e}"));
        return Err(diags);
    }
    let source = |p: &str| claims.get(p).map(|&i| describe_source(&ed, i));
    let Some(tail) = tail_files(
        opts,
        &config,
        urls,
        tei::files(&config, &ed, &settings.version, &mut tei::Cache::none()),
        &source,
        &mut diags,
    ) else {
        return Err(diags);
    };
    let mut taken: HashSet<&str> = claims.keys().map(String::as_str).collect();
    for f in &tail {
        if !taken.insert(f.path.as_str()) {
            continue;
        }
        if let Err(e) = staging.put(&f.path, &f.bytes) {
            diags.file_error(&out, format!("cannot write the site: {e}"));
            return Err(diags);
        }
        written.fetch_add(1, Ordering::Relaxed);
    }
    let t = Instant::now();
    let relinked = match staging.commit() {
        Ok(r) => r,
        Err(e) => {
            diags.file_error(&out, format!("cannot write the site: {e}"));
            return Err(diags);
        }
    };
    timing("commit", t);
    // the manifest of what is now in the output; if it cannot be written,
    // none: the next build renders everything
    let t = Instant::now();
    let mut next = manifest::Manifest::new(manifest_key);
    for (name, fingerprint, paths, urls, kept) in units {
        let unit = match kept {
            // a kept unit keeps its stamps, unless a file of it was linked
            // into the new tree (which changed its change time)
            Some(k) if !k.files.iter().any(|f| relinked.contains(&f.path)) => Some(k),
            Some(k) => restamp(
                &out,
                fingerprint,
                k.files.into_iter().map(|f| f.path),
                k.urls,
            ),
            None => restamp(&out, fingerprint, paths.into_iter(), urls),
        };
        if let Some(unit) = unit {
            next.units.insert(name, unit);
        }
    }
    if next.save(&manifest_path).is_err() {
        let _ = std::fs::remove_file(&manifest_path);
    }
    timing("manifest", t);
    let summary = Summary {
        pages: ed.entries.len(),
        notes: ed.notes,
        persons: ed.persons,
        files: written.into_inner(),
        parsed: ed.entries.len(),
        rendered,
        changed: None,
        millis: start.elapsed().as_millis(),
        output: out,
    };
    Ok((summary, diags))
}

/// A unit's files stamped as they are now in `out` (none if one is missing).
fn restamp(
    out: &Path,
    fingerprint: u64,
    paths: impl Iterator<Item = String>,
    urls: Vec<String>,
) -> Option<manifest::Unit> {
    paths
        .map(|p| manifest::stamp(out, &p))
        .collect::<Option<Vec<_>>>()
        .map(|files| manifest::Unit {
            fingerprint,
            urls,
            files,
        })
}

/// The commit and its date, read from git; empty outside a repository.
pub fn git_version(root: &Path) -> render::Version {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["log", "-1", "--format=%H%n%cs"])
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let s = String::from_utf8_lossy(&o.stdout);
            let mut lines = s.lines();
            let commit = lines.next().unwrap_or("").to_string();
            let date = lines.next().unwrap_or("").to_string();
            render::Version {
                short: commit.get(..10).unwrap_or(&commit).to_string(),
                commit,
                date,
            }
        }
        _ => render::Version::default(),
    }
}
