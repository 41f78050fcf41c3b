//! Issue 16: registers beside the person register (organisations, places,
//! periodicals…), declared in site.toml, mentioned as `[form](org:id)`,
//! each with its index page; checked as the person register is.

mod fixture;
use fixture::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const SITE: &str = r#"title = "Test edition"
base_url = "https://example.org/ed/"
language = "fr"
persons_page = "personnes"

[[registers]]
id = "org"
file = "organisations.toml"
page = "organisations"
[registers.title]
fr = "Organisations"
es = "Organizaciones"

[[registers]]
id = "place"
page = "lieux"
tei = "placeName"
"#;

const ORGS: &str = r#"[[entry]]
id = "ic"
name = "Internationale communiste"
start = "1919"
end = "1943"
variants = ["Comintern", "I.C."]
description = { fr = "L'Internationale des partis communistes.", es = "La Internacional de los partidos comunistas." }

[[entry]]
id = "isr"
name = "Internationale syndicale rouge"
variants = ["Profintern"]
remark = "Identification sûre."
"#;

const PLACES: &str = r#"[[entry]]
id = "lima"
name = "Lima"

[[entry]]
id = "moscou"
name = "Moscou"
"#;

const TEXT: &str = "+++\ntitle = \"Le texte\"\nkind = \"text\"\n+++\nLe [Comintern](org:ic) et l'[I.S.R.](org:isr) siègent à [Moscou](place:moscou).[^1]\n\nDe [Lima](place:lima), l'[Internationale](org:ic) écrit.\n\n[^1]: Voir l'[I.C.](org:ic) à [Moscou](place:moscou).\n";

fn site() -> Site {
    let s = Site::with_register();
    s.write("site.toml", SITE);
    s.write("content/organisations.toml", ORGS);
    s.write("content/place.toml", PLACES);
    s.write(
        "content/organisations.md",
        "+++\ntitle = \"Organisations\"\n+++\nLes organisations.\n",
    );
    s.write("content/lieux.md", "+++\ntitle = \"Lieux\"\n+++\n");
    s.write("content/texte.md", TEXT);
    s.write(
        "content/_index.md",
        "+++\ntitle = \"Accueil\"\n+++\nL'[Internationale](org:ic), et [Humbert-Droz](person:humbert-droz), [Álvarez](person:alvarez), [Avila](person:avila).\n",
    );
    s
}

/// `href` (relative, as the rewrite stage writes it) from the page written
/// at `from` (`texte/index.html`): the file it names and its fragment.
fn target(from: &str, href: &str) -> (PathBuf, String) {
    let (path, frag) = href.split_once('#').unwrap_or((href, ""));
    let mut dir: PathBuf = Path::new(from).parent().unwrap_or(Path::new("")).into();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                dir.pop();
            }
            p => dir.push(p),
        }
    }
    if path.is_empty() {
        return (PathBuf::from(from), frag.to_string());
    }
    (dir.join("index.html"), frag.to_string())
}

/// Every `attr="…"` value in `html`.
fn attrs(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    html.split(&needle)
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .map(String::from)
        .collect()
}

/// The mentions of a register on a page: (id, href).
fn mentions(html: &str, scheme: &str) -> Vec<(String, String)> {
    let open = format!("<a class=\"mention {scheme}\" id=\"");
    html.split(&open)
        .skip(1)
        .filter_map(|r| {
            let id = r.split('"').next()?;
            let href = r.split("href=\"").nth(1)?.split('"').next()?;
            Some((id.to_string(), href.to_string()))
        })
        .collect()
}

fn has_id(s: &Site, file: &Path, id: &str) -> bool {
    let html = s.read(&format!("public/{}", file.display()));
    html.contains(&format!(" id=\"{id}\""))
}

#[test]
fn mentions_reach_their_entry_and_every_occurrence_reaches_its_mention() {
    let s = site();
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = s.read("public/texte/index.html");
    let orgs = mentions(&text, "org");
    let places = mentions(&text, "place");
    assert_eq!(orgs.len(), 4, "{text}");
    assert_eq!(places.len(), 3, "{text}");
    // mention → entry
    for (anchor, href) in orgs.iter().chain(&places) {
        let (file, frag) = target("texte/index.html", href);
        assert!(has_id(&s, &file, &frag), "{anchor} → {href}: no entry");
    }
    assert_eq!(
        orgs[0],
        ("m-org-ic-1".into(), "../organisations/#ic".into())
    );
    assert_eq!(places[0].1, "../lieux/#moscou");
    // entry → every mention: the index lists each occurrence, and each
    // link lands on a mention of that entry
    let index = s.read("public/organisations/index.html");
    let entry = |id: &str| {
        let start = index
            .find(&format!("<li class=\"index-entry\" id=\"{id}\""))
            .unwrap_or_else(|| panic!("no entry {id}:\n{index}"));
        let end = index[start..].find("</ul>\n</li>").expect("end") + start;
        index[start..end].to_string()
    };
    let ic = entry("ic");
    let links: Vec<String> = attrs(&ic, "href");
    let mut reached = BTreeSet::new();
    for href in &links {
        let (file, frag) = target("organisations/index.html", href);
        assert!(frag.starts_with("m-org-ic-"), "{href} in\n{ic}");
        assert!(has_id(&s, &file, &frag), "{href}: no such mention");
        reached.insert(href.clone());
    }
    // three in the text (one in a note), one on the home page
    assert_eq!(reached.len(), 4, "{ic}");
    assert!(ic.contains("§ 1") && ic.contains("note 1"), "{ic}");
    assert!(ic.contains("(1919–1943)"), "{ic}");
    assert!(ic.contains("[I.C.]"), "the variant form is shown: {ic}");
    // every mention of the text is in an index (translations aside)
    let all: BTreeSet<String> = orgs.iter().map(|(a, _)| format!("../texte/#{a}")).collect();
    let listed: BTreeSet<String> = attrs(&index, "href")
        .into_iter()
        .filter(|h| h.starts_with("../texte/#"))
        .collect();
    assert_eq!(all, listed);
    // a variant form refers to its entry
    assert!(
        index.contains("<span class=\"xref-form\">Comintern</span>"),
        "{index}"
    );
    assert!(index.contains("<a href=\"#ic\">Internationale communiste</a>"));
    // the register file is data, not a file of the site
    assert!(!s.exists("public/organisations.toml"));
    assert!(!s.exists("public/place.toml"));
    // search: an index of its own kind (not the person index's)
    assert!(
        index.contains("<meta property=\"apparat:kind\" content=\"index\""),
        "{index}"
    );
    // the person index is untouched by the other registers
    let persons = s.read("public/personnes/index.html");
    assert!(!persons.contains("Internationale"), "{persons}");
}

#[test]
fn an_unknown_id_is_reported_at_its_position_with_a_suggestion() {
    let s = site();
    s.write(
        "content/texte.md",
        &TEXT.replace("[Lima](place:lima)", "[Lima](place:lima-peru)"),
    );
    let o = s.check();
    // line 7 of the file (front matter included), column of the link
    assert_fails_with(
        &o,
        "content/texte.md:7:4: error: unknown place id `lima-peru` (did you mean `lima`?)",
    );
}

#[test]
fn unused_and_duplicate_entries_are_reported_at_their_position() {
    let s = site();
    let orgs = format!(
        "{ORGS}\n[[entry]]\nid = \"apra\"\nname = \"A.P.R.A.\"\n\n[[entry]]\nid = \"isr\"\nname = \"Encore\"\n"
    );
    s.write("content/organisations.toml", &orgs);
    let o = s.check();
    let err = stderr(&o);
    let line_of = |needle: &str| orgs[..orgs.find(needle).expect(needle)].lines().count() + 1;
    let apra = line_of("id = \"apra\"");
    assert!(
        err.contains(&format!(
            "content/organisations.toml:{apra}:6: warning: org register entry `apra` is never mentioned"
        )),
        "{err}"
    );
    let dup = orgs.rfind("id = \"isr\"").expect("dup");
    let dup_line = orgs[..dup].lines().count() + 1;
    assert_fails_with(
        &o,
        &format!("content/organisations.toml:{dup_line}:6: error: duplicate org id `isr`"),
    );
}

#[test]
fn a_mention_of_an_undeclared_register_is_an_error_with_a_hint() {
    let s = site();
    s.write(
        "content/texte.md",
        &TEXT.replace("[Lima](place:lima)", "[*Amauta*](periodical:amauta)"),
    );
    let o = s.check();
    assert_fails_with(
        &o,
        "content/texte.md:7:4: error: mention of an undeclared register `periodical:` (the declared registers are `org`, `place`)",
    );
    assert!(stderr(&o).contains("[[registers]]"), "{}", stderr(&o));
    // ordinary URL schemes stay links
    s.write(
        "content/texte.md",
        &TEXT.replace(
            "[Lima](place:lima)",
            "[Lima](place:lima) ([écrire](mailto:a@b.c), [tél.](tel:0102))",
        ),
    );
    let o = s.check();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_large_register_index_is_divided_by_letter() {
    let s = site();
    s.write(
        "site.toml",
        &SITE.replace("page = \"lieux\"\n", "page = \"lieux\"\nsplit = 2\n"),
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    // three place mentions > 2: one page per initial letter
    assert!(s.exists("public/lieux/l/index.html"));
    assert!(s.exists("public/lieux/m/index.html"));
    let m = s.read("public/lieux/m/index.html");
    assert!(m.contains("id=\"moscou\""), "{m}");
    assert!(!m.contains("id=\"lima\""), "{m}");
    // the overview lists every entry, linking to its occurrences
    let overview = s.read("public/lieux/index.html");
    assert!(
        overview.contains("href=\"../lieux/m/#moscou\">"),
        "{overview}"
    );
    // mentions go to their letter's page
    let text = s.read("public/texte/index.html");
    let places = mentions(&text, "place");
    assert_eq!(places[0].1, "../lieux/m/#moscou", "{text}");
    for (_, href) in &places {
        let (file, frag) = target("texte/index.html", href);
        assert!(has_id(&s, &file, &frag), "{href}");
    }
    // the organisations' index (4+1 occurrences, default threshold) is one page
    assert!(!s.exists("public/organisations/i/index.html"));
}

#[test]
fn register_texts_are_escaped_in_html() {
    let s = site();
    s.write(
        "content/place.toml",
        &PLACES.replace(
            "name = \"Lima\"",
            "name = \"Lima <script>alert(1)</script> & co\"\ndescription = \"Une <img src=x onerror=alert(2)> ville.\"\nvariants = [\"<b>Lim</b>\"]",
        ),
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let index = s.read("public/lieux/index.html");
    assert!(!index.contains("<script>alert"), "{index}");
    assert!(!index.contains("<img src=x"), "{index}");
    assert!(!index.contains("<b>Lim"), "{index}");
    assert!(index.contains("Lima &lt;script&gt;"), "{index}");
}

#[test]
fn a_bad_register_declaration_is_reported() {
    let s = site();
    s.write(
        "site.toml",
        &format!(
            "{SITE}\n[[registers]]\nid = \"Org\"\npage = \"organisations\"\ntei = \"org name\"\n"
        ),
    );
    let o = s.check();
    let line = SITE.lines().count() + 3;
    assert_fails_with(
        &o,
        &format!("site.toml:{line}:1: error: register id `Org` must be lowercase ASCII"),
    );
    assert!(stderr(&o).contains("page `organisations` is already another register's index"));
    assert!(stderr(&o).contains("unknown tei element `org name`"));
}

#[test]
fn a_link_written_to_a_register_entry_is_checked() {
    let s = site();
    s.write(
        "content/apropos.md",
        "+++\ntitle = \"À propos\"\n+++\nVoir [l'entrée](/organisations/#ic) et [une autre](/lieux/#nulle-part).\n",
    );
    let o = s.check();
    assert_fails_with(
        &o,
        "content/apropos.md:4:40: error: broken link `/lieux/#nulle-part`",
    );
    let err = stderr(&o);
    assert!(err.contains("nulle-part"), "{err}");
    assert!(
        err.contains("\n1 error, "),
        "the entry `#ic` is found: {err}"
    );
}

/// An incremental rebuild (`serve`'s session) after an edit of a register
/// file, of its index page or of a mention equals a build from scratch.
#[test]
fn incremental_rebuilds_after_register_edits_equal_full_builds() {
    use apparat::{render_site, BuildOptions, Session};
    let s = site();
    let opts = BuildOptions {
        root: s.path().to_path_buf(),
        output: Some(s.path().join("public")),
        base_url: Some("http://127.0.0.1:1111/".into()),
        live_reload: true,
        ..Default::default()
    };
    let mut session = Session::default();
    let step = |session: &mut Session, changed: &str| {
        let changed = vec![s.path().join(changed)];
        let (inc, _, _) = session
            .render(&opts, &changed)
            .unwrap_or_else(|d| panic!("incremental build failed:\n{d}"));
        let (full, _, _) = render_site(&opts).unwrap_or_else(|d| panic!("full build failed:\n{d}"));
        let full: Vec<_> = full
            .into_iter()
            .filter(|f| !f.path.starts_with("pagefind/"))
            .collect();
        let unpacked: Vec<Vec<u8>> = inc.iter().map(|f| f.bytes().expect("unpack")).collect();
        let a: Vec<(&str, &[u8])> = inc
            .iter()
            .zip(&unpacked)
            .map(|(f, b)| (f.path.as_str(), b.as_slice()))
            .collect();
        let b: Vec<(&str, &[u8])> = full
            .iter()
            .map(|f| (f.path.as_str(), f.bytes.as_slice()))
            .collect();
        assert_eq!(a.len(), b.len(), "after {changed:?}");
        for (x, y) in a.iter().zip(&b) {
            assert!(
                x == y,
                "{} differs from a full build after {changed:?}",
                x.0
            );
        }
        inc.iter()
            .find(|f| f.path == "organisations/index.html")
            .map(|f| String::from_utf8_lossy(&f.bytes().expect("unpack")).into_owned())
            .unwrap_or_default()
    };
    step(&mut session, "content/texte.md");
    // a new description and a new entry's mention
    s.write(
        "content/organisations.toml",
        &ORGS.replace("Identification sûre.", "Identification très sûre."),
    );
    let index = step(&mut session, "content/organisations.toml");
    assert!(index.contains("Identification très sûre."), "{index}");
    // one more mention
    s.write(
        "content/texte.md",
        &TEXT.replace("De [Lima]", "L'[I.S.R.](org:isr) de [Lima]"),
    );
    let index = step(&mut session, "content/texte.md");
    assert!(index.contains("m-org-isr-2"), "{index}");
    // the index divided by letter
    s.write(
        "site.toml",
        &SITE.replace(
            "page = \"organisations\"\n",
            "page = \"organisations\"\nsplit = 1\n",
        ),
    );
    step(&mut session, "site.toml");
}

/// A link in a register text may lead only to a site path or an http(s) or
/// mailto URL: a mention scheme (not resolved in register texts) or any
/// other scheme is an error at the entry, and never reaches the page as a
/// link.
#[test]
fn register_texts_link_only_to_pages_and_the_web() {
    let s = site();
    let orgs = ORGS.replace(
        "remark = \"Identification sûre.\"",
        "remark = \"Voir l'[I.C.](org:ic), [ceci](javascript:alert(1)), [la page](/texte/) et [le site](https://example.org/).\"",
    );
    s.write("content/organisations.toml", &orgs);
    let o = s.check();
    let line = orgs[..orgs.find("id = \"isr\"").expect("isr")]
        .lines()
        .count()
        + 1;
    for url in ["org:ic", "javascript:alert(1)"] {
        assert_fails_with(
            &o,
            &format!("content/organisations.toml:{line}:6: error: register entry `isr`: link `{url}` in a description or remark"),
        );
    }
    let err = stderr(&o);
    assert!(
        !err.contains("/texte/") && !err.contains("https://example.org/"),
        "{err}"
    );
}
