//! Issue 14, part 5: translated texts (`translation_of`), aligned § by §
//! with their original, read alone with their own interface or side by
//! side with the original. Fixture tests through the real binary, then
//! tests on the edition in this repository.

mod fixture;
use fixture::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

const ORIGINAL: &str = r#"+++
title = "Une lettre"
kind = "text"
lang = "fr"
weight = 10
+++

Premier paragraphe, de [Jules Humbert-Droz](person:humbert-droz).[^1]

> « Une citation en bloc. »

Troisième paragraphe.[^2]

[^1]: Première note.

[^2]: Seconde note.
"#;

const TRANSLATION: &str = r#"+++
title = "Una carta"
kind = "text"
lang = "es"
weight = 10
translation_of = "lettre"
+++

Primer párrafo, de [Jules Humbert-Droz](person:humbert-droz).[^1]

> «Una cita en bloque.»

Tercer párrafo.[^2]

[^1]: Primera nota.

[^2]: Segunda nota.
"#;

fn site(translation: &str) -> Site {
    let s = Site::with_register();
    s.write("content/lettre.md", ORIGINAL);
    s.write("content/es/lettre.md", translation);
    s
}

#[test]
fn a_translation_that_misses_a_paragraph_or_a_note_is_an_error_at_its_translation_of() {
    let ok = site(TRANSLATION);
    let o = ok.check();
    assert!(o.status.success(), "{}", stderr(&o));
    // the second paragraph left out
    let s = site(&TRANSLATION.replace("> «Una cita en bloque.»\n\n", ""));
    let o = s.check();
    assert_fails_with(
        &o,
        "content/es/lettre.md:6:18: error: this translation has 2 numbered paragraphs and its original `content/lettre.md` has 3",
    );
    // a note of the original left out, a note the original does not have
    let s = site(
        &TRANSLATION
            .replace("Tercer párrafo.[^2]", "Tercer párrafo.[^3]")
            .replace("[^2]: Segunda nota.", "[^3]: Segunda nota."),
    );
    let o = s.check();
    assert_fails_with(&o, "content/es/lettre.md:6:18: error: note `[^2]` of the original `content/lettre.md` (called in § 3) has no translation");
    assert_fails_with(
        &o,
        "content/es/lettre.md:17:1: error: note `[^3]` is not a note of the original",
    );
    // a note called in another paragraph than in the original
    let s = site(
        &TRANSLATION
            .replace("Tercer párrafo.[^2]", "Tercer párrafo.")
            .replace("«Una cita en bloque.»", "«Una cita en bloque.»[^2]"),
    );
    assert_fails_with(
        &s.check(),
        "error: note `[^2]` is first called in § 2 here and in § 3 of the original",
    );
    // a translation of nothing
    let s = site(&TRANSLATION.replace(
        "translation_of = \"lettre\"",
        "translation_of = \"lettres\"",
    ));
    assert_fails_with(
        &s.check(),
        "content/es/lettre.md:6:18: error: `translation_of = \"lettres\"` names no page",
    );
}

/// The rows of a parallel view: § number → (original column, translation column).
fn rows(html: &str) -> BTreeMap<u32, (String, String)> {
    let mut out = BTreeMap::new();
    for part in html.split("<section class=\"par-row\"").skip(1) {
        let row = part.split("</section>").next().unwrap_or("");
        let Some(n) = row
            .split("data-n=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let (orig, tr) = row
            .split_once("<div class=\"par-col par-translation\"")
            .unwrap_or_else(|| panic!("row {n} has no translation column"));
        out.insert(n, (orig.to_string(), tr.to_string()));
    }
    out
}

fn ids(html: &str) -> Vec<String> {
    html.split(" id=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_parallel_view_pairs_each_paragraph_with_its_translation() {
    let s = site(TRANSLATION);
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let html = s.read("public/es/lettre/parallel/index.html");
    let rows = rows(&html);
    assert_eq!(
        rows.keys().copied().collect::<Vec<_>>(),
        vec![1, 2, 3],
        "{html}"
    );
    for (n, fr, es) in [
        (1, "Premier paragraphe", "Primer párrafo"),
        (2, "Une citation en bloc", "Una cita en bloque"),
        (3, "Troisième paragraphe", "Tercer párrafo"),
    ] {
        let (o, t) = &rows[&n];
        assert!(
            o.contains(fr) && o.contains(&format!("id=\"fr-p-{n}\"")),
            "§ {n}: {o}"
        );
        assert!(
            t.contains(es) && t.contains(&format!("id=\"es-p-{n}\"")),
            "§ {n}: {t}"
        );
        assert!(
            !o.contains(es) && !t.contains(fr),
            "§ {n} mixes its columns"
        );
    }
    // each note stays with its paragraph, in both languages
    assert!(rows[&3].0.contains("Seconde note") && rows[&3].1.contains("Segunda nota"));
    // two texts on one page, no id twice, every link to an id of the page lands
    let all = ids(&html);
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "duplicate ids");
    for target in html
        .split("href=\"#")
        .skip(1)
        .filter_map(|r| r.split('"').next())
    {
        assert!(
            unique.contains(&target.to_string()),
            "link to a missing id #{target}"
        );
    }
    assert!(html.contains("<html lang=\"es\""));
    assert!(html.contains("class=\"par-col par-original\" lang=\"fr\""));
}

#[test]
fn the_translation_is_a_spanish_page_with_the_spanish_interface_linked_to_its_original() {
    let s = site(TRANSLATION);
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let es = s.read("public/es/lettre/index.html");
    assert!(es.contains("<html lang=\"es\""));
    for spanish in [
        "Volver a la llamada de la nota",
        "Enlace permanente al párrafo 1",
        "Notas del autor",
        "Citar esta edición",
        "Traducción de la edición. Solo el texto original (francés) hace fe.",
    ] {
        assert!(es.contains(spanish), "`{spanish}` missing:\n{es}");
    }
    for french in ["Retour à l'appel", "Lien permanent", "Citer cette édition"] {
        assert!(!es.contains(french), "`{french}` on the Spanish page");
    }
    // the header and footer are not marked as another language than the
    // page, but the titles of the edition's pages in its language are
    assert!(!es.contains("class=\"site-header\" lang="), "{es}");
    assert!(es.contains(" lang=\"fr\">Index des personnes</a>"), "{es}");
    // the language switch, both ways, and the parallel view
    assert!(
        es.contains("href=\"../../lettre/\" hreflang=\"fr\""),
        "{es}"
    );
    assert!(es.contains("href=\"../../es/lettre/parallel/\""), "{es}");
    let fr = s.read("public/lettre/index.html");
    assert!(fr.contains("<html lang=\"fr\""));
    assert!(fr.contains("Lien permanent vers le paragraphe 1"));
    assert!(
        fr.contains("href=\"../es/lettre/\" hreflang=\"es\""),
        "{fr}"
    );
    assert!(fr.contains("href=\"../es/lettre/parallel/\""), "{fr}");
    // a translation is not a text of its own in the menu
    assert!(!fr.contains("Una carta</span>"), "{fr}");
    // nor in the person index, which lists the original's occurrences (the
    // translation's mentions link to it all the same: the § are the same)
    let index = s.read("public/personnes/index.html");
    assert!(index.contains("Une lettre"), "{index}");
    assert!(!index.contains("Una carta"), "{index}");
    assert!(
        es.contains("href=\"../../personnes/#humbert-droz\""),
        "{es}"
    );
}

// ---------- the edition in this repository ----------

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const PAIRS: [(&str, &str); 3] = [
    ("paris-1978", "es/paris-1978"),
    ("humanite-1927", "es/humanite-1927"),
    ("humanite-1930", "es/humanite-1930"),
];

#[test]
fn every_paragraph_and_every_note_of_the_three_texts_has_its_spanish_translation() {
    let opts = apparat::BuildOptions {
        root: root(),
        ..Default::default()
    };
    let (ed, diags) = apparat::check(&opts);
    assert!(
        diags.is_empty(),
        "apparat check must report nothing:\n{diags}"
    );
    let (_, ed) = ed.expect("edition");
    let page = |rel: &str| {
        ed.entries
            .iter()
            .find(|e| e.page.rel == rel)
            .unwrap_or_else(|| panic!("no page {rel}"))
    };
    let mut total = 0;
    for (fr, es) in PAIRS {
        let (f, e) = (page(fr), page(es));
        assert_eq!(e.page.front.translation_of.as_deref(), Some(fr));
        assert_eq!(e.page.front.lang.as_deref(), Some("es"));
        // every § counted, in both languages: § 1 … § N and nothing more
        let count = |html: &str| {
            (1..)
                .take_while(|n| {
                    html.contains(&format!(" {}=\"{n}\"", apparat::markup::markers().para))
                })
                .count()
        };
        assert!(f.doc.paragraphs > 0);
        assert_eq!(count(&f.doc.html), f.doc.paragraphs as usize);
        assert_eq!(
            count(&e.doc.html),
            f.doc.paragraphs as usize,
            "{es}: every § of {fr} needs its translation"
        );
        total += f.doc.paragraphs;
        // every author's note, with a text, called in the same §
        let notes = |x: &apparat::edition::Entry| -> BTreeMap<String, Option<u32>> {
            x.doc
                .notes
                .iter()
                .filter(|n| n.series == apparat::markup::Series::Author)
                .map(|n| (n.label.clone(), n.para))
                .collect()
        };
        assert_eq!(notes(e), notes(f), "{es}: the notes of {fr}");
        // the same persons, as often
        let persons = |x: &apparat::edition::Entry| -> BTreeMap<String, usize> {
            let mut m = BTreeMap::new();
            for p in &x.doc.mentions {
                *m.entry(p.person.clone()).or_default() += 1;
            }
            m
        };
        if fr == "paris-1978" {
            assert_eq!(persons(e), persons(f), "{es}: person mentions");
        }
    }
    // the article's, the 1927 document's and the 1930 document's §
    assert!(total >= 3 + 3 + 3, "{total}");
    let article_notes = page("es/paris-1978")
        .doc
        .notes
        .iter()
        .filter(|n| n.series == apparat::markup::Series::Author)
        .count();
    assert_eq!(article_notes, 27);
}

#[test]
fn the_home_and_principles_pages_offer_the_spanish_reading_text_and_it_is_there() {
    let dir = tempfile::tempdir().expect("tmp");
    let opts = apparat::BuildOptions {
        root: root(),
        output: Some(dir.path().join("out")),
        ..Default::default()
    };
    apparat::build(&opts)
        .map_err(|d| d.to_string())
        .expect("build");
    let read = |rel: &str| {
        std::fs::read_to_string(dir.path().join("out").join(rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    for (page, claim) in [
        (
            "index.html",
            "traduction espagnole complète des trois textes",
        ),
        (
            "principes/index.html",
            "traduction espagnole complète des trois textes",
        ),
        (
            "principios/index.html",
            "traducción española completa de los tres textos",
        ),
    ] {
        let html = read(page);
        assert!(html.contains(claim), "{page}: `{claim}`");
        for (_, es) in PAIRS {
            assert!(html.contains(&format!("{es}/\"")), "{page} links {es}");
        }
        assert!(
            html.contains("es/paris-1978/parallel/\""),
            "{page} links the parallel view"
        );
    }
    // and what they offer exists: each text in Spanish alone, and beside the French
    for (fr, es) in PAIRS {
        let alone = read(&format!("{es}/index.html"));
        assert!(alone.contains("<html lang=\"es\""));
        // cited as what was published, the original, in the translation's words
        let cite = alone.split("id=\"cite-chicago\"").nth(1).unwrap_or("");
        let cite = cite.split("</p>").next().unwrap_or("");
        assert!(
            cite.contains("; traducción de la edición, edición crítica digital, "),
            "{cite}"
        );
        assert!(!cite.contains("édition critique"), "{cite}");
        if es == "es/paris-1978" {
            assert!(cite.contains("Deux témoignages inédits»"), "{cite}");
        }
        let parallel = read(&format!("{es}/parallel/index.html"));
        let n = read(&format!("{fr}/index.html"))
            .matches("class=\"pnum\"")
            .count();
        assert!(n > 0);
        assert_eq!(rows(&parallel).len(), n, "{es}: one row per § of {fr}");
        for (k, (o, t)) in rows(&parallel) {
            assert!(
                o.contains(&format!("id=\"fr-p-{k}\"")),
                "{es} § {k}: French"
            );
            assert!(
                t.contains(&format!("id=\"es-p-{k}\"")),
                "{es} § {k}: Spanish"
            );
        }
    }
}

#[test]
fn every_editorial_note_of_the_three_texts_has_its_spanish_counterpart_called_once() {
    let opts = apparat::BuildOptions {
        root: root(),
        ..Default::default()
    };
    let (ed, _) = apparat::check(&opts);
    let (_, ed) = ed.expect("edition");
    let page = |rel: &str| {
        ed.entries
            .iter()
            .find(|e| e.page.rel == rel)
            .unwrap_or_else(|| panic!("no page {rel}"))
    };
    // label -> (number of calls, § of the first call)
    let editorial = |x: &apparat::edition::Entry| -> BTreeMap<String, (usize, Option<u32>)> {
        x.doc
            .notes
            .iter()
            .filter(|n| n.series == apparat::markup::Series::Editorial)
            .map(|n| (n.label.clone(), (n.calls, n.para)))
            .collect()
    };
    let mut total = 0;
    for (fr, es) in PAIRS {
        let (f, e) = (editorial(page(fr)), editorial(page(es)));
        assert!(!f.is_empty(), "{fr} has editorial notes");
        total += f.len();
        assert_eq!(
            e.keys().collect::<Vec<_>>(),
            f.keys().collect::<Vec<_>>(),
            "{es}: the editorial notes of {fr}, with the same labels"
        );
        for (label, (calls, para)) in &e {
            assert_eq!(*calls, 1, "{es}: [^{label}] is called once");
            assert_eq!(
                *para, f[label].1,
                "{es}: [^{label}] is called in the § of its French call"
            );
        }
        // and the Spanish page shows them, each with its text
        let html = &page(es).doc.html;
        for label in f.keys() {
            assert!(
                html.contains(&format!("id=\"{label}\"")),
                "{es}: the note {label} is shown"
            );
        }
    }
    // 25 in the article, 4 in each document
    assert_eq!(total, 25 + 4 + 4);
}
