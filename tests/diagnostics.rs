//! Issue 11, "Diagnostics that point at the cause": one failure is reported
//! once, where it is, and not as a cascade of errors it causes elsewhere.

mod fixture;
use fixture::*;

/// The diagnostic lines (`path:line:col: severity: message`) of a run.
fn diagnostic_lines(err: &str) -> Vec<&str> {
    err.lines()
        .filter(|l| l.contains(": error: ") || l.contains(": warning: "))
        .collect()
}

/// A text that mentions every person of the fixture register.
const MENTIONS: &str = "+++\ntitle = \"T\"\nkind = \"text\"\n+++\n[Avila](person:avila), [Álvarez](person:alvarez) et [Humbert-Droz](person:humbert-droz).\n";

#[test]
fn a_broken_register_is_reported_alone() {
    let s = Site::with_register();
    s.write("content/t.md", MENTIONS);
    // line 5 of the register: an unterminated string
    s.write(
        "content/persons.toml",
        &REGISTER.replacen(
            "name = \"Jules Humbert-Droz\"",
            "name = \"Jules Humbert-Droz",
            1,
        ),
    );
    let o = s.check();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let lines = diagnostic_lines(&err);
    assert_eq!(lines.len(), 1, "one diagnostic, got:\n{err}");
    assert!(
        lines[0].starts_with("content/persons.toml:4:27: error: invalid basic string"),
        "at the TOML position:\n{err}"
    );
    assert!(!err.contains("unknown person id"), "{err}");
    assert!(!err.contains("never mentioned"), "{err}");
    assert!(err.contains("1 error, 0 warnings"), "{err}");
    // build says the same
    let o = s.build();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("unknown person id"), "{err}");
    assert_eq!(diagnostic_lines(&err).len(), 1, "{err}");
}

#[test]
fn a_malformed_parallel_block_keeps_its_mentions() {
    let s = Site::with_register();
    // `avila` is mentioned only inside the block, whose second column has a
    // bad role; `nobody` (unknown) only inside it too
    s.write(
        "content/t.md",
        "+++\ntitle = \"T\"\nkind = \"text\"\n+++\n[Álvarez](person:alvarez) et [Humbert-Droz](person:humbert-droz).\n\n::: parallel\n\n:: fr original\n\nAvec [Avila](person:avila).\n\n:: es nonsense\n\nCon [Nadie](person:nobody).\n\n:::\n",
    );
    let o = s.check();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "content/t.md:13:1: error: parallel column role must be `original` or `translation`"
        ),
        "{err}"
    );
    assert!(!err.contains("never mentioned"), "{err}");
    // what the block holds is still checked
    assert!(
        err.contains("content/t.md:15:5: error: unknown person id `nobody`"),
        "{err}"
    );
    // the same for a block never closed, with text before its first column
    s.write(
        "content/t.md",
        "+++\ntitle = \"T\"\nkind = \"text\"\n+++\n[Álvarez](person:alvarez) et [Humbert-Droz](person:humbert-droz).\n\n::: parallel\n\nAvec [Avila](person:avila).\n",
    );
    let err = stderr(&s.check());
    assert!(
        err.contains("content/t.md:9:1: error: text before the first column marker"),
        "{err}"
    );
    assert!(!err.contains("never mentioned"), "{err}");
}

#[test]
fn markup_inside_an_emendation_is_explained() {
    let s = Site::with_register();
    s.write(
        "content/t.md",
        &format!(
            "{MENTIONS}\nUne {{~~*a*~>b~~}} ici.\n\nEt {{++[Avila](person:avila)++}} là.\n\nPuis {{~~a~>`b`~~}}.\n"
        ),
    );
    let o = s.check();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("unclosed"), "{err}");
    for needle in [
        "content/t.md:7:5: error: emphasis inside an emendation: the inside of `{~~source~>reading~~}` is plain text",
        "content/t.md:9:4: error: a link inside an emendation: the inside of `{++reading++}` is plain text",
        "content/t.md:11:6: error: code inside an emendation",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    }
    // and how to write it
    assert!(
        err.contains("put the markup around the whole emendation, as in `*{~~a~>b~~}*` or `[{~~a~>b~~}](person:ID)`"),
        "{err}"
    );
    assert_eq!(diagnostic_lines(&err).len(), 3, "{err}");
    // an emendation that is really unclosed is still said to be
    s.write("content/t.md", &format!("{MENTIONS}\nUne {{~~a~>b ici.\n"));
    let err = stderr(&s.check());
    assert!(
        err.contains("content/t.md:7:5: error: unclosed emendation"),
        "{err}"
    );
}

#[test]
fn two_malformed_emendations_in_one_run_are_each_reported_at_their_own_place() {
    // the second used to be reported at the first one's column, with the
    // first one's message
    let s = Site::with_register();
    s.write(
        "content/t.md",
        &format!("{MENTIONS}\nUne {{~~mardi~~}} ; puis {{~~*collé*~>collé~~}} ici.\n"),
    );
    let o = s.check();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("content/t.md:7:5: error: "), "{err}");
    assert!(
        err.contains("content/t.md:7:24: error: emphasis inside an emendation"),
        "{err}"
    );
}
