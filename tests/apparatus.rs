//! Issue 3: the edition's apparatus on fixture sites.

mod fixture;
use fixture::*;
use std::collections::{BTreeSet, HashMap};

const TEXT: &str = r#"+++
title = "Texte"
kind = "text"
lang = "fr"
weight = 1
+++
Premier paragraphe avec [Humbert-Droz](person:humbert-droz)[^1] et une correction {~~Mariâtegui~>Mariátegui~~}.

Second paragraphe, où ["Luis"](person:humbert-droz) parle de *[Siete ensayos](lang:es "Sept essais")*[^ed-a] et rappelle la note[^1], {++un ajout++} et [Álvarez](person:alvarez).

::: parallel

:: fr original

Première phrase.[^2]

¶ Deuxième phrase avec [Avila](person:avila).

:: es translation

Primera frase.

¶ Segunda frase con [Avila](person:avila).

:::

[^1]: Note de l'auteur avec [Humbert-Droz](person:humbert-droz) et {~~VIO~>VIe~~}.

    Second paragraphe de la note.

[^2]: *Idem*.

[^ed-a]: Note de l'édition.
"#;

fn site() -> Site {
    let s = Site::with_register();
    s.write(
        "content/_index.md",
        "+++\ntitle = \"Accueil\"\n+++\nAccueil.\n",
    );
    s.write("content/texte.md", TEXT);
    s
}

fn ids(html: &str) -> BTreeSet<String> {
    let mut v = BTreeSet::new();
    let mut rest = html;
    while let Some(i) = rest.find(" id=\"") {
        rest = &rest[i + 5..];
        if let Some(e) = rest.find('"') {
            v.insert(rest[..e].to_string());
        }
    }
    v
}

fn attr_values(html: &str, attr: &str) -> Vec<String> {
    let pat = format!(" {attr}=\"");
    let mut v = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&pat) {
        rest = &rest[i + pat.len()..];
        if let Some(e) = rest.find('"') {
            v.push(rest[..e].to_string());
        }
    }
    v
}

#[test]
fn notes_link_both_ways_with_roles_and_names() {
    let s = site();
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let html = s.read("public/texte/index.html");
    // two calls of note 1, each with its own id, and two back-links with accessible names
    assert!(
        html.contains("id=\"call-n-1\" href=\"#n-1\" role=\"doc-noteref\""),
        "{html}"
    );
    assert!(html.contains("id=\"call-n-1-2\" href=\"#n-1\" role=\"doc-noteref\""));
    assert!(html.contains("href=\"#call-n-1\" role=\"doc-backlink\" aria-label=\"Retour à l&#39;appel 1 de la note 1\""));
    assert!(html.contains("href=\"#call-n-1-2\" role=\"doc-backlink\" aria-label=\"Retour à l&#39;appel 2 de la note 1\""));
    // editorial series is distinct
    assert!(html.contains("<div class=\"note note-editorial\" id=\"ed-a\" role=\"doc-footnote\""));
    assert!(html.contains("class=\"noteref noteref-editorial\" id=\"call-ed-a\""));
    // note text emitted once, with block content
    assert_eq!(html.matches("id=\"n-1\"").count(), 1);
    assert!(html.contains("<p>Second paragraphe de la note.</p>"));
    // notes are placed after the block of their first call
    let p1 = html.find("id=\"p-1\"").expect("p-1");
    let n1 = html.find("id=\"n-1\"").expect("n-1");
    let p2 = html.find("id=\"p-2\"").expect("p-2");
    assert!(p1 < n1 && n1 < p2);
}

#[test]
fn every_fragment_link_finds_its_target() {
    let s = site();
    assert!(s.build().status.success());
    let mut pages: HashMap<String, String> = HashMap::new();
    for (rel, bytes) in tree(&s.path().join("public")) {
        if rel.extension().and_then(|e| e.to_str()) == Some("html") {
            pages.insert(
                rel.to_string_lossy().into_owned(),
                String::from_utf8(bytes).expect("utf8"),
            );
        }
    }
    let mut checked = 0;
    for (name, html) in &pages {
        let here = ids(html);
        for href in attr_values(html, "href") {
            if let Some(frag) = href.strip_prefix('#') {
                assert!(here.contains(frag), "{name}: #{frag} has no target");
                checked += 1;
            } else if let Some((path, frag)) = href.split_once('#') {
                if path.contains("://") {
                    continue;
                }
                // resolve relative to the page's folder
                let dir = std::path::Path::new(name).parent().expect("parent");
                let mut target = dir.join(path);
                if path.ends_with('/') || path.is_empty() {
                    target = target.join("index.html");
                }
                let norm = normalize(&target);
                let page = pages
                    .get(&norm)
                    .unwrap_or_else(|| panic!("{name}: {href} → {norm} missing"));
                assert!(
                    ids(page).contains(frag),
                    "{name}: {href}: no id {frag} in {norm}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "only {checked} fragment links checked");
}

fn normalize(p: &std::path::Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

#[test]
fn mentions_and_index_resolve_both_ways() {
    let s = site();
    assert!(s.build().status.success());
    let text = s.read("public/texte/index.html");
    let index = s.read("public/personnes/index.html");
    // mention → index entry
    assert!(text.contains("<a class=\"person\" id=\"m-humbert-droz-1\" href=\"../personnes/#humbert-droz\">Humbert-Droz</a>"));
    assert!(index.contains("id=\"humbert-droz\""));
    // index → every occurrence, including those in notes and in parallel blocks
    for m in [
        "m-humbert-droz-1",
        "m-humbert-droz-2",
        "m-humbert-droz-3",
        "m-avila-1",
        "m-avila-2",
        "m-alvarez-1",
    ] {
        assert!(
            index.contains(&format!("href=\"../texte/#{m}\"")),
            "index lacks {m}:\n{index}"
        );
        assert!(text.contains(&format!("id=\"{m}\"")));
    }
    assert!(
        index.contains("note 1"),
        "mentions in notes are marked as such"
    );
    // accent-aware order: Álvarez, Avila, Humbert-Droz; pseudonym cross-reference
    let (a1, a2, h) = (
        index.find("id=\"alvarez\"").expect("alvarez"),
        index.find("id=\"avila\"").expect("avila"),
        index.find("id=\"humbert-droz\"").expect("hd"),
    );
    assert!(a1 < a2 && a2 < h);
    assert!(
        index.contains("Luis")
            && index.contains("(pseudonyme)")
            && index.contains("→ <a href=\"#humbert-droz\">Humbert-Droz, Jules</a>"),
        "{index}"
    );
    assert!(index.contains("(1891–1971)"));
}

#[test]
fn parallel_blocks_align_segments_with_languages() {
    let s = site();
    assert!(s.build().status.success());
    let html = s.read("public/texte/index.html");
    assert!(html.contains("<figure class=\"parallel\" id=\"p-3\">"));
    for i in 1..=2 {
        let o = format!("id=\"par1-s{i}-original\" data-pair=\"par1-s{i}-translation\"");
        let t = format!("id=\"par1-s{i}-translation\" data-pair=\"par1-s{i}-original\"");
        assert!(
            html.contains(&o) && html.contains(&t),
            "segment {i} pair:\n{html}"
        );
    }
    assert!(html.contains("class=\"seg seg-original\" lang=\"fr\""));
    assert!(html.contains("class=\"seg seg-translation\" lang=\"es\""));
    assert!(html.contains("traduction de l&#39;édition"));
    assert!(html.contains("class=\"seg-row newpara\""));
    assert!(!html.contains("¶"), "pilcrow markers are consumed");
}

#[test]
fn foreign_spans_glosses_and_emendations() {
    let s = site();
    assert!(s.build().status.success());
    let html = s.read("public/texte/index.html");
    assert!(html.contains("<span class=\"foreign\" lang=\"es\">Siete ensayos</span>"));
    assert!(html.contains("<span class=\"gloss\" lang=\"fr\">"));
    assert!(html.contains("data-source=\"source\u{a0}: Mariâtegui\">Mariátegui</span>"));
    assert!(html.contains("class=\"emend emend-add\""));
    // the apparatus of emendations lists every one, linking to it
    assert!(html.contains("id=\"apparatus\""));
    for id in ["em-1", "em-2", "em-3"] {
        assert!(
            html.contains(&format!("href=\"#{id}\"")),
            "apparatus lacks {id}"
        );
    }
    assert!(html.contains("<span class=\"lemma\">VIe</span> ] VIO"));
}

#[test]
fn paragraphs_are_numbered_with_stable_ids() {
    let s = site();
    assert!(s.build().status.success());
    let html = s.read("public/texte/index.html");
    assert!(html.contains("<p id=\"p-1\"><a class=\"pnum\" href=\"#p-1\""));
    assert!(html.contains("<p id=\"p-2\">"));
    assert!(
        html.contains("<figure class=\"parallel\" id=\"par1\">") || html.contains("id=\"p-3\"")
    );
    // the parallel block is § 3
    assert!(html.contains("href=\"#p-3\""));
}

#[test]
fn authors_brackets_render_exactly() {
    let s = Site::with_register();
    s.write(
        "content/t.md",
        "+++\ntitle = \"T\"\nkind = \"text\"\n+++\n[Avila](person:avila) [Álvarez](person:alvarez) [Humbert-Droz](person:humbert-droz): printemps 27 [recte: 1929. – R.P.] et L'Amauta [sic], [...] fin.\n",
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let html = s.read("public/t/index.html");
    assert!(
        html.contains("printemps 27 [recte: 1929. – R.P.] et L’Amauta [sic], […] fin."),
        "{html}"
    );
}

#[test]
fn source_views_are_highlighted_with_classes() {
    let s = site();
    assert!(s.build().status.success());
    let src = s.read("public/texte/source/index.html");
    assert!(src.contains("class=\"hl-"), "syntect classes");
    assert!(!src.contains("style=\""), "no inline styles");
    assert!(s
        .read("public/texte/index.html")
        .contains("href=\"../texte/source/\""));
    assert!(s.read("public/assets/highlight.css").contains(".hl-"));
}

#[test]
fn examples_show_source_and_result_without_polluting_the_page() {
    let s = Site::with_register();
    s.write(
        "content/guide.md",
        "+++\ntitle = \"Guide\"\n+++\n[Avila](person:avila) [Álvarez](person:alvarez) [Humbert-Droz](person:humbert-droz)\n\n```example\nUn appel[^ed-x] et [Luis](person:humbert-droz).\n\n[^ed-x]: Note.\n```\n",
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let html = s.read("public/guide/index.html");
    assert!(html.contains("class=\"example-source\""));
    assert!(html.contains("id=\"ex1-ed-x\""), "example ids are prefixed");
    assert!(html.contains("href=\"#ex1-call-ed-x\""));
}

// ---- `apparat check`: every planted error with its position ----

#[test]
fn check_finds_every_planted_error() {
    let s = Site::with_register();
    s.write(
        "content/t.md",
        r#"+++
title = "T"
kind = "text"
+++
Appel orphelin[^9] et [X](person:nobody) et [Y](lang:xx) et {~~source sans lecture~~}.

Note jamais appelée ci-dessous. [Avila](person:avila) [Álvarez](person:alvarez) [Humbert-Droz](person:humbert-droz)

::: parallel

:: fr original

Un.

Deux.

:: es translation

Uno.

:::

[^1]: Jamais appelée.

[^1]: Doublon.
"#,
    );
    s.write("content/persons.toml", &format!("{REGISTER}\n[[person]]\nid = \"avila\"\nname = \"Dup\"\nsort = \"Dup\"\n\n[[person]]\nid = \"ghost\"\nname = \"Ghost\"\nsort = \"Ghost\"\n"));
    let o = s.check();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for needle in [
        "content/t.md:5:15: error: note call `[^9]` has no note text",
        "content/t.md:5:23: error: unknown person id `nobody`",
        "content/t.md:5:45: error: unknown language tag `xx`",
        "content/t.md:5:61: error: emendation without a reading",
        "content/t.md:9:1: error: unequal segment counts in parallel block: 2 in `fr`, 1 in `es`",
        "content/t.md:23:1: error: note `[^1]` is never called",
        "content/t.md:25:1: error: duplicate note label `[^1]`",
        "content/persons.toml:23:6: error: duplicate person id `avila`",
        "content/persons.toml:28:6: warning: register entry `ghost` is never mentioned",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    }
    assert!(!s.exists("public"), "check writes nothing");
}

#[test]
fn check_reports_malformed_parallel_blocks() {
    let s = Site::with_register();
    s.write(
        "content/t.md",
        "+++\ntitle = \"T\"\n+++\n[Avila](person:avila) [Álvarez](person:alvarez) [Humbert-Droz](person:humbert-droz)\n\n::: parallel\n\n:: fr original\n\nUn.\n\n:: es nonsense\n\nUno.\n",
    );
    let err = stderr(&s.check());
    assert!(
        err.contains(
            "content/t.md:12:1: error: parallel column role must be `original` or `translation`"
        ),
        "{err}"
    );
    assert!(
        err.contains("content/t.md:6:1: error: parallel block is never closed"),
        "{err}"
    );
    s.write(
        "content/t.md",
        "+++\ntitle = \"T\"\n+++\n[Avila](person:avila) [Álvarez](person:alvarez) [Humbert-Droz](person:humbert-droz)\n\n::: parallel\n:: fr original\n",
    );
    let err = stderr(&s.check());
    assert!(
        err.contains("content/t.md:6:1: error: malformed parallel-block marker"),
        "{err}"
    );
}

#[test]
fn build_runs_the_same_checks() {
    let s = Site::with_register();
    s.write(
        "content/t.md",
        "+++\ntitle = \"T\"\n+++\n[X](person:nobody)\n",
    );
    assert_fails_with(
        &s.build(),
        "content/t.md:4:1: error: unknown person id `nobody`",
    );
}

#[test]
fn check_reports_duplicate_ids() {
    let s = Site::with_register();
    s.write(
        "content/t.md",
        "+++\ntitle = \"T\"\n+++\n[Avila](person:avila) [Álvarez](person:alvarez) [Humbert-Droz](person:humbert-droz)\n\n## Un {#x}\n\n## Deux {#x}\n\n## Trois {#p-1}\n",
    );
    let err = stderr(&s.check());
    assert!(
        err.contains("content/t.md:8:1: error: duplicate id `x`"),
        "{err}"
    );
    assert!(
        err.contains("content/t.md:10:1: error: duplicate id `p-1`"),
        "{err}"
    );
}
