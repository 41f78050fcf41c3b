//! The TEI P5 exports (src/tei.rs), through the real binary, on the bundled
//! edition and on a fixture edition that uses every construct of the
//! encoding guide:
//! - every TEI file is valid against tei_all.rng (jing; the schema's path in
//!   `APPARAT_TEI_SCHEMA`, set by `.ci/run`: unset, the test says so loudly
//!   and skips; set, a missing schema or jing is a failure);
//! - the TEI's reading text equals the HTML's (see [`html_reading_text`]);
//! - each text page carries JSON-LD that parses, and links its TEI;
//! - the register's TEI, CSV and JSON downloads.

mod common;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;

const BIN: &str = env!("CARGO_BIN_EXE_apparat");

/// A text using every construct: headings at two levels, a note called
/// twice, a note of two paragraphs, an editorial note, mentions with a
/// pseudonym and a variant, foreign passages with and without a gloss,
/// every kind of emendation, the author's brackets, a quotation, lists, a
/// table, a parallel block with a new paragraph, and characters to escape.
const RICH_MD: &str = r#"+++
title = "Un texte <riche> & \"complet\" </script>"
subtitle = "avec tout l'apparat"
author = "Jeanne Dupont"
date = "1931"
kind = "text"
weight = 20
description = "Tout ce que l'encodage sait dire </script><script>alert(1)</script>."

[source]
title = "Un texte riche"
container = "La Revue"
publisher = "Éditions & Cie"
place = "Paris"
year = "1931"
pages = "p. 7-9"
note = "Note sur la source, avec <balises> & esperluette."
+++

Avant tout titre, [Jeanne Dupont](person:dupont) écrit "ceci" : un paragraphe.[^1]

## Première partie

Sous le nom de [Jeanne D.](person:dupont) et de [Lucie](person:dupont), elle cite *[Siete ensayos](lang:es "Sept essais")* et [un mot](lang:de) ; la note[^1] revient.

### Une sous-partie

Une {~~erreur~>correction~~}, un mot lu deux fois{~~ deux fois~>~~}, un ajout{++.++} et [{~~Dupond~>Dupont~~}](person:dupont) [sic] [recte: 1930. – J.D.] [...] fin.[^ed-a]

> "Une citation en bloc", dit-elle.
>
> Sur deux paragraphes, avec < et & et > à échapper.

- un
- deux *en italique*

1. premier
2. second

| a | b |
| --- | --- |
| c & d | e |

## Seconde partie

::: parallel

:: fr original

Premier segment, en français.[^ed-b]

¶ Second segment, qui ouvre un paragraphe.

:: es translation

Primer segmento, en español.

¶ Segundo segmento, que abre un párrafo.

:::

Un dernier paragraphe, avec `du code` et un [lien](/apropos/).

[^1]: La note de l'autrice, sur [Jeanne Dupont](person:dupont).

[^ed-a]: Une note éditoriale de deux paragraphes.

    Le second, avec [un passage](lang:es "une glose").

[^ed-b]: Une note dans la colonne originale.
"#;

const REGISTER: &str = r#"[[person]]
id = "dupont"
name = "Jeanne Dupont"
sort = "Dupont, Jeanne"
born = "1900"
died = "vers 1970"
pseudonyms = ["Lucie"]
variants = ["Jeanne D."]
description = { fr = "Autrice du texte, de *La Revue* & d'autres, 1 < 2.", es = "Autora del texto." }
remark = "Une remarque, avec \"guillemets\", virgule et\nretour à la ligne."
"#;

/// The fixture edition of `tests/common`, with the rich text and register.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    common::write_fixture(dir.path());
    common::write(dir.path(), "content/textes/riche.md", RICH_MD);
    common::write(dir.path(), "content/persons.toml", REGISTER);
    // registers beside the person one, one per kind of TEI list
    let site = std::fs::read_to_string(dir.path().join("site.toml")).expect("site.toml");
    common::write(dir.path(), "site.toml", &format!("{site}{REGISTERS_TOML}"));
    common::write(dir.path(), "content/org.toml", ORG_TOML);
    common::write(
        dir.path(),
        "content/place.toml",
        "[[entry]]\nid = \"lima\"\nname = \"Lima\"\ndescription = \"Capitale du Pérou.\"\n",
    );
    common::write(
        dir.path(),
        "content/periodical.toml",
        "[[entry]]\nid = \"amauta\"\nname = \"Amauta\"\nstart = \"1926\"\nend = \"1930\"\n",
    );
    common::write(
        dir.path(),
        "content/event.toml",
        "[[entry]]\nid = \"congres\"\nname = \"Congrès de Montevideo\"\nstart = \"mai 1929\"\n",
    );
    for (page, title) in [
        ("organisations", "Organisations"),
        ("lieux", "Lieux"),
        ("periodiques", "Périodiques"),
        ("evenements", "Événements"),
    ] {
        common::write(
            dir.path(),
            &format!("content/{page}.md"),
            &format!("+++\ntitle = \"{title}\"\n+++\n"),
        );
    }
    common::write(dir.path(), "content/textes/registres.md", REGISTERS_MD);
    dir
}

const REGISTERS_TOML: &str = r#"
[[registers]]
id = "org"
page = "organisations"
tei = "orgName"
[registers.title]
fr = "Organisations"

[[registers]]
id = "place"
page = "lieux"
tei = "placeName"

[[registers]]
id = "periodical"
page = "periodiques"
tei = "title"

[[registers]]
id = "event"
page = "evenements"
"#;

const ORG_TOML: &str = r#"[[entry]]
id = "ic"
name = "Internationale communiste"
start = "1919"
end = "1943"
variants = ["Comintern"]
description = { fr = "L'Internationale, *dite* « troisième » & <b>rouge</b>.", es = "La Internacional." }
remark = "Sûre."
"#;

const REGISTERS_MD: &str = "+++\ntitle = \"Registres\"\nkind = \"text\"\nweight = 30\n+++\nLe [Comintern](org:ic) publie *[Amauta](periodical:amauta)* à [Lima](place:lima).[^1]\n\n[^1]: Avant le [congrès](event:congres) de l'[Internationale](org:ic).\n";

fn build(root: &Path, out: &Path) {
    let o = Command::new(BIN)
        .arg("build")
        .arg("--root")
        .arg(root)
        .arg("--output")
        .arg(out)
        .arg("--quiet")
        .output()
        .expect("run apparat");
    assert!(
        o.status.success(),
        "build of {} failed:\n{}",
        root.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The bundled edition and the fixture, built; with the fixture's folder kept alive.
fn built() -> (tempfile::TempDir, Vec<PathBuf>) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let fixture = fixture();
    let bundled_out = tmp.path().join("bundled");
    build(Path::new(env!("CARGO_MANIFEST_DIR")), &bundled_out);
    let fixture_out = tmp.path().join("fixture");
    build(fixture.path(), &fixture_out);
    // the fixture's sources are no longer needed
    drop(fixture);
    (tmp, vec![bundled_out, fixture_out])
}

fn files_named(dir: &Path, pred: &dyn Fn(&str) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_named(&p, pred, out);
        } else if p.file_name().and_then(|n| n.to_str()).is_some_and(pred) {
            out.push(p);
        }
    }
}

/// Every TEI document of a built site.
fn tei_files(site: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    files_named(site, &|n| n == "tei.xml" || n == "register.xml", &mut v);
    v
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn every_tei_export_is_valid_against_tei_all() {
    let Some(schema) = std::env::var_os("APPARAT_TEI_SCHEMA") else {
        eprintln!(
            "\n\n*** SKIPPED: APPARAT_TEI_SCHEMA is not set, so the TEI exports are NOT \
             validated here. Run `bash .ci/tei-schema.sh` (installs jing, fetches tei_all.rng) \
             and set APPARAT_TEI_SCHEMA to the path it prints. CI sets it (.ci/run). ***\n"
        );
        return;
    };
    let schema = PathBuf::from(schema);
    assert!(
        schema.is_file(),
        "APPARAT_TEI_SCHEMA={} is not a file",
        schema.display()
    );
    let (_tmp, sites) = built();
    let mut files = Vec::new();
    for s in &sites {
        let before = files.len();
        files.extend(tei_files(s));
        assert!(
            files.len() > before + 1,
            "{}: expected TEI files for the texts and the register",
            s.display()
        );
    }
    let o = Command::new("jing")
        .arg(&schema)
        .args(&files)
        .output()
        .expect("jing must be installed (Debian package `jing`)");
    let report = String::from_utf8_lossy(&o.stdout);
    let errors = report.lines().filter(|l| l.contains(" error: ")).count();
    eprintln!(
        "jing: {} TEI files validated against tei_all.rng, {errors} errors",
        files.len()
    );
    assert!(
        o.status.success() && errors == 0,
        "jing reported {errors} errors:\n{report}{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Decodes the character references apparat's HTML uses.
fn decode_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let Some(e) = end else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let name = &tail[1..e];
        let c = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => name
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Runs of ASCII whitespace become one space (the no-break spaces of French
/// typography are kept: they are part of the text).
fn normalise(s: &str) -> String {
    s.split(|c: char| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Default)]
struct HtmlState {
    in_body: usize,
    skip: usize,
    translation: usize,
    out: String,
    /// the translation column of the parallel block being read
    trans: String,
}

/// The reading text of a text page: the text of `div.text-body` without
/// the notes (`div.note`), the note calls, the glosses, the margin
/// paragraph numbers and heading self-links, and the parallel blocks'
/// column heads and credit; a block ends with a space; in a parallel block,
/// the original column comes first, then the translation.
fn html_reading_text(html: &str) -> String {
    use lol_html::html_content::Element;
    use lol_html::{doc_text, element, RewriteStrSettings};
    let st = Rc::new(RefCell::new(HtmlState::default()));
    let s1 = Rc::clone(&st);
    let s2 = Rc::clone(&st);
    let excluded = |el: &Element| {
        let class = el.get_attribute("class").unwrap_or_default();
        let has = |c: &str| class.split_whitespace().any(|t| t == c);
        has("note")
            || has("call")
            || has("gloss")
            || has("pnum")
            || has("anchor")
            || has("parallel-head")
            || el.tag_name() == "figcaption"
    };
    let settings = RewriteStrSettings {
        element_content_handlers: vec![element!("*", move |el| {
            let class = el.get_attribute("class").unwrap_or_default();
            let has = |c: &str| class.split_whitespace().any(|t| t == c);
            let body = el.tag_name() == "div" && has("text-body");
            let skip = excluded(el);
            let trans = has("seg-translation");
            let figure = has("parallel");
            let block = matches!(
                el.tag_name().as_str(),
                "p" | "div"
                    | "li"
                    | "td"
                    | "th"
                    | "tr"
                    | "h1"
                    | "h2"
                    | "h3"
                    | "h4"
                    | "h5"
                    | "h6"
                    | "blockquote"
                    | "figure"
                    | "pre"
                    | "ul"
                    | "ol"
                    | "table"
            );
            {
                let mut s = s1.borrow_mut();
                if body {
                    s.in_body += 1;
                }
                if skip {
                    s.skip += 1;
                }
                if trans {
                    s.translation += 1;
                }
            }
            let s = Rc::clone(&s1);
            if let Some(handlers) = el.end_tag_handlers() {
                handlers.push(Box::new(move |_end| {
                    let mut s = s.borrow_mut();
                    if block && s.in_body > 0 && s.skip == 0 {
                        if s.translation > 0 {
                            s.trans.push(' ');
                        } else {
                            s.out.push(' ');
                        }
                    }
                    if body {
                        s.in_body -= 1;
                    }
                    if skip {
                        s.skip -= 1;
                    }
                    if trans {
                        s.translation -= 1;
                    }
                    if figure {
                        let t = std::mem::take(&mut s.trans);
                        s.out.push_str(&t);
                        s.out.push(' ');
                    }
                    Ok(())
                }));
            }
            Ok(())
        })],
        document_content_handlers: vec![doc_text!(move |t| {
            let mut s = s2.borrow_mut();
            if s.in_body > 0 && s.skip == 0 {
                let text = t.as_str().to_string();
                if s.translation > 0 {
                    s.trans.push_str(&text);
                } else {
                    s.out.push_str(&text);
                }
            }
            Ok(())
        })],
        ..RewriteStrSettings::new()
    };
    lol_html::rewrite_str(html, settings).expect("parse the HTML");
    let out = std::mem::take(&mut st.borrow_mut().out);
    normalise(&decode_html(&out))
}

/// The reading text of a TEI document: the text of `body` without `note`,
/// `gloss`, `sic` (the source's reading), `ptr` and `linkGrp`; a block
/// (`p`, `head`, `item`, `cell`, `row`, `quote`, `seg`, `list`, `table`,
/// `ab`, `cit`) ends with a space.
fn tei_reading_text(xml: &str) -> String {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(xml);
    let mut in_body = false;
    let mut skip = 0usize;
    let mut out = String::new();
    let block = |n: &str| {
        matches!(
            n,
            "p" | "head"
                | "item"
                | "cell"
                | "row"
                | "quote"
                | "seg"
                | "list"
                | "table"
                | "ab"
                | "cit"
                | "label"
        )
    };
    let skipped = |n: &str| matches!(n, "note" | "gloss" | "sic" | "ptr" | "linkGrp");
    loop {
        match r.read_event().expect("well-formed TEI") {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                if name == "body" {
                    in_body = true;
                } else if in_body && skipped(&name) {
                    skip += 1;
                }
            }
            Event::End(e) => {
                let name = e.local_name().as_ref().to_string();
                if name == "body" {
                    in_body = false;
                } else if in_body && skipped(&name) {
                    skip -= 1;
                } else if in_body && skip == 0 && block(&name) {
                    out.push(' ');
                }
            }
            Event::Text(t) if in_body && skip == 0 => {
                out.push_str(&t.into_inner());
            }
            Event::GeneralRef(g) if in_body && skip == 0 => {
                if let Ok(Some(c)) = g.resolve_char_ref() {
                    out.push(c);
                    continue;
                }
                let name = g.into_inner();
                let c = match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity &{other};"),
                };
                out.push_str(c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    normalise(&out)
}

#[test]
fn tei_reading_text_equals_html_reading_text() {
    let (_tmp, sites) = built();
    let mut compared = 0;
    for site in &sites {
        for tei in tei_files(site) {
            if tei.file_name().is_some_and(|n| n == "register.xml") {
                continue;
            }
            let html_path = tei.with_file_name("index.html");
            let html = html_reading_text(&read(&html_path));
            let xml = tei_reading_text(&read(&tei));
            assert!(!html.is_empty(), "{}: no reading text", html_path.display());
            if html != xml {
                let at = html
                    .chars()
                    .zip(xml.chars())
                    .take_while(|(a, b)| a == b)
                    .count();
                let ctx = |s: &str| {
                    s.chars()
                        .skip(at.saturating_sub(60))
                        .take(160)
                        .collect::<String>()
                };
                panic!(
                    "{}: the TEI's reading text differs from the HTML's at char {at}:\n HTML: …{}…\n TEI:  …{}…",
                    tei.display(),
                    ctx(&html),
                    ctx(&xml)
                );
            }
            compared += 1;
        }
    }
    eprintln!("reading text: {compared} texts, TEI = HTML");
    // the bundled edition's texts and the fixture's two
    assert!(compared >= 4, "only {compared} texts compared");
}

/// The JSON-LD of a page (the content of its ld+json script).
fn json_ld(html: &str) -> Option<String> {
    let open = "<script type=\"application/ld+json\">";
    let start = html.find(open)? + open.len();
    let end = start + html[start..].find("</script>")?;
    Some(html[start..end].to_string())
}

#[test]
fn text_pages_carry_json_ld_and_link_their_tei() {
    let (_tmp, sites) = built();
    let mut pages = 0;
    for site in &sites {
        for tei in tei_files(site) {
            if tei.file_name().is_some_and(|n| n == "register.xml") {
                continue;
            }
            let html = read(&tei.with_file_name("index.html"));
            let raw = json_ld(&html).unwrap_or_else(|| panic!("{}: no JSON-LD", tei.display()));
            assert!(!raw.contains("</"), "`</` inside the script: {raw}");
            let v: serde_json::Value = serde_json::from_str(&raw).unwrap_or_else(|e| {
                panic!("{}: JSON-LD does not parse: {e}\n{raw}", tei.display())
            });
            assert_eq!(v["@context"], "https://schema.org");
            assert_eq!(v["@type"], "ScholarlyArticle");
            assert!(v["isPartOf"]["name"].is_string());
            assert!(v["headline"].is_string());
            assert!(
                html.contains("/tei.xml\" type=\"application/tei+xml\">TEI XML</a>"),
                "{}: no link to its TEI",
                tei.display()
            );
            pages += 1;
        }
    }
    assert!(pages >= 4);
    // the fixture's rich text: escaped title, author, mentions, translator
    let html = read(&sites[1].join("textes/riche/index.html"));
    let v: serde_json::Value =
        serde_json::from_str(&json_ld(&html).expect("JSON-LD")).expect("parses");
    assert_eq!(v["headline"], "Un texte <riche> & \"complet\" </script>");
    assert_eq!(v["author"]["@type"], "Person");
    assert_eq!(v["author"]["name"], "Jeanne Dupont");
    assert_eq!(v["mentions"][0]["@type"], "Person");
    assert_eq!(
        v["mentions"][0]["@id"],
        "https://example.org/mini/personnes/#dupont"
    );
    assert!(v["translator"].is_object());
    assert_eq!(v["isBasedOn"]["isPartOf"]["name"], "La Revue");
    // a text without parallel passage has no translator
    let plain = read(&sites[1].join("texte/index.html"));
    let p: serde_json::Value =
        serde_json::from_str(&json_ld(&plain).expect("JSON-LD")).expect("parses");
    assert!(p.get("translator").is_none());
    // the sitemap lists the TEI documents
    let sitemap = read(&sites[1].join("sitemap.xml"));
    assert!(sitemap.contains("https://example.org/mini/textes/riche/tei.xml"));
    assert!(sitemap.contains("https://example.org/mini/personnes/register.xml"));
}

#[test]
fn the_tei_encodes_the_apparatus() {
    let (_tmp, sites) = built();
    let tei = read(&sites[1].join("textes/riche/tei.xml"));
    for needle in [
        "<author xml:id=\"author-1\">Jeanne Dupont</author>",
        "<title type=\"main\">Un texte &lt;riche&gt; &amp; \"complet\" &lt;/script&gt;</title>",
        "<idno type=\"URI\">https://example.org/mini/textes/riche/tei.xml</idno>",
        "<resp xml:lang=\"en\">translation</resp>",
        "<title level=\"a\">Un texte riche</title>",
        "<publisher>Éditions &amp; Cie</publisher>",
        "<biblScope unit=\"page\">p. 7-9</biblScope>",
        "<language ident=\"es\">",
        "<language ident=\"de\">",
        "<p n=\"1\" xml:id=\"p-1\">",
        "<note xml:id=\"n-1\" n=\"1\" type=\"author\" place=\"foot\" resp=\"#author-1\">",
        "<ptr type=\"noteref\" n=\"1\" target=\"#n-1\"/>",
        "<note xml:id=\"ed-a\" n=\"a\" type=\"editorial\" place=\"foot\" resp=\"#editor-1\"><p>",
        "<persName ref=\"../../personnes/register.xml#dupont\" type=\"variant\">Jeanne D.</persName>",
        "<persName ref=\"../../personnes/register.xml#dupont\" type=\"pseudonym\">Lucie</persName>",
        "<persName ref=\"../../personnes/register.xml#dupont\">Jeanne Dupont</persName>",
        "<foreign xml:lang=\"es\" xml:id=\"f-1\">Siete ensayos</foreign><gloss xml:lang=\"fr\" target=\"#f-1\">Sept essais</gloss>",
        "<choice xml:id=\"em-1\"><sic>erreur</sic><corr>correction</corr></choice>",
        "<choice xml:id=\"em-2\"><sic> deux fois</sic><corr/></choice>",
        "<supplied xml:id=\"em-3\">.</supplied>",
        "[sic] [recte: 1930. – J.D.] […] fin.",
        "<cit type=\"parallel\"",
        "<quote type=\"translation\" xml:lang=\"es\" resp=\"#editor-1\">",
        "<seg xml:id=\"par1-s2-original\">Second segment, qui ouvre un paragraphe.",
        "<link target=\"#par1-s1-original #par1-s1-translation\"/>",
        "<linkGrp type=\"translation\">",
        "<head>Une sous-partie</head>",
        "<cell>c &amp; d</cell>",
        "xml:id=\"p-6\" rend=\"numbered\">",
    ] {
        assert!(tei.contains(needle), "missing {needle} in:\n{tei}");
    }
    // the text before the first heading stays in the body, the headings open divs
    assert!(tei.contains("<body>\n<p n=\"1\""));
    let register = read(&sites[1].join("personnes/register.xml"));
    for needle in [
        "<person xml:id=\"dupont\">",
        "<persName type=\"pseudonym\">Lucie</persName>",
        "<persName type=\"variant\">Jeanne D.</persName>",
        "<birth when=\"1900\">1900</birth>",
        "<death>vers 1970</death>",
        "<note type=\"description\" xml:lang=\"fr\">Autrice du texte, de <hi rend=\"italic\">La Revue</hi> &amp; d’autres, 1 &lt; 2.</note>",
        "<note type=\"remark\" xml:lang=\"fr\">Une remarque, avec «\u{202f}guillemets\u{202f}», virgule et\nretour à la ligne.</note>",
        "<note type=\"description\" xml:lang=\"es\">Autora del texto.</note>",
    ] {
        assert!(register.contains(needle), "missing {needle} in:\n{register}");
    }
}

#[test]
fn the_tei_encodes_the_other_registers() {
    let (_tmp, sites) = built();
    let tei = read(&sites[1].join("textes/registres/tei.xml"));
    for needle in [
        "<orgName ref=\"../../personnes/register.xml#org-ic\">Comintern</orgName>",
        "<title ref=\"../../personnes/register.xml#periodical-amauta\">Amauta</title>",
        "<placeName ref=\"../../personnes/register.xml#place-lima\">Lima</placeName>",
        "<name ref=\"../../personnes/register.xml#event-congres\">congrès</name>",
        "<orgName ref=\"../../personnes/register.xml#org-ic\">Internationale</orgName>",
    ] {
        assert!(tei.contains(needle), "missing {needle} in:\n{tei}");
    }
    let register = read(&sites[1].join("personnes/register.xml"));
    for needle in [
        "<listPerson>",
        "<listOrg type=\"org\">\n<head>Organisations</head>",
        "<org xml:id=\"org-ic\">\n<orgName type=\"main\">Internationale communiste</orgName><orgName type=\"variant\">Comintern</orgName><note type=\"dates\">1919–1943</note>",
        "<note type=\"description\" xml:lang=\"fr\">L’Internationale, <hi rend=\"italic\">dite</hi> « troisième » &amp; &lt;b&gt;rouge&lt;/b&gt;.</note>",
        "<listPlace type=\"place\">",
        "<place xml:id=\"place-lima\">",
        "<listBibl type=\"periodical\">",
        "<bibl xml:id=\"periodical-amauta\">\n<title type=\"main\">Amauta</title><date from=\"1926\" to=\"1930\">1926–1930</date>",
        "<list type=\"event\">",
        "<item xml:id=\"event-congres\">\n<name type=\"main\">Congrès de Montevideo</name><date>mai 1929–</date>",
    ] {
        assert!(register.contains(needle), "missing {needle} in:\n{register}");
    }
}

#[test]
fn the_register_downloads_as_csv_and_json() {
    let (_tmp, sites) = built();
    for site in &sites {
        let persons = read(&site.join("personnes/index.html"));
        for f in ["register.xml", "register.csv", "register.json"] {
            assert!(
                persons.contains("register-downloads") && persons.contains(&format!("{f}\" type=")),
                "{}: the person index does not link {f}",
                site.display()
            );
        }
    }
    // the bundled register: as many rows and objects as persons
    let toml_text = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content/persons.toml"));
    let count = toml_text
        .lines()
        .filter(|l| l.trim() == "[[person]]")
        .count();
    let csv_text = read(&sites[0].join("personnes/register.csv"));
    let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(rd.records().count(), count);
    let json: serde_json::Value =
        serde_json::from_str(&read(&sites[0].join("personnes/register.json"))).expect("JSON");
    assert_eq!(json.as_array().map(Vec::len), Some(count));
    // the fixture's: quoting and languages
    let csv_text = read(&sites[1].join("personnes/register.csv"));
    let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
    let head: Vec<String> = rd
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 1);
    let col = |name: &str| {
        let i = head
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {head:?}"));
        rows[0][i].to_string()
    };
    assert_eq!(col("id"), "dupont");
    assert_eq!(col("pseudonyms"), "Lucie");
    assert_eq!(col("died"), "vers 1970");
    assert_eq!(col("description_es"), "Autora del texto.");
    assert_eq!(
        col("remark_fr"),
        "Une remarque, avec \"guillemets\", virgule et\nretour à la ligne."
    );
    let json: serde_json::Value =
        serde_json::from_str(&read(&sites[1].join("personnes/register.json"))).expect("JSON");
    assert_eq!(
        json[0]["description"]["fr"],
        "Autrice du texte, de *La Revue* & d'autres, 1 < 2."
    );
    assert_eq!(json[0]["pseudonyms"][0], "Lucie");
}
