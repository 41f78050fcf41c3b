//! Issue 12, "Languages": every interface language (fr, es, en), with nothing
//! of one leaking into another; registers in any language; citations that
//! degrade gracefully; TOML dates. Through the real binary, on small editions
//! of their own.

mod fixture;
use fixture::*;

/// A small edition in `lang` (the pages' language), with every construct:
/// a text with a source, author's and editorial notes, an emendation, a
/// gloss, a parallel block, a person, the person index.
fn edition(site_extra: &str, lang: &str) -> Site {
    let s = Site::new();
    s.write(
        "site.toml",
        &format!(
            "title = \"Small edition\"\nbase_url = \"https://example.org/ed/\"\nlanguage = \"{lang}\"\nauthors = [\"Ann Smith\"]\neditors = [\"Bo Li\"]\nedition_year = \"2026\"\npersons_page = \"people\"\n{site_extra}"
        ),
    );
    s.write(
        "content/_index.md",
        "+++\ntitle = \"Home\"\n+++\nSee [the letter](/letter/) and [the people](/people/).\n",
    );
    s.write(
        "content/people.md",
        "+++\ntitle = \"People\"\ntemplate = \"persons.html\"\n+++\nThe people.\n",
    );
    s.write(
        "content/persons.toml",
        r#"[[person]]
id = "marti"
name = "José Martí"
sort = "Martí, José"
born = "1853"
died = "1895"
pseudonyms = ["Orestes"]
description = { en = "Cuban poet.", es = "Poeta cubano.", de = "Kubanischer Dichter." }

[[person]]
id = "gomez"
name = "Máximo Gómez"
sort = "Gómez, Máximo"
description = { en = "General.", es = "General." }
"#,
    );
    s.write(
        "content/letter.md",
        r#"+++
title = "A letter"
author = "José Martí"
date = "1895-05-18"
kind = "text"
weight = 1

[source]
container = "Patria"
place = "New York"
date = "1895-05-18"
chapter = "3"
+++

## First part

[Martí](person:marti) wrote to [Gómez](person:gomez) about "the war" and {~~teh~>the~~} plan: here.[^1]

It was *[patria](lang:es "homeland")*, he said; is it?[^ed-a]

::: parallel

:: en original

I am leaving.

:: es translation

Me voy.

:::

[^1]: The author's note: first.

[^ed-a]: An editorial note: second.
"#,
    );
    s
}

/// Every file of the built site, as text.
fn output(s: &Site) -> Vec<(String, String)> {
    tree(&s.path().join("public"))
        .into_iter()
        .filter(|(p, _)| {
            p.extension()
                .is_some_and(|e| e == "html" || e == "xml" || e == "txt")
        })
        .map(|(p, b)| {
            (
                p.to_string_lossy().into_owned(),
                String::from_utf8_lossy(&b).into_owned(),
            )
        })
        .collect()
}

fn built(s: &Site) -> Vec<(String, String)> {
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    output(s)
}

/// Strings of the French interface.
const FRENCH: &[&str] = &[
    "Sommaire",
    "Notes de l",
    "édition critique",
    "Édition critique",
    "éd.",
    "Citer",
    "Texte précédent",
    "Aller au texte",
    "traduction",
    "Traduction",
    "lettre-",
    "sommaire",
    "Index des personnes",
    "aucune occurrence",
    "anglais",
    "espagnol",
];

/// Strings of the Spanish interface.
const SPANISH: &[&str] = &[
    "Índice",
    "Notas del autor",
    "Notas de la edición",
    "edición crítica",
    "Edición crítica",
    "traducción",
    "Traducción",
    "Citar esta",
    "Ir al texto",
    "cap.",
    "inglés",
    "español",
    "fuente",
];

/// Strings of the English interface.
const ENGLISH: &[&str] = &[
    "Contents",
    "Author’s notes",
    "Editorial notes",
    "critical digital edition",
    "Critical digital edition",
    "Cite this",
    "Skip to",
    "English",
    "Spanish",
    "Previous text",
];

#[track_caller]
fn assert_absent(files: &[(String, String)], needles: &[&str]) {
    for (path, text) in files {
        for n in needles {
            assert!(!text.contains(n), "`{n}` found in {path}");
        }
    }
}

#[track_caller]
fn assert_present(files: &[(String, String)], path: &str, needles: &[&str]) {
    let text = &files
        .iter()
        .find(|(p, _)| p == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .1;
    for n in needles {
        assert!(text.contains(n), "`{n}` missing from {path}:\n{text}");
    }
}

/// No French spacing anywhere: no no-break space before `:;!?»` or after `«`.
#[track_caller]
fn assert_no_french_spacing(files: &[(String, String)]) {
    for (path, text) in files {
        for bad in ["\u{a0}:", "\u{202f}", "\u{a0};", " :<", " : ", "« ", " »"] {
            assert!(!text.contains(bad), "French spacing {bad:?} in {path}");
        }
    }
}

#[test]
fn english_interface_has_no_french_or_spanish() {
    let s = edition("ui_language = \"en\"\n", "en");
    let files = built(&s);
    assert_absent(&files, FRENCH);
    assert_absent(&files, SPANISH);
    assert_no_french_spacing(&files);
    assert_present(
        &files,
        "letter/index.html",
        &[
            "Critical digital edition",
            "ed. Bo Li",
            "chap. 3",
            "Author’s notes",
            "Cite this edition",
            // smart quotes in English
            "“the war”",
        ],
    );
    assert_present(&files, "index.html", &["id=\"contents\"", "Contents"]);
    assert_present(&files, "people/index.html", &["Cuban poet."]);
}

#[test]
fn spanish_interface_has_no_french_or_english() {
    let s = edition("ui_language = \"es\"\n", "es");
    let files = built(&s);
    assert_absent(&files, FRENCH);
    assert_absent(&files, ENGLISH);
    assert_no_french_spacing(&files);
    assert_present(
        &files,
        "letter/index.html",
        &[
            "Edición crítica digital",
            "ed. Bo Li",
            "cap. 3",
            "Notas del autor",
            // RAE: angle quotes, without spaces
            "«the war»",
        ],
    );
    assert_present(&files, "people/index.html", &["Poeta cubano."]);
}

#[test]
fn french_interface_has_no_spanish_or_english() {
    let s = edition("ui_language = \"fr\"\n", "fr");
    let files = built(&s);
    assert_absent(&files, SPANISH);
    assert_absent(&files, ENGLISH);
    assert_present(
        &files,
        "letter/index.html",
        &[
            "Édition critique numérique",
            "éd. Bo Li",
            "chap. 3",
            "Notes de l&#39;auteur",
            // French quotes with no-break spaces, French spacing in the text
            "«\u{202f}the war\u{202f}»",
        ],
    );
}

#[test]
fn ui_language_defaults_from_the_primary_subtag() {
    let s = edition("", "es-CU");
    let files = built(&s);
    assert_absent(&files, FRENCH);
    assert_absent(&files, ENGLISH);
    assert_present(&files, "index.html", &["Índice"]);
}

#[test]
fn a_language_without_a_table_falls_back_to_english_with_a_warning() {
    let s = edition("", "de");
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("warning") && err.contains("`en`"), "{err}");
    let files = output(&s);
    assert_absent(&files, FRENCH);
    assert_present(&files, "index.html", &["Contents"]);
    // the register's German description is chosen for German pages
    assert_present(&files, "people/index.html", &["Kubanischer Dichter."]);
}

#[test]
fn an_unsupported_ui_language_is_an_error_listing_the_supported_ones() {
    let s = edition("ui_language = \"de\"\n", "de");
    let o = s.build();
    assert_fails_with(&o, "site.toml:");
    let err = stderr(&o);
    assert!(
        err.contains("`de`") && err.contains("fr") && err.contains("es") && err.contains("en"),
        "{err}"
    );
}

#[test]
fn interface_strings_are_overridden_from_the_ui_table() {
    let s = edition(
        "ui_language = \"en\"\n[ui]\nauthor_notes = \"Notes of the translator\"\ncontents = \"Table of contents\"\n",
        "en",
    );
    let files = built(&s);
    assert_present(&files, "letter/index.html", &["Notes of the translator"]);
    assert_present(&files, "index.html", &["Table of contents"]);
    assert_absent(&files, &["Author’s notes"]);
}

#[test]
fn an_unknown_ui_key_is_an_error_with_its_position() {
    let s = edition(
        "ui_language = \"en\"\n\n[ui]\ncontents = \"C\"\nno_such_string = \"x\"\n",
        "en",
    );
    assert_fails_with(
        &s.build(),
        "site.toml:12:1: error: unknown interface string `no_such_string`",
    );
}

#[test]
fn numbered_notes_may_be_the_editors() {
    let s = edition("ui_language = \"en\"\nnumbered_notes = \"editor\"\n", "en");
    let files = built(&s);
    assert_present(&files, "letter/index.html", &["Editor’s notes"]);
    assert_absent(&files, &["Author’s notes"]);
}

#[test]
fn default_persons_page_and_ids_are_neutral() {
    let s = edition("ui_language = \"es\"\n", "es");
    // without persons_page, the index is at persons/
    let toml = s
        .read("site.toml")
        .replace("persons_page = \"people\"\n", "");
    s.write("site.toml", &toml);
    let people = s.read("content/people.md");
    std::fs::remove_file(s.path().join("content/people.md")).expect("rm");
    s.write("content/persons.md", &people);
    let home = s.read("content/_index.md").replace("/people/", "/persons/");
    s.write("content/_index.md", &home);
    let files = built(&s);
    assert_present(&files, "letter/index.html", &["href=\"../persons/#marti\""]);
    assert_present(&files, "persons/index.html", &["id=\"letter-g\""]);
}

#[test]
fn a_citation_without_container_has_no_leading_comma_or_empty_field() {
    let s = edition("ui_language = \"en\"\n", "en");
    let text = s
        .read("content/letter.md")
        .replace("container = \"Patria\"\n", "")
        .replace("chapter = \"3\"\n", "");
    s.write("content/letter.md", &text);
    let files = built(&s);
    let page = &files
        .iter()
        .find(|(p, _)| p == "letter/index.html")
        .expect("letter")
        .1;
    assert!(!page.contains("\">, "), "leading comma:\n{page}");
    assert!(!page.contains("”, ,"), "{page}");
    assert!(
        page.contains("<p class=\"source-line\">New York, 1895-05-18.</p>"),
        "{page}"
    );
    // the CSL-JSON export (a data: URL) has no empty field
    let csl = page
        .split("data:application/vnd.citationstyles.csl+json;charset=utf-8,")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csl link");
    assert!(!csl.contains("%22%22"), "empty field in CSL: {csl}");
    assert!(!csl.contains("container-title"), "{csl}");
}

#[test]
fn toml_dates_are_accepted() {
    let s = edition("ui_language = \"en\"\n", "en");
    let text = s
        .read("content/letter.md")
        .replace("date = \"1895-05-18\"", "date = 1895-05-18");
    s.write("content/letter.md", &text);
    let files = built(&s);
    assert_present(
        &files,
        "letter/index.html",
        &[
            "1895-05-18",
            "citation_publication_date\" content=\"1895/05/18\"",
        ],
    );
}
