//! Issue 11: one huge page, through the real binary. A large page is
//! written to its file as it is made (see `src/stream.rs`); its memory is
//! measured in BENCHMARKS.md ("One huge page"), not asserted here.

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

#[test]
fn a_large_page_its_source_view_and_tei_are_written_whole() {
    // past 1 MiB, the page, its source view and its TEI document are
    // streamed to their files (src/stream.rs)
    let n = 6_000;
    let site = Site::with_register();
    let text = huge_text(n);
    assert!(text.len() > 1 << 20);
    site.write("content/texte.md", &text);
    let o = Command::new(env!("CARGO_BIN_EXE_apparat"))
        .arg("build")
        .current_dir(site.path())
        .output()
        .expect("run apparat");
    assert!(o.status.success(), "{}", stderr(&o));
    let page = site.read("public/texte/index.html");
    assert!(page.contains(&format!("id=\"n-{n}\"")), "last note missing");
    assert!(page.contains("class=\"pnum\""), "paragraph numbers missing");
    assert!(page.contains("href=\"../personnes/#humbert-droz\""));
    assert!(page.trim_end().ends_with("</html>"));
    let source = site.read("public/texte/source/index.html");
    assert!(
        source.contains(&format!("[^{n}]")),
        "end of the source missing"
    );
    assert!(source.trim_end().ends_with("</html>"));
    assert!(!source.contains("apparat:insert") && !page.contains("apparat:body"));
    let tei = site.read("public/texte/tei.xml");
    assert!(tei.trim_end().ends_with("</TEI>"));
    // a second build over the first gives the same files
    let first = tree(&site.path().join("public"));
    let o = site.build();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(first, tree(&site.path().join("public")));
}

/// Runs the real binary with `APPARAT_LARGE_BODY` set to `min` (bytes from
/// which a page body is taken as large: read twice, its HTML and TEI body
/// packed as they are made; see `src/pack.rs`).
fn run_large_from(min: usize, root: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_apparat"))
        .args(args)
        .arg("--root")
        .arg(root)
        .env("APPARAT_LARGE_BODY", min.to_string())
        .output()
        .expect("run apparat")
}

#[test]
fn large_bodies_read_twice_and_packed_give_the_site_small_ones_give() {
    // the bundled edition (parallel blocks, notes called from titles,
    // emendations, registers, translations) with every body taken as
    // large, then none: the same files, byte for byte
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut trees = Vec::new();
    for (name, min) in [("small", usize::MAX), ("large", 0)] {
        let out = tmp.path().join(name);
        let out_arg = out.to_string_lossy().into_owned();
        let o = run_large_from(min, &root, &["build", "--output", &out_arg]);
        assert!(o.status.success(), "{}", stderr(&o));
        trees.push(tree(&out));
    }
    assert!(trees[0].len() > 20, "the edition was built");
    assert!(
        trees[0] == trees[1],
        "the large-body path changed the site: {:?}",
        trees[0]
            .iter()
            .zip(&trees[1])
            .filter(|(a, b)| a != b)
            .map(|(a, _)| &a.0)
            .collect::<Vec<_>>()
    );
}

#[test]
fn large_bodies_give_the_diagnostics_small_ones_give() {
    // every problem parse finds in the note definitions, the calls and the
    // block markers, reported the same whichever way the body is read
    let site = Site::with_register();
    site.write(
        "content/texte.md",
        "+++\ntitle = \"T\"\nkind = \"text\"\n+++\n\n\
         Un appel[^1] et un autre[^9].\n\n\
         ::: continue\n\n::: continue\n\n\
         Suite[^2] avec [Jules](person:humbert-droz).\n\n\
         ::: parallel\n\n:: fr original\n\nUn[^3].\n\n:: es translation\n\nUno.\n\n\
         ::: parallel\n\n:: fr original\n\nDeux.\n\n:: xx translation\n\nDos.\n\n:::\n\n\
         :: fr original\n\n\
         ::: parallel\n\n:: fr original\n\nTrois.\n\n\
         [^1]: Une note[^2].\n\n[^1]: Deux fois.\n\n[^2]: Deux.\n\n[^3]: Trois.\n\n[^4]: Jamais appelée.\n\n\
         ::: continue\n",
    );
    let runs: Vec<_> = [usize::MAX, 0]
        .iter()
        .map(|&min| {
            let check = run_large_from(min, site.path(), &["check"]);
            let build = run_large_from(min, site.path(), &["build"]);
            (stderr(&check), check.status.code(), build.status.code())
        })
        .collect();
    assert_eq!(runs[0].1, Some(1), "{}", runs[0].0);
    for needle in [
        "duplicate note label",
        "is never called",
        "cannot call another note",
        "never closed",
        "two `::: continue` markers",
        "outside a `::: parallel` block",
        "has no note text",
        "cannot be nested",
    ] {
        assert!(runs[0].0.contains(needle), "{needle}: {}", runs[0].0);
    }
    assert_eq!(runs[0], runs[1]);
}
