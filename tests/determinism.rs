//! Builds of a generated corpus (bench/corpus.rs) are byte-identical from run
//! to run (the build is parallel); the streamed build writes exactly what
//! render_site renders; a rebuild over an existing output (which writes only
//! the changed files) equals a fresh build; a failing rebuild leaves the old
//! output identical.

#[path = "../bench/corpus.rs"]
mod corpus;

use apparat::{build, render_site, BuildOptions};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Every entry under `dir`: files with their bytes, folders as `None`.
fn tree(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).min_depth(1) {
        let e = e.expect("walk");
        let rel = e
            .path()
            .strip_prefix(dir)
            .expect("prefix")
            .to_string_lossy()
            .replace('\\', "/");
        let v = if e.file_type().is_dir() {
            None
        } else {
            Some(fs::read(e.path()).expect("read"))
        };
        out.insert(rel, v);
    }
    out
}

fn assert_same(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let ka: Vec<&String> = ta.keys().collect();
    let kb: Vec<&String> = tb.keys().collect();
    if ka != kb {
        let only_a: Vec<_> = ka.iter().filter(|k| !tb.contains_key(**k)).collect();
        let only_b: Vec<_> = kb.iter().filter(|k| !ta.contains_key(**k)).collect();
        panic!(
            "different paths: only in {}: {only_a:?}; only in {}: {only_b:?}",
            a.display(),
            b.display()
        );
    }
    for (k, v) in &ta {
        assert!(
            tb[k] == *v,
            "{k} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// The editions in the repository: the Paris edition and the English–Spanish example.
fn bundled() -> [PathBuf; 2] {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        manifest.to_path_buf(),
        manifest.join("examples/edition-en-es"),
    ]
}

fn opts(root: &Path, out: &Path) -> BuildOptions {
    BuildOptions {
        root: root.to_path_buf(),
        output: Some(out.to_path_buf()),
        ..Default::default()
    }
}

fn corpus(n: usize, nav: corpus::Nav) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    corpus::generate(n, dir.path(), nav).expect("generate");
    let root = dir.path().join("apparat");
    (dir, root)
}

/// Temporary folders of the writer left beside `out`.
fn leftovers(out: &Path) -> Vec<String> {
    let name = out
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    fs::read_dir(out.parent().expect("parent"))
        .expect("read parent")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.apparat-")))
        // the spare tree a rebuild keeps for the next one is not a leftover,
        // nor the search index's cache, nor the parsed documents
        .filter(|n| *n != format!(".{name}.apparat-spare"))
        .filter(|n| *n != format!(".{name}.apparat-search"))
        .filter(|n| *n != format!(".{name}.apparat-parse"))
        .collect()
}

#[test]
fn two_builds_of_50_texts_are_byte_identical() {
    let (dir, root) = corpus(50, corpus::Nav::Editorial);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let (s, _) = build(&opts(&root, &a)).expect("first build");
    assert_eq!(s.pages, 52);
    build(&opts(&root, &b)).expect("second build");
    assert_same(&a, &b);
    // pages whose HTML the parse stage did not keep are parsed again: none
    // kept, some kept, all kept give the same site
    for budget in [0, 100_000] {
        let c = dir.path().join(format!("budget-{budget}"));
        let o = BuildOptions {
            html_budget: Some(budget),
            ..opts(&root, &c)
        };
        build(&o).expect("build with a budget");
        assert_same(&a, &c);
    }
    // the apparatus is there: notes, mentions in the index, parallel block, emendations
    let page = fs::read_to_string(a.join("textes/t00001/index.html")).expect("page");
    assert!(page.contains("class=\"parallel\""), "parallel block");
    assert!(page.contains("id=\"apparatus\""), "emendations");
    let index = fs::read_to_string(a.join("personnes/index.html")).expect("index");
    assert!(
        index.contains("t00050/#m-"),
        "mentions of the last text indexed"
    );
}

#[test]
fn text_set_aside_beside_the_output_is_read_back_and_leaves_nothing_there() {
    let (dir, root) = corpus(12, corpus::Nav::Editorial);
    let names = |folder: &Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(folder)
            .expect("read folder")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    // every page held as it is, and every page set aside packed (budget 0)
    let (held, aside) = (dir.path().join("held"), dir.path().join("aside"));
    for (folder, budget) in [(&held, None), (&aside, Some(0))] {
        fs::create_dir(folder).expect("folder");
        let o = BuildOptions {
            html_budget: budget,
            ..opts(&root, &folder.join("site"))
        };
        build(&o).expect("build");
        // a rebuild that renders every page again reads it all back too
        for (path, _) in tree(&folder.join("site")) {
            let file = folder.join("site").join(&path);
            if file.is_file() {
                fs::write(&file, b"x").expect("touch");
            }
        }
        build(&o).expect("rebuild");
    }
    assert_same(&held.join("site"), &aside.join("site"));
    // the spill file has no name: beside the output, only the writer's own
    // folders and files
    assert_eq!(names(&held), names(&aside));
    for name in names(&aside) {
        assert!(
            name == "site" || name.starts_with(".site.apparat"),
            "{name} left beside the output"
        );
    }
}

#[test]
fn the_streamed_build_writes_what_render_site_renders() {
    // built-in templates: every page's context holds the list of texts
    let (dir, root) = corpus(12, corpus::Nav::Builtin);
    let out = dir.path().join("out");
    let (summary, _) = build(&opts(&root, &out)).expect("build");
    let (files, rs, _) = render_site(&opts(&root, &out)).expect("render_site");
    assert_eq!(summary.files, files.len());
    assert_eq!(rs.files, files.len());
    // the same files, but for the marker that says the folder is apparat's
    let on_disk: BTreeMap<String, Vec<u8>> = tree(&out)
        .into_iter()
        .filter(|(k, _)| k != apparat::output::MARKER)
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    let rendered: BTreeMap<String, Vec<u8>> =
        files.into_iter().map(|f| (f.path, f.bytes)).collect();
    assert_eq!(
        on_disk.keys().collect::<Vec<_>>(),
        rendered.keys().collect::<Vec<_>>()
    );
    for (k, v) in &rendered {
        assert!(on_disk[k] == *v, "{k} differs");
    }
}

#[test]
fn a_rebuild_over_an_existing_output_equals_a_fresh_build() {
    let (dir, root) = corpus(12, corpus::Nav::Editorial);
    let out = dir.path().join("public");
    build(&opts(&root, &out)).expect("first build");
    // the edition changes: one text edited, one removed, a static file added
    let t3 = root.join("content/textes/t00003.md");
    let text = fs::read_to_string(&t3).expect("t3");
    fs::write(&t3, text.replacen("Lettre 3", "Lettre trois", 1)).expect("edit");
    fs::remove_file(root.join("content/textes/t00007.md")).expect("remove");
    fs::create_dir_all(root.join("static/textes")).expect("static");
    fs::write(root.join("static/textes/notice.txt"), "notice\n").expect("static file");
    // and the old output has drifted: a stray file, a stray folder, an edited
    // file, a folder where a file goes, a file where a folder goes
    fs::write(out.join("stray.html"), "x").expect("stray");
    fs::create_dir_all(out.join("stray/deep")).expect("stray dir");
    fs::write(out.join("stray/deep/x.html"), "x").expect("stray deep");
    fs::write(out.join("textes/t00001/index.html"), "edited by hand").expect("edit out");
    fs::remove_file(out.join("robots.txt")).expect("rm robots");
    fs::create_dir_all(out.join("robots.txt/inner")).expect("dir for file");
    fs::remove_dir_all(out.join("textes/t00002/source")).expect("rm source");
    fs::write(out.join("textes/t00002/source"), "file for dir").expect("file for dir");
    build(&opts(&root, &out)).expect("rebuild");
    let fresh = dir.path().join("fresh");
    build(&opts(&root, &fresh)).expect("fresh build");
    assert_same(&out, &fresh);
    assert!(!out.join("textes/t00007").exists());
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    // and a rebuild where nothing changed changes nothing
    build(&opts(&root, &out)).expect("second rebuild");
    assert_same(&out, &fresh);
}

#[test]
fn a_failing_rebuild_leaves_the_old_output_identical() {
    let (dir, root) = corpus(12, corpus::Nav::Editorial);
    let out = dir.path().join("public");
    build(&opts(&root, &out)).expect("first build");
    let before = tree(&out);

    // fails while resolving: an unknown person
    let t5 = root.join("content/textes/t00005.md");
    let good = fs::read_to_string(&t5).expect("t5");
    fs::write(&t5, format!("{good}\n[Personne](person:nobody-here)\n")).expect("bad");
    let d = build(&opts(&root, &out)).expect_err("unknown person");
    assert!(d.to_string().contains("nobody-here"), "{d}");
    assert!(tree(&out) == before, "output changed by a failed build");
    fs::write(&t5, &good).expect("restore");

    // fails while writing, after every page was rendered and staged: a static
    // file where the output needs a folder
    fs::create_dir_all(root.join("static/textes")).expect("static");
    fs::write(root.join("static/textes/t00004"), "in the way").expect("conflict");
    fs::write(
        root.join("content/textes/t00001.md"),
        fs::read_to_string(root.join("content/textes/t00001.md"))
            .expect("t1")
            .replacen("Lettre 1", "Lettre un", 1),
    )
    .expect("edit t1");
    let d = build(&opts(&root, &out)).expect_err("write conflict");
    assert!(d.to_string().contains("cannot write the site"), "{d}");
    assert!(tree(&out) == before, "output changed by a failed build");
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
}

/// A rebuild renders again only what changed since the last build (its
/// manifest, beside the output), and what was altered in the output by hand;
/// without a usable manifest it renders everything. Always the fresh result.
#[test]
fn a_rebuild_renders_only_what_changed() {
    let (dir, root) = corpus(20, corpus::Nav::Editorial);
    let out = dir.path().join("out");
    let fresh = dir.path().join("fresh");
    let first = build(&opts(&root, &out)).expect("first build").0;
    assert_eq!(first.rendered, first.pages);

    let same = build(&opts(&root, &out)).expect("rebuild").0;
    assert_eq!(same.rendered, 0, "nothing changed: {same:?}");

    let text = root.join("content/textes/t00004.md");
    let t = fs::read_to_string(&text).expect("text");
    fs::write(&text, t.replacen("Tout", "Toute", 1)).expect("edit");
    let one = build(&opts(&root, &out)).expect("rebuild").0;
    assert_eq!(one.rendered, 1, "one text edited: {one:?}");
    build(&opts(&root, &fresh)).expect("fresh");
    assert_same(&out, &fresh);

    // an output file edited by hand, another removed: their units again
    fs::write(out.join("textes/t00002/index.html"), "edited by hand").expect("tamper");
    fs::remove_file(out.join("textes/t00003/source/index.html")).expect("remove");
    let repaired = build(&opts(&root, &out)).expect("rebuild").0;
    assert_eq!(repaired.rendered, 2, "{repaired:?}");
    assert_same(&out, &fresh);

    // no manifest, or a broken one: everything, the same output
    let manifest = dir.path().join(".out.apparat.json");
    assert!(manifest.is_file(), "the manifest is beside the output");
    fs::write(&manifest, "{ not json").expect("break");
    let all = build(&opts(&root, &out)).expect("rebuild").0;
    assert_eq!(all.rendered, all.pages);
    fs::remove_file(&manifest).expect("remove manifest");
    let all = build(&opts(&root, &out)).expect("rebuild").0;
    assert_eq!(all.rendered, all.pages);
    assert_same(&out, &fresh);
    assert!(leftovers(&out).is_empty());
}

/// A rebuild parses only the texts that changed: the others' documents
/// come from the last rebuild (`.NAME.apparat-parse`, beside the output),
/// and the result is a fresh build's, whether those documents are there,
/// damaged or gone.
#[test]
fn a_rebuild_that_parses_only_the_changed_texts_equals_a_fresh_build() {
    let (dir, root) = corpus(20, corpus::Nav::Editorial);
    let out = dir.path().join("out");
    let kept = dir.path().join(".out.apparat-parse");
    build(&opts(&root, &out)).expect("first build");
    assert!(!kept.exists(), "a first build keeps no documents");
    let s = build(&opts(&root, &out)).expect("rebuild").0;
    assert_eq!(s.parsed, s.pages, "{s:?}");
    assert!(kept.is_file(), "a rebuild keeps the documents");
    let first = fs::read(&kept).expect("kept");
    // a rebuild in which nothing changed parses nothing and leaves them
    // as they were
    let s = build(&opts(&root, &out)).expect("rebuild").0;
    assert_eq!(s.parsed, 0, "{s:?}");
    assert!(fs::read(&kept).expect("kept") == first);

    // one text gains a mention and a note, another loses a paragraph, a
    // third is removed: each rebuild equals a fresh build
    let edit = |name: &str, f: &dyn Fn(String) -> String| {
        let path = root.join(format!("content/textes/{name}.md"));
        let text = fs::read_to_string(&path).expect("text");
        fs::write(&path, f(text)).expect("edit");
    };
    let persons = fs::read_to_string(root.join("content/persons.toml")).expect("persons");
    let id = persons
        .lines()
        .find_map(|l| l.strip_prefix("id = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("a person")
        .to_string();
    edit("t00004", &|t| {
        format!("{t}\nAjout[^z] sur [Luis](person:{id}).\n\n[^z]: Une note.\n")
    });
    edit("t00009", &|t| t.replacen("\n\n", "\n", 1));
    fs::remove_file(root.join("content/textes/t00012.md")).expect("remove");
    let fresh = |name: &str| {
        let f = dir.path().join(name);
        build(&opts(&root, &f)).expect("fresh build");
        f
    };
    let (s, _) = build(&opts(&root, &out)).expect("rebuild after edits");
    assert_eq!(s.parsed, 2, "{s:?}");
    assert_same(&out, &fresh("fresh1"));
    assert!(
        fs::read(&kept).expect("kept") != first,
        "the documents follow the texts"
    );

    // damaged, or from another configuration: every text parsed again
    let bytes = fs::read(&kept).expect("kept");
    fs::write(&kept, &bytes[..bytes.len() / 2]).expect("cut");
    edit("t00005", &|t| t.replacen("Tout", "Toute", 1));
    let s = build(&opts(&root, &out))
        .expect("rebuild over a damaged file")
        .0;
    assert_eq!(s.parsed, s.pages, "{s:?}");
    assert_same(&out, &fresh("fresh2"));
    let site = root.join("site.toml");
    let config = fs::read_to_string(&site).expect("site.toml");
    fs::write(
        &site,
        config.replacen("title = \"", "title = \"Nouveau ", 1),
    )
    .expect("title");
    let s = build(&opts(&root, &out))
        .expect("rebuild with a new title")
        .0;
    assert_eq!(s.parsed, s.pages, "{s:?}");
    assert_same(&out, &fresh("fresh3"));
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));

    // a text of more than 1 MiB is parsed every time (its body is packed
    // as it is made, never held whole), the others are not
    edit("t00002", &|t| {
        format!("{t}\n{}", "Un paragraphe de plus.\n\n".repeat(50_000))
    });
    build(&opts(&root, &out)).expect("rebuild with a large text");
    let s = build(&opts(&root, &out)).expect("rebuild").0;
    assert_eq!(s.parsed, 1, "{s:?}");
    assert_same(&out, &fresh("fresh4"));
}

#[test]
fn the_bundled_editions_build_the_same_with_every_page_kept_packed() {
    // a budget of 0 keeps every page's body HTML and Markdown source packed
    // after parse: the source views, the TEI exports, the translations'
    // parallel views and the collations read them back from there
    for root in bundled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        build(&opts(&root, &a)).expect("build");
        let packed = BuildOptions {
            html_budget: Some(0),
            ..opts(&root, &b)
        };
        build(&packed).expect("build with every page packed");
        assert_same(&a, &b);
    }
}

#[test]
fn a_rebuild_that_lets_the_bodies_go_renders_them_the_same() {
    // a rebuild by the same binary lets the body HTML past the budget go
    // and parses a page again when it is rendered: with a budget of 0 and
    // every file of the output touched (so that every page is rendered
    // again), the output is the same as a fresh build's
    for root in bundled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        build(&opts(&root, &a)).expect("build");
        let dropped = BuildOptions {
            html_budget: Some(0),
            ..opts(&root, &b)
        };
        build(&dropped).expect("first build");
        // twice: the second rebuild takes every document from those the
        // first kept, and sets them aside from there
        for round in 0..2 {
            for (rel, bytes) in tree(&b) {
                if let Some(bytes) = bytes {
                    fs::write(b.join(rel), bytes).expect("touch");
                }
            }
            let again = build(&dropped).expect("rebuild").0;
            assert_eq!(again.rendered, again.pages, "{again:?}");
            assert_eq!(again.parsed, if round == 0 { again.pages } else { 0 });
            assert_same(&a, &b);
        }
    }
}

#[test]
fn a_build_that_sets_the_documents_aside_reports_the_same_problems() {
    // with a budget of 0, every parsed document is set aside beside the
    // output after parse and read back where it is needed: an unknown person
    // id found by resolve is still reported at its place in the source
    let (dir, root) = corpus(6, corpus::Nav::Editorial);
    let text = root.join("content/textes/t00004.md");
    let mut src = fs::read_to_string(&text).expect("text");
    src.push_str("\nUn [inconnu](person:nobody-at-all) de plus.\n");
    fs::write(&text, &src).expect("write");
    let line = src.lines().count();
    let report = |budget: Option<usize>| -> String {
        let o = BuildOptions {
            html_budget: budget,
            ..opts(&root, &dir.path().join(format!("site-{budget:?}")))
        };
        match build(&o) {
            Ok(_) => panic!("a build with an unknown person id succeeded"),
            Err(d) => d.to_string(),
        }
    };
    let (held, aside) = (report(None), report(Some(0)));
    assert!(
        held.contains(&format!(
            "t00004.md:{line}:4: error: unknown person id `nobody-at-all`"
        )),
        "{held}"
    );
    assert_eq!(held, aside);
}
