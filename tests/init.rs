//! `apparat init` (issue 12): for each of fr, es and en, a new edition that
//! `check` and `build` accept without a warning, whose output holds no
//! interface string of another language; a non-empty folder is refused.

mod foreign;
use foreign::{assert_none_of, only_in, output};
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn apparat(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apparat"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run apparat")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn init_builds_cleanly(lang: &str, foreign: &[&str]) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = apparat(
        tmp.path(),
        &[
            "init",
            "ed",
            "--language",
            lang,
            "--title",
            "A \"quoted\" <title>",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let ed = tmp.path().join("ed");
    for f in [
        "site.toml",
        "README.md",
        ".gitignore",
        ".github/workflows/pages.yml",
        ".github/workflows/check.yml",
        "content/_index.md",
        "content/persons.toml",
    ] {
        assert!(ed.join(f).is_file(), "{lang}: no {f}");
    }
    let o = apparat(&ed, &["check"]);
    let t = text(&o);
    assert!(o.status.success(), "{lang}: {t}");
    assert!(!t.contains("warning"), "{lang}: {t}");
    let o = apparat(&ed, &["build"]);
    let t = text(&o);
    assert!(o.status.success(), "{lang}: {t}");
    assert!(!t.contains("warning"), "{lang}: {t}");
    let files = output(&ed.join("public"));
    assert!(files.len() > 5, "{lang}: {files:?}");
    // the title is escaped, never raw HTML
    let home = fs::read_to_string(ed.join("public/index.html")).expect("home");
    assert!(
        home.contains("A &quot;quoted&quot; &lt;title&gt;"),
        "{lang}"
    );
    assert!(!home.contains("<title>A \"quoted"), "{lang}");
    for other in foreign {
        assert_none_of(other, &files);
    }
    // the check can fail: the edition's own interface strings are found
    let own = only_in(lang);
    assert!(
        own.iter()
            .filter(|s| files.iter().any(|(_, t)| t.contains(s.as_str())))
            .count()
            > 10,
        "{lang}: its own interface strings not found"
    );
    // the sample text shows its conventions
    let text_page = ["letter", "lettre", "carta"]
        .iter()
        .find_map(|t| fs::read_to_string(ed.join(format!("public/{t}/index.html"))).ok())
        .expect("the sample text");
    let has = |needle: &str| text_page.contains(needle);
    for needle in ["class=\"gloss", "emend-add", "parallel", "ed-a"] {
        assert!(has(needle), "{lang}: no `{needle}` in the output");
    }
}

#[test]
fn init_en_builds_without_warning_and_without_french_or_spanish() {
    init_builds_cleanly("en", &["fr", "es"]);
}

#[test]
fn init_es_builds_without_warning_and_without_french_or_english() {
    init_builds_cleanly("es", &["fr", "en"]);
}

#[test]
fn init_fr_builds_without_warning_and_without_spanish_or_english() {
    init_builds_cleanly("fr", &["es", "en"]);
}

#[test]
fn init_refuses_a_non_empty_folder_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fs::write(tmp.path().join("notes.txt"), "mine").expect("write");
    let o = apparat(tmp.path(), &["init", "."]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("not empty") && t.contains("notes.txt"), "{t}");
    assert!(!t.contains("panicked"), "{t}");
    assert!(!tmp.path().join("site.toml").exists());
    assert_eq!(
        fs::read_to_string(tmp.path().join("notes.txt"))
            .ok()
            .as_deref(),
        Some("mine")
    );
}

#[test]
fn init_refuses_an_unknown_language() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = apparat(tmp.path(), &["init", "ed", "--language", "de"]);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!tmp.path().join("ed").exists());
}
