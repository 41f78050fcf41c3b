//! Issue 14, part 1: collation of a text against its base witness, through
//! the real binary, on a small edition of its own.

mod fixture;
use fixture::*;

const WITNESS: &str = "TITRE DU LIVRE

Le premier paragraphe dit qu'il y a une erreur ici¹ et « rien » d'autre.

¹ Une note de l'auteur, p. 12.

Le second paragraphe fi-
nit ici.
";

const SETTINGS: &str =
    "\n[collation]\nnormalize = [\"quotes\", \"spacing\", \"hyphenation\", \"note-calls\"]\n";

fn text(body: &str) -> String {
    format!(
        "+++\ntitle = \"Texte\"\nkind = \"text\"\n\n[witness]\nfile = \"sources/w.txt\"\n\
         spans = [{{ from = \"Le premier paragraphe\", to = \"nit ici.\" }}]\n+++\n\n{body}\n\n\
         [^1]: Une note de l'auteur, p. 12.\n\n[^ed-a]: Une note de l'édition, absente du témoin.\n"
    )
}

const FAITHFUL: &str = "Le premier paragraphe dit qu'il y a une {~~erreur~>faute~~} ici[^1] et \"rien\" d'autre.[^ed-a]\n\nLe second paragraphe finit ici.";

fn site(settings: &str, body: &str) -> Site {
    let s = Site::new();
    s.write("site.toml", &format!("{SITE_TOML}{settings}"));
    s.write("sources/w.txt", WITNESS);
    s.write("content/texte.md", &text(body));
    s
}

fn unrecorded(o: &std::process::Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.contains("unrecorded change"))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_faithful_text_has_no_unrecorded_change() {
    let s = site(SETTINGS, FAITHFUL);
    let o = s.check();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(unrecorded(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn an_unrecorded_change_is_reported_at_its_line_and_column() {
    // line 10 of the file is the first paragraph; "disait" is at column 23
    let s = site(SETTINGS, &FAITHFUL.replace(" dit ", " disait "));
    let o = s.check();
    assert!(o.status.success(), "a warning by default: {}", stderr(&o));
    assert_eq!(
        unrecorded(&o),
        vec![
            "content/texte.md:10:23: warning: unrecorded change: witness \"dit\" → edition \"disait\""
                .to_string()
        ],
        "{}",
        stderr(&o)
    );
    // a word left out, in a note
    s.write(
        "content/texte.md",
        &text(FAITHFUL).replace("de l'auteur, p. 12", "de l'auteur, 12"),
    );
    let o = s.check();
    assert_eq!(unrecorded(&o).len(), 1, "{}", stderr(&o));
    assert!(
        unrecorded(&o)[0]
            .contains(":14:28: warning: unrecorded change: witness \"p.\" → edition \"\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_emendation_is_not_an_unrecorded_change_but_a_silent_one_is() {
    let s = site(SETTINGS, FAITHFUL);
    assert!(unrecorded(&s.check()).is_empty());
    s.write(
        "content/texte.md",
        &text(&FAITHFUL.replace("{~~erreur~>faute~~}", "faute")),
    );
    let o = s.check();
    assert_eq!(unrecorded(&o).len(), 1, "{}", stderr(&o));
    assert!(
        unrecorded(&o)[0]
            .contains(":10:41: warning: unrecorded change: witness \"erreur\" → edition \"faute\""),
        "{}",
        stderr(&o)
    );
    // an emendation whose source reading is not the witness's is caught too
    s.write(
        "content/texte.md",
        &text(&FAITHFUL.replace("{~~erreur~>faute~~}", "{~~errur~>faute~~}")),
    );
    let o = s.check();
    assert!(
        stderr(&o).contains("witness \"erreur\" → edition \"errur\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_declared_normalisation_is_not_reported_and_an_undeclared_one_is() {
    // quotes, hyphenation and note calls are declared: nothing to report
    let s = site(SETTINGS, FAITHFUL);
    assert!(unrecorded(&s.check()).is_empty());
    // without them, each is a difference
    s.write("site.toml", SITE_TOML);
    let o = s.check();
    let u = unrecorded(&o).join("\n");
    assert!(
        u.contains(":10:72: warning: unrecorded change: witness \"«\" → edition \"\"\""),
        "{u}"
    );
    assert!(
        u.contains(":12:22: warning: unrecorded change: witness \"fi- nit\" → edition \"finit\""),
        "{u}"
    );
    assert!(
        u.contains(":10:64: warning: unrecorded change: witness \"¹\" → edition \"\""),
        "{u}"
    );
}

#[test]
fn the_error_setting_makes_an_unrecorded_change_an_error() {
    let settings = format!("{SETTINGS}unrecorded = \"error\"\n");
    let s = site(&settings, FAITHFUL);
    let o = s.check();
    assert!(o.status.success(), "{}", stderr(&o));
    s.write(
        "content/texte.md",
        &text(&FAITHFUL.replace(" dit ", " disait ")),
    );
    assert_fails_with(
        &s.check(),
        "content/texte.md:10:23: error: unrecorded change: witness \"dit\" → edition \"disait\"",
    );
}

#[test]
fn bad_witness_references_are_positioned_errors() {
    let s = site(SETTINGS, FAITHFUL);
    s.write(
        "content/texte.md",
        &text(FAITHFUL).replace("to = \"nit ici.\"", "to = \"absent\""),
    );
    assert_fails_with(
        &s.check(),
        "content/texte.md:7:49: error: witness span: `to` marker \"absent\"",
    );
    s.write(
        "content/texte.md",
        &text(FAITHFUL).replace("sources/w.txt", "sources/x.txt"),
    );
    assert_fails_with(
        &s.check(),
        "content/texte.md:6:8: error: cannot read witness file sources/x.txt",
    );
    s.write(
        "content/texte.md",
        &text(FAITHFUL).replace("from = \"Le premier paragraphe\"", "from = \"paragraphe\""),
    );
    assert_fails_with(&s.check(), "`from` marker \"paragraphe\" occurs 2 times");
    s.write(
        "site.toml",
        &format!("{SITE_TOML}\n[collation]\nnormalize = [\"quotes\", \"kerning\"]\n"),
    );
    s.write("content/texte.md", &text(FAITHFUL));
    assert_fails_with(
        &s.check(),
        "site.toml:7:24: error: unknown normalisation `kerning`",
    );
}

#[test]
fn the_build_publishes_the_counts_on_the_collation_page() {
    let s = site(SETTINGS, FAITHFUL);
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let page = s.read("public/collation/index.html");
    assert!(page.contains("href=\"../texte/\">Texte</a>"), "{page}");
    // one substitution; the note call twice (call and note number), the
    // guillemets, their inner spaces and the cut word
    assert!(page.contains("<dd>1 (substitution 1)</dd>"), "{page}");
    // named for readers, in the interface language (fr here)
    assert!(
        page.contains("<dd>coupures de fin de ligne 1, appels de note 2, guillemets et apostrophes 2, espaces 2</dd>"),
        "{page}"
    );
    assert!(page.contains("(témoin / édition)\u{a0}: "), "{page}");
    assert!(
        page.contains("<dt>Modifications non consignées</dt><dd>0</dd>"),
        "{page}"
    );
    // an unrecorded change is counted there too
    s.write(
        "content/texte.md",
        &text(&FAITHFUL.replace(" dit ", " disait ")),
    );
    assert!(s.build().status.success());
    let page = s.read("public/collation/index.html");
    assert!(
        page.contains("<dt>Modifications non consignées</dt><dd>1</dd>"),
        "{page}"
    );
}

#[test]
fn a_build_with_a_missing_witness_fails_and_keeps_the_previous_site() {
    // the build used to print the error and exit 0, writing the site anyway
    // (the collation page, where the witness is read, is made last)
    let s = site(SETTINGS, FAITHFUL);
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let before = tree(&s.path().join("public"));
    s.write(
        "content/texte.md",
        &text(&FAITHFUL.replace(" dit ", " disait ")).replace("sources/w.txt", "sources/x.txt"),
    );
    assert_fails_with(
        &s.build(),
        "content/texte.md:6:8: error: cannot read witness file sources/x.txt",
    );
    assert_eq!(
        tree(&s.path().join("public")),
        before,
        "the previous site is kept"
    );
}
