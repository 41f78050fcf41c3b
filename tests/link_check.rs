//! Issue 13: `check` and `build` resolve every internal link written in
//! content (pages, files, fragments), through the real binary.

mod common;
mod fixture;
use fixture::*;

/// The small edition of tests/common, whose links all lead somewhere.
fn edition() -> Site {
    let s = Site::new();
    common::write_fixture(s.path());
    s
}

/// Appends `line` to the home page and returns the line number it is on.
fn add_to_home(s: &Site, line: &str) -> usize {
    let home = s.read("content/_index.md");
    let text = format!("{home}\n{line}\n");
    s.write("content/_index.md", &text);
    text.lines().count()
}

#[test]
fn the_fixture_edition_has_no_broken_link() {
    let s = edition();
    let o = s.check();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_link_to_a_missing_page_fails_check_and_build_at_its_position() {
    let s = edition();
    let line = add_to_home(&s, "Voir [le texte](/textes/).");
    for o in [s.check(), s.build()] {
        assert_fails_with(
            &o,
            &format!(
                "content/_index.md:{line}:6: error: broken link `/textes/`: no page or file at `/textes/` (did you mean `/texte/`?)"
            ),
        );
    }
    // without the trailing slash: the page's URL is named
    s.write(
        "content/_index.md",
        "+++\ntitle = \"x\"\n+++\n[t](/texte)\n",
    );
    assert_fails_with(&s.check(), "write `/texte/`");
}

#[test]
fn a_missing_fragment_is_an_error_with_the_nearest_anchor() {
    let s = edition();
    let line = add_to_home(
        &s,
        "[a](/texte/#p-9), [b](/apropos/#contexe), [c](/personnes/#dupond), [d](#bienvenu).",
    );
    let o = s.check();
    let err = stderr(&o);
    for (col, want) in [
        (
            1,
            "the page `/texte/` has no anchor `#p-9` (did you mean `#p-1`?)",
        ),
        (
            19,
            "the page `/apropos/` has no anchor `#contexe` (did you mean `#contexte`?)",
        ),
        (
            43,
            "the page `/personnes/` has no anchor `#dupond` (did you mean `#dupont`?)",
        ),
        (
            68,
            "the page `/` has no anchor `#bienvenu` (did you mean `#bienvenue`?)",
        ),
    ] {
        assert!(
            err.contains(&format!(
                "content/_index.md:{line}:{col}: error: broken link"
            )),
            "col {col}:\n{err}"
        );
        assert!(err.contains(want), "{want}:\n{err}");
    }
    assert_fails_with(&o, "4 errors");
}

#[test]
fn every_generated_anchor_and_file_can_be_linked() {
    let s = edition();
    add_to_home(
        &s,
        concat!(
            "[1](/texte/#p-2) [2](/texte/#n-1) [3](/texte/#call-n-1) [4](/texte/#em-1) ",
            "[5](/texte/#m-dupont-1) [6](/texte/#premiere-partie) [7](/texte/#apparatus) ",
            "[8](/personnes/#dupont) [9](/assets/style.css) [10](/img/p.png) [11](/sitemap.xml) ",
            "[12](/texte/index.html#p-1) [13](/texte/source/) ![14](/img/p.jpg)"
        ),
    );
    let o = s.check();
    assert!(o.status.success(), "{}", stderr(&o));
    // a missing file is caught too, images included
    add_to_home(&s, "![x](/img/q.png) [y](/data.jsn)");
    let o = s.check();
    assert_fails_with(
        &o,
        "broken link `/img/q.png`: no page or file at `/img/q.png` (did you mean `/img/p.png`?)",
    );
    assert_fails_with(&o, "broken link `/data.jsn`");
}

#[test]
fn relative_links_resolve_and_name_index_html_offline() {
    let s = edition();
    s.write(
        "content/apropos.md",
        "+++\ntitle = \"À propos\"\n+++\n## Contexte\n\n[texte](../texte/#p-1), [accueil](../), [index](../personnes/index.html#dupont).\n",
    );
    let o = s.check();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = s.run(&["build", "--offline"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = s.read("public/apropos/index.html");
    for href in [
        "href=\"../texte/index.html#p-1\"",
        "href=\"../index.html\"",
        "href=\"../personnes/index.html#dupont\"",
    ] {
        assert!(html.contains(href), "{href}:\n{html}");
    }
    // a relative link that leads nowhere
    s.write(
        "content/apropos.md",
        "+++\ntitle = \"À propos\"\n+++\n[texte](../textes/) [haut](../../x/)\n",
    );
    let o = s.check();
    assert_fails_with(&o, "content/apropos.md:4:1: error: broken link `../textes/`: no page or file at `/textes/` (did you mean `/texte/`?)");
    assert_fails_with(&o, "broken link `../../x/`: it leads above the site's root");
}

#[test]
fn content_path_links_name_the_page_file() {
    let s = edition();
    add_to_home(&s, "[texte](@/texte.md#p-2) et [accueil](@/_index.md).");
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let html = s.read("public/index.html");
    assert!(html.contains("href=\"texte/#p-2\""), "{html}");
    assert!(html.contains("href=\"./\""), "{html}");
    let line = add_to_home(&s, "[x](@/textes.md) [y](@/texte.md#p-7)");
    let o = s.check();
    assert_fails_with(
        &o,
        &format!("content/_index.md:{line}:1: error: broken link `@/textes.md`: there is no page `content/textes.md` (did you mean `@/texte.md`?)"),
    );
    assert_fails_with(
        &o,
        "broken link `@/texte.md#p-7`: the page `/texte/` has no anchor `#p-7`",
    );
}

#[test]
fn broken_links_can_be_warnings() {
    let s = edition();
    let toml = s.read("site.toml");
    s.write("site.toml", &format!("{toml}broken_links = \"warning\"\n"));
    add_to_home(&s, "[x](/nulle-part/)");
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: broken link `/nulle-part/`"),
        "{}",
        stderr(&o)
    );
}

/// A serve session keeps each page's verdict while no page's ids change
/// (see `linkcheck::LinkCache`): a page whose links did not change is
/// checked again when a page it links to loses the anchor, and a kept
/// warning is reported by every build.
#[test]
fn a_session_checks_again_the_links_into_a_changed_page() {
    let s = edition();
    let opts = apparat::BuildOptions {
        root: s.path().to_path_buf(),
        output: Some(s.path().join("public")),
        ..Default::default()
    };
    let mut session = apparat::Session::default();
    if let Err(d) = session.render(&opts, &[]) {
        panic!("first build failed:\n{d}");
    }
    // the heading content/texte.md links to goes
    let about = s.read("content/apropos.md");
    s.write(
        "content/apropos.md",
        &about.replace("## Contexte", "## Cadre"),
    );
    let changed = [s.path().join("content/apropos.md")];
    let err = match session.render(&opts, &changed) {
        Ok(_) => panic!("the link into the changed page was not checked again"),
        Err(d) => d.to_string(),
    };
    assert!(
        err.contains("content/texte.md:") && err.contains("has no anchor `#contexte`"),
        "{err}"
    );
    // back: the link leads somewhere again
    s.write("content/apropos.md", &about);
    if let Err(d) = session.render(&opts, &changed) {
        panic!("the restored heading still fails:\n{d}");
    }
    // a warning is reported again when only another page changed
    let toml = s.read("site.toml");
    s.write("site.toml", &format!("{toml}broken_links = \"warning\"\n"));
    let home = s.read("content/_index.md");
    s.write("content/_index.md", &format!("{home}\n[x](/nulle-part/)\n"));
    let both = [
        s.path().join("site.toml"),
        s.path().join("content/_index.md"),
    ];
    for changed in [&both[..], &changed[..]] {
        if changed.len() == 1 {
            s.write("content/apropos.md", &format!("{about}\nUn mot de plus.\n"));
        }
        match session.render(&opts, changed) {
            Ok((_, _, warnings)) => assert!(
                warnings
                    .to_string()
                    .contains("warning: broken link `/nulle-part/`"),
                "{warnings}"
            ),
            Err(d) => panic!("a warning failed the build:\n{d}"),
        }
    }
}
