//! apparat: a static-site generator for critical digital editions.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! load ([`content`], [`config`]) → parse ([`markup`]) → resolve ([`edition`])
//! → render ([`render`]) → rewrite ([`rewrite`]) → write ([`output`]),
//! with [`diagnostics`] collected at every stage.

pub mod bibliography;
pub mod bundle;
pub mod citation;
pub mod collate;
pub mod config;
pub mod content;
pub mod diagnostics;
pub mod edition;
mod engine;
pub mod external;
pub mod hash;
pub mod highlight;
pub mod i18n;
pub mod init;
pub mod lang;
pub mod linkcheck;
pub mod manifest;
pub mod markup;
pub mod output;
pub mod pack;
pub mod register_data;
pub mod registers;
pub mod render;
pub mod rewrite;
pub mod search;
pub mod sink;
pub mod stream;
pub mod tei;
pub mod text;
pub mod theme;
pub mod translation;
pub mod version;
pub mod witness;

use diagnostics::Diagnostics;
use output::SiteFile;
pub use sink::SharedFile;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
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
    /// How many bytes of body HTML the parse stage may keep
    /// as it is for the render stage; pages beyond it keep it compressed
    /// (None: [`HTML_BUDGET`]). The output is the same either way.
    pub html_budget: Option<usize>,
    /// `build` only: replace an output folder that holds files apparat did
    /// not write (never the edition's own folders; see [`output::claim`]).
    pub force: bool,
}

/// Body HTML a build keeps between parse and render (16 MB: every page of
/// an edition of about a thousand texts of 1,500 words). Beyond it, pages
/// keep their body compressed until rendered, so that a large edition never
/// holds every body at once and every page is parsed once.
pub const HTML_BUDGET: usize = 16 << 20;

/// Figures of a build.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub pages: usize,
    pub notes: usize,
    pub persons: usize,
    pub files: usize,
    /// Content files read and parsed (fewer than the pages when a session
    /// reused what did not change, or a rebuild the documents it kept).
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
    // (bodies past the budget let go: check never reads them)
    let mut cache = edition::ParseCache::default();
    cache.html_budget = Some(budget(opts));
    cache.drop_bodies = true;
    let mut links = linkcheck::LinkCache::default();
    let (checked, mut diags) = engine::check_with(opts, &HashSet::new(), (&mut cache, &mut links));
    if let Some((config, ed)) = &checked {
        let t = Instant::now();
        collate::check_settings(&opts.root, &config.collation, &mut diags);
        let pages = ed.entries.iter().map(|e| &e.page);
        collate::collate(&opts.root, &config.collation, pages, &mut diags);
        timing("collate", t);
    }
    // the templates too: syntax, references, cycles (what a build would refuse)
    let sources = render::read_templates(&opts.root, &mut diags);
    let _ = render::compile_templates(sources, &mut diags);
    (checked, diags)
}

/// The whole site in memory: every page rendered and rewritten, static files,
/// generated files. Nothing written. [`build`] writes the same files.
pub fn render_site(
    opts: &BuildOptions,
) -> Result<(Vec<SiteFile>, Summary, Diagnostics), Diagnostics> {
    let mut session = Session::default();
    let result = session.render(opts, &[]);
    drop(session);
    let (shared, mut summary, mut diags) = result?;
    let mut files = Vec::with_capacity(shared.len());
    for f in shared {
        match f.bytes() {
            Ok(bytes) => files.push(SiteFile {
                path: f.path,
                bytes,
            }),
            Err(e) => {
                diags.file_error(&summary.output, format!("cannot unpack {}: {e}", f.path));
                return Err(diags);
            }
        }
    }
    // the search index, as `build` makes it (serve makes it when asked); a
    // file already at one of its paths (a static file) stays
    if let Some(language) = search::site_search(&opts.root) {
        let pages = files.iter().map(|f| (f.path.as_str(), f.bytes.as_slice()));
        match search::index_files(&language, pages) {
            Ok(index) => files.extend(index),
            Err(e) => {
                diags.file_error(&summary.output, e);
                return Err(diags);
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    summary.files = files.len();
    Ok((files, summary, diags))
}

/// Builds the site and writes it atomically. On error the previous output
/// is untouched.
///
/// The same files as [`render_site`], written as each unit is ready into a
/// tree beside the output, which then replaces the output in one step (see
/// [`output`]); a rebuild renders only the units whose fingerprint changed
/// since the last build (see [`manifest`]).
pub fn build(opts: &BuildOptions) -> Result<(Summary, Diagnostics), Diagnostics> {
    let start = Instant::now();
    // where the site goes is checked first, and reported with every other problem
    let out = opts.output.clone().or_else(|| {
        config::Config::load(&opts.root, &mut Diagnostics::default())
            .map(|c| opts.root.join(&c.output_dir))
    });
    let refused = out.as_ref().and_then(|o| {
        output::claim(&opts.root, o, opts.force)
            .err()
            .map(|e| (o.clone(), e))
    });
    let mut state = build_state(opts, out.filter(|_| refused.is_none()));
    let spill = state.parse.spill.clone();
    let prepared = match (engine::prepare(opts, &HashSet::new(), &mut state), refused) {
        (Ok(p), None) => p,
        (Ok(engine::Prepared { diags: mut d, .. }) | Err(mut d), Some((out, e))) => {
            d.file_error(&out, e);
            return Err(d);
        }
        (Err(d), None) => return Err(d),
    };
    let out = output_dir(opts, &prepared.config);
    let sink = match sink::DiskSink::new(&out) {
        Ok(s) => s,
        Err(e) => {
            let mut diags = prepared.diags;
            diags.file_error(&out, format!("cannot write the site: {e}"));
            return Err(diags);
        }
    };
    let (parsed, kept) = (state.parse.parsed, state.parse.kept.take());
    let ran = engine::render(opts, prepared, &mut state, &sink);
    let mut ran = read_back_whole(ran, spill.as_deref(), &out)?;
    // (nothing is read from it after render)
    if let Some(s) = &spill {
        s.close();
    }
    // the search index reads the pages back: the parsed edition goes first,
    // freed on a thread of its own (millions of small allocations: a tenth
    // of a rebuild that renders nothing, if the build waited for it; if no
    // thread can be made, the closure and the edition are dropped here)
    let _ = std::thread::Builder::new()
        .name("apparat-free".into())
        .spawn(move || drop(state));
    engine::search_index(ran.search, &sink, &mut ran.diags)?;
    let t = Instant::now();
    let files = sink.commit().map_err(|e| {
        let mut diags = ran.diags.clone();
        diags.file_error(&out, format!("cannot write the site: {e}"));
        diags
    })?;
    if let Some(k) = kept {
        k.commit();
    }
    timing("commit", t);
    let summary = Summary {
        pages: ran.pages,
        notes: ran.notes,
        persons: ran.persons,
        files,
        parsed,
        rendered: ran.rendered,
        changed: None,
        millis: start.elapsed().as_millis(),
        output: out,
    };
    Ok((summary, ran.diags))
}

/// The state of a build whose output goes to `out` (`None`: nowhere it
/// may go).
fn build_state(opts: &BuildOptions, out: Option<PathBuf>) -> engine::State {
    // a rebuild by the same binary of an output still there renders few
    // pages: the bodies past the budget are let go, not packed, and made
    // again for the pages rendered; and it parses only the pages whose
    // text changed since the last
    let rebuild = out.as_deref().is_some_and(|o| {
        o.is_dir() && manifest::Manifest::written_by(&manifest::path_for(o), &manifest::build_key())
    });
    let mut state = engine::State::default();
    state.parse.html_budget = Some(budget(opts));
    state.parse.drop_bodies = rebuild;
    state.parse.kept = out
        .as_deref()
        .filter(|_| rebuild)
        .and_then(|o| edition::KeptDocs::beside(o, &manifest::build_key()));
    if let (Some(o), false) = (&out, rebuild) {
        edition::kept::forget_unfinished_beside(o);
    }
    // memory: the edition holds body HTML up to a budget; the other pages
    // hold it compressed, set aside beside the output, unpacked when
    // rendered and freed with them
    state.parse.spill = out.and_then(|o| pack::Spill::beside(&o));
    // and, past the budget, the parsed documents too beyond a quarter of it
    state.parse.documents = opts.html_budget.unwrap_or(HTML_BUDGET) / 4;
    state
}

/// The render stage's outcome, unless text set aside could not be read
/// back: the pages were then rendered without it, so nothing is written,
/// not even the search index's shard caches beside the output (they would
/// keep what was read of those pages).
fn read_back_whole(
    ran: Result<engine::Ran, Diagnostics>,
    spill: Option<&pack::Spill>,
    out: &std::path::Path,
) -> Result<engine::Ran, Diagnostics> {
    match (ran, spill.and_then(pack::Spill::failure)) {
        (ran, None) => ran,
        (Ok(engine::Ran { diags: mut d, .. }) | Err(mut d), Some(e)) => {
            d.file_error(out, e);
            Err(d)
        }
    }
}

/// Incremental builds in memory, for `serve`: the same engine as [`build`],
/// its state kept between builds. A build then reads and parses only the
/// content files that changed (see [`edition::ParseCache`]), resolves the
/// whole edition again (cross-references, the person index), and renders
/// only the units whose fingerprint changed. The result is the same, byte
/// for byte, as a build from scratch (tested).
#[derive(Default)]
pub struct Session {
    state: engine::State,
    site: sink::Memory,
    built: bool,
}

impl Session {
    /// A session for a file watcher: the files it names as changed are the
    /// only ones that changed (files not named are not looked at).
    pub fn trusting_changes() -> Session {
        let mut s = Session::default();
        s.state.parse.trust_changes = true;
        s
    }

    /// Builds the whole site in memory. `changed`: files known to have
    /// changed since the last call (as a file watcher reports them, absolute
    /// or relative to the root); files not named are checked by size,
    /// modification time and inode.
    pub fn render(
        &mut self,
        opts: &BuildOptions,
        changed: &[PathBuf],
    ) -> Result<(Vec<SharedFile>, Summary, Diagnostics), Diagnostics> {
        let (mut files, summary, diags) = self.render_unordered(opts, changed)?;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok((files, summary, diags))
    }

    /// [`Session::render`], the files in no particular order (serve looks
    /// them up by path: sorting 40,000 paths was a tenth of a rebuild).
    pub fn render_unordered(
        &mut self,
        opts: &BuildOptions,
        changed: &[PathBuf],
    ) -> Result<(Vec<SharedFile>, Summary, Diagnostics), Diagnostics> {
        let start = Instant::now();
        let changed: HashSet<PathBuf> = changed
            .iter()
            .map(|p| p.strip_prefix(&opts.root).unwrap_or(p).to_path_buf())
            .collect();
        // (a session's budget is spent once: pages parsed again later keep
        // their body compressed too)
        let parse = &mut self.state.parse;
        parse.html_budget = parse.html_budget.take().or_else(|| Some(budget(opts)));
        let prepared = engine::prepare(opts, &changed, &mut self.state)?;
        let parsed = self.state.parse.parsed;
        let out = output_dir(opts, &prepared.config);
        let sink = sink::MemorySink::new(&self.site);
        let mut ran = engine::render(opts, prepared, &mut self.state, &sink)?;
        engine::search_index(ran.search, &sink, &mut ran.diags)?;
        let t = Instant::now();
        let (site, files, changed) = sink.finish();
        timing("finish", t);
        self.site = site;
        let changed = std::mem::replace(&mut self.built, true).then_some(changed);
        let summary = Summary {
            pages: ran.pages,
            notes: ran.notes,
            persons: ran.persons,
            files: files.len(),
            parsed,
            rendered: ran.rendered,
            changed,
            millis: start.elapsed().as_millis(),
            output: out,
        };
        Ok((files, summary, ran.diags))
    }
}

/// How many bytes of body HTML the parse stage keeps as they are.
fn budget(opts: &BuildOptions) -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(opts.html_budget.unwrap_or(HTML_BUDGET)))
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

pub use version::git_version;
