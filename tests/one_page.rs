//! Issue 11: the memory of one huge page, through the real binary. A page
//! is written to its file as it is made (see `src/stream.rs`), so that what
//! a larger page adds to `build`'s peak memory stays under ten times what
//! it adds to the source.
//!
//! The measure is the binary's own (`APPARAT_TIMINGS` prints the peak
//! resident memory that Linux reports), independent of time and load: the
//! guard compares two sizes of the same page, so that the memory every
//! build needs (code, threads, templates) cancels out. The search index
//! (Pagefind) is turned off: it has its own memory, measured in
//! BENCHMARKS.md.

mod fixture;
use fixture::*;
use std::fmt::Write as _;
use std::process::Command;

/// A text of `n` paragraphs, each calling a note, every third mentioning a
/// person and every seventh with an emendation; the notes at the end (the
/// shape of `examples/one_page.rs`).
fn huge_text(n: usize) -> String {
    let words = [
        "la",
        "revue",
        "publie",
        "une",
        "lettre",
        "du",
        "comité",
        "central",
        "et",
        "les",
        "camarades",
        "répondent",
        "que",
        "le",
        "congrès",
        "se",
        "tiendra",
        "à",
        "Lima",
    ];
    let sentence = |seed: usize, len: usize| {
        (0..len)
            .map(|k| words[(seed * 7 + k * 13 + k * k) % words.len()])
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut s = String::from("+++\ntitle = \"Une longue page\"\nkind = \"text\"\n+++\n\n");
    for i in 1..=n {
        if i % 500 == 1 {
            let _ = write!(s, "## Partie {}\n\n", i / 500 + 1);
        }
        s.push_str(&sentence(i, 24));
        if i % 3 == 0 {
            s.push_str(" avec [Jules](person:humbert-droz)");
        }
        if i % 7 == 0 {
            s.push_str(" du {~~septembre~>octobre~~}");
        }
        let _ = write!(s, ".[^{i}]\n\n");
    }
    for i in 1..=n {
        let _ = writeln!(s, "[^{i}]: {}.\n", sentence(i + 3, 12));
    }
    s
}

/// `build` of an edition whose text has `n` notes: the source's size and
/// the build's peak resident memory, in bytes (`None` where the system does
/// not report it).
fn build_peak(n: usize) -> (usize, Option<u64>) {
    let site = Site::with_register();
    site.write("site.toml", &format!("{SITE_TOML}search = false\n"));
    let text = huge_text(n);
    site.write("content/texte.md", &text);
    let o = Command::new(env!("CARGO_BIN_EXE_apparat"))
        .arg("build")
        .env("APPARAT_TIMINGS", "1")
        .current_dir(site.path())
        .output()
        .expect("run apparat");
    assert!(o.status.success(), "{}", stderr(&o));
    // "timing: PHASE N ms (peak memory 123456 kB, now …)"
    let peak = stderr(&o)
        .lines()
        .filter_map(|l| l.split("peak memory ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .max()
        .map(|kb| kb * 1024);
    // the page was written whole
    let page = site.read("public/texte/index.html");
    assert!(page.contains(&format!("id=\"n-{n}\"")), "last note missing");
    (text.len(), peak)
}

#[test]
fn a_larger_page_adds_under_ten_times_its_growth_to_peak_memory() {
    let (small, Some(small_peak)) = build_peak(1_000) else {
        eprintln!("peak memory not reported on this system: not measured");
        return;
    };
    let (large, Some(large_peak)) = build_peak(12_000) else {
        return;
    };
    let added = large_peak.saturating_sub(small_peak) as f64;
    let grown = (large - small) as f64;
    assert!(
        added < 10.0 * grown,
        "a page {:.1} MB larger took {:.1} MB more at the peak ({:.1} ×)",
        grown / 1e6,
        added / 1e6,
        added / grown
    );
}
