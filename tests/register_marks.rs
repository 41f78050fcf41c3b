//! Issue 16, continued: a register entry's language (`lang`) on its
//! mentions and its index heading; the CSV and JSON exports of every
//! declared register; the edition's register markup, the same in a text
//! and in its translation.

mod fixture;
use fixture::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

const SITE: &str = r#"title = "Test edition"
base_url = "https://example.org/ed/"
language = "fr"
persons_page = "personnes"

[[registers]]
id = "periodical"
file = "periodiques.toml"
page = "periodiques"
tei = "title"
[registers.title]
fr = "Périodiques"

[[registers]]
id = "place"
page = "lieux"
"#;

const PERIODICALS: &str = r#"[[entry]]
id = "amauta"
name = "Amauta"
lang = "qu"
start = "1926"
end = "1930"
variants = ["AMAUTA"]
description = { fr = "Revue fondée à Lima, « mensuelle ».", es = "Revista fundada en Lima." }
remark = { fr = "Titre quechua." }

[[entry]]
id = "clarte"
name = "Clarté"
description = "Revue française."
"#;

const PLACES: &str = "[[entry]]\nid = \"lima\"\nname = \"Lima\"\n";

const TEXT: &str = "+++\ntitle = \"Le texte\"\nkind = \"text\"\n+++\nLa revue *[Amauta](periodical:amauta)* de [Lima](place:lima) et *[Clarté](periodical:clarte)*.\n\nLe même titre en capitales : *[AMAUTA](periodical:amauta)*.\n";

fn site() -> Site {
    let s = Site::with_register();
    s.write("site.toml", SITE);
    s.write("content/periodiques.toml", PERIODICALS);
    s.write("content/place.toml", PLACES);
    s.write(
        "content/periodiques.md",
        "+++\ntitle = \"Périodiques\"\n+++\n",
    );
    s.write("content/lieux.md", "+++\ntitle = \"Lieux\"\n+++\n");
    s.write("content/texte.md", TEXT);
    s.write(
        "content/_index.md",
        "+++\ntitle = \"Accueil\"\n+++\n[Humbert-Droz](person:humbert-droz), [Álvarez](person:alvarez), [Avila](person:avila).\n",
    );
    s
}

/// The opening tag of the element with id `id` in `html`.
fn tag_with_id<'h>(html: &'h str, id: &str) -> &'h str {
    let at = html
        .find(&format!(" id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id} in:\n{html}"));
    let start = html[..at].rfind('<').unwrap_or(0);
    let end = at + html[at..].find('>').unwrap_or(0);
    &html[start..=end]
}

#[test]
fn an_entry_lang_marks_its_mentions_and_its_index_heading() {
    let s = site();
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = s.read("public/texte/index.html");
    // every mention of the entry, under its name or a variant, is in the
    // entry's language
    for id in ["m-periodical-amauta-1", "m-periodical-amauta-2"] {
        let tag = tag_with_id(&text, id);
        assert!(tag.contains(" lang=\"qu\""), "{tag}");
    }
    // an entry without lang: none
    let tag = tag_with_id(&text, "m-periodical-clarte-1");
    assert!(!tag.contains(" lang="), "{tag}");
    // the index heading
    let index = s.read("public/periodiques/index.html");
    let entry = &index[index.find("id=\"amauta\"").expect("entry")..];
    let heading = &entry[..entry.find("</p>").expect("heading")];
    assert!(
        heading.contains("<span class=\"hw-name\" data-pagefind-weight=\"5\" lang=\"qu\">"),
        "{heading}"
    );
    let entry = &index[index.find("id=\"clarte\"").expect("entry")..];
    let heading = &entry[..entry.find("</p>").expect("heading")];
    assert!(
        !heading.contains("hw-name\" data-pagefind-weight=\"5\" lang="),
        "{heading}"
    );
}

#[test]
fn an_unknown_entry_lang_is_reported_at_its_position() {
    let s = site();
    s.write(
        "content/periodiques.toml",
        &PERIODICALS.replace("lang = \"qu\"", "lang = \"xx\""),
    );
    let o = s.check();
    assert_fails_with(
        &o,
        "content/periodiques.toml:4:8: error: periodical `amauta`: unknown language tag `xx`",
    );
}

/// The rows of a CSV file: its header and its records.
fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let head = rd
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = rd
        .records()
        .map(|r| r.expect("row").iter().map(str::to_string).collect())
        .collect();
    (head, rows)
}

#[test]
fn every_register_downloads_as_csv_and_json_from_its_index_page() {
    let s = site();
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    for (page, n) in [("periodiques", 2), ("lieux", 1)] {
        let index = s.read(&format!("public/{page}/index.html"));
        for (f, ty) in [
            ("register.csv", "text/csv"),
            ("register.json", "application/json"),
        ] {
            assert!(
                index.contains(&format!("href=\"../{page}/{f}\" type=\"{ty}\" download")),
                "{page}: no link to {f}"
            );
        }
        assert!(index.contains("href=\"../personnes/register.xml\" type=\"application/tei+xml\""));
        let (head, rows) = csv_rows(&s.read(&format!("public/{page}/register.csv")));
        assert_eq!(rows.len(), n, "{page}");
        assert_eq!(
            &head[..7],
            ["id", "name", "sort", "start", "end", "variants", "lang"],
            "{page}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&s.read(&format!("public/{page}/register.json"))).expect("JSON");
        assert_eq!(json.as_array().map(Vec::len), Some(n), "{page}");
    }
    let (head, rows) = csv_rows(&s.read("public/periodiques/register.csv"));
    assert_eq!(
        head,
        [
            "id",
            "name",
            "sort",
            "start",
            "end",
            "variants",
            "lang",
            "description_fr",
            "description_es",
            "remark_fr",
            "remark_es"
        ]
    );
    assert_eq!(
        rows[0],
        [
            "amauta",
            "Amauta",
            "Amauta",
            "1926",
            "1930",
            "AMAUTA",
            "qu",
            "Revue fondée à Lima, « mensuelle ».",
            "Revista fundada en Lima.",
            "Titre quechua.",
            ""
        ]
    );
    // an untagged description is in the edition's language
    assert_eq!(rows[1][7], "Revue française.");
    let json: serde_json::Value =
        serde_json::from_str(&s.read("public/periodiques/register.json")).expect("JSON");
    assert_eq!(json[0]["lang"], "qu");
    assert_eq!(json[0]["start"], "1926");
    assert_eq!(json[0]["description"]["es"], "Revista fundada en Lima.");
    assert_eq!(json[1]["lang"], serde_json::Value::Null);
    // deterministic: a second build writes the same bytes
    let first: Vec<String> = ["periodiques/register.csv", "periodiques/register.json"]
        .iter()
        .map(|f| s.read(&format!("public/{f}")))
        .collect();
    let o = s.run(&["build", "--output", "again"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (f, before) in ["periodiques/register.csv", "periodiques/register.json"]
        .iter()
        .zip(&first)
    {
        assert_eq!(&s.read(&format!("again/{f}")), before, "{f}");
    }
}

/// An incremental rebuild after a change of an entry's `lang` equals a
/// build from scratch (the pages that mention it are rendered again).
#[test]
fn an_incremental_rebuild_after_a_lang_edit_equals_a_full_build() {
    use apparat::{render_site, BuildOptions, Session};
    let s = site();
    let opts = BuildOptions {
        root: s.path().to_path_buf(),
        output: Some(s.path().join("public")),
        ..Default::default()
    };
    let mut session = Session::default();
    session
        .render(&opts, &[])
        .unwrap_or_else(|d| panic!("first build failed:\n{d}"));
    s.write(
        "content/periodiques.toml",
        &PERIODICALS.replace("lang = \"qu\"", "lang = \"quz\""),
    );
    let changed = vec![s.path().join("content/periodiques.toml")];
    let (inc, _, _) = session
        .render(&opts, &changed)
        .unwrap_or_else(|d| panic!("incremental build failed:\n{d}"));
    let (full, _, _) = render_site(&opts).unwrap_or_else(|d| panic!("full build failed:\n{d}"));
    let a = inc
        .iter()
        .find(|f| f.path == "texte/index.html")
        .map(|f| String::from_utf8_lossy(&f.bytes().expect("unpack")).into_owned())
        .unwrap_or_default();
    let b = full
        .iter()
        .find(|f| f.path == "texte/index.html")
        .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
        .unwrap_or_default();
    assert!(b.contains(" lang=\"quz\">Amauta"), "{b}");
    assert_eq!(a, b, "the text page differs from a full build");
}

/// Mentions an original marks and its translation does not, with why:
/// (translation, register, entry). The Spanish article translates the title
/// of a list that Paris quotes in French (« libros recibidos en la redacción
/// de la revista »): a work mention would carry the work's language (French)
/// onto Spanish words. (The French titles the Spanish glosses are mentions
/// with a gloss, `[Les Revues](work:… "Las revistas")`, and count.)
const UNMARKED: &[(&str, &str, &str)] = &[("es/paris-1978", "work", "lutte-livres-recus")];

/// The bundled edition: in each translated text, every register's mentions
/// (the person register's and each declared register's) name the same
/// entries as many times as in the original, but for the exceptions listed
/// in [`UNMARKED`] (a parallel column that translates a quotation inside the
/// original is not marked, in either).
#[test]
fn translations_mark_the_same_register_entries_as_their_originals() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let opts = apparat::BuildOptions {
        root,
        ..Default::default()
    };
    let (ed, diags) = apparat::check(&opts);
    assert!(diags.is_empty(), "apparat check:\n{diags}");
    let ed = ed.expect("edition").1;
    type Counts = BTreeMap<(String, String), usize>;
    let counts = |e: &apparat::edition::Entry| -> Counts {
        let mut c = Counts::new();
        for m in e.doc.mentions.iter().chain(&e.doc.register_mentions) {
            let register = if m.register.is_empty() {
                "person"
            } else {
                m.register.as_str()
            };
            *c.entry((register.to_string(), m.person.clone()))
                .or_default() += 1;
        }
        c
    };
    let mut pairs = 0;
    for tr in &ed.entries {
        let Some(of) = tr.page.front.translation_of.as_deref() else {
            continue;
        };
        let original = ed
            .entries
            .iter()
            .find(|e| e.page.rel == of.trim_matches('/'))
            .unwrap_or_else(|| panic!("{}: no original {of}", tr.page.rel));
        let (a, mut b) = (counts(original), counts(tr));
        for (t, register, id) in UNMARKED.iter().filter(|u| u.0 == tr.page.rel) {
            *b.entry((register.to_string(), id.to_string())).or_default() += 1;
            assert!(
                a.contains_key(&(register.to_string(), id.to_string())),
                "{t}: {id}"
            );
        }
        for register in ["person", "org", "periodical", "place", "work"] {
            let total = |c: &Counts| -> usize {
                c.iter()
                    .filter(|((r, _), _)| r == register)
                    .map(|(_, n)| n)
                    .sum()
            };
            assert_eq!(
                total(&a),
                total(&b),
                "{} vs {}: `{register}` mentions",
                original.page.rel,
                tr.page.rel
            );
        }
        assert_eq!(
            a, b,
            "{} vs {}: mentions per entry",
            original.page.rel, tr.page.rel
        );
        pairs += 1;
    }
    assert!(pairs >= 3, "the three texts and their Spanish translations");
}

/// The `<nav class="site-nav">` of a page.
fn site_nav(html: &str) -> &str {
    let start = html.find("<nav class=\"site-nav\"").expect("site nav");
    let end = start + html[start..].find("</nav>").expect("end of nav");
    &html[start..end]
}

/// Several index pages (persons and declared registers) share one "Index"
/// menu in the header, a disclosure that needs no script; the other
/// editorial pages stay links of their own; one index page alone stays a link.
#[test]
fn the_index_pages_share_one_header_menu() {
    let s = site();
    s.write(
        "content/principes.md",
        "+++\ntitle = \"Principes\"\n+++\nLes principes.\n",
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let page = s.read("public/texte/index.html");
    let nav = site_nav(&page);
    assert_eq!(
        nav.matches("<li class=\"nav-indexes\">").count(),
        1,
        "{nav}"
    );
    let menu = &nav[nav.find("<li class=\"nav-indexes\">").expect("menu")..];
    let menu = &menu[..menu.find("</details>").expect("end of menu")];
    assert!(
        menu.contains("<details class=\"menu\">\n<summary>Index</summary>"),
        "{menu}"
    );
    // the person index keeps its URL; each index is listed once, in the menu
    for (url, title) in [
        ("../personnes/", "Index des personnes"),
        ("../periodiques/", "Périodiques"),
        ("../lieux/", "Lieux"),
    ] {
        let link = format!("<a href=\"{url}\">{title}</a>");
        assert!(menu.contains(&link), "{link} not in the menu:\n{menu}");
        assert_eq!(nav.matches(&link).count(), 1, "{nav}");
    }
    assert!(
        nav.contains("<li><a href=\"../principes/\">Principes</a></li>"),
        "{nav}"
    );
    assert!(!menu.contains("principes"), "{menu}");
    // on an index page, its entry in the menu is the current page
    let index = s.read("public/lieux/index.html");
    assert!(
        site_nav(&index).contains("<a href=\"../lieux/\" aria-current=\"page\">Lieux</a>"),
        "{index}"
    );
    // an edition with the person index only: a plain link, no menu
    let s = Site::with_register();
    s.write(
        "content/_index.md",
        "+++\ntitle = \"Accueil\"\n+++\n[Humbert-Droz](person:humbert-droz), [Álvarez](person:alvarez), [Avila](person:avila).\n",
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let home = s.read("public/index.html");
    let nav = site_nav(&home);
    assert!(!nav.contains("nav-indexes"), "{nav}");
    assert!(nav.contains("<a href=\"personnes/\">"), "{nav}");
}

/// The TEI exports carry the entry's language: `xml:lang` on each mention
/// in a text's TEI document, and on the entry's names in the register.
#[test]
fn the_tei_exports_carry_an_entry_lang() {
    let s = site();
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = s.read("public/texte/tei.xml");
    assert_eq!(
        text.matches("<title ref=\"../personnes/register.xml#periodical-amauta\" xml:lang=\"qu\">")
            .count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("<title ref=\"../personnes/register.xml#periodical-clarte\">"),
        "{text}"
    );
    assert!(text.contains("<language ident=\"qu\""), "{text}");
    let register = s.read("public/personnes/register.xml");
    for needle in [
        "<title type=\"main\" xml:lang=\"qu\">Amauta</title>",
        "<title type=\"variant\" xml:lang=\"qu\">AMAUTA</title>",
        "<title type=\"main\">Clarté</title>",
    ] {
        assert!(register.contains(needle), "no {needle} in:\n{register}");
    }
}
