//! Incremental builds (`serve`): after every kind of edit, a [`Session`]
//! that reuses what did not change gives the same files, byte for byte, as a
//! build from scratch — and it really is incremental: the summary says how
//! many pages were read and parsed, and how many rendered again.

#[path = "../bench/corpus.rs"]
mod corpus;

use apparat::{render_site, BuildOptions, Session, Summary};
use std::fs;
use std::path::{Path, PathBuf};

fn opts(root: &Path) -> BuildOptions {
    BuildOptions {
        root: root.to_path_buf(),
        output: Some(root.join("public")),
        base_url: Some("http://127.0.0.1:1111/".into()),
        live_reload: true,
        ..Default::default()
    }
}

/// A built site: paths and bytes.
type Files = Vec<(String, Vec<u8>)>;

thread_local! {
    /// The last full build of each edition root, to check `Summary::changed`.
    static LAST: std::cell::RefCell<std::collections::HashMap<PathBuf, Files>> =
        Default::default();
}

/// Builds incrementally, builds from scratch, and asserts the two sites
/// are identical, and that the session names exactly the files that changed
/// since its previous build. Returns the incremental build's summary.
fn step(session: &mut Session, root: &Path, changed: &[&str]) -> Summary {
    let changed: Vec<PathBuf> = changed.iter().map(|c| root.join(c)).collect();
    // the session keeps only a few bodies as they are, the rest compressed;
    // the full build keeps all of them: the output must not tell
    let small_budget = BuildOptions {
        html_budget: Some(2_000),
        ..opts(root)
    };
    let (files, summary, _) = match session.render(&small_budget, &changed) {
        Ok(r) => r,
        Err(d) => panic!("incremental build failed:\n{d}"),
    };
    let (full, _, _) = match render_site(&opts(root)) {
        Ok(r) => r,
        Err(d) => panic!("full build failed:\n{d}"),
    };
    // a session leaves out the search index: serve makes it when asked
    let full: Vec<_> = full
        .into_iter()
        .filter(|f| !f.path.starts_with("pagefind/"))
        .collect();
    let inc: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let fresh: Vec<&str> = full.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(inc, fresh, "the incremental build has other files");
    for (a, b) in files.iter().zip(&full) {
        assert!(
            a.bytes().expect("unpack") == b.bytes,
            "{} differs from a full build",
            a.path
        );
    }
    let now: Files = full.into_iter().map(|f| (f.path, f.bytes)).collect();
    let before = LAST.with(|l| l.borrow_mut().insert(root.to_path_buf(), now.clone()));
    match (before, &summary.changed) {
        (Some(before), Some(reported)) => {
            let old: std::collections::HashMap<&String, &Vec<u8>> =
                before.iter().map(|(p, b)| (p, b)).collect();
            let new: std::collections::HashMap<&String, &Vec<u8>> =
                now.iter().map(|(p, b)| (p, b)).collect();
            let mut expected: Vec<String> = now
                .iter()
                .filter(|(p, b)| old.get(p) != Some(&b))
                .map(|(p, _)| p.clone())
                .chain(
                    before
                        .iter()
                        .filter(|(p, _)| !new.contains_key(p))
                        .map(|(p, _)| p.clone()),
                )
                .collect();
            expected.sort();
            assert_eq!(reported, &expected, "changed files");
        }
        (None, None) => {}
        (before, reported) => panic!(
            "a first build reports no changes, later ones do: {} {reported:?}",
            before.is_some()
        ),
    }
    summary
}

fn edit(root: &Path, rel: &str, from: &str, to: &str) {
    let path = root.join(rel);
    let text = fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{rel} does not contain {from:?}");
    fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

/// Adds a mention of a person of the register to text `i`.
fn add_mention(root: &Path, i: usize) {
    edit(
        root,
        &text(i),
        "Tout",
        "[Pierre](person:bouvier-henri-205) tout",
    );
}

fn text(i: usize) -> String {
    format!("content/textes/t{i:05}.md")
}

#[test]
fn every_kind_of_edit_gives_the_full_build() {
    every_kind_of_edit(false);
}

/// The same, trusting the named files as serve does (its watcher names them).
#[test]
fn every_kind_of_edit_gives_the_full_build_with_a_watcher() {
    every_kind_of_edit(true);
}

fn every_kind_of_edit(trusting: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    corpus::generate(30, dir.path(), corpus::Nav::Editorial).expect("corpus");
    let root = dir.path().join("apparat");
    fs::create_dir_all(root.join("static")).expect("static");
    fs::write(root.join("static/extra.css"), "p { color: black }\n").expect("css");
    let mut s = if trusting {
        Session::trusting_changes()
    } else {
        Session::default()
    };

    let first = step(&mut s, &root, &[]);
    assert_eq!(first.parsed, first.pages, "{first:?}");
    assert_eq!(first.rendered, first.pages);

    // nothing changed: nothing is read, parsed or rendered again
    let same = step(&mut s, &root, &[]);
    assert_eq!((same.parsed, same.rendered), (0, 0), "{same:?}");

    // a word in the body of one text: that text alone
    edit(&root, &text(7), "Tout", "Toute");
    let one = step(&mut s, &root, &[&text(7)]);
    assert_eq!((one.parsed, one.rendered), (1, 1), "{one:?}");

    // the same, found by the file's size and time, without being named
    if !trusting {
        edit(&root, &text(8), "Tout", "Toute");
        let found = step(&mut s, &root, &[]);
        assert_eq!((found.parsed, found.rendered), (1, 1), "{found:?}");
    }

    // a title: the text, its neighbours, the home page, the person index
    edit(&root, &text(12), "title = \"", "title = \"Nouvelle ");
    let title = step(&mut s, &root, &[&text(12)]);
    assert_eq!(title.parsed, 1);
    assert!(title.rendered >= 4, "{title:?}");
    assert!(title.rendered < title.pages, "{title:?}");

    // a person mention added: the text and the person index
    add_mention(&root, 3);
    let mention = step(&mut s, &root, &[&text(3)]);
    assert_eq!((mention.parsed, mention.rendered), (1, 2), "{mention:?}");

    // a new paragraph before the mentions renumbers them in the index
    edit(
        &root,
        &text(3),
        "+++\n\n",
        "+++\n\nUn paragraphe de plus.\n\n",
    );
    step(&mut s, &root, &[&text(3)]);

    // a text removed, a text added
    fs::remove_file(root.join(text(20))).expect("remove");
    step(&mut s, &root, &[&text(20)]);
    fs::write(
        root.join("content/textes/t09999.md"),
        "+++\ntitle = \"Lettre ajoutée\"\nkind = \"text\"\nweight = 15\n+++\n\nUn texte [Bouvier](person:bouvier-henri-205) de plus.[^1]\n\n[^1]: Une note.\n",
    )
    .expect("add");
    let added = step(&mut s, &root, &["content/textes/t09999.md"]);
    assert_eq!(added.parsed, 1);

    // an editor's save: a temporary file written, then renamed over the
    // text; the watcher names both, the temporary one no longer exists
    let tmp = "content/textes/.t00009.md.swp";
    let saved = fs::read_to_string(root.join(text(9)))
        .expect("read")
        .replacen("Tout", "Toute", 1);
    fs::write(root.join(tmp), saved).expect("temporary");
    fs::rename(root.join(tmp), root.join(text(9))).expect("rename");
    let editor = step(&mut s, &root, &[tmp, &text(9)]);
    assert_eq!((editor.parsed, editor.rendered), (1, 1), "{editor:?}");

    // a folder of texts moved out of the edition: the watcher names only
    // the folder, which no longer exists; its texts are gone
    fs::create_dir_all(root.join("content/annexe")).expect("folder");
    fs::write(
        root.join("content/annexe/a.md"),
        "+++\ntitle = \"Annexe\"\nweight = 90\n+++\n\nUne annexe.\n",
    )
    .expect("annex");
    step(&mut s, &root, &["content/annexe/a.md"]);
    let away = dir.path().join("annexe-ailleurs");
    fs::rename(root.join("content/annexe"), &away).expect("move away");
    let moved = step(&mut s, &root, &["content/annexe"]);
    assert_eq!(moved.pages, added.pages, "{moved:?}");

    // the register
    let reg = fs::read_to_string(root.join("content/persons.toml")).expect("register");
    let first_name = reg
        .lines()
        .find_map(|l| l.strip_prefix("name = \""))
        .expect("a name")
        .trim_end_matches('"')
        .to_string();
    edit(
        &root,
        "content/persons.toml",
        &format!("name = \"{first_name}\""),
        &format!("name = \"{first_name} (corrigé)\""),
    );
    let register = step(&mut s, &root, &["content/persons.toml"]);
    assert_eq!(register.parsed, 0, "{register:?}");

    // a template: every page
    edit(
        &root,
        "templates/base.html",
        "</footer>",
        "<p>Pied.</p></footer>",
    );
    let template = step(&mut s, &root, &["templates/base.html"]);
    assert_eq!(template.parsed, 0);
    assert_eq!(template.rendered, template.pages, "{template:?}");

    // the configuration: everything
    edit(
        &root,
        "site.toml",
        "Édition synthétique",
        "Édition modifiée",
    );
    let config = step(&mut s, &root, &["site.toml"]);
    assert_eq!(config.parsed, config.pages, "{config:?}");

    // a static file
    fs::write(root.join("static/extra.css"), "p { color: navy }\n").expect("css");
    let css = step(&mut s, &root, &["static/extra.css"]);
    assert_eq!((css.parsed, css.rendered), (0, 0), "{css:?}");

    // a file beside the texts (a page bundle's), added, changed, removed:
    // the walk of content/ that found it is not reused blindly
    let figure = "content/textes/figure.svg";
    fs::write(
        root.join(figure),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
    )
    .expect("figure");
    step(&mut s, &root, &[figure]);
    fs::write(
        root.join(figure),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><g/></svg>\n",
    )
    .expect("figure");
    step(&mut s, &root, &[figure]);
    fs::remove_file(root.join(figure)).expect("remove figure");
    step(&mut s, &root, &[figure]);

    // an error, then its fix
    edit(&root, &text(5), "Tout", "[X](person:nobody) Tout");
    assert!(s.render(&opts(&root), &[root.join(text(5))]).is_err());
    edit(&root, &text(5), "[X](person:nobody) Tout", "Tout");
    let fixed = step(&mut s, &root, &[&text(5)]);
    assert_eq!(fixed.parsed, 1, "{fixed:?}");
}

/// The edition itself: translations, sections, parallel blocks, editorial notes.
#[test]
fn the_edition_rebuilds_incrementally() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for d in ["content", "templates", "static", "sources"] {
        if repo.join(d).is_dir() {
            copy_tree(&repo.join(d), &root.join(d));
        }
    }
    fs::copy(repo.join("site.toml"), root.join("site.toml")).expect("site.toml");
    let mut s = Session::default();
    step(&mut s, root, &[]);

    edit(
        root,
        "content/humanite-1927.md",
        "conserve la leçon",
        "conserve ici la leçon",
    );
    let one = step(&mut s, root, &["content/humanite-1927.md"]);
    assert_eq!(one.parsed, 1, "{one:?}");
    assert!(one.rendered < one.pages, "{one:?}");

    edit(root, "content/principes.md", "title = \"", "title = \"Les ");
    step(&mut s, root, &["content/principes.md"]);

    edit(root, "content/persons.toml", "sort = \"", "sort = \"A");
    step(&mut s, root, &["content/persons.toml"]);
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.expect("walk");
        let dest = to.join(e.path().strip_prefix(from).expect("prefix"));
        if e.file_type().is_dir() {
            fs::create_dir_all(&dest).expect("mkdir");
        } else {
            fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

/// A 30-text corpus whose person index is divided by letter (in the folder
/// returned, kept alive by it), and its root.
fn divided_index_corpus() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    corpus::generate(30, dir.path(), corpus::Nav::Editorial).expect("corpus");
    let root = dir.path().join("apparat");
    let site = fs::read_to_string(root.join("site.toml")).expect("site.toml");
    fs::write(
        root.join("site.toml"),
        format!("{site}persons_split = 100\n"),
    )
    .expect("write");
    (dir, root)
}

/// A large person index is divided into one page per initial letter; every
/// link still finds its target, and an edit re-renders only its letter's page.
#[test]
fn a_large_index_is_divided_by_letter() {
    let (_dir, root) = divided_index_corpus();
    let mut s = Session::default();
    let first = step(&mut s, &root, &[]);
    assert!(
        first.rendered > first.pages,
        "letter pages are units: {first:?}"
    );

    let (files, _, _) = render_site(&opts(&root)).expect("build");
    let pages: std::collections::HashMap<&str, String> = files
        .iter()
        .filter(|f| f.path.ends_with(".html"))
        .map(|f| {
            (
                f.path.as_str(),
                String::from_utf8_lossy(&f.bytes).into_owned(),
            )
        })
        .collect();
    let letters: Vec<&&str> = pages
        .keys()
        .filter(|p| p.starts_with("personnes/") && p.matches('/').count() == 2)
        .collect();
    assert!(letters.len() > 5, "letter pages: {letters:?}");
    let first_text = &pages["textes/t00001/index.html"];
    assert!(
        first_text.contains("href=\"../../personnes/")
            && !first_text.contains("href=\"../../personnes/#"),
        "mentions link to letter pages"
    );
    // every link between pages finds its page and its anchor
    let mut checked = 0;
    for (path, html) in &pages {
        let base: Vec<&str> = path.split('/').collect();
        for href in html
            .split("href=\"")
            .skip(1)
            .filter_map(|h| h.split('"').next())
        {
            if href.contains(':') || href.starts_with("//") {
                continue;
            }
            let (target, frag) = href.split_once('#').unwrap_or((href, ""));
            let mut parts: Vec<&str> = base[..base.len() - 1].to_vec();
            for seg in target.split('/') {
                match seg {
                    "" | "." => {}
                    ".." => {
                        parts.pop();
                    }
                    s => parts.push(s),
                }
            }
            let mut file = parts.join("/");
            if target.is_empty() {
                file = path.to_string();
            } else if target.ends_with('/') || target == "." || target == ".." {
                file = if file.is_empty() {
                    "index.html".into()
                } else {
                    format!("{file}/index.html")
                };
            }
            if !file.ends_with(".html") {
                continue;
            }
            let Some(t) = pages.get(file.as_str()) else {
                panic!("{path}: link {href} to a missing page {file}");
            };
            if !frag.is_empty() {
                assert!(
                    t.contains(&format!("id=\"{frag}\"")),
                    "{path}: link {href}: no #{frag} in {file}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked} links checked");
    // the overview links to each entry's occurrences, a letter page lists them
    let overview = &pages["personnes/index.html"];
    assert!(overview.contains("class=\"occurrences-link\""));
    assert!(!overview.contains("class=\"occurrences\""));
    for letter in &letters {
        let html = &pages[**letter];
        assert!(!html.contains("class=\"occurrences-link\""), "{letter}");
        assert_eq!(
            html.matches("<li class=\"index-entry\"").count(),
            html.matches("<ul class=\"occurrences\"").count()
                + html.matches("<p class=\"none\">").count(),
            "{letter}"
        );
    }

    // a mention added: the text, the overview and one letter page
    add_mention(&root, 3);
    let mention = step(&mut s, &root, &[&text(3)]);
    assert_eq!(mention.parsed, 1, "{mention:?}");
    assert_eq!(mention.rendered, 3, "{mention:?}");

    // the template of one index line (its rendered lines are kept between
    // builds): the index pages change, and only they
    let entry = include_str!("../src/templates/index-entry.html");
    assert!(entry.contains("<li class=\"index-entry{%"));
    fs::create_dir_all(root.join("templates")).expect("templates");
    fs::write(
        root.join("templates/index-entry.html"),
        entry.replace(
            "<li class=\"index-entry{%",
            "<li class=\"index-entry modifiée{%",
        ),
    )
    .expect("write");
    let template = step(&mut s, &root, &["templates/index-entry.html"]);
    assert_eq!(template.parsed, 0, "{template:?}");
    let changed = template.changed.expect("changes reported");
    let mut expected: Vec<String> = pages
        .iter()
        .filter(|(p, html)| {
            p.starts_with("personnes/") && html.contains("<li class=\"index-entry\"")
        })
        .map(|(p, _)| p.to_string())
        .collect();
    expected.sort();
    assert_eq!(changed, expected);
}

/// Index pages whose templates print `line.html` only as it is get their
/// lines from the rewrite stage, each rewritten on its own (see
/// `render::Pieces`); a template that reads the lines otherwise gets them
/// whole in its context. The pages are the same, online and offline.
#[test]
fn index_lines_left_to_the_rewrite_stage_give_the_same_pages() {
    let (_dir, root) = divided_index_corpus();
    let offline = BuildOptions {
        offline: true,
        live_reload: false,
        ..opts(&root)
    };
    let built_in = include_str!("../src/templates/persons.html");
    let printed = "{{ line.html | safe }}";
    assert!(built_in.contains(printed));
    for options in [opts(&root), offline] {
        let _ = fs::remove_dir_all(root.join("templates"));
        let (pieces, _, _) = render_site(&options).expect("build");
        // the same template, but one that names `line` itself
        fs::create_dir_all(root.join("templates")).expect("templates");
        fs::write(
            root.join("templates/persons.html"),
            built_in.replace(printed, "{% set whole = line %}{{ whole.html | safe }}"),
        )
        .expect("write");
        let (whole, _, _) = render_site(&options).expect("build");
        let paths = |files: &[apparat::output::SiteFile]| -> Vec<String> {
            files.iter().map(|f| f.path.clone()).collect()
        };
        assert_eq!(paths(&pieces), paths(&whole));
        let mut index_pages = 0;
        for (a, b) in pieces.iter().zip(&whole) {
            assert!(a.bytes == b.bytes, "{} differs", a.path);
            if a.path.starts_with("personnes/") && a.path.ends_with(".html") {
                index_pages += 1;
                let html = String::from_utf8_lossy(&a.bytes);
                assert!(!html.contains("apparat:piece"), "{}", a.path);
            }
        }
        assert!(index_pages > 5, "{index_pages} index pages compared");
    }
}

/// `page.notes` is left out of a page's context when no template reads it
/// (the notes are also in `author_notes` and `editorial_notes`); a template
/// that reads it gets it, and the pages are the same.
#[test]
fn page_notes_left_out_of_the_context_change_no_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    corpus::generate(10, dir.path(), corpus::Nav::Editorial).expect("corpus");
    let root = dir.path().join("apparat");
    let (without, _, _) = render_site(&opts(&root)).expect("build");
    let text = include_str!("../src/templates/text.html");
    assert!(text.contains("{% block head %}"));
    fs::create_dir_all(root.join("templates")).expect("templates");
    fs::write(
        root.join("templates/text.html"),
        text.replacen(
            "{% block head %}",
            "{% block head %}{% if page.notes | length > 100000 %}many{% endif %}",
            1,
        ),
    )
    .expect("write");
    let (with, _, _) = render_site(&opts(&root)).expect("build");
    assert_eq!(without.len(), with.len());
    let mut notes = 0;
    for (a, b) in without.iter().zip(&with) {
        assert_eq!(a.path, b.path);
        assert!(a.bytes == b.bytes, "{} differs", a.path);
        notes += String::from_utf8_lossy(&a.bytes)
            .matches("role=\"doc-footnote\"")
            .count();
    }
    assert!(notes > 50, "{notes} notes in the pages compared");
}
