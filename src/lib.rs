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
pub mod markup;
pub mod output;
pub mod render;
pub mod rewrite;

use diagnostics::Diagnostics;
use output::SiteFile;
use std::path::{Path, PathBuf};
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
}

/// Figures of a build.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub pages: usize,
    pub notes: usize,
    pub persons: usize,
    pub files: usize,
    pub millis: u128,
    pub output: PathBuf,
}

impl Summary {
    pub fn line(&self) -> String {
        format!(
            "built {} pages, {} notes, {} persons in {} ms → {}/",
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

/// load → parse → resolve: every check, nothing written.
pub fn check(opts: &BuildOptions) -> (Option<(config::Config, edition::Edition)>, Diagnostics) {
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
    let content = content::load(&opts.root, opts.drafts, &mut diags);
    let entries = edition::parse_all(&config, &content, &mut diags);
    let ed = edition::resolve(&config, &content, entries, &mut diags);
    (Some((config, ed)), diags)
}

/// Loaded, parsed, resolved and templates read: what rendering needs.
struct Prepared {
    config: config::Config,
    ed: edition::Edition,
    templates: render::Templates,
    version: render::Version,
    diags: Diagnostics,
}

fn prepare(opts: &BuildOptions) -> Result<Prepared, Diagnostics> {
    let (checked, mut diags) = check(opts);
    let templates = render::load_templates(&opts.root, &mut diags);
    let (Some((config, ed)), Some(templates)) = (checked, templates) else {
        return Err(diags);
    };
    if diags.has_errors() {
        return Err(diags);
    }
    let version = git_version(&opts.root);
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
    opts: &BuildOptions,
    config: &config::Config,
    base_path: &str,
) -> Result<(SiteFile, Option<String>), diagnostics::Diagnostic> {
    let bytes = match &f.page_url {
        Some(url) => {
            let html = String::from_utf8_lossy(&f.bytes);
            let ropts = rewrite::RewriteOptions {
                offline: opts.offline,
                live_reload: opts.live_reload,
                ui: config.ui_lang().to_string(),
                absolute_prefix: if url == "/404.html" && !opts.offline {
                    Some(base_path.to_string())
                } else {
                    None
                },
            };
            match rewrite::rewrite(&html, url, &ropts) {
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
        None => f.bytes,
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

/// What follows the pages: static files, generated files, sitemap, robots.txt.
/// `urls`: every page URL but 404.html.
fn tail_files(
    opts: &BuildOptions,
    config: &config::Config,
    mut urls: Vec<String>,
    diags: &mut Diagnostics,
) -> Option<Vec<SiteFile>> {
    let mut files = Vec::new();
    // static files, copied verbatim to the root of the output
    match output::read_tree(&opts.root.join("static")) {
        Ok(v) => files.extend(v),
        Err(e) => {
            diags.file_error(
                Path::new("static"),
                format!("cannot read static files: {e}"),
            );
            return None;
        }
    }
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

/// The whole site in memory: every page rendered and rewritten, static files,
/// generated files. Nothing written. [`build`] writes the same files.
pub fn render_site(
    opts: &BuildOptions,
) -> Result<(Vec<SiteFile>, Summary, Diagnostics), Diagnostics> {
    use rayon::prelude::*;
    let start = Instant::now();
    let Prepared {
        config,
        ed,
        templates,
        version,
        mut diags,
    } = prepare(opts)?;
    let settings = render::RenderSettings {
        config: &config,
        mode: mode(opts),
        version,
    };
    let rendered = render::render_all(&ed, &templates, &settings, &mut diags);
    if diags.has_errors() {
        return Err(diags);
    }
    let base_path = base_path(&config.base_url);
    let finished: Vec<_> = rendered
        .into_par_iter()
        .map(|f| finish(f, opts, &config, &base_path))
        .collect();
    let mut files: Vec<SiteFile> = Vec::new();
    let mut urls = Vec::new();
    for r in finished {
        match r {
            Ok((f, url)) => {
                urls.extend(url);
                files.push(f);
            }
            Err(d) => diags.push(d),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let Some(tail) = tail_files(opts, &config, urls, &mut diags) else {
        return Err(diags);
    };
    files.extend(tail);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    let summary = Summary {
        pages: ed.entries.len(),
        notes: ed.notes,
        persons: ed.persons,
        files: files.len(),
        millis: start.elapsed().as_millis(),
        output: output_dir(opts, &config),
    };
    Ok((files, summary, diags))
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
    use std::collections::{HashMap, HashSet};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let start = Instant::now();
    let Prepared {
        config,
        ed,
        templates,
        version,
        mut diags,
    } = prepare(opts)?;
    let settings = render::RenderSettings {
        config: &config,
        mode: mode(opts),
        version,
    };
    let renderer = render::Renderer::new(&ed, &templates, &settings);
    let out = output_dir(opts, &config);
    let base_path = base_path(&config.base_url);
    // a path is written by the first file that claims it, as render_site's
    // stable sort and dedup keep the first
    let n = renderer.len();
    let mut claims: HashMap<String, usize> = HashMap::new();
    for i in 0..n {
        for p in renderer.paths(i) {
            claims.entry(p).or_insert(i);
        }
    }
    claims.entry("404.html".into()).or_insert(n);
    let staging = match output::Staging::new(&out) {
        Ok(s) => s,
        Err(e) => {
            diags.file_error(&out, format!("cannot write the site: {e}"));
            return Err(diags);
        }
    };
    let failed = AtomicBool::new(false);
    let written = AtomicUsize::new(0);
    #[derive(Default)]
    struct Done {
        render: Diagnostics,
        rewrite: Diagnostics,
        urls: Vec<String>,
        io: Option<std::io::Error>,
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
            match finish(f, opts, &config, &base_path) {
                Ok((f, url)) => {
                    done.urls.extend(url);
                    if claims.get(&f.path) != Some(&i) || failed.load(Ordering::Relaxed) {
                        continue;
                    }
                    match staging.put(&f.path, &f.bytes) {
                        Ok(()) => {
                            written.fetch_add(1, Ordering::Relaxed);
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
    let mut results: Vec<Done> = (0..n)
        .into_par_iter()
        .map(|i| {
            let (files, d) = renderer.render_entry(i);
            one(i, files, d)
        })
        .collect();
    let (f404, d404) = renderer.render_404();
    results.push(one(n, f404.into_iter().collect(), d404));
    let mut urls = Vec::new();
    let mut rewrite_diags = Diagnostics::default();
    let mut io_error = None;
    for r in results {
        diags.extend(r.render);
        rewrite_diags.extend(r.rewrite);
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
    let Some(tail) = tail_files(opts, &config, urls, &mut diags) else {
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
    if let Err(e) = staging.commit() {
        diags.file_error(&out, format!("cannot write the site: {e}"));
        return Err(diags);
    }
    let summary = Summary {
        pages: ed.entries.len(),
        notes: ed.notes,
        persons: ed.persons,
        files: written.into_inner(),
        millis: start.elapsed().as_millis(),
        output: out,
    };
    Ok((summary, diags))
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
