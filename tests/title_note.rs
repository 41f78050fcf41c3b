//! Issue 14, part 2: a print that calls a note on a document's heading (its
//! source note, `*`) is encoded as it is printed: `title_note = "*"` in front
//! matter puts the call in the title heading, the note opens the body and its
//! backlink leads back to the title. Through the real binary.

mod fixture;
use fixture::*;

const DOCUMENT: &str = r#"+++
title = "Arrestation de communistes"
kind = "text"
lang = "fr"
weight = 10
title_note = "*"
+++

Premier paragraphe du document, sans appel.

Second paragraphe.

[^*]: *Le Journal*, 15 juin 1927, p. 3.
"#;

/// The attribute `name` of the first tag of `html` that contains `needle`.
fn attr_after<'a>(html: &'a str, needle: &str, name: &str) -> &'a str {
    let at = html
        .find(needle)
        .unwrap_or_else(|| panic!("no {needle} in {html}"));
    let tag = &html[at..];
    let tag = &tag[..tag.find('>').expect("tag end")];
    let v = &tag[tag
        .find(&format!("{name}=\""))
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + name.len()
        + 2..];
    &v[..v.find('"').expect("quote")]
}

#[test]
fn the_title_calls_its_note_and_the_note_leads_back_to_the_title() {
    let s = Site::with_register();
    s.write("content/document.md", DOCUMENT);
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let html = s.read("public/document/index.html");
    let h1 = &html[html.find("<h1").expect("h1")..];
    let h1 = &h1[..h1.find("</h1>").expect("h1 end")];
    assert!(h1.starts_with("<h1 id=\"text-title\">Arrestation de communistes<sup class=\"call\"><a class=\"noteref\""), "{h1}");
    let call = attr_after(h1, "class=\"noteref\"", "id");
    let note = attr_after(h1, "class=\"noteref\"", "href");
    assert!(h1.contains(">*</a></sup>"), "{h1}");
    let note = note.strip_prefix('#').expect("fragment");
    // the note opens the body, before § 1, and leads back to the call
    let at_note = html.find(&format!("id=\"{note}\"")).expect("the note");
    let at_p1 = html.find("id=\"p-1\"").expect("§ 1");
    assert!(at_note < at_p1, "{html}");
    assert!(
        html[at_note..at_p1].contains(&format!("href=\"#{call}\" role=\"doc-backlink\"")),
        "{html}"
    );
    // no call is left in the text, and the note is not reported as uncalled
    assert_eq!(html.matches("role=\"doc-noteref\"").count(), 1, "{html}");
    // the TEI opens its body with the note
    let tei = s.read("public/document/tei.xml");
    let body = &tei[tei.find("<body>").expect("body")..];
    let n = body.find("<note ").expect("note in TEI");
    assert!(n < body.find("<p n=\"1\"").expect("§ 1"), "{body}");
    assert!(
        body[n..].starts_with(&format!("<note xml:id=\"{note}\" n=\"*\"")),
        "{body}"
    );
}

#[test]
fn an_editorial_page_calls_a_note_from_its_title_too() {
    let s = Site::with_register();
    s.write(
        "content/apropos.md",
        "+++\ntitle = \"À propos\"\ntitle_note = \"ed-a\"\n+++\n\nTexte.\n\n[^ed-a]: Une note sur le titre.\n",
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let html = s.read("public/apropos/index.html");
    assert!(
        html.contains("<h1>À propos<sup class=\"call\"><a class=\"noteref noteref-editorial\""),
        "{html}"
    );
}

#[test]
fn a_title_note_that_names_no_note_is_an_error_in_front_matter() {
    let s = Site::with_register();
    s.write(
        "content/document.md",
        &DOCUMENT.replace("title_note = \"*\"", "title_note = \"**\""),
    );
    let o = s.check();
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains(
            "content/document.md:6:1: error: `title_note`: this page defines no note `[^**]`"
        ),
        "{err}"
    );
    // and the note `*`, called from nowhere now, is reported as such
    assert!(err.contains("note `[^*]` is never called"), "{err}");
}

#[test]
fn the_parallel_view_shows_both_calls_with_the_ids_of_their_columns() {
    let s = Site::with_register();
    s.write("content/document.md", DOCUMENT);
    s.write(
        "content/es/document.md",
        "+++\ntitle = \"Arresto de comunistas\"\nkind = \"text\"\nlang = \"es\"\nweight = 10\ntranslation_of = \"document\"\ntitle_note = \"*\"\n+++\n\nPrimer párrafo.\n\nSegundo párrafo.\n\n[^*]: *Le Journal*, 15 de junio de 1927, p. 3.\n",
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let view = s.read("public/es/document/parallel/index.html");
    for (prefix, holder) in [("es-", "<h1"), ("fr-", "<p class=\"original-title\"")] {
        let at = view.find(holder).expect("title");
        let call = attr_after(&view[at..], "class=\"noteref\"", "id");
        let note = attr_after(&view[at..], "class=\"noteref\"", "href");
        assert!(
            call.starts_with(prefix) && note.starts_with(&format!("#{prefix}")),
            "{view}"
        );
        // the note is in its column and leads back to this call
        assert!(view.contains(&format!("id=\"{}\"", &note[1..])), "{view}");
        assert!(
            view.contains(&format!("href=\"#{call}\" role=\"doc-backlink\"")),
            "{view}"
        );
    }
}
