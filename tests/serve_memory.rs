//! `apparat serve` keeps the site it serves compressed: what its first
//! build's render phase adds to its resident memory (as it reports it with
//! `APPARAT_TIMINGS`) is much less than the size of the pages it serves (as
//! `apparat build` writes them). The real binary, on the fixture edition
//! with few and with many long texts added.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_apparat");
/// Long texts added to the fixture, and paragraphs in each.
const TEXTS: usize = 160;
const PARAGRAPHS: usize = 500;

/// A text of about 65 KB of source: the same paragraph again and again
/// (it compresses well, as HTML does).
fn long_text(i: usize) -> String {
    let mut s = format!(
        "+++\ntitle = \"Texte long {i}\"\nkind = \"text\"\nweight = {}\n+++\n\n",
        100 + i
    );
    for p in 0..PARAGRAPHS {
        s.push_str(&format!(
            "Paragraphe {p}, où la même phrase revient, longue et sans surprise, \
             pour que la page soit grande et se compresse bien.\n\n"
        ));
    }
    s
}

/// What `apparat serve`'s render phase (render, rewrite, keep the files)
/// adds to its resident memory in its first build, in bytes, from the
/// phases it reports with `APPARAT_TIMINGS` (Linux: read from /proc).
fn render_phase_growth(root: &Path) -> Option<u64> {
    let mut child = Command::new(BIN)
        .arg("serve")
        .arg("--root")
        .arg(root)
        .args(["--port", "0"])
        .env("APPARAT_TIMINGS", "1")
        // (freed memory returned at once, so that what is resident is what is kept)
        .env("MIMALLOC_PURGE_DELAY", "0")
        // (one rendering thread: per-thread heaps would add their own noise)
        .env("RAYON_NUM_THREADS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn apparat serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // resident memory ("now") after the phase before render, and after render
    let now = |line: &str| -> Option<u64> {
        let kb = line.rsplit_once("now ")?.1.trim_end_matches(')');
        kb.trim_end_matches("kB").trim().parse().ok()
    };
    let (mut before, mut after) = (None, None);
    while after.is_none() {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(600)) else {
            break;
        };
        if line.starts_with("timing: renderer ") {
            before = now(&line);
        } else if line.starts_with("timing: render + rewrite + write ") {
            after = now(&line);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    Some(after?.saturating_sub(before?) * 1024)
}

/// Bytes of the HTML and XML files under `dir`.
fn page_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read output").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "html" || x == "xml") {
                total += e.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
    }
    total
}

/// The fixture with `n` long texts: the bytes of its pages (as a build
/// writes them) and what serve's render phase keeps.
fn measure(dir: &Path, n: usize) -> (u64, u64) {
    let root = dir.join(format!("edition-{n}"));
    common::write_fixture(&root);
    for i in 0..n {
        common::write(&root, &format!("content/long/t{i:03}.md"), &long_text(i));
    }
    let out = dir.join(format!("out-{n}"));
    let status = Command::new(BIN)
        .args(["build", "-q", "--root"])
        .arg(&root)
        .arg("--output")
        .arg(&out)
        .status()
        .expect("run apparat build");
    assert!(status.success(), "build failed");
    let Some(kept) = render_phase_growth(&root) else {
        panic!("apparat serve did not report its memory around the render phase");
    };
    (page_bytes(&out), kept)
}

#[test]
fn serve_keeps_its_pages_compressed() {
    if !Path::new("/proc/self/status").exists() {
        eprintln!("no /proc: resident memory cannot be read here");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    // two editions, so that what the render phase keeps whatever the
    // edition's size (the highlighter's caches, say) cancels out
    let (pages_few, kept_few) = measure(dir.path(), TEXTS / 4);
    let (pages_many, kept_many) = measure(dir.path(), TEXTS);
    let pages = pages_many - pages_few;
    let grown = kept_many.saturating_sub(kept_few);
    eprintln!("pages added: {pages} bytes; serve's render phase kept {grown} bytes more");
    assert!(pages > 24 << 20, "only {pages} bytes of pages added");
    // kept as they are, the pages alone would add all of `pages` (the sink
    // that kept them so grew by 66.5 MB for 31.4 MB of pages); compressed,
    // 0 to 16 MB were measured with several threads (their heaps add noise),
    // 3.5 MB with one: the bound lies between the two
    assert!(
        grown < pages,
        "serve keeps {grown} bytes more for {pages} bytes more of pages: are they kept uncompressed?"
    );
}
