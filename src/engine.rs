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
use std::sync::Arc;
use std::time::Instant;

/// What a run keeps for the next: parsed pages, the index's rendered lines.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) parse: edition::ParseCache,
    pub(crate) fragments: render::Fragments,
}

/// What [`render`] reports.
pub(crate) struct Ran {
    pub(crate) pages: usize,
    pub(crate) notes: usize,
    pub(crate) persons: usize,
    /// Units rendered now (not kept from the previous run).
    pub(crate) rendered: usize,
    pub(crate) diags: Diagnostics,
}

/// A unit's outcome.
#[derive(Default)]
struct Done {
    urls: Vec<String>,
    diags: Diagnostics,
    io: Option<std::io::Error>,
    fresh: bool,
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
    use std::sync::atomic::{AtomicBool, Ordering};
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
    let mut renderer = render::Renderer::new(&ed, &templates, &settings)
        .with_fragments(std::mem::take(&mut state.fragments));
    timing("renderer", t);
    let base_path = base_path(&config.base_url);
    let salt = edition::hash_of(&(opts.offline, opts.live_reload, &base_path));
    // a path is written by the first unit that claims it
    let claims = page_claims(&renderer);
    let n = renderer.len();
    // every unit: (entry, unit); entry `n` is the 404 page
    let units: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| (0..renderer.units(i)).map(move |u| (i, u)))
        .chain([(n, 0)])
        .collect();
    let failed = AtomicBool::new(false);
    let at: FinishWith = (opts, &config, &base_path, renderer.person_pages.as_ref());
    let one = |&(i, u): &(usize, usize)| -> Done {
        let (name, fingerprint) = match ed.entries.get(i) {
            Some(e) => (
                format!("{}#{u}", e.page.src.path.display()),
                renderer.fingerprint_unit(i, u),
            ),
            None => ("404.html".to_string(), renderer.fingerprint_404()),
        };
        let fingerprint = edition::hash_of(&(fingerprint, salt));
        match sink.keep(&name, fingerprint) {
            Some(Ok(kept)) => {
                return Done {
                    urls: kept.urls,
                    diags: kept.diags,
                    ..Done::default()
                }
            }
            Some(Err(e)) => {
                failed.store(true, Ordering::Relaxed);
                return Done {
                    io: Some(e),
                    ..Done::default()
                };
            }
            None => {}
        }
        let (files, mut d) = match ed.entries.get(i) {
            Some(e) => {
                // a body the edition does not hold (past the build's
                // budget) is parsed again; only the page itself (unit 0) shows it
                let body = (u == 0 && e.doc.html.is_empty())
                    .then(|| edition::reparse_html(&config, &e.page));
                renderer.render_unit(i, u, body)
            }
            None => {
                let (f, d) = renderer.render_404();
                (f.into_iter().collect(), d)
            }
        };
        let mut done = Done {
            // (the 404 page is not counted: the summary counts pages)
            fresh: i < n,
            ..Done::default()
        };
        if d.has_errors() {
            failed.store(true, Ordering::Relaxed);
            done.diags = d;
            return done;
        }
        let mut out = Vec::with_capacity(files.len());
        for f in files {
            match finish(f, at) {
                Ok((f, url)) => {
                    done.urls.extend(url);
                    if claims.get(&f.path) == Some(&i) {
                        out.push(f);
                    }
                }
                Err(e) => d.push(e),
            }
        }
        if d.has_errors() {
            failed.store(true, Ordering::Relaxed);
        } else if failed.load(Ordering::Relaxed) {
            // another unit failed: nothing will be committed
        } else if let Err(e) = sink.put(&name, fingerprint, out, done.urls.clone(), &d) {
            failed.store(true, Ordering::Relaxed);
            done.io = Some(e);
        }
        done.diags = d;
        done
    };
    let t = Instant::now();
    let results: Vec<Done> = units.par_iter().map(one).collect();
    state.fragments = renderer.take_fragments();
    timing("render + rewrite + write", t);
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
    let out = crate::output_dir(opts, &config);
    if let Some(e) = io_error {
        diags.file_error(&out, format!("cannot write the site: {e}"));
        return Err(diags);
    }
    // the search index of the pages as written (if the sink reads them back)
    let t = Instant::now();
    let pages = claims.keys().map(String::as_str);
    let read = |p: &str| sink.read_back(p).filter(|_| config.search);
    let search = match search::index_paths(&config.language, pages, read) {
        Ok(files) => files,
        Err(e) => {
            diags.file_error(&out, e);
            return Err(diags);
        }
    };
    timing("search index", t);
    let source = |p: &str| claims.get(p).map(|&i| describe_source(&ed, i));
    let Some(mut tail) = tail_files(opts, &config, urls, &source, &mut diags) else {
        return Err(diags);
    };
    tail.extend(search);
    // a path a page claims, or an earlier file, is not written again
    let mut taken: HashSet<String> = claims.into_keys().collect();
    tail.retain(|f| taken.insert(f.path.clone()));
    if let Err(e) = sink.put_others(tail) {
        diags.file_error(&out, format!("cannot write the site: {e}"));
        return Err(diags);
    }
    Ok(Ran {
        pages: ed.entries.len(),
        notes: ed.notes,
        persons: ed.persons,
        rendered,
        diags,
    })
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
    let url = f
        .page_url
        .filter(|u| u != "/404.html" && u != search::PAGE_URL);
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
    for p in renderer.paths_404() {
        claims.entry(p.into()).or_insert(n);
    }
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
fn tail_files(
    opts: &BuildOptions,
    config: &config::Config,
    mut urls: Vec<String>,
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
            None => matches!(
                f.path.as_str(),
                "sitemap.xml" | "robots.txt" | "__apparat/reload.js"
            )
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
