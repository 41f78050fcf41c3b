//! The `apparat` command line: build, check, serve.

use apparat::{BuildOptions, Summary};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod serve;

#[derive(Parser)]
#[command(
    name = "apparat",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("APPARAT_COMMIT"), ")"),
    about = "A static-site generator for critical digital editions"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// The edition's folder (holding site.toml, content/, templates/, static/)
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Include pages marked `draft = true`
    #[arg(long)]
    drafts: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder (atomically)
    Build {
        #[command(flatten)]
        common: Common,
        /// Output folder (default: `output_dir` of site.toml, usually public/)
        #[arg(long)]
        output: Option<PathBuf>,
        /// Absolute URL the site is published at (overrides site.toml)
        #[arg(long)]
        base_url: Option<String>,
        /// Links name index.html explicitly, so that the site opens from disk (file://)
        #[arg(long)]
        offline: bool,
        /// No summary line
        #[arg(long, short)]
        quiet: bool,
        /// Replace the output folder even if it holds files apparat did not
        /// write (never the edition's own folders)
        #[arg(long)]
        force: bool,
    },
    /// Run every check (load, parse, resolve) without writing anything
    Check {
        #[command(flatten)]
        common: Common,
        /// Also request every http(s) link written in content (opt-in: the
        /// only command that uses the network)
        #[arg(long)]
        external: bool,
        /// With --external: seconds a request may take, redirects included
        #[arg(long, default_value_t = 20, requires = "external")]
        timeout: u64,
        /// With --external: requests at once
        #[arg(long, default_value_t = 8, requires = "external")]
        jobs: usize,
        /// With --external: request every link, and neither read nor write
        /// the cache (.apparat-links.json, links that answered well in the
        /// last 24 hours)
        #[arg(long, requires = "external")]
        no_cache: bool,
    },
    /// Build in memory, serve over HTTP, rebuild and reload pages on every save
    Serve {
        #[command(flatten)]
        common: Common,
        /// Port to listen on (0: any free port)
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// Address to listen on (loopback by default: only this machine)
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Open the site in a browser
        #[arg(long)]
        open: bool,
        /// Serve the site under this path, as on GitHub Pages (`/repo/`)
        #[arg(long, default_value = "/")]
        base_path: String,
    },
    /// Write a new edition (settings, a sample text, a register, workflows)
    /// into an empty or new folder
    Init {
        /// The folder (created if missing; must be empty)
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The language of the edition and its interface
        #[arg(long, default_value = "en", value_parser = ["fr", "es", "en"])]
        language: String,
        /// The edition's title
        #[arg(long)]
        title: Option<String>,
    },
}

fn print_diags(d: &apparat::diagnostics::Diagnostics) {
    if !d.is_empty() {
        eprintln!("{d}");
    }
}

fn main() -> ExitCode {
    let _ = apparat::pack::ON_LARGE_BODY.set(allocator::purge_at_once);
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            common,
            output,
            base_url,
            offline,
            quiet,
            force,
        } => {
            let opts = BuildOptions {
                root: common.root,
                output,
                base_url,
                drafts: common.drafts,
                offline,
                live_reload: false,
                html_budget: None,
                force,
            };
            match apparat::build(&opts) {
                Ok((summary, warnings)) => {
                    print_diags(&warnings);
                    if !quiet {
                        println!("{}", Summary::line(&summary));
                    }
                    ExitCode::SUCCESS
                }
                Err(d) => {
                    print_diags(&d);
                    eprintln!("build failed: the output folder was left as it was");
                    ExitCode::from(1)
                }
            }
        }
        Command::Serve {
            common,
            port,
            bind,
            open,
            base_path,
        } => {
            let opts = serve::ServeOptions {
                root: common.root,
                port,
                bind,
                open,
                base_path,
                drafts: common.drafts,
            };
            match serve::run(opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(msg) => {
                    eprintln!("error: {msg}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Init {
            dir,
            language,
            title,
        } => match apparat::init::init(&dir, &language, title.as_deref()) {
            Ok(created) => {
                println!(
                    "created a new edition in {} ({} files); to see it: cd {} && apparat serve",
                    dir.display(),
                    created.files.len(),
                    dir.display()
                );
                if created.repository_missing {
                    eprintln!("note: this apparat was built without the address of its repository: set APPARAT_REPOSITORY in .github/workflows/*.yml before publishing");
                }
                ExitCode::SUCCESS
            }
            Err(msg) => {
                eprintln!("error: {msg}");
                ExitCode::from(1)
            }
        },
        Command::Check {
            common,
            external,
            timeout,
            jobs,
            no_cache,
        } => {
            let opts = BuildOptions {
                root: common.root,
                drafts: common.drafts,
                ..Default::default()
            };
            let (ed, mut d) = apparat::check(&opts);
            if let (true, Some((config, ed))) = (external, &ed) {
                let mut ext = apparat::external::Options::new(&opts.root);
                ext.timeout = std::time::Duration::from_secs(timeout.max(1));
                ext.jobs = jobs;
                if no_cache {
                    ext.cache = None;
                }
                let r = apparat::external::check(ed, config.broken_links, &ext, &mut d);
                eprintln!(
                    "external links: {} checked, {} from the cache, {} failed",
                    r.requested,
                    r.urls - r.requested,
                    r.failed
                );
            }
            print_diags(&d);
            if d.has_errors() {
                ExitCode::from(1)
            } else {
                if let Some((_, ed)) = ed {
                    println!(
                        "checked {} pages, {} notes, {} persons: no errors",
                        ed.entries.len(),
                        ed.notes,
                        ed.persons
                    );
                }
                ExitCode::SUCCESS
            }
        }
    }
}

/// mimalloc: the build allocates and frees millions of small strings
/// (tera values, HTML pieces); glibc's malloc took a quarter of its time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's options, set while the process runs (`MIMALLOC_*` in the
/// environment are read when it starts, and win: an option is set only if
/// it holds mimalloc's default).
mod allocator {
    use libmimalloc_sys::{mi_option_get, mi_option_set, mi_option_t, mi_version};

    // (the index of mimalloc 3's `mi_option_purge_delay`, which the Rust
    // bindings do not name; checked against the major version and the
    // default. Arenas committed as used: `.cargo/config.toml`)
    const PURGE_DELAY: mi_option_t = 15;

    /// Sets `option` to `value` if it holds mimalloc 3's default.
    fn set(option: mi_option_t, default: std::os::raw::c_long, value: std::os::raw::c_long) {
        // SAFETY: plain calls into mimalloc's option table, which takes any
        // option index and value; the index is used only with the major
        // version whose enum it comes from.
        unsafe {
            if mi_version() / 10_000 == 3 && mi_option_get(option) == default {
                mi_option_set(option, value);
            }
        }
    }

    /// Freed memory returned to the system at once (by default, after a
    /// second): slower by a tenth, but a page of tens of megabytes is
    /// parsed, rendered and indexed in about ten times its size.
    pub fn purge_at_once() {
        set(PURGE_DELAY, 1000, 0);
    }
}
