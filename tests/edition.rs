//! Issue 4: tests on the real edition in this repository.

mod fixture;
use apparat::edition::Edition;
use apparat::markup::Series;
use apparat::BuildOptions;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn edition() -> Edition {
    let opts = BuildOptions {
        root: root(),
        ..Default::default()
    };
    let (ed, diags) = apparat::check(&opts);
    assert!(
        diags.is_empty(),
        "apparat check must report nothing:\n{diags}"
    );
    ed.expect("edition").1
}

fn page<'a>(ed: &'a Edition, rel: &str) -> &'a apparat::edition::Entry {
    ed.entries
        .iter()
        .find(|e| e.page.rel == rel)
        .unwrap_or_else(|| panic!("no page {rel}"))
}

#[test]
fn check_reports_nothing_and_all_texts_exist() {
    let ed = edition();
    for rel in [
        "paris-1978",
        "humanite-1927",
        "humanite-1930",
        "personnes",
        "principes",
        "principios",
        "encodage",
        "_index",
    ] {
        page(&ed, rel);
    }
    let paris = &page(&ed, "paris-1978").page.front;
    assert_eq!(paris.author, "Robert Paris");
    let src = paris.source.as_ref().expect("source");
    assert_eq!(src.container, "Homenaje a Jorge Basadre");
    assert_eq!(src.year, "1978");
    assert_eq!(src.chapter, "53");
    let h27 = page(&ed, "humanite-1927")
        .page
        .front
        .source
        .clone()
        .expect("source");
    assert_eq!(
        (
            h27.container.as_str(),
            h27.date.as_str(),
            h27.pages.as_str()
        ),
        ("L'Humanité", "1927-06-15", "p. 3")
    );
    let h30 = page(&ed, "humanite-1930")
        .page
        .front
        .source
        .clone()
        .expect("source");
    assert_eq!(
        (
            h30.container.as_str(),
            h30.date.as_str(),
            h30.pages.as_str()
        ),
        ("L'Humanité", "1930-04-27", "p. 3")
    );
}

#[test]
fn the_27_notes_and_the_two_source_notes_are_each_defined_once_and_called_once() {
    let ed = edition();
    let notes: Vec<_> = page(&ed, "paris-1978")
        .doc
        .notes
        .iter()
        .filter(|n| n.series == Series::Author)
        .collect();
    let labels: Vec<&str> = notes.iter().map(|n| n.label.as_str()).collect();
    let expected: Vec<String> = (1..=27).map(|n| n.to_string()).collect();
    assert_eq!(
        labels,
        expected.iter().map(String::as_str).collect::<Vec<_>>()
    );
    for n in &notes {
        assert_eq!(n.calls, 1, "note {} is called {} times", n.label, n.calls);
    }
    for (rel, label) in [("humanite-1927", "*"), ("humanite-1930", "**")] {
        let author: Vec<_> = page(&ed, rel)
            .doc
            .notes
            .iter()
            .filter(|n| n.series == Series::Author)
            .collect();
        assert_eq!(author.len(), 1, "{rel}");
        assert_eq!(author[0].label, label);
        assert_eq!(author[0].calls, 1);
    }
    // editorial notes are lettered a, b, c… in order on each page
    for e in &ed.entries {
        let letters: Vec<&str> = e
            .doc
            .notes
            .iter()
            .filter(|n| n.series == Series::Editorial)
            .map(|n| n.display.as_str())
            .collect();
        if e.page.front.kind == apparat::content::Kind::Text {
            for (i, l) in letters.iter().enumerate() {
                let expected = ((b'a' + i as u8) as char).to_string();
                assert_eq!(
                    *l, expected,
                    "{}: editorial notes must run a, b, c…",
                    e.page.rel
                );
            }
        }
    }
}

#[test]
fn every_person_resolves_and_every_entry_is_mentioned() {
    let ed = edition(); // check() would report unknown ids (errors) and unused entries (warnings)
    assert!(ed.persons >= 40);
    let mut per_person: BTreeMap<String, usize> = BTreeMap::new();
    for e in &ed.entries {
        for m in &e.doc.mentions {
            *per_person.entry(m.person.clone()).or_default() += 1;
        }
    }
    assert!(per_person["humbert-droz"] >= 10);
    // pseudonyms are resolved to the person they stand for
    let paris = page(&ed, "paris-1978");
    let luis = paris
        .doc
        .mentions
        .iter()
        .find(|m| m.form.contains("Luis"))
        .expect("Luis");
    assert_eq!(luis.person, "humbert-droz");
    for (form, id) in [
        ("Saco", "pesce"),
        ("Zamora", "portocarrero"),
        ("Pierre", "lominadze"),
    ] {
        assert!(
            paris
                .doc
                .mentions
                .iter()
                .any(|m| m.form.contains(form) && m.person == id),
            "{form} → {id}"
        );
    }
}

#[test]
fn every_long_quotation_is_a_parallel_block_that_aligns() {
    let ed = edition();
    let paris = page(&ed, "paris-1978");
    assert!(
        paris.doc.parallels.len() >= 3,
        "Humbert-Droz, La lutte de classes, Naville"
    );
    for p in &paris.doc.parallels {
        assert!(p.segments >= 2);
        assert_eq!(p.langs, ("fr".to_string(), "es".to_string()));
    }
}

fn body_without_emendation_sources(text: &str) -> String {
    // drop `{~~source~>` so that only the edition's readings remain
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("{~~") {
        out.push_str(&rest[..i]);
        rest = &rest[i + 3..];
        match rest.find("~>") {
            Some(j) => rest = &rest[j + 2..],
            None => break,
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn no_ocr_debris_remains() {
    for name in ["paris-1978", "humanite-1927", "humanite-1930"] {
        let raw = std::fs::read_to_string(root().join(format!("content/{name}.md"))).expect("read");
        // editorial notes quote OCR readings on purpose: leave them out
        let mut kept = String::new();
        let mut in_ed = false;
        for line in raw.lines() {
            if line.starts_with("[^ed-") {
                in_ed = true;
            } else if !line.starts_with("    ") && !line.trim().is_empty() {
                in_ed = false;
            }
            if !in_ed {
                kept.push_str(line);
                kept.push('\n');
            }
        }
        let text = body_without_emendation_sources(&kept);
        for bad in ['¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹', '⁰'] {
            assert!(!text.contains(bad), "{name}: stray superscript {bad}");
        }
        for bad in [
            "VIO",
            "IVO",
            "IIIO",
            "L'Huamanité",
            "quilm'a",
            "ajouteronsnous",
            "celleci",
            "Mariâtegui",
            "apponée",
            "révolutionarie",
            "pseduo",
            "assiter",
            "réticenses",
            "pronocer",
            "september",
            "Aprês",
        ] {
            assert!(
                !text.contains(bad),
                "{name}: OCR reading `{bad}` left uncorrected"
            );
        }
        // no doubled lines in the body
        let body = raw.splitn(3, "+++\n").nth(2).expect("body");
        let lines: Vec<&str> = body
            .lines()
            .map(str::trim)
            .filter(|l| l.len() > 30)
            .collect();
        for (i, l) in lines.iter().enumerate() {
            assert!(
                !lines[i + 1..].contains(l),
                "{name}: line appears twice: {l}"
            );
        }
    }
}

#[test]
fn the_authors_bracketed_interventions_are_kept_verbatim() {
    let dir = tempfile::tempdir().expect("tmp");
    let opts = BuildOptions {
        root: root(),
        output: Some(dir.path().join("out")),
        ..Default::default()
    };
    apparat::build(&opts)
        .map_err(|d| d.to_string())
        .expect("build");
    let read = |p: &str| std::fs::read_to_string(dir.path().join("out").join(p)).expect("read");
    let paris = read("paris-1978/index.html");
    assert!(paris.contains("[recte: 1929. – R.P.]"));
    assert!(
        paris.contains(
            "lang=\"es\">Bandera roja, organo de la Federacion del Trabajo de la Paz</span>"
        ),
        "Paris's Spanish kept unaccented"
    );
    assert!(paris.contains(". - R.P.]"));
    assert!(paris.contains("sd [1929]"));
    let h27 = read("humanite-1927/index.html");
    assert!(h27.matches("[sic]").count() >= 2);
    assert!(h27.contains("Auguste Teguia</a> [sic]"));
}

#[test]
fn nothing_is_fetched_from_elsewhere() {
    let dir = tempfile::tempdir().expect("tmp");
    let opts = BuildOptions {
        root: root(),
        output: Some(dir.path().join("out")),
        ..Default::default()
    };
    apparat::build(&opts)
        .map_err(|d| d.to_string())
        .expect("build");
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(dir.path().join("out")) {
        let entry = entry.expect("walk");
        let name = entry.path().to_string_lossy().into_owned();
        if !(name.ends_with(".html") || name.ends_with(".css") || name.ends_with(".js")) {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).expect("read");
        for bad in [
            "src=\"http",
            "src=\"//",
            "url(http",
            "url(//",
            "@import",
            "fetch(\"http",
            "rel=\"preconnect\"",
        ] {
            assert!(!text.contains(bad), "{name}: external resource `{bad}`");
        }
        // stylesheets, scripts and icons are local
        for tag in text.split("<link ").skip(1) {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            if tag.contains("stylesheet") || tag.contains("icon") {
                assert!(!tag.contains("href=\"http"), "{name}: {tag}");
            }
        }
        checked += 1;
    }
    assert!(checked > 10);
}

#[test]
fn interface_language_is_a_setting() {
    let dir = tempfile::tempdir().expect("tmp");
    let site = dir.path().join("site");
    for sub in ["content", "templates", "static", "sources"] {
        let from = root().join(sub);
        if !from.exists() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&from) {
            let entry = entry.expect("walk");
            let rel = entry.path().strip_prefix(&from).expect("rel");
            let to = site.join(sub).join(rel);
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&to).expect("mkdir");
            } else {
                std::fs::copy(entry.path(), &to).expect("copy");
            }
        }
    }
    let toml = std::fs::read_to_string(root().join("site.toml")).expect("site.toml");
    std::fs::write(
        site.join("site.toml"),
        toml.replace("ui_language = \"fr\"", "ui_language = \"es\""),
    )
    .expect("write");
    let opts = BuildOptions {
        root: site.clone(),
        output: Some(dir.path().join("out")),
        ..Default::default()
    };
    apparat::build(&opts)
        .map_err(|d| d.to_string())
        .expect("build");
    let html = std::fs::read_to_string(dir.path().join("out/paris-1978/index.html")).expect("read");
    assert!(
        html.contains("Volver a la llamada de la nota"),
        "Spanish back-link names"
    );
    assert!(html.contains("Aparato de enmiendas"));
    assert!(!html.contains("Retour à l'appel"));
}

/// Percent-decodes a `data:` URL's payload.
fn decode_data_url(url: &str) -> (String, String) {
    let (head, payload) = url.split_once(',').expect("a data: URL");
    let mut bytes = Vec::new();
    let raw = payload.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let hex = std::str::from_utf8(&raw[i + 1..i + 3]).expect("hex");
            bytes.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            bytes.push(raw[i]);
            i += 1;
        }
    }
    (head.to_string(), String::from_utf8(bytes).expect("utf-8"))
}

#[test]
fn citation_downloads_are_in_the_page() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let opts = BuildOptions {
        root: root(),
        output: Some(out.clone()),
        ..Default::default()
    };
    apparat::build(&opts)
        .map_err(|d| d.to_string())
        .expect("build");
    let html = std::fs::read_to_string(out.join("humanite-1927/index.html")).expect("page");
    let downloads = html
        .split("<p class=\"downloads\">")
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .expect("download links");
    let links: Vec<(&str, &str)> = downloads
        .split("<a href=\"")
        .skip(1)
        .map(|a| {
            let (href, rest) = a.split_once('"').expect("href");
            let name = rest
                .split("download=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("download name");
            (href, name)
        })
        .collect();
    assert_eq!(links.len(), 2, "{downloads}");
    // BibTeX: the entry the page shows, with its accents
    let (head, bib) = decode_data_url(links[0].0);
    assert_eq!(head, "data:application/x-bibtex;charset=utf-8");
    assert_eq!(links[0].1, "humanite-1927.bib");
    assert!(bib.starts_with("@article{humanite1927,"), "{bib}");
    assert!(bib.contains("Pérou"), "{bib}");
    assert!(bib.contains("year = {1927}"), "{bib}");
    // CSL-JSON: valid JSON naming the same text
    let (head, csl) = decode_data_url(links[1].0);
    assert_eq!(
        head,
        "data:application/vnd.citationstyles.csl+json;charset=utf-8"
    );
    assert_eq!(links[1].1, "humanite-1927.json");
    let value: serde_json::Value = serde_json::from_str(&csl).expect("CSL-JSON");
    let first = value.as_array().and_then(|a| a.first()).unwrap_or(&value);
    assert!(
        first["title"].as_str().is_some_and(|t| t.contains("Pérou")),
        "{csl}"
    );
    // no citation files beside the page
    assert!(!out.join("humanite-1927/citation.bib").exists());
}

/// The number word a page states before `anchor` (e.g. "Sept citations
/// françaises de l'article"), as a number.
fn stated_count(rel: &str, anchor: &str) -> usize {
    let text = std::fs::read_to_string(root().join("content").join(rel)).expect("read page");
    let at = text
        .find(anchor)
        .unwrap_or_else(|| panic!("{rel} no longer says `… {anchor}`"));
    let word = text[..at]
        .split_whitespace()
        .last()
        .unwrap_or("")
        .to_lowercase();
    let numbers = [
        ("un", 1),
        ("une", 1),
        ("deux", 2),
        ("trois", 3),
        ("quatre", 4),
        ("cinq", 5),
        ("six", 6),
        ("sept", 7),
        ("huit", 8),
        ("neuf", 9),
        ("dix", 10),
        ("uno", 1),
        ("una", 1),
        ("dos", 2),
        ("tres", 3),
        ("cuatro", 4),
        ("cinco", 5),
        ("seis", 6),
        ("siete", 7),
        ("ocho", 8),
        ("nueve", 9),
        ("diez", 10),
    ];
    numbers
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, n)| *n)
        .unwrap_or_else(|| panic!("{rel}: `{word}` before `{anchor}` is not a number word"))
}

/// The Spanish that an editorial note line (`[^ed-x]: …`) gives as the
/// edition's translation: the `lang:es` passages that follow the words
/// "Traduction de l'édition", joined; `None` when the note translates nothing
/// or gives less than a sentence (four words).
fn translation_in_note(line: &str) -> Option<String> {
    if !line.starts_with("[^ed-") {
        return None;
    }
    let rest = &line[line.find("Traduction de l'édition")?..];
    let mut spanish = Vec::new();
    let mut seen = 0;
    while let Some(end) = rest[seen..].find("](lang:es)").map(|e| seen + e) {
        let open = rest[..end].rfind('[')?;
        spanish.push(&rest[open + 1..end]);
        seen = end + "](lang:es)".len();
    }
    let joined = spanish.join(" ");
    (joined.split_whitespace().count() >= 4).then_some(joined)
}

/// Issue 14 (part 5): every French quotation of the article that reproduces a
/// passage of its source has a Spanish translation, and their number is the
/// one that the home page and the principles state. In the markup of
/// content/paris-1978.md such a quotation is:
/// - a parallel block whose original column is French (it must then have a
///   Spanish translation column), or
/// - a Markdown block quotation (`> …`), which cannot carry a translation and
///   therefore counts as untranslated, or
/// - a quotation left where the print has it (inside one of Paris's sentences,
///   so that the numbered paragraphs stay his, or inside an author's note,
///   which cannot hold a parallel block), translated in an editorial note
///   that says "Traduction de l'édition" and gives the Spanish as `lang:es`
///   passages.
#[test]
fn every_french_quotation_of_the_article_has_a_spanish_translation_and_the_count_is_the_stated_one()
{
    let ed = edition();
    let paris = page(&ed, "paris-1978");
    let french: Vec<_> = paris
        .doc
        .parallels
        .iter()
        .filter(|p| p.langs.0 == "fr")
        .collect();
    for p in &french {
        assert_eq!(
            p.langs.1, "es",
            "a French quotation translated into something else than Spanish"
        );
        assert!(p.segments >= 2, "segmented as the others: {p:?}");
    }
    let raw = std::fs::read_to_string(root().join("content/paris-1978.md")).expect("read");
    let body = raw.splitn(3, "+++\n").nth(2).expect("body");
    let mut in_fence = false;
    let mut blockquotes = 0;
    let mut in_notes = Vec::new();
    for line in body.lines() {
        if line.starts_with("```") {
            in_fence = !in_fence;
        }
        if in_fence {
            continue;
        }
        if line.trim_start().starts_with('>') {
            blockquotes += 1;
        }
        if let Some(spanish) = translation_in_note(line) {
            in_notes.push(spanish);
        }
    }
    assert_eq!(
        blockquotes, 0,
        "a French block quotation without its Spanish translation"
    );
    // a quotation of several paragraphs of the print is given as several
    // parallel blocks, one per paragraph (one §), that follow one another
    let continued = body.matches(":::\n\n::: parallel\n").count();
    let side_by_side_count = french.len() - continued;
    let translated = side_by_side_count + in_notes.len();
    for (rel, total, side_by_side, noted) in [
        (
            "principes.md",
            "citations françaises de l'article",
            "premières sont données en regard",
            "autres sont traduites dans une note",
        ),
        (
            "principios.md",
            "citas francesas del artículo",
            "primeras se dan frente al original",
            "se traducen en una nota editorial",
        ),
        (
            "_index.md",
            "citations françaises qui reproduisent",
            "en regard du texte, les trois",
            "autres dans une note éditoriale",
        ),
    ] {
        assert_eq!(
            translated,
            stated_count(rel, total),
            "{rel} states another number of translated French quotations"
        );
        assert_eq!(
            side_by_side_count,
            stated_count(rel, side_by_side),
            "{rel} states another number of quotations given side by side"
        );
        assert_eq!(
            in_notes.len(),
            stated_count(rel, noted),
            "{rel} states another number of quotations translated in a note: {in_notes:?}"
        );
    }
}

/// `html` without the spans that start with `open` and end with the first
/// `close` after the first `after` that follows `open`.
fn cut(html: &str, open: &str, after: &str, close: &str) -> String {
    let mut s = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(open) {
        s.push_str(&rest[..i]);
        rest = &rest[i..];
        rest = match rest
            .find(after)
            .map(|a| a + after.len())
            .and_then(|a| rest[a..].find(close).map(|c| a + c))
        {
            Some(j) => &rest[j + close.len()..],
            None => "",
        };
    }
    s.push_str(rest);
    s
}

/// The text of a built page as a reader sees it, without the editorial notes
/// and the apparatus (which give the OCR's readings on purpose): note calls
/// and tags removed,
/// entities decoded, typographic apostrophes and spaces made plain.
fn reading_text(html: &str) -> String {
    let s = cut(html, "<sup class=\"call\">", "<a ", "</sup>");
    // glosses: `<span class="gloss"><span class="gloss-label">…</span>…</span>`
    let s = cut(&s, "<span class=\"gloss\"", "</span>", "</span>");
    let s = cut(
        &s,
        "<div class=\"note note-editorial\"",
        "class=\"backlinks\"",
        "</div>\n</div>",
    );
    // the apparatus lists the source's readings
    let s = cut(&s, "<ol class=\"emendations\">", "<li", "</ol>");
    let mut text = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace('\u{2019}', "'")
        .replace(['\u{a0}', '\u{202f}'], " ")
        .replace('…', "...")
}

/// The article's page as the real binary builds it from the repository.
fn built_article() -> String {
    let (_dir, out, _) = fixture::build_repository();
    std::fs::read_to_string(out.join("paris-1978/index.html")).expect("page")
}

/// Issue 14 (part 2): the errata read as corrected in the page that the
/// binary builds, and the OCR's readings are gone from the text.
#[test]
fn the_errata_read_as_corrected_in_the_built_article() {
    let html = built_article();
    let text = reading_text(&html);
    for (corrected, wrong) in [
        // quilm'a is « qu'il m'a » (cf. « la lettre qu'il nous a adressée »)
        ("cette fois, qu'il m'a adressée", "qui m'a adressée"),
        // dashes, not hyphens
        (
            "aucun des « grands » —dirigeants ou exécutants— de",
            "-dirigeants ou exécutants-",
        ),
        ("contemporains —Recabarren,", "contemporains -Recabarren"),
        ("Ravines— qui eurent", "Ravines- qui"),
        (
            "la rupture —théorique et pratique— avec",
            "-théorique et pratique-",
        ),
        ("à trente-cinq ans de distance", "trente cinq"),
        // a full stop after the call of note 4, as after notes 2 and 27
        (
            "Mariátegui. « Stalinien de nationalité",
            "Mariátegui, « Stalinien",
        ),
        ("au 12 juin. A Montevideo", "juin, A Montevideo"),
        (
            "Unter dem Banner des Marxismus. C'est là",
            "Marxismus, C'est",
        ),
        // « ici. ., » : suspension points, recorded
        ("y revenir ici... Co-directeur", "ici. Co-directeur"),
        // the stray point of « puis . d'Amérique »
        ("du Portugal, puis d'Amérique latine", "puis . d'Amérique"),
        // the comma left by the call « 10, ... »
        (
            "Internationale communiste... Effectivement",
            "communiste,... Effectivement",
        ),
        // the stray point before the call 16
        ("l'insurrection contre Leguía ».", "Leguía ».."),
    ] {
        assert!(text.contains(corrected), "the page lacks `{corrected}`");
        assert!(!text.contains(wrong), "the page still reads `{wrong}`");
    }
    // each of these corrections is recorded, with the OCR's reading
    for (source, reading) in [
        ("quilm’a", "qu’il m’a"),
        ("trente cinq", "trente-cinq"),
        ("-", "—"),
        (",", "."),
        (". .,", "…"),
    ] {
        let recorded = format!("data-source=\"source\u{a0}: {source}\">{reading}</span>");
        assert!(
            html.contains(&recorded),
            "no recorded emendation {source} → {reading}"
        );
    }
    for deleted in [" .", ",", "."] {
        let recorded = format!("data-source=\"source\u{a0}: {deleted}\"></span>");
        assert!(
            html.contains(&recorded),
            "no recorded deletion of `{deleted}`"
        );
    }
    assert_eq!(
        html.matches("data-source=\"source\u{a0}: -\">—</span>")
            .count(),
        6,
        "the six dashes are recorded one by one"
    );
}

/// The number of paragraphs of Paris's article: the print's paragraphs
/// (tests/paragraphs.rs reads them from the OCR). The *Clarté* quotation,
/// which the print runs into one of his sentences, is set apart as a parallel
/// block that continues its paragraph (`::: parallel continue`), as does the
/// rest of the sentence; the two paragraphs of Humbert-Droz's letter are two
/// blocks. The quotations that the print gives inline (the I.S.R. sentence,
/// the two titles of the books received) stay in their paragraph and are
/// translated in editorial notes.
const PARIS_PARAGRAPHS: usize = 13;

/// Issue 14 (part 3): § numbers are offered for citation, so translating a
/// quotation must not split one of Paris's paragraphs into new numbered ones.
#[test]
fn the_article_keeps_its_paragraph_count() {
    let html = built_article();
    let ids: Vec<&str> = html
        .split("id=\"p-")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        // the parts of a continued § (`p-N-2`) are not § of their own
        .filter(|id| !id.contains('-'))
        .collect();
    let expected: Vec<String> = (1..=PARIS_PARAGRAPHS).map(|n| n.to_string()).collect();
    assert_eq!(
        ids, expected,
        "the article's § must be Paris's {PARIS_PARAGRAPHS} paragraphs, numbered in order"
    );
}
