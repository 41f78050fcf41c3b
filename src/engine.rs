//! The one engine behind `build` and `serve`: load → parse → resolve
//! ([`prepare`]), then render → rewrite → write ([`render`]) into a
//! [`Sink`] — the atomic writer for `build`, a map in memory for `serve`.
//! Both reuse what did not change: the parse cache ([`edition::ParseCache`])
//! for pages, the sink for rendered units (by fingerprint).

use crate::diagnostics::{self, Diagnostics};
use crate::output::{self, SiteFile};
use crate::sink::Sink;
use crate::{base_path, git_version, timing, BuildOptions};
use crate::{config, content, edition, highlight, markup, render, rewrite, search, theme};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

mod index;
pub(crate) use index::search_index;
use index::SearchInput;

/// What a run keeps for the next: parsed pages, the index's rendered lines.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) parse: edition::ParseCache,
    /// The last templates, with the hash of their sources.
    pub(crate) templates: Option<(u64, Arc<render::Templates>)>,
    pub(crate) fragments: render::Fragments,
    /// The last map of which entry writes each path, by
    /// [`render::Renderer::paths_key`].
    claims: Option<(u64, Arc<Claims>)>,
    /// What the link check found, page by page.
    links: crate::linkcheck::LinkCache,
}

/// What [`render`] reports.
pub(crate) struct Ran {
    pub(crate) pages: usize,
    pub(crate) notes: usize,
    pub(crate) persons: usize,
    /// Units rendered now (not kept from the previous run).
    pub(crate) rendered: usize,
    pub(crate) diags: Diagnostics,
    /// What the search index is made from ([`search_index`]).
    pub(crate) search: SearchInput,
}

/// A unit's outcome.
#[derive(Default)]
struct Done {
    /// The unit's fingerprint (kept or rendered).
    fingerprint: u64,
    urls: Vec<String>,
    diags: Diagnostics,
    io: Option<std::io::Error>,
    fresh: bool,
    /// The HTML files rendered now, and whether each asks to be indexed
    /// for search (`None`: written as it was made, not known).
    marks: Vec<(String, Option<bool>)>,
}

/// Render → rewrite → write: every unit whose fingerprint the sink does not
/// hold is rendered and rewritten, in parallel, and handed to the sink as
/// soon as it is ready; then the files that belong to no unit. Nothing is
/// visible before the caller commits the sink.
pub(crate) fn render(
    opts: &BuildOptions,
    prepared: Prepared,
    state: &mut State,
    sink: &dyn Sink,
) -> Result<Ran, Diagnostics> {
    use rayon::prelude::*;
    let Prepared {
        config,
        ed,
        templates,
        version,
        mut diags,
    } = prepared;
    let settings = render::RenderSettings {
        config: &config,
        mode: mode(opts),
        version,
    };
    let t = Instant::now();
    let old = std::mem::take(&mut state.fragments);
    let renderer = render::Renderer::new_with(&ed, &templates, &settings, old);
    timing("renderer", t);
    let base_path = base_path(&config.base_url);
    let mut run = Run {
        opts,
        config: &config,
        ed: &ed,
        // a path is written by the first unit that claims it
        claims: page_claims(&renderer, &ed, &mut state.claims),
        persons: crate::tei::persons_by_id(&ed),
        version: &settings.version,
        salt: edition::hash_of(&(opts.offline, opts.live_reload, &base_path)),
        base_path: &base_path,
        renderer,
        sink,
        walked: state.parse.walked.clone(),
        failed: AtomicBool::new(false),
    };
    let units = all_units(&run.renderer);
    let t = Instant::now();
    let mut results: Vec<Done> = units.par_iter().map(|&(i, u)| run.unit(i, u)).collect();
    state.fragments = run.renderer.take_fragments();
    timing("render + rewrite + write", t);
    let entries = index::Entries::collect(&units, &mut results);
    let mut urls = Vec::new();
    let mut rendered = 0;
    let mut io_error = None;
    for r in results {
        diags.extend(r.diags);
        urls.extend(r.urls);
        rendered += usize::from(r.fresh);
        io_error = io_error.or(r.io);
    }
    if diags.has_errors() {
        return Err(diags);
    }
    if let Some(e) = io_error {
        let out = crate::output_dir(opts, &config);
        diags.file_error(&out, format!("cannot write the site: {e}"));
        return Err(diags);
    }
    let t = Instant::now();
    let taken = run.others(urls, &mut diags)?;
    timing("others", t);
    // an error found by any stage fails the run, whichever stage forgot to stop
    if diags.has_errors() {
        return Err(diags);
    }
    let search = entries.input(opts, &config, &run.claims, &taken);
    Ok(Ran {
        pages: ed.entries.len(),
        notes: ed.notes,
        persons: ed.persons,
        rendered,
        diags,
        search,
    })
}

/// Every unit of a run: (entry, unit); entry `len` is the 404 page.
fn all_units(renderer: &render::Renderer) -> Vec<(usize, usize)> {
    let n = renderer.len();
    (0..n)
        .flat_map(|i| (0..renderer.units(i)).map(move |u| (i, u)))
        .chain([(n, 0)])
        .collect()
}

/// Which entry writes each path (foldhash: a rebuild looks up every path).
type Claims = foldhash::HashMap<String, usize>;

/// What every unit of a run shares.
struct Run<'a> {
    opts: &'a BuildOptions,
    config: &'a config::Config,
    ed: &'a edition::Edition,
    renderer: render::Renderer<'a>,
    /// Which entry writes each path (see [`page_claims`]).
    claims: Arc<Claims>,
    /// Options that change every file (hashed into every fingerprint).
    salt: u64,
    base_path: &'a str,
    /// The register by id, for the TEI documents.
    persons: HashMap<&'a str, &'a crate::content::Person>,
    version: &'a render::Version,
    sink: &'a dyn Sink,
    /// What the walk of `content/` found (the files beside the pages).
    walked: Option<Arc<content::Walked>>,
    /// A unit failed: nothing more is handed to the sink.
    failed: AtomicBool,
}

impl Run<'_> {
    /// Unit `u` of entry `i` (entry `len` is the 404 page): kept by the sink
    /// if its fingerprint is unchanged, else rendered, rewritten and handed
    /// to the sink.
    fn unit(&self, i: usize, u: usize) -> Done {
        let (name, fingerprint) = match self.ed.entries.get(i) {
            Some(e) => (
                format!("{}#{u}", e.page.src.path.display()),
                self.renderer.fingerprint_unit(i, u),
            ),
            None => ("404.html".to_string(), self.renderer.fingerprint_404()),
        };
        let fingerprint = edition::hash_of(&(fingerprint, self.salt));
        let done = match self.sink.keep(&name, fingerprint) {
            Some(Ok(kept)) => Done {
                urls: kept.urls,
                diags: kept.diags,
                ..Done::default()
            },
            Some(Err(e)) => self.fail(Done {
                io: Some(e),
                ..Done::default()
            }),
            None => self.render_unit(i, u, &name, fingerprint),
        };
        Done {
            fingerprint,
            ..done
        }
    }

    /// The files that belong to no unit, after every unit: static files,
    /// the theme, sitemap… (a path a page claims is not written again).
    /// Returns the paths written.
    fn others(
        &self,
        urls: Vec<String>,
        diags: &mut Diagnostics,
    ) -> Result<HashSet<String>, Diagnostics> {
        let source = |p: &str| self.claims.get(p).map(|&i| describe_source(self.ed, i));
        let mut generated = crate::tei::register_files(self.config, self.ed, self.version);
        generated.extend(crate::register_data::files(self.config, self.ed));
        let bundled = self.walked.as_ref().map_or(&[][..], |w| &w.bundled[..]);
        let files = (generated, bundled);
        let Some(mut tail) = tail_files(self.opts, self.config, urls, files, &source, diags) else {
            return Err(std::mem::take(diags));
        };
        // the collation page, if texts name their witness
        let pages = self.ed.entries.iter().map(|e| &e.page);
        if let Some((title, body)) =
            crate::collate::site_page(&self.opts.root, self.config, pages, diags)
        {
            let (file, d) =
                (self.renderer).render_generated("collation.html", "/collation/", &title, body);
            diags.extend(d);
            let at = self.finish_with();
            if let Some(f) = file {
                match finish(f, at) {
                    Ok((f, _)) => tail.push(f),
                    Err(e) => diags.push(e),
                }
            }
            if diags.has_errors() {
                return Err(std::mem::take(diags));
            }
        }
        let mut seen = HashSet::new();
        tail.retain(|f| !self.claims.contains_key(f.path.as_str()) && seen.insert(f.path.clone()));
        let written = tail.iter().map(|f| f.path.clone()).collect();
        if let Err(e) = self.sink.put_others(tail) {
            let out = crate::output_dir(self.opts, self.config);
            diags.file_error(&out, format!("cannot write the site: {e}"));
            return Err(std::mem::take(diags));
        }
        Ok(written)
    }

    fn fail(&self, done: Done) -> Done {
        self.failed.store(true, Ordering::Relaxed);
        done
    }

    fn render_unit(&self, i: usize, u: usize, name: &str, fingerprint: u64) -> Done {
        let (files, mut diags) = match self.ed.entries.get(i) {
            // (a body the edition holds compressed, past the build's
            // budget, is unpacked by the renderer, or as it is written)
            Some(_) => self.renderer.render_unit(i, u, None),
            None => {
                let (f, d) = self.renderer.render_404();
                (f.into_iter().collect(), d)
            }
        };
        // (the 404 page is not counted: the summary counts pages)
        let fresh = i < self.renderer.len();
        if diags.has_errors() {
            return self.fail(Done {
                diags,
                fresh,
                ..Done::default()
            });
        }
        let at = self.finish_with();
        let mut urls = Vec::new();
        let mut mine = Vec::with_capacity(files.len());
        let mut io = None;
        for f in files {
            // a large page goes to the sink as it is made (see crate::stream)
            if self.claims.get(&f.path) == Some(&i)
                && f.page_url.is_some()
                && crate::stream::is_large(&f)
                && io.is_none()
            {
                match self.stream_file(f, at) {
                    Ok((f, url)) => {
                        urls.extend(url);
                        mine.push(f);
                    }
                    Err(Ok(d)) => diags.push(d),
                    Err(Err(e)) => io = Some(e),
                }
                continue;
            }
            match finish(f, at) {
                Ok((f, url)) => {
                    urls.extend(url);
                    if self.claims.get(&f.path) == Some(&i) {
                        mine.push(f);
                    }
                }
                Err(e) => diags.push(e),
            }
        }
        let tei = self.text_tei(i, u, &mut io);
        if let Some(f) = tei {
            urls.push(format!("/{}", content::encode_url_path(&f.path)));
            mine.push(f);
        }
        let mut done = Done {
            urls,
            fresh,
            marks: index::marks(self.config, &mine),
            ..Done::default()
        };
        if let Some(e) = io {
            done.io = Some(e);
            done = self.fail(done);
        } else if diags.has_errors() {
            done = self.fail(done);
        } else if !self.failed.load(Ordering::Relaxed) {
            // (after a failure nothing will be committed)
            if let Err(e) = self
                .sink
                .put(name, fingerprint, mine, done.urls.clone(), &diags)
            {
                done.io = Some(e);
                done = self.fail(done);
            }
        }
        done.diags = diags;
        done
    }
}

impl Run<'_> {
    /// What [`finish`] needs of the run.
    fn finish_with(&self) -> FinishWith<'_> {
        (
            self.opts,
            self.config,
            self.base_path,
            self.renderer.person_pages.as_ref(),
        )
    }

    /// The text's TEI document, with its page (unit 0); a large one goes to
    /// the sink as it is made (a write that fails is put in `io`).
    fn text_tei(&self, i: usize, u: usize, io: &mut Option<std::io::Error>) -> Option<SiteFile> {
        let text = self.ed.entries.get(i).filter(|e| {
            u == 0
                && e.page.front.kind == content::Kind::Text
                && self.claims.get(&crate::tei::text_path(&e.page.url)) == Some(&i)
        });
        text.and_then(|e| {
            if e.page.src.len() < crate::stream::STREAM_MIN {
                return crate::tei::text_file(
                    self.config,
                    e,
                    self.version,
                    &self.persons,
                    &self.renderer.entry_langs,
                );
            }
            if io.is_some() {
                return None;
            }
            let path = crate::tei::text_path(&e.page.url);
            let (config, version, persons) = (self.config, self.version, &self.persons);
            let langs = &self.renderer.entry_langs;
            let mut write = |out: &mut dyn std::io::Write| {
                crate::tei::write_text_tei(config, e, version, persons, langs, out)
            };
            match self.sink.put_stream(&path, &mut write) {
                Ok(f) => Some(f),
                Err(e) => {
                    *io = Some(e);
                    None
                }
            }
        })
    }

    /// Page `f` rewritten and handed to the sink as it is made (see
    /// [`crate::stream`]); the page URL for the sitemap.
    fn stream_file(
        &self,
        f: render::OutputFile,
        at: FinishWith,
    ) -> Result<(SiteFile, Option<String>), Result<diagnostics::Diagnostic, std::io::Error>> {
        let url = f.page_url.clone().unwrap_or_default();
        let ropts = rewrite_options(&f, &url, at);
        let mut failed = None;
        let written =
            self.sink
                .put_stream(&f.path, &mut |out| match crate::stream::write_page(
                    &f, &url, &ropts, out,
                ) {
                    Ok(()) => Ok(()),
                    Err(rewrite::StreamError::Io(e)) => Err(e),
                    Err(rewrite::StreamError::Rewrite(m)) => {
                        failed = Some(m);
                        Err(std::io::Error::other("HTML rewrite failed"))
                    }
                });
        if let Some(m) = failed {
            return Err(Ok(rewrite_failed(&f.path, m)));
        }
        let file = written.map_err(Err)?;
        Ok((file, sitemap_url(f.page_url)))
    }
}

/// What the rewrite stage needs besides the file.
type FinishWith<'a> = (
    &'a BuildOptions,
    &'a config::Config,
    &'a str,
    Option<&'a Arc<rewrite::PersonPages>>,
);

/// [`check`] reusing the pages `cache` holds (see [`edition::ParseCache`]).
pub(crate) fn check_with(
    opts: &BuildOptions,
    changed: &HashSet<PathBuf>,
    (cache, links): (&mut edition::ParseCache, &mut crate::linkcheck::LinkCache),
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
    let mut ed = ed;
    ed.registers = crate::registers::resolve(&opts.root, &config, &ed.entries, &mut diags);
    crate::translation::check(&ed, &mut diags);
    timing("resolve", t);
    let t = Instant::now();
    crate::linkcheck::check_with(&opts.root, &config, &ed, &walked.bundled, &mut diags, links);
    timing("links", t);
    (Some((config, ed)), diags)
}

/// Loaded, parsed, resolved and templates read: what rendering needs.
pub(crate) struct Prepared {
    pub(crate) config: config::Config,
    pub(crate) ed: edition::Edition,
    pub(crate) templates: Arc<render::Templates>,
    pub(crate) version: render::Version,
    pub(crate) diags: Diagnostics,
}

pub(crate) fn prepare(
    opts: &BuildOptions,
    changed: &HashSet<PathBuf>,
    state: &mut State,
) -> Result<Prepared, Diagnostics> {
    // the templates are read and compiled, and the version asked of git,
    // while the content is loaded, parsed and resolved
    let cached = state.templates.clone();
    let ((checked, mut diags), (templates, template_diags, version)) = rayon::join(
        || check_with(opts, changed, (&mut state.parse, &mut state.links)),
        || templates_and_version(opts, cached),
    );
    diags.extend(template_diags);
    if let Some(t) = &templates {
        state.templates = Some(t.clone());
    }
    let (Some((config, ed)), Some((_, templates))) = (checked, templates) else {
        return Err(diags);
    };
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(Prepared {
        config,
        ed,
        templates,
        version,
        diags,
    })
}

/// Compiled templates, with the hash of their sources.
type Compiled = Option<(u64, Arc<render::Templates>)>;

/// The edition's templates compiled (the last ones, `cached`, if their
/// sources did not change), with their hash; what was wrong with them; and
/// the edition's version.
fn templates_and_version(
    opts: &BuildOptions,
    cached: Compiled,
) -> (Compiled, Diagnostics, render::Version) {
    let t = Instant::now();
    let mut diags = Diagnostics::default();
    let sources = render::read_templates(&opts.root, &mut diags);
    let key = edition::hash_of(&sources);
    let templates = match cached {
        Some((k, t)) if k == key => Some(t),
        _ => render::compile_templates(sources, &mut diags).map(Arc::new),
    };
    timing("templates", t);
    let t = Instant::now();
    let version = git_version(&opts.root);
    timing("git version", t);
    (templates.map(|t| (key, t)), diags, version)
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
    at: FinishWith,
) -> Result<(SiteFile, Option<String>), diagnostics::Diagnostic> {
    let bytes = match &f.page_url {
        Some(url) => {
            let ropts = rewrite_options(&f, url, at);
            crate::stream::page_bytes(&f, url, &ropts).map_err(|e| rewrite_failed(&f.path, e))?
        }
        None => f.html.into_bytes(),
    };
    Ok((
        SiteFile {
            path: f.path,
            bytes,
        },
        sitemap_url(f.page_url),
    ))
}

/// How the rewrite stage treats page `f` at `url`.
fn rewrite_options(
    f: &render::OutputFile,
    url: &str,
    (opts, config, base_path, persons): FinishWith,
) -> rewrite::RewriteOptions {
    rewrite::RewriteOptions {
        offline: opts.offline,
        live_reload: opts.live_reload,
        ui: f.ui.clone().unwrap_or_else(|| config.ui().clone()),
        absolute_prefix: if url == "/404.html" && !opts.offline {
            Some(base_path.to_string())
        } else {
            None
        },
        insert: None,
        persons: persons.cloned(),
        titles: f.titles.clone(),
        langs: f.langs.clone(),
    }
}

fn rewrite_failed(path: &str, e: String) -> diagnostics::Diagnostic {
    diagnostics::Diagnostic {
        severity: diagnostics::Severity::Error,
        path: PathBuf::from(path),
        line: 0,
        col: 0,
        message: format!("HTML rewrite failed: {e}"),
        snippet: None,
    }
}

/// A page's URL for the sitemap (none for 404.html and the search page).
fn sitemap_url(page_url: Option<String>) -> Option<String> {
    page_url.filter(|u| u != "/404.html" && u != search::PAGE_URL)
}

/// Which entry writes each page path (entry `len()` for `404.html`); the
/// first entry that claims a path writes it, as [`Session::render`]'s stable
/// sort and dedup keep the first.
fn page_claims(
    renderer: &render::Renderer,
    ed: &edition::Edition,
    last: &mut Option<(u64, Arc<Claims>)>,
) -> Arc<Claims> {
    let t = Instant::now();
    let key = renderer.paths_key();
    if let Some((_, claims)) = last.as_ref().filter(|(k, _)| *k == key) {
        timing("claims (kept)", t);
        return Arc::clone(claims);
    }
    let n = renderer.len();
    // (about three paths per entry: the page, its source view, its TEI)
    let mut claims = Claims::with_capacity_and_hasher(3 * n + 1, Default::default());
    for i in 0..n {
        for p in renderer.paths(i) {
            claims.entry(p).or_insert(i);
        }
        // a text's TEI document goes with its page
        if let Some(e) = ed
            .entries
            .get(i)
            .filter(|e| e.page.front.kind == content::Kind::Text)
        {
            claims
                .entry(crate::tei::text_path(&e.page.url))
                .or_insert(i);
        }
    }
    for p in renderer.paths_404() {
        claims.entry(p.into()).or_insert(n);
    }
    let claims = Arc::new(claims);
    *last = Some((key, Arc::clone(&claims)));
    timing("claims", t);
    claims
}

/// The source of entry `i` (see [`page_claims`]), for messages.
fn describe_source(ed: &edition::Edition, i: usize) -> String {
    match ed.entries.get(i) {
        Some(e) => e.page.src.path.display().to_string(),
        None => "the template 404.html".into(),
    }
}

/// The edition's static files (links that leave the edition root are
/// refused); one at the path of a page or of a generated file is an error.
fn static_files(
    opts: &BuildOptions,
    generated: &[SiteFile],
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
    (diags.error_count() == errors).then_some(own)
}

/// The sitemap of the page URLs (root-relative), sorted.
fn sitemap(config: &config::Config, mut urls: Vec<String>) -> SiteFile {
    urls.sort();
    let mut sitemap = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let base = markup::escape_html(&config.base_url);
    sitemap.reserve(urls.iter().map(|u| u.len() + base.len() + 30).sum());
    for u in &urls {
        sitemap.push_str("  <url><loc>");
        sitemap.push_str(&base);
        sitemap.push_str(&markup::escape_html(u.trim_start_matches('/')));
        sitemap.push_str("</loc></url>\n");
    }
    sitemap.push_str("</urlset>\n");
    SiteFile {
        path: "sitemap.xml".into(),
        bytes: sitemap.into_bytes(),
    }
}

/// What follows the pages: static files, generated files, sitemap, robots.txt.
/// `urls`: every page URL but 404.html. `page_source(path)`: the source of the
/// page written at `path`, if a page is (a static file there is an error).
/// `generated`: files made from the edition (the register's exports),
/// listed in the sitemap when they are XML documents.
fn tail_files(
    opts: &BuildOptions,
    config: &config::Config,
    mut urls: Vec<String>,
    (generated, bundled): (Vec<SiteFile>, &[PathBuf]),
    page_source: &dyn Fn(&str) -> Option<String>,
    diags: &mut Diagnostics,
) -> Option<Vec<SiteFile>> {
    let own = static_files(opts, &generated, page_source, diags)?;
    // files beside the pages in content/ (page bundles)
    let errors = diags.error_count();
    let mut bundled = crate::bundle::files(&opts.root, bundled, &own, page_source, diags);
    // the declared registers' files are data, not files of a page
    let registers = crate::registers::files(config);
    bundled.retain(|f| {
        !registers
            .iter()
            .any(|r| r.strip_prefix("content").ok() == Some(Path::new(&f.path)))
    });
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
    files.extend(bundled);
    files.push(SiteFile {
        path: "assets/highlight.css".into(),
        bytes: highlight::stylesheet().as_bytes().to_vec(),
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
    files.push(sitemap(config, urls));
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
