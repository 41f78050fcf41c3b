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
            self.output.display().to_string().trim_end_matches('/')
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

/// The whole site in memory: every page rendered and rewritten, static files,
/// generated files. Nothing written.
pub fn render_site(
    opts: &BuildOptions,
) -> Result<(Vec<SiteFile>, Summary, Diagnostics), Diagnostics> {
    let start = Instant::now();
    let (checked, mut diags) = check(opts);
    let templates = render::load_templates(&opts.root, &mut diags);
    let (Some((config, ed)), Some(templates)) = (checked, templates) else {
        return Err(diags);
    };
    if diags.has_errors() {
        return Err(diags);
    }
    let version = git_version(&opts.root);
    let mode = if opts.live_reload { "serve" } else { "build" };
    let settings = render::RenderSettings {
        config: &config,
        mode,
        version,
    };
    let rendered = render::render_all(&ed, &templates, &settings, &mut diags);
    if diags.has_errors() {
        return Err(diags);
    }
    let base_path = base_path(&config.base_url);
    let mut files: Vec<SiteFile> = Vec::new();
    let mut urls = Vec::new();
    for f in rendered {
        let bytes = match &f.page_url {
            Some(url) => {
                let html = String::from_utf8_lossy(&f.bytes);
                let ropts = rewrite::RewriteOptions {
                    offline: opts.offline,
                    live_reload: opts.live_reload,
                    ui: config.ui_lang().to_string(),
                    absolute_prefix: if url == "/404.html" && !opts.offline {
                        Some(base_path.clone())
                    } else {
                        None
                    },
                };
                match rewrite::rewrite(&html, url, &ropts) {
                    Ok(s) => s.into_bytes(),
                    Err(e) => {
                        diags.file_error(Path::new(&f.path), format!("HTML rewrite failed: {e}"));
                        continue;
                    }
                }
            }
            None => f.bytes,
        };
        if let Some(url) = &f.page_url {
            if url != "/404.html" {
                urls.push(url.clone());
            }
        }
        files.push(SiteFile {
            path: f.path,
            bytes,
        });
    }
    if diags.has_errors() {
        return Err(diags);
    }
    // static files, copied verbatim to the root of the output
    match output::read_tree(&opts.root.join("static")) {
        Ok(v) => files.extend(v),
        Err(e) => {
            diags.file_error(
                Path::new("static"),
                format!("cannot read static files: {e}"),
            );
            return Err(diags);
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
pub fn build(opts: &BuildOptions) -> Result<(Summary, Diagnostics), Diagnostics> {
    let start = Instant::now();
    let (files, mut summary, diags) = render_site(opts)?;
    if let Err(e) = output::write_atomic(&summary.output, &files) {
        let mut d = diags;
        d.file_error(&summary.output, format!("cannot write the site: {e}"));
        return Err(d);
    }
    summary.millis = start.elapsed().as_millis();
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
