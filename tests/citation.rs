//! Issue 16, "the edition's own citations": the « Cite » box formatted by
//! hayagriva from the text's CSL-JSON record with real CSL styles (Chicago,
//! MLA) in the interface language's locale; the CSL-JSON download is that
//! record and goes back through hayagriva; the BibTeX download is escaped.
//! Through the real binary, on a small edition of its own.

mod fixture;
use fixture::*;

/// A small edition whose interface is `ui` and whose box shows `styles`,
/// with one text: a chapter by Ann Smith in a printed volume.
fn edition(ui: &str, styles: &str, title: &str) -> Site {
    let s = Site::new();
    s.write(
        "site.toml",
        &format!(
            "title = \"Small Edition\"\nbase_url = \"https://example.org/ed/\"\nlanguage = \"en\"\n\
             ui_language = \"{ui}\"\neditors = [\"Bo Li\"]\nedition_year = \"2026\"\n\
             persons_page = \"people\"\ncitation_styles = {styles}\n"
        ),
    );
    s.write(
        "content/letter.md",
        &format!(
            r#"+++
title = "{title}"
author = "Ann Smith"
date = "1901"
kind = "text"
weight = 1

[source]
container = "Collected Letters"
publisher = "Sample Press"
place = "Boston"
year = "1901"
date = "1901"
chapter = "3"
+++

The letter.
"#
        ),
    );
    s
}

/// The box text of style `id` (`chicago`, `mla`) on the letter's page.
fn box_text(s: &Site, id: &str) -> String {
    let page = s.read("public/letter/index.html");
    page.split(&format!("id=\"cite-{id}\">"))
        .nth(1)
        .and_then(|r| r.split("</p>").next())
        .unwrap_or_else(|| panic!("no cite-{id} in:\n{page}"))
        .to_string()
}

/// The decoded text of the page's download link ending in `ext`.
fn download(s: &Site, ext: &str) -> String {
    let page = s.read("public/letter/index.html");
    let href = page
        .split("<a href=\"data:")
        .skip(1)
        .find(|a| a.contains(&format!("download=\"letter.{ext}\"")))
        .and_then(|a| a.split('"').next())
        .unwrap_or_else(|| panic!("no .{ext} download"));
    let data = href.split_once(',').map(|(_, d)| d).unwrap_or("");
    let mut bytes = vec![];
    let mut it = data.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let h: String = it.by_ref().take(2).map(char::from).collect();
            bytes.push(u8::from_str_radix(&h, 16).expect("hex"));
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).expect("utf-8")
}

fn built(ui: &str, styles: &str, title: &str) -> Site {
    let s = edition(ui, styles, title);
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    s
}

const BOTH: &str = "[\"chicago\", \"mla\"]";

/// Chicago (notes and bibliography, 18th ed.) and MLA (9th ed.) in the
/// English and French CSL locales. The expected strings follow the styles'
/// rules for a chapter in an edited volume: the box gives Chicago's full
/// note, which keeps the author's name in order, puts the chapter title in
/// quotation marks followed by a comma, gives « chap. N in » before the
/// italic container and the publisher and year in parentheses, with no
/// place of publication (18th ed.); the note goes on with the digital
/// edition after a semicolon. MLA's list entry inverts the name, gives the
/// italic container, then « Publisher, Year. » with no chapter number nor
/// place, and the edition follows as a sentence. Quotation marks and their
/// spacing come from the locale: “…” in English (the comma inside), « … »
/// with no-break spaces in French; the English title keeps its headline
/// case. The digital edition is in the interface's words.
#[test]
fn the_box_is_formatted_by_csl_styles_in_the_interface_locale() {
    let title = "A Letter on the Press";
    let en = built("en", BOTH, title);
    let edition_en = "Critical digital edition, <i>Small Edition</i>, ed. Bo Li, 2026, https://example.org/ed/letter/.";
    assert_eq!(
        box_text(&en, "chicago"),
        "Ann Smith, “A Letter on the Press,” chap. 3 in <i>Collected Letters</i> (Sample Press, 1901); \
         critical digital edition, <i>Small Edition</i>, ed. Bo Li, 2026, https://example.org/ed/letter/."
    );
    assert_eq!(
        box_text(&en, "mla"),
        format!("Smith, Ann. “A Letter on the Press.” <i>Collected Letters</i>, Sample Press, 1901. {edition_en}")
    );
    let fr = built("fr", BOTH, title);
    let edition_fr = "Édition critique numérique, <i>Small Edition</i>, éd. Bo Li, 2026, https://example.org/ed/letter/.";
    assert_eq!(
        box_text(&fr, "chicago"),
        "Ann Smith, «\u{a0}A Letter on the Press\u{a0}», chap. 3 in <i>Collected Letters</i> (Sample Press, 1901)\u{202f}; \
         édition critique numérique, <i>Small Edition</i>, éd. Bo Li, 2026, https://example.org/ed/letter/."
    );
    assert_eq!(
        box_text(&fr, "mla"),
        format!("Smith, Ann. «\u{a0}A Letter on the Press\u{a0}». <i>Collected Letters</i>, Sample Press, 1901. {edition_fr}")
    );
}

/// `citation_styles` chooses the box's styles and their order; an unknown
/// style is an error with its position.
#[test]
fn citation_styles_chooses_the_styles() {
    let s = built("en", "[\"mla\"]", "A Letter");
    let page = s.read("public/letter/index.html");
    assert!(page.contains("id=\"cite-mla\""), "{page}");
    assert!(!page.contains("id=\"cite-chicago\""), "{page}");
    let bad = edition("en", "[\"chicago\", \"harvard\"]", "A Letter");
    let o = bad.build();
    assert_fails_with(&o, "site.toml:8:");
    assert!(stderr(&o).contains("harvard"), "{}", stderr(&o));
}

/// The CSL-JSON download is the record: it parses as CSL-JSON, and
/// hayagriva formats it back into the box's text.
#[test]
fn the_csl_json_download_round_trips_through_hayagriva() {
    use hayagriva::archive::{locales, ArchivedStyle};
    use hayagriva::citationberg::json as csl_json;
    use hayagriva::citationberg::{LocaleCode, Style};
    use hayagriva::{BibliographyDriver, BibliographyRequest, CitationItem, CitationRequest};
    let s = built("en", BOTH, "A Letter on the Press");
    let json = download(&s, "json");
    let mut items: Vec<csl_json::Item> = serde_json::from_str(&json).expect("CSL-JSON");
    assert_eq!(items.len(), 1, "{json}");
    let item = items.remove(0);
    assert_eq!(item.id().as_deref(), Some("letter"), "{json}");
    assert_eq!(item.type_().as_deref(), Some("chapter"), "{json}");
    // and hayagriva formats it as the box does (the box gives the URL after
    // the edition's sentence)
    let Style::Independent(style) = ArchivedStyle::by_name("mla").expect("mla").get() else {
        panic!("MLA is an independent style");
    };
    let locales = locales();
    let locale = Some(LocaleCode("en-US".into()));
    let mut driver: BibliographyDriver<'_, csl_json::Item> = BibliographyDriver::new();
    driver.citation(CitationRequest::new(
        vec![CitationItem::with_entry(&item)],
        &style,
        locale.clone(),
        &locales,
        None,
    ));
    let rendered = driver.finish(BibliographyRequest::new(&style, locale, &locales));
    let mut text = String::new();
    for entry in rendered.bibliography.expect("bibliography").items {
        entry
            .content
            .write_buf(&mut text, hayagriva::BufWriteFormat::Plain)
            .expect("write");
    }
    assert_eq!(
        text,
        "Smith, Ann. “A Letter on the Press.” Collected Letters, Sample Press, 1901, https://example.org/ed/letter/."
    );
    let shown = box_text(&s, "mla").replace("<i>", "").replace("</i>", "");
    assert!(
        shown.starts_with(
            "Smith, Ann. “A Letter on the Press.” Collected Letters, Sample Press, 1901."
        ),
        "{shown}"
    );
    // deterministic: a second build writes the same record
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(download(&s, "json"), json);
}

/// The BibTeX download escapes TeX's special characters, so that a title
/// with braces, a percent sign or an ampersand stays one balanced field.
#[test]
fn bibtex_fields_are_escaped() {
    let s = built("en", BOTH, "Costs {net} & 50% more");
    let bib = download(&s, "bib");
    assert!(bib.starts_with("@incollection{letter,\n"), "{bib}");
    assert!(
        bib.contains("  title = {Costs \\{net\\} \\& 50\\% more},\n"),
        "{bib}"
    );
    assert!(bib.contains("  author = {Smith, Ann},\n"), "{bib}");
    assert!(
        bib.contains("  booktitle = {Collected Letters},\n"),
        "{bib}"
    );
    assert!(bib.contains("  year = {1901},\n"), "{bib}");
    // every brace is escaped or balanced
    let mut depth = 0i32;
    let mut prev = ' ';
    for c in bib.chars() {
        if prev != '\\' {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
        }
        assert!(depth >= 0, "{bib}");
        prev = c;
    }
    assert_eq!(depth, 0, "{bib}");
    // the box escapes the same title as HTML
    assert!(
        box_text(&s, "mla").contains("Costs {Net} &amp; 50% More"),
        "{}",
        box_text(&s, "mla")
    );
}

/// In the Spanish interface, Chicago names the chapter in Spanish (« cap. 3
/// en », the es-ES locale's words for a chapter), with Spanish quotation
/// marks and no English word.
#[test]
fn the_spanish_box_names_the_chapter_in_spanish() {
    let es = built("es", BOTH, "A Letter on the Press");
    assert_eq!(
        box_text(&es, "chicago"),
        "Ann Smith, «A Letter on the Press», cap. 3 en <i>Collected Letters</i> (Sample Press, 1901); \
         edición crítica digital, <i>Small Edition</i>, ed. Bo Li, 2026, https://example.org/ed/letter/."
    );
}
