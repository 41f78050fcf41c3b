//! Issue 2: the generator on small fixture sites, through the real binary.

mod fixture;
use fixture::*;

fn page(title: &str, extra: &str, body: &str) -> String {
    format!("+++\ntitle = \"{title}\"\n{extra}+++\n{body}\n")
}

#[test]
fn pretty_urls_and_sections() {
    let s = Site::new();
    s.write("content/_index.md", &page("Accueil", "", "Bienvenue."));
    s.write("content/about.md", &page("À propos", "", "Texte."));
    s.write(
        "content/textes/_index.md",
        &page("Textes", "", "Les textes."),
    );
    s.write("content/textes/b.md", &page("Bêta", "weight = 2\n", "B."));
    s.write("content/textes/a.md", &page("Alpha", "weight = 2\n", "A."));
    s.write("content/textes/z.md", &page("Zêta", "weight = 1\n", "Z."));
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "public/index.html",
        "public/about/index.html",
        "public/textes/index.html",
        "public/textes/a/index.html",
        "public/404.html",
        "public/sitemap.xml",
        "public/robots.txt",
        "public/.nojekyll",
    ] {
        assert!(s.exists(f), "missing {f}");
    }
    // weight, then title
    let listing = s.read("public/textes/index.html");
    let (z, a, b) = (
        listing.find("Zêta").expect("z"),
        listing.find("Alpha").expect("a"),
        listing.find("Bêta").expect("b"),
    );
    assert!(z < a && a < b, "order z<a<b expected:\n{listing}");
    // links are relative
    let about = s.read("public/about/index.html");
    assert!(about.contains("href=\"../assets/style.css\""), "{about}");
    let out = stdout(&o);
    assert!(
        out.starts_with("built 6 pages, 0 notes, 0 persons in "),
        "{out}"
    );
    assert!(out.trim_end().ends_with(" ms → public/"), "{out}");
}

#[test]
fn quiet_silences_the_summary() {
    let s = Site::new();
    s.write("content/_index.md", &page("Accueil", "", "x"));
    let o = s.run(&["build", "--quiet"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), "");
}

#[test]
fn front_matter_types_are_checked() {
    let s = Site::new();
    s.write("content/_index.md", &page("Accueil", "", "x"));
    s.write(
        "content/a.md",
        "+++\ntitle = \"A\"\nweight = \"heavy\"\n+++\nx\n",
    );
    let o = s.build();
    assert_fails_with(&o, "content/a.md:3:10: error:");
    assert!(stderr(&o).contains("weight = \"heavy\""), "quotes the line");
}

#[test]
fn unknown_front_matter_key_is_an_error() {
    let s = Site::new();
    s.write(
        "content/a.md",
        "+++\ntitle = \"A\"\ncolour = \"red\"\n+++\nx\n",
    );
    assert_fails_with(
        &s.build(),
        "content/a.md:3:1: error: unknown field `colour`",
    );
}

#[test]
fn unknown_site_key_is_an_error_with_its_line() {
    let s = Site::new();
    s.write("site.toml", "title = \"T\"\n\ncolour = 3\n");
    s.write("content/a.md", &page("A", "", "x"));
    assert_fails_with(&s.build(), "site.toml:3:1: error: unknown field `colour`");
}

#[test]
fn titles_are_escaped() {
    let s = Site::new();
    s.write("content/a.md", &page("<script>alert(1)</script>", "", "x"));
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let html = s.read("public/a/index.html");
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
}

#[test]
fn drafts_are_left_out_unless_asked() {
    let s = Site::new();
    s.write("content/a.md", &page("A", "draft = true\n", "x"));
    assert!(s.build().status.success());
    assert!(!s.exists("public/a/index.html"));
    assert!(s.run(&["build", "--drafts"]).status.success());
    assert!(s.exists("public/a/index.html"));
}

#[test]
fn static_files_are_copied_verbatim() {
    let s = Site::new();
    s.write("content/a.md", &page("A", "", "x"));
    s.write_bytes("static/CNAME", b"edition.example.org\n");
    s.write_bytes("static/img/x.bin", &[0, 159, 146, 150]);
    assert!(s.build().status.success());
    assert_eq!(s.read("public/CNAME"), "edition.example.org\n");
    assert_eq!(
        std::fs::read(s.path().join("public/img/x.bin")).expect("bin"),
        vec![0, 159, 146, 150]
    );
}

#[test]
fn templates_are_overridable() {
    let s = Site::new();
    s.write("content/a.md", &page("A", "", "x"));
    s.write(
        "templates/page.html",
        "<!DOCTYPE html><title>{{ page.title }}</title><p>custom {{ site.title }}</p>",
    );
    assert!(s.build().status.success());
    assert!(s
        .read("public/a/index.html")
        .contains("<p>custom Test edition</p>"));
}

#[test]
fn builds_are_deterministic() {
    let s = Site::with_register();
    s.write("content/_index.md", &page("Accueil", "", "x"));
    s.write(
        "content/t.md",
        &page(
            "T",
            "kind = \"text\"\n",
            "Un [Luis](person:humbert-droz) et {~~a~>b~~}.[^1]\n\n[^1]: Note.",
        ),
    );
    assert!(s.build().status.success());
    let first = tree(&s.path().join("public"));
    assert!(s.build().status.success());
    let second = tree(&s.path().join("public"));
    assert!(first.len() > 5);
    assert_eq!(first, second);
}

#[test]
fn a_failed_build_leaves_the_previous_output_identical() {
    let s = Site::new();
    s.write("content/a.md", &page("A", "", "x"));
    assert!(s.build().status.success());
    let before = tree(&s.path().join("public"));
    s.write("content/b.md", "+++\ntitle = \"B\"\n");
    assert_fails_with(
        &s.build(),
        "content/b.md:1:1: error: front matter is never closed",
    );
    assert_eq!(before, tree(&s.path().join("public")));
    // no temporary folders left behind
    let leftovers: Vec<_> = std::fs::read_dir(s.path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("apparat-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn every_problem_of_a_run_is_reported_together() {
    let s = Site::new();
    s.write("content/a.md", "+++\ntitle = \"A\"\n");
    s.write("content/b.md", "+++\ntitle = \"B\"\nfoo = 1\n+++\n");
    s.write("content/c.md", "");
    let o = s.build();
    assert_fails_with(&o, "content/a.md:1:1: error:");
    assert_fails_with(&o, "content/b.md:3:1: error:");
    assert_fails_with(&o, "content/c.md:1:1: error: empty file");
    assert!(stderr(&o).contains("3 errors"));
}

// ---- one test per bad input ----

#[test]
fn bad_invalid_utf8() {
    let s = Site::new();
    s.write_bytes(
        "content/a.md",
        b"+++\ntitle = \"A\"\n+++\nok \xff\xfe bad\n",
    );
    assert_fails_with(
        &s.build(),
        "content/a.md:4:4: error: file is not valid UTF-8",
    );
}

#[test]
fn bad_empty_file() {
    let s = Site::new();
    s.write("content/a.md", "");
    assert_fails_with(&s.build(), "content/a.md:1:1: error: empty file");
}

#[test]
fn bad_front_matter_never_closed() {
    let s = Site::new();
    s.write("content/a.md", "+++\ntitle = \"A\"\n\nBody.\n");
    assert_fails_with(
        &s.build(),
        "content/a.md:1:1: error: front matter is never closed",
    );
}

#[test]
fn bad_plus_line_inside_body() {
    let s = Site::new();
    s.write(
        "content/a.md",
        "+++\ntitle = \"A\"\n+++\nBody.\n\n+++\nauthor = \"B\"\n+++\n",
    );
    // (a `+++` paragraph of text is allowed: tests/markdown.rs)
    assert_fails_with(&s.build(), "content/a.md:6:1: error: `+++` inside the body");
}

#[test]
fn bad_missing_front_matter() {
    let s = Site::new();
    s.write("content/a.md", "# Title\n");
    assert_fails_with(
        &s.build(),
        "content/a.md:1:1: error: expected `+++` front matter",
    );
}

#[test]
fn bad_missing_template() {
    let s = Site::new();
    s.write(
        "content/a.md",
        "+++\ntitle = \"A\"\ntemplate = \"nope.html\"\n+++\nx\n",
    );
    assert_fails_with(
        &s.build(),
        "content/a.md:3:1: error: template `nope.html` not found",
    );
}

#[test]
fn bad_template_syntax_names_template_and_line() {
    let s = Site::new();
    s.write("content/a.md", &page("A", "", "x"));
    s.write("templates/page.html", "<p>\n{{ page.title \n</p>\n");
    let o = s.build();
    assert_fails_with(&o, "templates/page.html:");
    assert!(stderr(&o).contains("template syntax"), "{}", stderr(&o));
}

#[test]
fn bad_template_variable_names_template_and_line() {
    let s = Site::new();
    s.write("content/a.md", &page("A", "", "x"));
    s.write(
        "templates/page.html",
        "<p>ok</p>\n<p>{{ page.nothing_here }}</p>\n",
    );
    assert_fails_with(&s.build(), "templates/page.html:2:");
}

#[test]
fn bad_missing_site_toml() {
    let s = Site::new();
    std::fs::remove_file(s.path().join("site.toml")).expect("rm");
    s.write("content/a.md", &page("A", "", "x"));
    assert_fails_with(&s.build(), "site.toml: error: cannot read site.toml");
}

#[cfg(unix)]
#[test]
fn bad_unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let s = Site::new();
    s.write("content/a.md", &page("A", "", "x"));
    let p = s.path().join("content/a.md");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&p).is_ok() {
        // running as root: permissions do not stop us; make it a directory-like failure instead
        std::fs::remove_file(&p).expect("rm");
        std::fs::create_dir_all(s.path().join("content/b.md")).expect("dir");
        std::os::unix::fs::symlink("/nonexistent/target.md", s.path().join("content/a.md"))
            .expect("link");
    }
    let o = s.build();
    assert_fails_with(&o, "content/a.md: error: cannot read");
}

#[cfg(unix)]
#[test]
fn bad_symlink_loop() {
    let s = Site::new();
    s.write("content/a.md", &page("A", "", "x"));
    std::os::unix::fs::symlink("..", s.path().join("content/loop")).expect("symlink");
    assert_fails_with(&s.build(), "content/loop: error: symbolic link loop");
}

#[test]
fn bad_input_never_panics_and_keeps_old_output() {
    let s = Site::new();
    s.write("content/a.md", &page("A", "", "x"));
    assert!(s.build().status.success());
    let before = tree(&s.path().join("public"));
    for bad in [
        "",
        "+++",
        "+++\n+++\n",
        "+++\ntitle = 3\n+++\n",
        "\u{feff}+++\ntitle=\"x\"\n+++\n+++\nweight = 1\n",
    ] {
        s.write("content/b.md", bad);
        let o = s.build();
        assert_eq!(o.status.code(), Some(1), "input {bad:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
        assert_eq!(before, tree(&s.path().join("public")));
    }
}

#[test]
fn the_built_in_theme_is_written_and_an_edition_overrides_it_by_path() {
    let s = Site::new();
    s.write("content/_index.md", &page("Accueil", "", "Bienvenue."));
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    // a new edition without a static/ folder is styled and scripted
    for (path, bytes) in apparat::theme::FILES {
        let written = std::fs::read(s.path().join("public").join(path)).expect(path);
        assert_eq!(&written, bytes, "{path}");
    }
    let home = s.read("public/index.html");
    for link in [
        "assets/style.css",
        "assets/apparat.js",
        "assets/print.css",
        "assets/favicon.svg",
    ] {
        assert!(home.contains(link), "{link} not linked");
    }
    // a file at the same path in static/ replaces the built-in one, alone
    s.write("static/assets/style.css", "body { color: navy }\n");
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(s.read("public/assets/style.css"), "body { color: navy }\n");
    assert_eq!(
        std::fs::read(s.path().join("public/assets/apparat.js")).expect("js"),
        apparat::theme::FILES[0].1
    );
}
