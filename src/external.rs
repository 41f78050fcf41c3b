//! `apparat check --external`: every `http:`/`https:` link written in
//! content is requested (HEAD, then GET when a server refuses HEAD), several
//! at a time, each within a timeout, redirects followed. A link that fails
//! is reported at every place it is written, at the level of `broken_links`
//! (an error by default), with the status or the network error.
//!
//! A cache file (`.apparat-links.json` in the edition's root, apparat's own,
//! to be ignored by git) remembers when each URL last answered well: such a
//! URL is not requested again until the cache's age has passed. Failures are
//! never cached, so a fixed link is seen as fixed at the next run.
//!
//! Opt-in only: `check` and `build` never touch the network.

use crate::config::Level;
use crate::diagnostics::Diagnostics;
use crate::edition::Edition;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The cache file's name, in the edition's root.
pub const CACHE_FILE: &str = ".apparat-links.json";

/// How the external links are checked.
#[derive(Debug, Clone)]
pub struct Options {
    /// The longest a request may take, redirects included.
    pub timeout: Duration,
    /// How many requests run at once.
    pub jobs: usize,
    /// The cache file; `None`: no cache.
    pub cache: Option<PathBuf>,
    /// How long a URL that answered well is trusted without asking again.
    pub max_age: Duration,
}

impl Options {
    /// The defaults for an edition at `root`: 20 s, 8 at a time, a cache
    /// trusted for a day.
    pub fn new(root: &Path) -> Options {
        Options {
            timeout: Duration::from_secs(20),
            jobs: 8,
            cache: Some(root.join(CACHE_FILE)),
            max_age: Duration::from_secs(24 * 3600),
        }
    }
}

/// Figures of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Distinct URLs (without their fragment) written in content.
    pub urls: usize,
    /// Of those, requested in this run (the rest came from the cache).
    pub requested: usize,
    /// Of those, failed.
    pub failed: usize,
}

/// Checks every external link of the edition; failures go to `diags` at
/// the links' positions.
pub fn check(ed: &Edition, level: Level, opts: &Options, diags: &mut Diagnostics) -> Report {
    // URL (without fragment) → where it is written: (entry, offset, as written)
    let mut places: BTreeMap<String, Vec<(usize, usize, String)>> = BTreeMap::new();
    for (i, e) in ed.entries.iter().enumerate() {
        for link in &e.doc.links {
            let url = link.url.trim();
            if !is_external(url) {
                continue;
            }
            let base = url.split('#').next().unwrap_or(url).to_string();
            places
                .entry(base)
                .or_default()
                .push((i, link.offset, link.written.clone()));
        }
    }
    let now = unix_now();
    let mut cache = opts.cache.as_deref().map(load_cache).unwrap_or_default();
    let fresh = |url: &str| {
        cache
            .get(url)
            .is_some_and(|&t| now.saturating_sub(t) < opts.max_age.as_secs())
    };
    let todo: Vec<&str> = places
        .keys()
        .map(String::as_str)
        .filter(|u| !fresh(u))
        .collect();
    let outcomes = request_all(&todo, opts);
    let mut report = Report {
        urls: places.len(),
        requested: todo.len(),
        failed: 0,
    };
    for (url, outcome) in todo.iter().zip(outcomes) {
        match outcome {
            Ok(()) => {
                cache.insert((*url).to_string(), now);
            }
            Err(why) => {
                report.failed += 1;
                cache.remove(*url);
                for (i, offset, written) in &places[*url] {
                    let src = &ed.entries[*i].page.src;
                    let message = format!("external link `{written}` failed: {why}");
                    diags.push(match level {
                        Level::Error => src.error(*offset, message),
                        Level::Warning => src.warning(*offset, message),
                    });
                }
            }
        }
    }
    if let Some(path) = &opts.cache {
        // only URLs still written in content are kept
        cache.retain(|u, _| places.contains_key(u));
        if let Err(e) = save_cache(path, &cache) {
            diags.file_error(path, format!("cannot write the link cache: {e}"));
        }
    }
    report
}

/// `http://…` or `https://…` (the scheme in any case).
fn is_external(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Requests every URL, `opts.jobs` at a time; the outcomes in the same order.
fn request_all(urls: &[&str], opts: &Options) -> Vec<Result<(), String>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(opts.timeout))
        .http_status_as_error(false)
        .user_agent(format!(
            "apparat/{} (link check)",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .into();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<(), String>>>> = Mutex::new(vec![None; urls.len()]);
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.clamp(1, 64).min(urls.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(url) = urls.get(i) else { break };
                let outcome = request(&agent, url, opts.timeout);
                if let Ok(mut r) = results.lock() {
                    r[i] = Some(outcome);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err("not checked".to_string())))
        .collect()
}

/// One URL: HEAD, then GET if the server answers HEAD with an error (many
/// refuse it); 2xx is good (redirects are followed).
fn request(agent: &ureq::Agent, url: &str, timeout: Duration) -> Result<(), String> {
    let status = |r: Result<ureq::http::Response<ureq::Body>, ureq::Error>| {
        r.map(|resp| resp.status())
            .map_err(|e| describe(e, timeout))
    };
    let head = status(agent.head(url).call());
    if matches!(head, Ok(s) if s.is_success()) {
        return Ok(());
    }
    // a refused HEAD: GET decides (its body is not read); a network error is
    // not tried twice
    match head.and(status(agent.get(url).call())) {
        Ok(s) if s.is_success() => Ok(()),
        Ok(s) => Err(
            format!("HTTP {} {}", s.as_u16(), s.canonical_reason().unwrap_or(""))
                .trim_end()
                .to_string(),
        ),
        Err(e) => Err(e),
    }
}

fn describe(e: ureq::Error, timeout: Duration) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("no answer within {} s", timeout.as_secs_f32()),
        ureq::Error::HostNotFound => "host not found".to_string(),
        ureq::Error::ConnectionFailed => "cannot connect".to_string(),
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            "cannot connect: connection refused".to_string()
        }
        ureq::Error::Io(e) => format!("network error: {e}"),
        other => other.to_string(),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The cache: URL → when it last answered well (seconds since 1970). An
/// unreadable or malformed cache is an empty one (it is only a cache).
fn load_cache(path: &Path) -> BTreeMap<String, u64> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

/// Written whole to a temporary file, then renamed over the old one.
fn save_cache(path: &Path, cache: &BTreeMap<String, u64>) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(cache).map_err(std::io::Error::other)?;
    let tmp = path.with_extension(format!("json.{}", std::process::id()));
    std::fs::write(&tmp, json + "\n")?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_are_external() {
        assert!(is_external("https://example.org/"));
        assert!(is_external("HTTP://example.org"));
        assert!(!is_external("mailto:a@b.c"));
        assert!(!is_external("/texte/"));
        assert!(!is_external("ftp://example.org/"));
        assert!(!is_external("http"));
    }
}
