//! Issue 4: tests on the real edition in this repository.

use apparat::edition::Edition;
use apparat::markup::Series;
use apparat::BuildOptions;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn edition() -> Edition {
    let opts = BuildOptions {
        root: root(),
        ..Default::default()
    };
    let (ed, diags) = apparat::check(&opts);
    assert!(
        diags.is_empty(),
        "apparat check must report nothing:\n{diags}"
    );
    ed.expect("edition").1
}

fn page<'a>(ed: &'a Edition, rel: &str) -> &'a apparat::edition::Entry {
    ed.entries
        .iter()
        .find(|e| e.page.rel == rel)
        .unwrap_or_else(|| panic!("no page {rel}"))
}

#[test]
fn check_reports_nothing_and_all_texts_exist() {
    let ed = edition();
    for rel in [
        "paris-1978",
        "humanite-1927",
        "humanite-1930",
        "personnes",
        "principes",
        "principios",
        "encodage",
        "_index",
    ] {
        page(&ed, rel);
    }
    let paris = &page(&ed, "paris-1978").page.front;
    assert_eq!(paris.author, "Robert Paris");
    let src = paris.source.as_ref().expect("source");
    assert_eq!(src.container, "Homenaje a Jorge Basadre");
    assert_eq!(src.year, "1978");
    assert_eq!(src.chapter, "53");
    let h27 = page(&ed, "humanite-1927")
        .page
        .front
        .source
        .clone()
        .expect("source");
    assert_eq!(
        (
            h27.container.as_str(),
            h27.date.as_str(),
            h27.pages.as_str()
        ),
        ("L'Humanité", "1927-06-15", "p. 3")
    );
    let h30 = page(&ed, "humanite-1930")
        .page
        .front
        .source
        .clone()
        .expect("source");
    assert_eq!(
        (
            h30.container.as_str(),
            h30.date.as_str(),
            h30.pages.as_str()
        ),
        ("L'Humanité", "1930-04-27", "p. 3")
    );
}

#[test]
fn the_27_notes_and_the_two_source_notes_are_each_defined_once_and_called_once() {
    let ed = edition();
    let notes: Vec<_> = page(&ed, "paris-1978")
        .doc
        .notes
        .iter()
        .filter(|n| n.series == Series::Author)
        .collect();
    let labels: Vec<&str> = notes.iter().map(|n| n.label.as_str()).collect();
    let expected: Vec<String> = (1..=27).map(|n| n.to_string()).collect();
    assert_eq!(
        labels,
        expected.iter().map(String::as_str).collect::<Vec<_>>()
    );
    for n in &notes {
        assert_eq!(n.calls, 1, "note {} is called {} times", n.label, n.calls);
    }
    for (rel, label) in [("humanite-1927", "*"), ("humanite-1930", "**")] {
        let author: Vec<_> = page(&ed, rel)
            .doc
            .notes
            .iter()
            .filter(|n| n.series == Series::Author)
            .collect();
        assert_eq!(author.len(), 1, "{rel}");
        assert_eq!(author[0].label, label);
        assert_eq!(author[0].calls, 1);
    }
    // editorial notes are lettered a, b, c… in order on each page
    for e in &ed.entries {
        let letters: Vec<&str> = e
            .doc
            .notes
            .iter()
            .filter(|n| n.series == Series::Editorial)
            .map(|n| n.display.as_str())
            .collect();
        if e.page.front.kind == apparat::content::Kind::Text {
            for (i, l) in letters.iter().enumerate() {
                let expected = ((b'a' + i as u8) as char).to_string();
                assert_eq!(
                    *l, expected,
                    "{}: editorial notes must run a, b, c…",
                    e.page.rel
                );
            }
        }
    }
}

#[test]
fn every_person_resolves_and_every_entry_is_mentioned() {
    let ed = edition(); // check() would report unknown ids (errors) and unused entries (warnings)
    assert!(ed.persons >= 40);
    let mut per_person: BTreeMap<String, usize> = BTreeMap::new();
    for e in &ed.entries {
        for m in &e.doc.mentions {
            *per_person.entry(m.person.clone()).or_default() += 1;
        }
    }
    assert!(per_person["humbert-droz"] >= 10);
    // pseudonyms are resolved to the person they stand for
    let paris = page(&ed, "paris-1978");
    let luis = paris
        .doc
        .mentions
        .iter()
        .find(|m| m.form.contains("Luis"))
        .expect("Luis");
    assert_eq!(luis.person, "humbert-droz");
    for (form, id) in [
        ("Saco", "pesce"),
        ("Zamora", "portocarrero"),
        ("Pierre", "lominadze"),
    ] {
        assert!(
            paris
                .doc
                .mentions
                .iter()
                .any(|m| m.form.contains(form) && m.person == id),
            "{form} → {id}"
        );
    }
}

#[test]
fn every_long_quotation_is_a_parallel_block_that_aligns() {
    let ed = edition();
    let paris = page(&ed, "paris-1978");
    assert!(
        paris.doc.parallels.len() >= 3,
        "Humbert-Droz, La lutte de classes, Naville"
    );
    for p in &paris.doc.parallels {
        assert!(p.segments >= 2);
        assert_eq!(p.langs, ("fr".to_string(), "es".to_string()));
    }
}

fn body_without_emendation_sources(text: &str) -> String {
    // drop `{~~source~>` so that only the edition's readings remain
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("{~~") {
        out.push_str(&rest[..i]);
        rest = &rest[i + 3..];
        match rest.find("~>") {
            Some(j) => rest = &rest[j + 2..],
            None => break,
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn no_ocr_debris_remains() {
    for name in ["paris-1978", "humanite-1927", "humanite-1930"] {
        let raw = std::fs::read_to_string(root().join(format!("content/{name}.md"))).expect("read");
        // editorial notes quote OCR readings on purpose: leave them out
        let mut kept = String::new();
        let mut in_ed = false;
        for line in raw.lines() {
            if line.starts_with("[^ed-") {
                in_ed = true;
            } else if !line.starts_with("    ") && !line.trim().is_empty() {
                in_ed = false;
            }
            if !in_ed {
                kept.push_str(line);
                kept.push('\n');
            }
        }
        let text = body_without_emendation_sources(&kept);
        for bad in ['¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹', '⁰'] {
            assert!(!text.contains(bad), "{name}: stray superscript {bad}");
        }
        for bad in [
            "VIO",
            "IVO",
            "IIIO",
            "L'Huamanité",
            "quilm'a",
            "ajouteronsnous",
            "celleci",
            "Mariâtegui",
            "apponée",
            "révolutionarie",
            "pseduo",
            "assiter",
            "réticenses",
            "pronocer",
            "september",
            "Aprês",
        ] {
            assert!(
                !text.contains(bad),
                "{name}: OCR reading `{bad}` left uncorrected"
            );
        }
        // no doubled lines in the body
        let body = raw.splitn(3, "+++\n").nth(2).expect("body");
        let lines: Vec<&str> = body
            .lines()
            .map(str::trim)
            .filter(|l| l.len() > 30)
            .collect();
        for (i, l) in lines.iter().enumerate() {
            assert!(
                !lines[i + 1..].contains(l),
                "{name}: line appears twice: {l}"
            );
        }
    }
}

#[test]
fn the_authors_bracketed_interventions_are_kept_verbatim() {
    let dir = tempfile::tempdir().expect("tmp");
    let opts = BuildOptions {
        root: root(),
        output: Some(dir.path().join("out")),
        ..Default::default()
    };
    apparat::build(&opts)
        .map_err(|d| d.to_string())
        .expect("build");
    let read = |p: &str| std::fs::read_to_string(dir.path().join("out").join(p)).expect("read");
    let paris = read("paris-1978/index.html");
    assert!(paris.contains("[recte: 1929. – R.P.]"));
    assert!(
        paris.contains(
            "lang=\"es\">Bandera roja, organo de la Federacion del Trabajo de la Paz</span>"
        ),
        "Paris's Spanish kept unaccented"
    );
    assert!(paris.contains(". - R.P.]"));
    assert!(paris.contains("sd [1929]"));
    let h27 = read("humanite-1927/index.html");
    assert!(h27.matches("[sic]").count() >= 2);
    assert!(h27.contains("Auguste Teguia</a> [sic]"));
}

#[test]
fn nothing_is_fetched_from_elsewhere() {
    let dir = tempfile::tempdir().expect("tmp");
    let opts = BuildOptions {
        root: root(),
        output: Some(dir.path().join("out")),
        ..Default::default()
    };
    apparat::build(&opts)
        .map_err(|d| d.to_string())
        .expect("build");
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(dir.path().join("out")) {
        let entry = entry.expect("walk");
        let name = entry.path().to_string_lossy().into_owned();
        if !(name.ends_with(".html") || name.ends_with(".css") || name.ends_with(".js")) {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).expect("read");
        for bad in [
            "src=\"http",
            "src=\"//",
            "url(http",
            "url(//",
            "@import",
            "fetch(\"http",
            "rel=\"preconnect\"",
        ] {
            assert!(!text.contains(bad), "{name}: external resource `{bad}`");
        }
        // stylesheets, scripts and icons are local
        for tag in text.split("<link ").skip(1) {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            if tag.contains("stylesheet") || tag.contains("icon") {
                assert!(!tag.contains("href=\"http"), "{name}: {tag}");
            }
        }
        checked += 1;
    }
    assert!(checked > 10);
}

#[test]
fn interface_language_is_a_setting() {
    let dir = tempfile::tempdir().expect("tmp");
    let site = dir.path().join("site");
    for sub in ["content", "templates", "static"] {
        let from = root().join(sub);
        if !from.exists() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&from) {
            let entry = entry.expect("walk");
            let rel = entry.path().strip_prefix(&from).expect("rel");
            let to = site.join(sub).join(rel);
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&to).expect("mkdir");
            } else {
                std::fs::copy(entry.path(), &to).expect("copy");
            }
        }
    }
    let toml = std::fs::read_to_string(root().join("site.toml")).expect("site.toml");
    std::fs::write(
        site.join("site.toml"),
        toml.replace("ui_language = \"fr\"", "ui_language = \"es\""),
    )
    .expect("write");
    let opts = BuildOptions {
        root: site.clone(),
        output: Some(dir.path().join("out")),
        ..Default::default()
    };
    apparat::build(&opts)
        .map_err(|d| d.to_string())
        .expect("build");
    let html = std::fs::read_to_string(dir.path().join("out/paris-1978/index.html")).expect("read");
    assert!(
        html.contains("Volver a la llamada de la nota"),
        "Spanish back-link names"
    );
    assert!(html.contains("Aparato de enmiendas"));
    assert!(!html.contains("Retour à l'appel"));
}

/// Percent-decodes a `data:` URL's payload.
fn decode_data_url(url: &str) -> (String, String) {
    let (head, payload) = url.split_once(',').expect("a data: URL");
    let mut bytes = Vec::new();
    let raw = payload.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let hex = std::str::from_utf8(&raw[i + 1..i + 3]).expect("hex");
            bytes.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            bytes.push(raw[i]);
            i += 1;
        }
    }
    (head.to_string(), String::from_utf8(bytes).expect("utf-8"))
}

#[test]
fn citation_downloads_are_in_the_page() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let opts = BuildOptions {
        root: root(),
        output: Some(out.clone()),
        ..Default::default()
    };
    apparat::build(&opts)
        .map_err(|d| d.to_string())
        .expect("build");
    let html = std::fs::read_to_string(out.join("humanite-1927/index.html")).expect("page");
    let downloads = html
        .split("<p class=\"downloads\">")
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .expect("download links");
    let links: Vec<(&str, &str)> = downloads
        .split("<a href=\"")
        .skip(1)
        .map(|a| {
            let (href, rest) = a.split_once('"').expect("href");
            let name = rest
                .split("download=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("download name");
            (href, name)
        })
        .collect();
    assert_eq!(links.len(), 2, "{downloads}");
    // BibTeX: the entry the page shows, with its accents
    let (head, bib) = decode_data_url(links[0].0);
    assert_eq!(head, "data:application/x-bibtex;charset=utf-8");
    assert_eq!(links[0].1, "humanite-1927.bib");
    assert!(bib.starts_with("@incollection{humanite1927,"), "{bib}");
    assert!(bib.contains("Pérou"), "{bib}");
    assert!(bib.contains("year = {1927}"), "{bib}");
    // CSL-JSON: valid JSON naming the same text
    let (head, csl) = decode_data_url(links[1].0);
    assert_eq!(
        head,
        "data:application/vnd.citationstyles.csl+json;charset=utf-8"
    );
    assert_eq!(links[1].1, "humanite-1927.json");
    let value: serde_json::Value = serde_json::from_str(&csl).expect("CSL-JSON");
    let first = value.as_array().and_then(|a| a.first()).unwrap_or(&value);
    assert!(
        first["title"].as_str().is_some_and(|t| t.contains("Pérou")),
        "{csl}"
    );
    // no citation files beside the page
    assert!(!out.join("humanite-1927/citation.bib").exists());
}
