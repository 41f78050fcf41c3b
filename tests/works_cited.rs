//! Issue 16, the edition's works cited: every title that Paris's notes quote
//! (his convention for an article or a text in a collection: a title
//! between double quotes, a book's in italics) is a work mention, in the
//! article and in its Spanish translation, and the works page that the
//! binary builds lists each of these works with its periodical.

mod fixture;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `text` with its CriticMarkup read as the edition reads it: a
/// substitution gives its second reading, an addition its text.
fn edition_reading(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    loop {
        let sub = rest.find("{~~");
        let add = rest.find("{++");
        let at = match (sub, add) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => break,
        };
        out.push_str(&rest[..at]);
        let is_sub = rest[at..].starts_with("{~~");
        let close = if is_sub { "~~}" } else { "++}" };
        let Some(end) = rest[at + 3..].find(close) else {
            break;
        };
        let inner = &rest[at + 3..at + 3 + end];
        if is_sub {
            out.push_str(inner.split_once("~>").map_or(inner, |(_, b)| b));
        } else {
            out.push_str(inner);
        }
        rest = &rest[at + 3 + end + 3..];
    }
    out.push_str(rest);
    out
}

/// Double-quoted passages of an author's note that are not titles of
/// works the edition lists, with why: (note, how the passage begins).
const NOT_WORKS: &[(&str, &str)] = &[
    // the title of Jesús Chavarria's typescript review, which is the
    // citation of the book it reviews (marked as that book)
    ("14", "[John M. Baines]"),
    // the caption of a portrait in L'Humanité, not a title
    ("15", "[J.C. Mariátegui](person:mariategui)"),
];

/// Every double-quoted passage of the author's notes (`[^N]:`) of a text,
/// as (note, passage).
fn quoted_in_notes(rel: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join(rel)).expect("text");
    let mut found = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("[^") else {
            continue;
        };
        let Some((label, body)) = rest.split_once("]:") else {
            continue;
        };
        if !label.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let body = edition_reading(body);
        let parts: Vec<&str> = body.split('"').collect();
        assert!(
            parts.len() % 2 == 1,
            "{rel}: note {label}: an odd number of quotation marks"
        );
        for quoted in parts.iter().skip(1).step_by(2) {
            found.push((label.to_string(), quoted.to_string()));
        }
    }
    found
}

#[test]
fn every_title_quoted_in_an_authors_note_is_a_work_mention() {
    for rel in ["content/paris-1978.md", "content/es/paris-1978.md"] {
        let quoted = quoted_in_notes(rel);
        let mut titles = 0;
        for (note, passage) in &quoted {
            if NOT_WORKS
                .iter()
                .any(|(n, start)| n == note && passage.starts_with(start))
            {
                continue;
            }
            assert!(
                passage.contains("](work:"),
                "{rel}: note {note}: \"{passage}\" is not a work mention"
            );
            titles += 1;
        }
        // notes 1 (3), 8, 10 (2), 15, 16, 17 (2), 19, 20 to 24, 26 (3), 27
        assert_eq!(titles, 20, "{rel}: the titles quoted in the notes");
        assert_eq!(quoted.len(), titles + NOT_WORKS.len(), "{rel}");
    }
}

/// The works page that the binary builds from the repository.
fn built_works_page() -> String {
    let (_dir, out, stderr) = fixture::build_repository();
    assert!(!stderr.contains("warning"), "{stderr}");
    std::fs::read_to_string(out.join("oeuvres/index.html")).expect("works page")
}

/// `text` with the no-break spaces that the French quotation marks take.
fn nbsp(text: &str) -> String {
    text.replace("« ", "«\u{a0}").replace(" »", "\u{a0}»")
}

/// The line of the works page for `id`: its formatted reference and its
/// occurrences.
fn line<'h>(page: &'h str, id: &str) -> &'h str {
    let start = page
        .find(&format!("<li class=\"index-entry work\" id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no work {id}"));
    let end = start + page[start..].find("\n</li>").expect("end of line");
    &page[start..end]
}

#[test]
fn the_works_page_lists_the_articles_with_their_periodicals_and_places() {
    let page = built_works_page();
    // 15 books, 22 articles and texts in collections, each cited somewhere
    assert_eq!(page.matches("<li class=\"index-entry work\"").count(), 37);
    assert!(!page.contains("class=\"none\""), "a work never cited");
    // an article: its title in quotes, its periodical in italics, volume,
    // issue and page as Paris gives them; its place in the notes
    let l = line(&page, "humbert-droz-adhesion");
    assert!(
        l.contains(&nbsp("Humbert-Droz, Jules. 1928. « Rapport sur l&#39;adhésion de nouvelles sections ». <i>La Correspondance internationale</i> VIII (145): 1664.")),
        "{l}"
    );
    assert!(
        l.contains("<a href=\"../paris-1978/#m-work-humbert-droz-adhesion-1\" class=\"in-note\">note 1</a>"),
        "{l}"
    );
    // an unsigned article, cited in the text and in a note
    let l = line(&page, "clarte-les-revues");
    assert!(
        l.contains(&nbsp(
            "« Les Revues ». 1927. <i>Clarté</i> 6º année, nouvelle série (12): 373."
        )),
        "{l}"
    );
    assert_eq!(
        l.matches("href=\"../paris-1978/#m-work-clarte-les-revues-")
            .count(),
        2,
        "{l}"
    );
    // a text read in a collection
    let l = line(&page, "mariategui-antecedentes");
    assert!(
        l.contains(&nbsp("« Antecedentes y desarrollo de la acción clasista ». In <i>Ideología y política</i>. Lima.")),
        "{l}"
    );
}
