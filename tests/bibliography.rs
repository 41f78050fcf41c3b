//! Issue 16, works cited: a bibliography register in hayagriva's YAML
//! (`format = "hayagriva"` in its `[[registers]]` table), mentioned as
//! `[title](work:id)`, formatted by hayagriva with a CSL style in the index
//! page's language, and checked as the other registers are.

mod fixture;
use fixture::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn site_toml(language: &str, style: &str) -> String {
    format!(
        r#"title = "Test edition"
base_url = "https://example.org/ed/"
language = "{language}"
persons_page = "personnes"

[[registers]]
id = "work"
file = "works.yaml"
page = "works"
tei = "title"
format = "hayagriva"
style = "{style}"
[registers.title]
fr = "Œuvres citées"
en = "Works cited"
"#
    )
}

/// Three fictional works, not in the order of a bibliography: an undated
/// one, an edited one, a plain one.
const WORKS: &str = r#"# works
roe-undated:
  type: book
  title: Undated Work
  author: Roe, Richard
  publisher:
    name: Example Press
    location: Lyon

doe-tests:
  type: book
  title: A Book of Tests
  author: Doe, Jane
  date: 2001
  publisher:
    name: Example Press
    location: Lyon
  remark: The remark of the edition.

doe-edited:
  type: book
  title: Collected Letters
  author: Doe, Jane
  editor: Smith, John
  date: 1999
  publisher:
    name: Example Press
    location: Lyon
"#;

const TEXT: &str = "+++\ntitle = \"Le texte\"\nkind = \"text\"\n+++\nDans *[Tests](work:doe-tests)* et *[Letters](work:doe-edited)*.[^1]\n\nPuis *[l'œuvre](work:roe-undated)*, et *[Tests](work:doe-tests)*.\n\n[^1]: Voir *[A Book of Tests](work:doe-tests)*, p. 3.\n";

fn site(language: &str, style: &str) -> Site {
    let s = Site::with_register();
    s.write("site.toml", &site_toml(language, style));
    s.write("content/works.yaml", WORKS);
    s.write(
        "content/works.md",
        "+++\ntitle = \"Works\"\n+++\nThe works.\n",
    );
    s.write("content/texte.md", TEXT);
    s
}

/// The formatted references of the bibliography page, in order.
fn references(s: &Site) -> Vec<String> {
    let html = s.read("public/works/index.html");
    html.split("<div class=\"reference csl-entry\">")
        .skip(1)
        .filter_map(|r| r.split("</div>").next())
        .map(String::from)
        .collect()
}

fn built(language: &str, style: &str) -> Site {
    let s = site(language, style);
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    s
}

/// Chicago author-date (hayagriva bundles the 18th edition, which no longer
/// gives the place of publication): "Author. Year. *Title*. Publisher.";
/// an editor after the title ("Edited by" in English, the locale's verb
/// form in French, capitalised at the start of a sentence);
/// no date is the locale's short "no date" term (en-US "n.d.", fr-FR
/// "s.\u{a0}d.", with the no-break space of French typography); entries by author, then date (undated last among an author's
/// works, Doe before Roe).
#[test]
fn chicago_author_date_in_english_and_in_french() {
    let en = references(&built("en", "chicago-author-date"));
    assert_eq!(
        en,
        [
            "Doe, Jane. 1999. <i>Collected Letters</i>. Edited by John Smith. Example Press.",
            "Doe, Jane. 2001. <i>A Book of Tests</i>. Example Press.",
            "Roe, Richard. n.d. <i>Undated Work</i>. Example Press.",
        ]
    );
    let fr = references(&built("fr", "chicago-author-date"));
    assert_eq!(
        fr,
        [
            "Doe, Jane. 1999. <i>Collected Letters</i>. Édité par John Smith. Example Press.",
            "Doe, Jane. 2001. <i>A Book of Tests</i>. Example Press.",
            "Roe, Richard. s.\u{a0}d. <i>Undated Work</i>. Example Press.",
        ]
    );
}

/// MLA (9th ed.): "Author. *Title*. Edited by Editor, Publisher, Year." (no
/// place of publication); by author then title, a repeated author replaced
/// by three em dashes (the CSL style's `subsequent-author-substitute`); an
/// undated work has no date.
#[test]
fn mla_in_english_and_in_french() {
    let en = references(&built("en", "modern-language-association"));
    assert_eq!(
        en,
        [
            "Doe, Jane. <i>A Book of Tests</i>. Example Press, 2001.",
            "\u{2014}\u{2014}\u{2014}. <i>Collected Letters</i>. Edited by John Smith, Example Press, 1999.",
            "Roe, Richard. <i>Undated Work</i>. Example Press.",
        ]
    );
    let fr = references(&built("fr", "modern-language-association"));
    assert_eq!(
        fr,
        [
            "Doe, Jane. <i>A Book of Tests</i>. Example Press, 2001.",
            "\u{2014}\u{2014}\u{2014}. <i>Collected Letters</i>. Édité par John Smith, Example Press, 1999.",
            "Roe, Richard. <i>Undated Work</i>. Example Press.",
        ]
    );
}

/// `href` (relative, as the rewrite stage writes it) from the page written
/// at `from`: the file it names and its fragment.
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

fn attrs(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    html.split(&needle)
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .map(String::from)
        .collect()
}

fn has_id(s: &Site, file: &Path, id: &str) -> bool {
    let html = s.read(&format!("public/{}", file.display()));
    html.contains(&format!(" id=\"{id}\""))
}

#[test]
fn every_mention_reaches_its_work_and_every_occurrence_its_mention() {
    let s = built("fr", "chicago-author-date");
    let text = s.read("public/texte/index.html");
    let open = "<a class=\"mention work\" id=\"";
    let mentions: Vec<(String, String)> = text
        .split(open)
        .skip(1)
        .filter_map(|r| {
            let id = r.split('"').next()?;
            let href = r.split("href=\"").nth(1)?.split('"').next()?;
            Some((id.to_string(), href.to_string()))
        })
        .collect();
    assert_eq!(mentions.len(), 5, "{text}");
    for (anchor, href) in &mentions {
        let (file, frag) = target("texte/index.html", href);
        assert_eq!(file, Path::new("works/index.html"), "{href}");
        assert!(has_id(&s, &file, &frag), "{anchor} → {href}: no entry");
    }
    // each work's occurrences link to its mentions, all of them
    let index = s.read("public/works/index.html");
    let mut listed = BTreeSet::new();
    for id in ["doe-tests", "doe-edited", "roe-undated"] {
        let start = index
            .find(&format!("<li class=\"index-entry work\" id=\"{id}\""))
            .unwrap_or_else(|| panic!("no entry {id}:\n{index}"));
        let end = index[start..].find("</ul>\n</li>").expect("end") + start;
        let entry = &index[start..end];
        for href in attrs(entry, "href") {
            let (file, frag) = target("works/index.html", &href);
            assert!(frag.starts_with(&format!("m-work-{id}-")), "{href}");
            assert!(has_id(&s, &file, &frag), "{href}: no such mention");
            listed.insert(format!("../texte/#{frag}"));
        }
    }
    let all: BTreeSet<String> = mentions
        .iter()
        .map(|(a, _)| format!("../texte/#{a}"))
        .collect();
    assert_eq!(all, listed);
    let tests = &index[index.find("id=\"doe-tests\"").expect("entry")..];
    assert!(tests.contains("§ 1") && tests.contains("note 1"), "{tests}");
    assert!(tests.contains("The remark of the edition."), "{tests}");
}

#[test]
fn an_unknown_work_is_reported_at_its_position_with_a_suggestion() {
    let s = site("fr", "chicago-author-date");
    s.write(
        "content/texte.md",
        &TEXT.replace("(work:roe-undated)", "(work:roe-undate)"),
    );
    let o = s.check();
    assert_fails_with(
        &o,
        "content/texte.md:7:7: error: unknown work id `roe-undate` (did you mean `roe-undated`?)",
    );
}

#[test]
fn an_unused_work_is_a_warning_at_its_key() {
    let s = site("fr", "chicago-author-date");
    s.write(
        "content/works.yaml",
        &format!("{WORKS}\nnever-cited:\n  type: book\n  title: Never\n"),
    );
    let o = s.check();
    assert!(o.status.success(), "{}", stderr(&o));
    let line = WORKS.lines().count() + 2;
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "content/works.yaml:{line}:1: warning: work register entry `never-cited` is never mentioned"
        )),
        "{err}"
    );
}

#[test]
fn a_malformed_bibliography_is_reported_alone_at_its_position() {
    let s = site("fr", "chicago-author-date");
    // line 5: a mapping where a string is expected is not the error here;
    // an unclosed flow sequence is
    s.write(
        "content/works.yaml",
        &WORKS.replace("  title: Undated Work\n", "  title: [Undated Work\n"),
    );
    let o = s.check();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("content/works.yaml:") && err.contains("error: malformed bibliography"),
        "{err}"
    );
    // alone: no unknown-id error for each mention, no unused warning
    assert!(err.contains("\n1 error"), "{err}");
    assert!(!err.contains("unknown work id"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // a field of the wrong type, with its line
    s.write(
        "content/works.yaml",
        &WORKS.replace("  date: 2001\n", "  date: [2001]\n"),
    );
    let o = s.check();
    let line = WORKS[..WORKS.find("  date: 2001").expect("date")]
        .lines()
        .count()
        + 1;
    assert_fails_with(&o, &format!("content/works.yaml:{line}:"));
    assert!(
        stderr(&o).contains("error: malformed bibliography"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_bad_id_format_or_style_is_reported() {
    let s = site("fr", "chicago-author-date");
    s.write(
        "content/works.yaml",
        &WORKS.replace("doe-edited:", "Doe_Edited:"),
    );
    s.write(
        "content/texte.md",
        &TEXT.replace("work:doe-edited", "work:Doe_Edited"),
    );
    let o = s.check();
    let line = WORKS[..WORKS.find("doe-edited:").expect("key")]
        .lines()
        .count()
        + 1;
    assert_fails_with(
        &o,
        &format!(
            "content/works.yaml:{line}:1: error: work id `Doe_Edited` must be lowercase ASCII"
        ),
    );
    let s = site("fr", "chicago-author-date");
    s.write(
        "site.toml",
        &site_toml("fr", "no-such-style").replace("format = \"hayagriva\"", "format = \"bibtex\""),
    );
    let o = s.check();
    assert_fails_with(&o, "unknown bibliography format `bibtex`");
    s.write("site.toml", &site_toml("fr", "no-such-style"));
    let o = s.check();
    assert_fails_with(
        &o,
        "site.toml:7:1: error: register `work`: unknown bibliography style `no-such-style`",
    );
    // reported once, where it is written
    assert_eq!(
        stderr(&o).matches("no-such-style").count(),
        1,
        "{}",
        stderr(&o)
    );
}

#[test]
fn bibliography_texts_are_escaped() {
    let s = site("en", "chicago-author-date");
    s.write(
        "content/works.yaml",
        &WORKS.replace(
            "title: A Book of Tests",
            "title: \"A <script>alert(1)</script> & Book\"",
        ),
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let index = s.read("public/works/index.html");
    assert!(!index.contains("<script>alert"), "{index}");
    assert!(
        index.contains("A &lt;script&gt;alert(1)&lt;/script&gt; &amp; Book"),
        "{index}"
    );
}

#[test]
fn the_tei_names_works_with_title_ref_and_lists_them_in_a_listbibl() {
    let s = built("fr", "chicago-author-date");
    let register = s.read("public/personnes/register.xml");
    assert!(register.contains("<listBibl type=\"work\">"), "{register}");
    assert!(
        register.contains("<bibl xml:id=\"work-doe-tests\">"),
        "{register}"
    );
    // the entry's parts, not only its title: author, imprint, date; an
    // editor; the level of the title
    let bibl = |id: &str| {
        let at = register
            .find(&format!("<bibl xml:id=\"work-{id}\">"))
            .unwrap_or_else(|| panic!("{register}"));
        let end = register[at..]
            .find("</bibl>")
            .map_or(register.len(), |e| at + e);
        register[at..end].to_string()
    };
    let tests = bibl("doe-tests");
    for part in [
        "<title type=\"main\" level=\"m\">A Book of Tests</title>",
        "<author>Doe, Jane</author>",
        "<pubPlace>Lyon</pubPlace><publisher>Example Press</publisher><date when=\"2001\">2001</date>",
    ] {
        assert!(tests.contains(part), "{part} not in {tests}");
    }
    assert!(
        bibl("doe-edited").contains("<editor>Smith, John</editor>"),
        "{register}"
    );
    let tei = s.read("public/texte/tei.xml");
    assert!(
        tei.contains("<title ref=\"../personnes/register.xml#work-doe-tests\">Tests</title>"),
        "{tei}"
    );
}

/// A work's `language` is its mentions' `lang` (titles are cited as
/// published), as an entry's `lang` in another register.
#[test]
fn a_works_language_is_on_its_mentions() {
    let s = site("fr", "chicago-author-date");
    s.write(
        "content/works.yaml",
        &WORKS.replace(
            "  title: A Book of Tests\n",
            "  title: A Book of Tests\n  language: en\n",
        ),
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = s.read("public/texte/index.html");
    let tagged = text
        .split("<a class=\"mention work\"")
        .skip(1)
        .filter(|r| {
            r.split('>')
                .next()
                .is_some_and(|t| t.contains("lang=\"en\""))
        })
        .count();
    // the three mentions of doe-tests, not the two others
    assert_eq!(tagged, 3, "{text}");
}

/// A work without author sorts by its title among the authors' names, as
/// CSL's substitution has it (hayagriva 0.10 put every unsigned article
/// first, by its quotation mark), and one author's works keep the style's
/// order (Chicago: by date; MLA: by title).
#[test]
fn an_unsigned_work_sorts_by_its_title_among_the_authors() {
    let unsigned = r#"
middle-matters:
  type: article
  title: Middle Matters
  parent:
    type: periodical
    title: The Review
    date: 1950
zebra-notes:
  type: article
  title: Zebra Notes
  parent:
    type: periodical
    title: The Review
    date: 1951
"#;
    for style in ["chicago-author-date", "modern-language-association"] {
        let s = site("en", style);
        s.write("content/works.yaml", &format!("{WORKS}{unsigned}"));
        s.write(
            "content/texte.md",
            &format!("{TEXT}\nAussi [Middle](work:middle-matters) et [Zebra](work:zebra-notes).\n"),
        );
        let o = s.build();
        assert!(o.status.success(), "{}", stderr(&o));
        let refs = references(&s);
        let at = |what: &str| {
            refs.iter()
                .position(|r| r.contains(what))
                .unwrap_or_else(|| panic!("{style}: no {what} in {refs:?}"))
        };
        let order = [
            at("Collected Letters"),
            at("A Book of Tests"),
            at("Middle Matters"),
            at("Undated Work"),
            at("Zebra Notes"),
        ];
        let doe = if style.starts_with("chicago") {
            // by date
            [order[0], order[1]]
        } else {
            // by title: "A Book of Tests" before "Collected Letters"
            [order[1], order[0]]
        };
        assert!(
            doe[0] < doe[1] && doe[1] < order[2] && order[2] < order[3] && order[3] < order[4],
            "{style}: {refs:#?}"
        );
        let html = s.read("public/works/index.html");
        let letters: Vec<&str> = html
            .split("<h2")
            .skip(1)
            .filter_map(|h| h.split('>').nth(1))
            .filter_map(|t| t.split('<').next())
            .filter(|t| t.chars().count() == 1)
            .collect();
        assert_eq!(letters, ["D", "M", "R", "Z"], "{style}");
    }
}

/// A mention's link title is a gloss, as a `lang:` passage's is: the
/// mention and its gloss (escaped, in the page's language) are wrapped
/// together in the HTML; in the TEI the gloss follows the mention and
/// points to it.
#[test]
fn a_mention_can_carry_a_gloss() {
    let s = site("fr", "chicago-author-date");
    s.write(
        "content/texte.md",
        &format!(
            "{TEXT}\nLe livre *[Collected Letters](work:doe-edited \"Lettres <réunies> & choisies\")* et [Doe](person:humbert-droz \"Jeanne\").\n"
        ),
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let html = s.read("public/texte/index.html");
    let work = "<span class=\"glossed\"><a class=\"mention work\"";
    let at = html.find(work).unwrap_or_else(|| panic!("{html}"));
    let rest = &html[at..];
    let end = rest.find("</a>").expect("the mention ends");
    assert!(rest[..end].contains(">Collected Letters"), "{rest}");
    assert!(
        rest[end..]
            .starts_with("</a><span class=\"gloss\" lang=\"fr\"><span class=\"gloss-label\">"),
        "{rest}"
    );
    assert!(
        rest[end..].contains("Lettres &lt;réunies&gt; &amp; choisies</span></span>"),
        "{rest}"
    );
    assert!(
        html.contains("<span class=\"glossed\"><a class=\"person\""),
        "{html}"
    );
    let tei = s.read("public/texte/tei.xml");
    assert!(
        tei.contains(
            "<title ref=\"../personnes/register.xml#work-doe-edited\" xml:id=\"g-1\">Collected Letters</title><gloss xml:lang=\"fr\" target=\"#g-1\">Lettres &lt;réunies&gt; &amp; choisies</gloss>"
        ),
        "{tei}"
    );
    assert!(
        tei.contains(
            "xml:id=\"g-2\">Doe</persName><gloss xml:lang=\"fr\" target=\"#g-2\">Jeanne</gloss>"
        ),
        "{tei}"
    );
}
