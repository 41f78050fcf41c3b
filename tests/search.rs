//! Issue 15 (search): `build` writes a Pagefind index of the edition and a
//! search page; the built-in templates mark what is indexed; the index is
//! byte-identical from build to build; `--offline` builds still carry it.

mod fixture;
use fixture::*;
use std::io::Read;
use std::path::Path;
use std::process::Command;

const TEXT: &str = r#"+++
title = "Lettre de Montevideo"
kind = "text"
weight = 1
+++

Une lettre de [Mariátegui](person:humbert-droz) écrite sous le nom de [Luis](person:humbert-droz).[^1]

::: parallel

:: fr original

Il avait fait parvenir un rapport sur le mouvement communiste.

:: es translation

Había hecho llegar un informe sobre el movimiento comunista.

:::

[^1]: Une note sur les archives de Lausanne, déposées en 1971.
"#;

fn site() -> Site {
    let s = Site::with_register();
    s.write(
        "content/_index.md",
        "+++\ntitle = \"Accueil\"\n+++\nBienvenue dans l'édition.\n",
    );
    s.write("content/lettre.md", TEXT);
    s.write(
        "content/apropos.md",
        "+++\ntitle = \"À propos\"\n+++\nLes principes de l'édition.\n",
    );
    s
}

/// Pagefind's files are gzip streams behind a signature (`pagefind_dcd`).
fn gunzip(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    let s = String::from_utf8_lossy(&out).into_owned();
    s.strip_prefix("pagefind_dcd").unwrap_or(&s).to_string()
}

/// Every fragment (one per indexed page), decoded.
fn fragments(out: &Path) -> Vec<serde_json::Value> {
    let mut v = Vec::new();
    for (path, bytes) in tree(&out.join("pagefind")) {
        if path.to_string_lossy().ends_with(".pf_fragment") {
            v.push(serde_json::from_str(&gunzip(&bytes)).expect("fragment json"));
        }
    }
    v
}

fn fragment_of<'a>(all: &'a [serde_json::Value], url: &str) -> &'a serde_json::Value {
    all.iter()
        .find(|f| f["url"] == url)
        .unwrap_or_else(|| panic!("no fragment for {url}: {all:?}"))
}

#[test]
fn build_writes_a_search_index_of_every_kind_of_page() {
    let s = site();
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "public/search/index.html",
        "public/assets/search.js",
        "public/pagefind/pagefind.js",
        "public/pagefind/pagefind-worker.js",
        "public/pagefind/pagefind-entry.json",
        "public/pagefind/wasm.fr.pagefind",
    ] {
        assert!(s.exists(f), "missing {f}");
    }
    // Pagefind's own interfaces are not shipped: the search page has its own script
    assert!(!s.exists("public/pagefind/pagefind-ui.js"));
    let entry = s.read("public/pagefind/pagefind-entry.json");
    assert!(entry.contains("\"fr\""), "{entry}");
    let out = s.path().join("public");
    let all = fragments(&out);
    // the text, the register, the two editorial pages; not the search page,
    // the 404 page or the source view
    let mut urls: Vec<&str> = all.iter().filter_map(|f| f["url"].as_str()).collect();
    urls.sort();
    assert_eq!(
        urls,
        ["/", "/apropos/", "/lettre/", "/personnes/"],
        "indexed pages"
    );
    let text = fragment_of(&all, "/lettre/");
    assert_eq!(text["meta"]["title"], "Lettre de Montevideo");
    assert_eq!(text["meta"]["kind"], "text");
    assert_eq!(text["filters"]["kind"], serde_json::json!(["text", "note"]));
    assert_eq!(text["filters"]["language"], serde_json::json!(["fr"]));
    assert_eq!(
        text["filters"]["text"],
        serde_json::json!(["Lettre de Montevideo"])
    );
    let content = text["content"].as_str().expect("content");
    assert!(content.contains("informe sobre el movimiento"), "{content}");
    assert!(content.contains("archives de Lausanne"), "{content}");
    // the table of contents and the citation block are not indexed
    assert!(!content.contains("Chicago"), "{content}");
    let anchors: Vec<&str> = text["anchors"]
        .as_array()
        .expect("anchors")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    for id in ["p-1", "n-1", "par1-s1-original", "par1-s1-translation"] {
        assert!(anchors.contains(&id), "anchor {id} missing: {anchors:?}");
    }
    // the register: each entry is an anchor, the pseudonym is indexed with
    // the entry (not only in the cross-reference), weighted
    let reg = fragment_of(&all, "/personnes/");
    assert_eq!(reg["filters"]["kind"], serde_json::json!(["register"]));
    let rc = reg["content"].as_str().expect("content");
    assert!(rc.contains("Luis"), "{rc}");
    let ids: Vec<&str> = reg["anchors"]
        .as_array()
        .expect("anchors")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert!(ids.contains(&"humbert-droz"), "{ids:?}");
    let ed = fragment_of(&all, "/apropos/");
    assert_eq!(ed["filters"]["kind"], serde_json::json!(["editorial"]));
}

#[test]
fn templates_carry_the_search_attributes_and_the_search_box() {
    let s = site();
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = s.read("public/lettre/index.html");
    assert!(
        text.contains(
            "<article class=\"edition-text\" aria-labelledby=\"text-title\" data-pagefind-body>"
        ),
        "{text}"
    );
    for needle in [
        "<meta property=\"apparat:kind\" content=\"text\" data-pagefind-filter=\"kind[content]\" data-pagefind-meta=\"kind[content]\">",
        "<meta property=\"apparat:kind\" content=\"note\" data-pagefind-filter=\"kind[content]\">",
        "<meta property=\"apparat:language\" content=\"fr\" data-pagefind-filter=\"language[content]\" data-pagefind-meta=\"language[content]\">",
        "<meta property=\"apparat:title\" content=\"Lettre de Montevideo\" data-pagefind-filter=\"text[content]\" data-pagefind-meta=\"title[content]\">",
        // a plain GET form to the search page, relative like every link
        "<form class=\"site-search\" role=\"search\" action=\"../search/\" method=\"get\"",
        "name=\"q\"",
        // the policy lets the form and the WebAssembly engine run, nothing more
        "script-src 'self' 'wasm-unsafe-eval';",
        "form-action 'self'",
    ] {
        assert!(text.contains(needle), "missing {needle}");
    }
    let reg = s.read("public/personnes/index.html");
    assert!(
        reg.contains("<span class=\"surname\" data-pagefind-weight=\"10\" data-pagefind-index-attrs=\"data-forms\" data-forms=\"Luis\">"),
        "{reg}"
    );
    assert!(reg.contains("<li class=\"index-xref\" data-pagefind-ignore=\"all\">"));
    let search = s.read("public/search/index.html");
    assert!(search.contains("<script src=\"../assets/search.js\" defer></script>"));
    assert!(search.contains("id=\"search-q\""));
    assert!(!search.contains("data-pagefind-body"));
    // the search page is not in the sitemap
    assert!(!s.read("public/sitemap.xml").contains("search/"));
}

#[test]
fn the_index_is_byte_identical_from_build_to_build() {
    let s = site();
    let a = s.run(&["build", "--output", "a"]);
    assert!(a.status.success(), "{}", stderr(&a));
    let b = s.run(&["build", "--output", "b"]);
    assert!(b.status.success(), "{}", stderr(&b));
    let ta = tree(&s.path().join("a"));
    let tb = tree(&s.path().join("b"));
    assert!(ta.iter().any(|(p, _)| p.starts_with("pagefind")));
    assert_eq!(ta, tb);
    // offline builds carry the same index (the search page says that it
    // needs a server when opened from disk)
    let c = s.run(&["build", "--offline", "--output", "c"]);
    assert!(c.status.success(), "{}", stderr(&c));
    let index = |t: &[(std::path::PathBuf, Vec<u8>)]| {
        t.iter()
            .filter(|(p, _)| p.starts_with("pagefind") && !p.ends_with("pagefind-entry.json"))
            .map(|(p, _)| p.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(index(&ta).len(), index(&tree(&s.path().join("c"))).len());
}

#[test]
fn search_can_be_turned_off() {
    let s = site();
    s.write("site.toml", &format!("search = false\n{SITE_TOML}"));
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(s.exists("public/lettre/index.html"));
    assert!(!s.exists("public/pagefind"));
    assert!(!s.exists("public/search/index.html"));
    assert!(!s.read("public/lettre/index.html").contains("site-search"));
}

/// Builds `s` into `out` with `APPARAT_TIMINGS` (and shards of `shard`
/// indexed pages, if given); its stderr (the phases' timings).
fn timed_build(s: &Site, out: &str, shard: Option<&str>) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_apparat"));
    c.args(["build", "--output", out])
        .env("APPARAT_TIMINGS", "1")
        .current_dir(s.path());
    if let Some(n) = shard {
        c.env("APPARAT_SEARCH_SHARD", n);
    }
    let o = c.output().expect("run apparat");
    assert!(o.status.success(), "{}", stderr(&o));
    stderr(&o)
}

/// The index is a unit of its own: a rebuild in which no page changed keeps
/// it as it is (Pagefind is not run again), one in which a page changed makes
/// it again, and the result always equals a fresh build's.
#[test]
fn a_rebuild_makes_the_index_again_only_when_a_page_changed() {
    let s = site();
    let timed = |out: &str| timed_build(&s, out, None).contains("timing: search index");
    assert!(timed("out"), "a first build makes the index");
    assert!(!timed("out"), "nothing changed: the index is kept");
    s.write(
        "content/apropos.md",
        "+++\ntitle = \"À propos\"\n+++\nLes principes, révisés.\n",
    );
    assert!(timed("out"), "a page changed: the index is made again");
    assert!(timed("fresh"));
    assert_eq!(tree(&s.path().join("out")), tree(&s.path().join("fresh")));
    assert!(!timed("out"));
    assert_eq!(tree(&s.path().join("out")), tree(&s.path().join("fresh")));
}

/// A rebuild makes again only the shards whose pages changed: the other
/// shards' files are kept as they were (the same files, linked into the new
/// output), and the output equals a fresh build's, also when a new page
/// moves the shards' bounds.
#[cfg(unix)]
#[test]
fn a_rebuild_makes_again_only_the_shards_whose_pages_changed() {
    use std::os::unix::fs::MetadataExt;
    let s = site();
    let build = |out: &str| timed_build(&s, out, Some("2")).contains("timing: search index");
    // the files of each shard, by path, with their inode numbers
    let shard = |folder: &str| -> Vec<(String, u64)> {
        let dir = s.path().join("out/pagefind").join(folder);
        let mut v: Vec<(String, u64)> = tree(&dir)
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| !p.to_string_lossy().starts_with("shard-"))
            .map(|p| {
                let ino = std::fs::metadata(dir.join(&p)).expect("stat").ino();
                (p.to_string_lossy().into_owned(), ino)
            })
            .collect();
        v.sort();
        v
    };
    assert!(build("out"));
    // pages in path order: apropos/, index, lettre/, personnes/ — two shards
    assert_eq!(
        s.read("out/pagefind/shards.json"),
        r#"["pagefind/shard-1/"]"#
    );
    let (first, second) = (shard(""), shard("shard-1"));
    assert!(!build("out"), "nothing changed: every shard is kept");
    s.write(
        "content/apropos.md",
        "+++\ntitle = \"À propos\"\n+++\nLes principes, révisés.\n",
    );
    assert!(build("out"), "a page changed: its shard is made again");
    assert_eq!(shard("shard-1"), second, "the other shard was made again");
    let remade = shard("");
    assert!(
        remade.iter().any(|f| !first.contains(f)),
        "the changed page's shard was kept"
    );
    assert!(build("fresh"));
    assert_eq!(tree(&s.path().join("out")), tree(&s.path().join("fresh")));
    // a new page: the bounds move, every shard after it is made again
    s.write(
        "content/annexe.md",
        "+++\ntitle = \"Annexe\"\n+++\nUne annexe.\n",
    );
    assert!(build("out"));
    std::fs::remove_dir_all(s.path().join("fresh")).expect("remove");
    assert!(build("fresh"));
    assert_eq!(tree(&s.path().join("out")), tree(&s.path().join("fresh")));
    assert!(!build("out"));
    assert_eq!(tree(&s.path().join("out")), tree(&s.path().join("fresh")));
}

/// A rebuild keeps, beside the output folder (never in it), what each shard
/// it made again was made of, so that the next one digests only the pages
/// that changed; a first build keeps nothing there (a deploy never reads
/// it); an unreadable cache is ignored; the output always equals a fresh
/// build's.
#[test]
fn a_shard_made_again_digests_only_the_pages_that_changed() {
    let s = site();
    let build = |out: &str| timed_build(&s, out, Some("2"));
    let edit = |n: usize| {
        s.write(
            "content/apropos.md",
            &format!("+++\ntitle = \"À propos\"\n+++\nLes principes, révision {n}.\n"),
        )
    };
    let same_as_fresh = || {
        let _ = std::fs::remove_dir_all(s.path().join("fresh"));
        build("fresh");
        assert_eq!(tree(&s.path().join("out")), tree(&s.path().join("fresh")));
    };
    build("out");
    assert!(
        !s.exists(".out.apparat-search"),
        "a first build keeps a cache"
    );
    // shard 0 holds apropos/ and the home page
    edit(1);
    assert!(build("out").contains("(2 pages digested, 0 from the cache)"));
    assert!(s.exists(".out.apparat-search/0.cbor"));
    // and its compressed files, which the next build takes where their
    // bytes did not change
    assert!(s.exists(".out.apparat-search/0.gz"));
    edit(2);
    let err = build("out");
    assert!(
        err.contains("(1 pages digested, 1 from the cache)"),
        "{err}"
    );
    same_as_fresh();
    // a cache that cannot be read is no cache
    s.write(".out.apparat-search/0.cbor", "not a cache");
    edit(3);
    assert!(build("out").contains("(2 pages digested, 0 from the cache)"));
    same_as_fresh();
    assert!(!tree(&s.path().join("out"))
        .iter()
        .any(|(p, _)| p.to_string_lossy().contains("cbor")));
    // a link in its place is not followed
    #[cfg(unix)]
    {
        let cache = s.path().join(".out.apparat-search/0.cbor");
        let elsewhere = s.path().join("elsewhere.cbor");
        std::fs::rename(&cache, &elsewhere).expect("move the cache");
        std::os::unix::fs::symlink(&elsewhere, &cache).expect("link");
        edit(4);
        let err = build("out");
        assert!(
            err.contains("(2 pages digested, 0 from the cache)"),
            "{err}"
        );
        same_as_fresh();
    }
}

/// A large edition's index is split into shards, indexed in parallel and
/// merged by the search page (`pagefind/shards.json` lists all but the
/// first). `APPARAT_SEARCH_SHARD` lowers the shard size so that this small
/// edition is split: every page is still indexed once, with its anchors (the
/// sub-results' #p-N and #n-N), every shard is a complete Pagefind bundle, and
/// the output is byte-identical from build to build.
#[test]
fn a_large_index_is_split_into_shards_that_the_search_page_merges() {
    let s = site();
    let build = |out: &str, shard: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_apparat"));
        c.args(["build", "--output", out]).current_dir(s.path());
        match shard {
            Some(n) => c.env("APPARAT_SEARCH_SHARD", n),
            None => c.env_remove("APPARAT_SEARCH_SHARD"),
        };
        let o = c.output().expect("run apparat");
        assert!(o.status.success(), "{}", stderr(&o));
        s.path().join(out)
    };
    // one index: no other shard to merge
    let one = build("one", None);
    assert_eq!(s.read("one/pagefind/shards.json"), "[]");
    // shards of three indexed pages (in path order)
    let split = build("split", Some("3"));
    let list: Vec<String> =
        serde_json::from_str(&s.read("split/pagefind/shards.json")).expect("shard list");
    assert!(!list.is_empty(), "the index was not split");
    for (k, folder) in list.iter().enumerate() {
        assert_eq!(folder, &format!("pagefind/shard-{}/", k + 1));
        let entry = s.read(&format!("split/{folder}pagefind-entry.json"));
        assert!(entry.contains("\"fr\""), "{entry}");
    }
    assert!(s.exists("split/pagefind/pagefind.js"));
    let mut urls: Vec<String> = fragments(&split)
        .iter()
        .filter_map(|f| f["url"].as_str().map(String::from))
        .collect();
    urls.sort();
    assert_eq!(urls, ["/", "/apropos/", "/lettre/", "/personnes/"]);
    let all = fragments(&split);
    let text = fragment_of(&all, "/lettre/");
    let anchors: Vec<&str> = text["anchors"]
        .as_array()
        .expect("anchors")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    for id in ["p-1", "n-1"] {
        assert!(anchors.contains(&id), "anchor {id} missing: {anchors:?}");
    }
    // the same fragments as one index (a fragment does not depend on its shard)
    let mut one_all = fragments(&one);
    let mut split_all = all.clone();
    let key = |v: &serde_json::Value| v["url"].as_str().unwrap_or("").to_string();
    one_all.sort_by_key(key);
    split_all.sort_by_key(key);
    assert_eq!(one_all, split_all);
    // the search page merges the shards
    let js = s.read("split/assets/search.js");
    assert!(js.contains("pagefind/shards.json") && js.contains("mergeIndex"));
    // deterministic, though the shards are indexed in parallel
    let again = build("again", Some("3"));
    assert_eq!(tree(&split), tree(&again));
}

/// A page with what the index must render as Pagefind does: accents, a
/// hyphenated name, elisions, headings (their own weights), numbers,
/// dotted and camel-case words, punctuation alone, an emoji.
const COMPOUNDS: &str = r#"+++
title = "Humbert-Droz et l'Internationale"
kind = "text"
weight = 2
+++

## Le Komintern à Moscou

[Jules Humbert-Droz](person:humbert-droz) écrit à José Carlos Mariátegui, l'été 1928 — « l'Internationale » ; *aujourd'hui* p.12 ThreeWords config.is_build … ¿qué? 🙂

### Une section

Les Amauta, la revista *Amauta* (1926-1930) : 50 % ou 3,5 millions.
"#;

/// Files of a Pagefind bundle, by name: the index files inflated (without
/// their signature), the others as they are.
fn bundle(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    tree(dir)
        .into_iter()
        .map(|(p, bytes)| {
            let name = p.to_string_lossy().replace('\\', "/");
            let data = if name.contains(".pf_") {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_end(&mut out)
                    .expect("gzip");
                out.strip_prefix(b"pagefind_dcd".as_slice())
                    .expect("signature")
                    .to_vec()
            } else {
                bytes
            };
            (name, data)
        })
        .collect()
}

/// A file of the index, readable: CBOR or JSON decoded.
fn decoded(name: &str, bytes: &[u8]) -> String {
    if name.ends_with(".pf_fragment") || name.ends_with(".json") {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    match ciborium::from_reader::<ciborium::Value, _>(bytes) {
        Ok(v) => format!("{v:?}"),
        Err(_) => format!("{} bytes", bytes.len()),
    }
}

/// Builds `s` with Pagefind's indexer and with apparat's, and checks that
/// both give the same files with the same inflated content.
fn assert_same_index(s: &Site, min_pages: usize) {
    let build = |out: &str, indexer: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_apparat"));
        c.args(["build", "--output", out]).current_dir(s.path());
        c.env_remove("APPARAT_SEARCH_SHARD");
        match indexer {
            Some(i) => c.env("APPARAT_SEARCH_INDEXER", i),
            None => c.env_remove("APPARAT_SEARCH_INDEXER"),
        };
        let o = c.output().expect("run apparat");
        assert!(o.status.success(), "{}", stderr(&o));
        bundle(&s.path().join(out).join("pagefind"))
    };
    let reference = build("reference", Some("pagefind"));
    let own = build("own", None);
    let names =
        |b: &std::collections::BTreeMap<String, Vec<u8>>| b.keys().cloned().collect::<Vec<_>>();
    // the reference indexed the pages the test is about
    assert!(
        reference
            .keys()
            .filter(|n| n.ends_with(".pf_fragment"))
            .count()
            >= min_pages
    );
    for (name, want) in &reference {
        let Some(got) = own.get(name) else {
            panic!(
                "{name} is missing; Pagefind's: {}\n\nreference files: {:?}\nown files: {:?}",
                decoded(name, want),
                names(&reference),
                names(&own)
            );
        };
        if name.ends_with("pagefind-entry.json") {
            let a: serde_json::Value = serde_json::from_slice(want).expect("entry");
            let b: serde_json::Value = serde_json::from_slice(got).expect("entry");
            assert_eq!(a, b, "{name}");
            continue;
        }
        assert!(
            got == want,
            "{name} differs\n\nPagefind: {}\n\napparat:  {}",
            decoded(name, want),
            decoded(name, got)
        );
    }
    assert_eq!(names(&reference), names(&own));
}

/// apparat's own indexer gives the index Pagefind's indexer gives for the
/// same pages: the same files (names from the same hashes) with the same
/// content once inflated (words, stems, pages, positions and weights,
/// metadata positions, accented variants, chunk bounds, filters, metadata,
/// fragments with their anchors), so that Pagefind's client behaves the
/// same. Only the compression differs (a faster level). The reference is
/// Pagefind's own indexer (`APPARAT_SEARCH_INDEXER=pagefind`).
#[test]
fn apparat_indexes_the_pages_exactly_as_pagefind_does() {
    let s = site();
    s.write("content/komintern.md", COMPOUNDS);
    assert_same_index(&s, 5);
}

/// An edition in a language written without spaces between words: Pagefind
/// (built without its `extended` feature) splits it at spaces as any other,
/// with katakana words indexed by their suffixes too; apparat's indexer
/// does the same.
#[test]
fn an_edition_in_japanese_is_indexed_as_pagefind_does() {
    let s = Site::new();
    s.write(
        "site.toml",
        "title = \"Test\"\nbase_url = \"https://example.org/ed/\"\nlanguage = \"ja\"\n",
    );
    s.write(
        "content/_index.md",
        "+++\ntitle = \"ホーム\"\n+++\nコミンテルンとマリアテギ。東京の新聞 1928年 インターナショナル。\n",
    );
    s.write(
        "content/tegami.md",
        "+++\ntitle = \"モンテビデオからの手紙\"\nkind = \"text\"\n+++\n\n## 第一章\n\nマリアテギはリマで「アマウタ」を創刊した。ジュール・アンベール＝ドロー。\n",
    );
    assert_same_index(&s, 2);
}
