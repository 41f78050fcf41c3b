//! Page bundles: the files of `content/` that are neither pages (`.md`) nor
//! registers (`persons.toml`) are copied to the output at their path inside
//! `content/`, beside the page they belong to, as Zola and Hugo do:
//! `content/textos/retrato.svg` → `textos/retrato.svg`; beside a section page,
//! `content/textos/carta/_index.md` and `content/textos/carta/foto.jpg` →
//! `textos/carta/foto.jpg` (which the page links as `foto.jpg`). Hidden files
//! (`.DS_Store`, editors' swap files) are left out. A file at the path of a
//! page, a static file, a file of the built-in theme or a generated file is an
//! error. Symbolic links that leave the edition's folder are never followed
//! (the walk of `content/` reports them).

use crate::diagnostics::Diagnostics;
use crate::output::SiteFile;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Paths the generator writes itself (besides pages and the theme).
const GENERATED: &[&str] = &[
    "sitemap.xml",
    "robots.txt",
    "404.html",
    ".nojekyll",
    "assets/highlight.css",
    "__apparat/reload.js",
];

/// The bundled files of `root/content`, by output path. `paths`: the
/// files the walk of `content/` found beside the pages
/// ([`crate::content::Walked::bundled`], as `content/…`); `statics`: the
/// edition's static files; `page_source(path)`: the source of the page
/// written at `path`, if one is. Collisions are reported in `diags`.
pub fn files(
    root: &Path,
    paths: &[PathBuf],
    statics: &[SiteFile],
    page_source: &dyn Fn(&str) -> Option<String>,
    diags: &mut Diagnostics,
) -> Vec<SiteFile> {
    let mut found = Vec::new();
    let static_paths: HashSet<&str> = statics.iter().map(|f| f.path.as_str()).collect();
    for rel in paths {
        let Ok(inner) = rel.strip_prefix("content") else {
            continue;
        };
        let path = inner.to_string_lossy().replace('\\', "/");
        let clash = if let Some(src) = page_source(&path) {
            Some(format!("the page generated from {src}"))
        } else if static_paths.contains(path.as_str()) {
            Some(format!("static/{path}"))
        } else if crate::theme::FILES.iter().any(|(p, _)| *p == path) {
            Some("a file of the built-in theme (put its replacement in static/)".into())
        } else {
            GENERATED
                .contains(&path.as_str())
                .then(|| format!("the generated {path}"))
        };
        if let Some(what) = clash {
            diags.file_error(
                rel,
                format!("collides with {what} ({path}); remove or rename the file"),
            );
            continue;
        }
        match fs::read(root.join(rel)) {
            Ok(bytes) => found.push(SiteFile { path, bytes }),
            Err(e) => diags.file_error(rel, format!("cannot read file: {e}")),
        }
    }
    found
}
