//! Issue 12: the repository's second edition, examples/edition-en-es, in
//! English and Spanish: it builds without a warning, uses every convention,
//! and no French interface string appears in its output.

mod foreign;
use foreign::{assert_none_of, output};
use std::path::Path;
use std::process::Command;

#[test]
fn the_english_spanish_edition_builds_cleanly_without_french() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/edition-en-es");
    let out = tempfile::tempdir().expect("tempdir");
    let site = out.path().join("site");
    let o = Command::new(env!("CARGO_BIN_EXE_apparat"))
        .arg("build")
        .arg("--root")
        .arg(&root)
        .arg("--output")
        .arg(&site)
        .output()
        .expect("run apparat");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{text}");
    assert!(!text.contains("warning"), "{text}");
    let files = output(&site);
    assert_none_of("fr", &files);
    // no French typography either: no no-break space before `:;!?` or inside « »
    for (path, t) in &files {
        for bad in ["\u{a0}:", "\u{a0};", "\u{202f}"] {
            assert!(!t.contains(bad), "French spacing {bad:?} in {path}");
        }
    }
    let read = |rel: &str| std::fs::read_to_string(site.join(rel)).expect(rel);
    let press = read("letters/press/index.html");
    let respuesta = read("letters/respuesta/index.html");
    // every convention: notes of both series, a mention under a pseudonym, a
    // gloss, emendations (substitution, deletion, addition), parallel blocks,
    // a file beside the page, a translated page
    for needle in [
        "id=\"n-1\"",
        "ed-a",
        "m-sample",
        "class=\"gloss",
        "emend-del",
        "parallel",
        "press.svg",
    ] {
        assert!(
            press.contains(needle),
            "`{needle}` missing from letters/press/"
        );
    }
    assert!(respuesta.contains("lang=\"es\""), "{respuesta}");
    assert!(site.join("letters/press.svg").is_file());
    let about = read("about/index.html");
    assert!(about.contains("acerca/"), "the translation is not linked");
    // mentions on editorial pages are indexed
    let index = read("persons/index.html");
    assert!(index.contains("Editorial principles"), "{index}");
    assert!(!index.contains("no occurrence"), "{index}");
}
