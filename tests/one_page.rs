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
