//! The floor of the benchmark: pulldown-cmark parsing and rendering the same
//! Markdown files as the apparat build, and writing them — nothing else
//! (no templates, no apparatus, no cross-references), in parallel with rayon.
//!
//! cargo run --release --example floor -- CONTENT_DIR OUT_DIR
//!
//! Every `*.md` under CONTENT_DIR (front matter `+++ … +++` skipped) becomes
//! OUT_DIR/<path without .md>/index.html. Existing files are overwritten.

use pulldown_cmark::{html, Parser};
use rayon::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn body(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("+++") else {
        return text;
    };
    match rest.find("\n+++") {
        Some(i) => rest[i + 4..].trim_start_matches(['\r', '\n']),
        None => text,
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            files(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "md") {
            out.push(p);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [src, dest] = args.as_slice() else {
        eprintln!("usage: floor CONTENT_DIR OUT_DIR");
        return ExitCode::from(2);
    };
    let mut list = Vec::new();
    if let Err(e) = files(src, &mut list) {
        eprintln!("floor: {e}");
        return ExitCode::from(1);
    }
    let opts = apparat::markup::markdown_options();
    let result: std::io::Result<()> = list.par_iter().try_for_each(|p| {
        let text = fs::read_to_string(p)?;
        let mut html_out = String::with_capacity(text.len() * 3 / 2);
        html::push_html(&mut html_out, Parser::new_ext(body(&text), opts));
        let rel = p.strip_prefix(src).map_err(std::io::Error::other)?;
        let dir = dest.join(rel.with_extension(""));
        fs::create_dir_all(&dir)?;
        fs::write(dir.join("index.html"), html_out)
    });
    match result {
        Ok(()) => {
            println!("{} files → {}", list.len(), dest.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("floor: {e}");
            ExitCode::from(1)
        }
    }
}
