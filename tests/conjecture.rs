//! Issue 14, part 4: a conjectural identification in the register is shown
//! as such in the index, through the real binary.

mod fixture;
use fixture::*;

const TEXT: &str = "+++\ntitle = \"Texte\"\nkind = \"text\"\n+++\n\n\"[Luis](person:humbert-droz)\" parle, et [Ángel Álvarez](person:alvarez) et [Bruno Avila](person:avila).\n";

fn site(conjecture: &str) -> Site {
    let s = Site::with_register();
    s.write(
        "content/persons.toml",
        &REGISTER.replace(
            "pseudonyms = [\"Luis\"]\n",
            &format!("pseudonyms = [\"Luis\"]\n{conjecture}"),
        ),
    );
    s.write("content/texte.md", TEXT);
    s
}

#[test]
fn a_conjectural_pseudonym_is_marked_in_the_index() {
    let s = site(
        "conjecture = { forms = [\"Luis\"], by = \"Robert Paris\", argued = \"/texte/#p-1\" }\n",
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let index = s.read("public/personnes/index.html");
    assert!(
        index.contains("<span class=\"xref-conjecture\"><a href=\"../texte/#p-1\">identification conjecturale (Robert Paris)</a></span>"),
        "{index}"
    );
    // without the conjecture, the cross-reference is plain
    let s = site("");
    assert!(s.build().status.success());
    assert!(!s.read("public/personnes/index.html").contains("conjectur"));
}

#[test]
fn a_conjecture_must_name_a_form_of_the_entry_and_whose_it_is() {
    let s = site("conjecture = { forms = [\"Lucho\"], by = \"Robert Paris\" }\n");
    assert_fails_with(
        &s.check(),
        "person `humbert-droz`: conjectural form `Lucho` is not one of its pseudonyms or variants",
    );
    let s = site("conjecture = { forms = [\"Luis\"], by = \"\", argued = \"javascript:x\" }\n");
    assert_fails_with(&s.check(), "person `humbert-droz`: a conjecture needs `by`");
}

/// The bundled edition: Paris's signature « R.P. » in his bracketed
/// interventions is tagged as his, and « Pierre » / « Peters » are
/// Lominadzé only by Paris's conjecture.
#[test]
fn the_edition_tags_rp_and_marks_the_lominadze_conjecture() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let paris = std::fs::read_to_string(root.join("content/paris-1978.md")).expect("read");
    // the French text (the Spanish columns are the translation's)
    assert_eq!(paris.matches("[R.P.](person:paris)]").count(), 2);
    let register = std::fs::read_to_string(root.join("content/persons.toml")).expect("read");
    assert!(register.contains(
        "conjecture = { forms = [\"Pierre\", \"Peters\"], by = \"Robert Paris\", argued = \"/paris-1978/#p-2\" }"
    ));
}

/// The mention itself says so too: a tooltip on the conjectural form (not
/// on the person's other forms), and `cert` on its TEI `persName`, in the
/// text and in the register; quotation marks around the form do not hide it.
#[test]
fn a_conjectural_mention_has_a_tooltip_and_a_tei_cert() {
    let s = site("conjecture = { forms = [\"Luis\"], by = \"Robert Paris\" }\n");
    s.write(
        "content/texte.md",
        &TEXT
            .replace(
                "\"[Luis](person:humbert-droz)\"",
                "[\"Luis\"](person:humbert-droz)",
            )
            .replace(
                " parle,",
                " parle, puis [Jules Humbert-Droz](person:humbert-droz),",
            ),
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let page = s.read("public/texte/index.html");
    assert!(
        page.contains("id=\"m-humbert-droz-1\" href=\"../personnes/#humbert-droz\" title=\"identification conjecturale (Robert Paris)\">«\u{202f}Luis\u{202f}»</a>"),
        "{page}"
    );
    assert!(
        page.contains(
            "id=\"m-humbert-droz-2\" href=\"../personnes/#humbert-droz\">Jules Humbert-Droz</a>"
        ),
        "{page}"
    );
    assert_eq!(page.matches("conjecturale").count(), 1, "{page}");
    let tei = s.read("public/texte/tei.xml");
    assert!(
        tei.contains("<persName ref=\"../personnes/register.xml#humbert-droz\" type=\"pseudonym\" cert=\"unknown\">«\u{202f}Luis\u{202f}»</persName>"),
        "{tei}"
    );
    assert!(
        tei.contains("<persName ref=\"../personnes/register.xml#humbert-droz\">Jules Humbert-Droz</persName>"),
        "{tei}"
    );
    let register = s.read("public/personnes/register.xml");
    assert!(
        register.contains("<persName type=\"pseudonym\" cert=\"unknown\">Luis</persName>"),
        "{register}"
    );
    // without the conjecture: no tooltip, no cert
    let s = site("");
    assert!(s.build().status.success());
    assert!(!s
        .read("public/texte/index.html")
        .contains("title=\"identification"));
    assert!(!s.read("public/texte/tei.xml").contains("cert="));
}

/// A rebuild after the register alone changed renders the pages that
/// mention the person again (their tooltips and TEI depend on it).
#[test]
fn a_conjecture_added_to_the_register_reaches_the_built_pages() {
    let s = site("");
    assert!(s.build().status.success());
    assert!(!s.read("public/texte/index.html").contains("conjecturale"));
    s.write(
        "content/persons.toml",
        &REGISTER.replace(
            "pseudonyms = [\"Luis\"]\n",
            "pseudonyms = [\"Luis\"]\nconjecture = { forms = [\"Luis\"], by = \"X\" }\n",
        ),
    );
    assert!(s.build().status.success());
    assert!(s
        .read("public/texte/index.html")
        .contains("identification conjecturale (X)"));
    assert!(s.read("public/texte/tei.xml").contains("cert=\"unknown\""));
}
