//! Issue 11: hostile inputs from the file system, through the real binary —
//! URLs made from file names, symbolic links leaving the edition root, static
//! files at the path of generated ones, NUL bytes.

mod fixture;
use fixture::*;

use std::cell::RefCell;
use std::fs;
use std::path::{Path, PathBuf};
use std::rc::Rc;

fn page(title: &str, body: &str) -> String {
    format!("+++\ntitle = \"{title}\"\n+++\n{body}\n")
}

/// File names that break HTML attributes or URLs when used as they are.
const HOSTILE: [&str; 6] = [
    "x\" onmouseover=\"alert(1)\" y=\"",
    "t\"><img src=x onerror=alert(2)>",
    "a#b",
    "a?b",
    "a%20b",
    "a b",
];

/// Every element of an HTML page (as a real parser tokenises it): its name
/// and attributes.
fn elements(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    use lol_html::{element, rewrite_str, RewriteStrSettings};
    let found = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&found);
    rewrite_str(
        html,
        RewriteStrSettings {
            element_content_handlers: vec![element!("*", move |el| {
                let attrs = el
                    .attributes()
                    .iter()
                    .map(|a| (a.name(), a.value()))
                    .collect();
                sink.borrow_mut().push((el.tag_name(), attrs));
                Ok(())
            })],
            ..RewriteStrSettings::new()
        },
    )
    .expect("parse HTML");
    let v = found.borrow().clone();
    v
}

/// HTML attribute text → value (the entities templates and the rewrite write).
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 3 <= b.len() {
            let v = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).expect("hex"), 16)
                .expect("hex digits after %");
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8 URL")
}

/// Every `.html` file under `out`, relative.
fn html_files(out: &Path) -> Vec<PathBuf> {
    tree(out)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect()
}

/// The file a relative link of the page `from` (relative to `out`) reaches,
/// resolved as a browser resolves a URL (query and fragment dropped, then
/// percent-decoded), `index.html` for a folder.
fn target_of(out: &Path, from: &Path, href: &str) -> PathBuf {
    let path = &href[..href.find(['?', '#']).unwrap_or(href.len())];
    let mut t = out.join(from.parent().unwrap_or(Path::new("")));
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                t.pop();
            }
            s => t.push(percent_decode(s)),
        }
    }
    if path.is_empty() || path.ends_with('/') {
        t.push("index.html");
    }
    t
}

fn hostile_site() -> Site {
    let s = Site::new();
    s.write("content/_index.md", &page("Accueil", "Bienvenue."));
    for (i, name) in HOSTILE.iter().enumerate() {
        s.write(
            &format!("content/{name}.md"),
            &page(&format!("Page {i}"), "Texte."),
        );
    }
    s
}

/// Checks one output folder: no injected attribute or element in any page,
/// every relative link reaches a written file, and the menu links each page.
fn check_output(out: &Path, offline: bool) {
    let pages = html_files(out);
    assert!(pages.len() >= HOSTILE.len() + 2, "{pages:?}");
    let mut linked = std::collections::BTreeSet::new();
    for rel in &pages {
        let html = fs::read_to_string(out.join(rel)).expect("read page");
        for (tag, attrs) in elements(&html) {
            assert_ne!(tag, "img", "{}: injected element", rel.display());
            for (name, value) in &attrs {
                // the templates write no event handler, and links have no `y`
                assert!(
                    !(name.starts_with("on") || (tag == "a" && name == "y")),
                    "{}: injected attribute {name}={value:?} on <{tag}>",
                    rel.display()
                );
            }
            if tag != "a" {
                continue;
            }
            let Some((_, href)) = attrs.iter().find(|(n, _)| n == "href") else {
                continue;
            };
            let href = unescape(href);
            if href.starts_with('#')
                || href.contains(':')
                || href.starts_with("//")
                || rel.as_path() == Path::new("404.html")
            {
                continue;
            }
            assert!(
                !href.contains([' ', '"', '<', '>']),
                "{}: raw character in a link: {href:?}",
                rel.display()
            );
            if offline {
                assert!(
                    href.split(['#', '?'])
                        .next()
                        .is_some_and(|p| p.ends_with(".html")),
                    "{}: offline link without index.html: {href}",
                    rel.display()
                );
            }
            let target = target_of(out, rel, &href);
            assert!(
                target.is_file(),
                "{}: link {href:?} reaches no written file ({})",
                rel.display(),
                target.display()
            );
            linked.insert(target);
        }
    }
    for name in HOSTILE {
        let file = out.join(name).join("index.html");
        assert!(file.is_file(), "page of {name:?} not written as {file:?}");
        assert!(linked.contains(&file), "no link reaches {name:?}");
    }
}

#[test]
fn file_names_become_encoded_urls_without_injection() {
    let s = hostile_site();
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = s.path().join("public");
    check_output(&out, false);
    // the menu of the home page names every page, encoded
    let home = s.read("public/index.html");
    for href in [
        "x%22%20onmouseover%3D%22alert%281%29%22%20y%3D%22/",
        "t%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%282%29%3E/",
        "a%23b/",
        "a%3Fb/",
        "a%2520b/",
        "a%20b/",
    ] {
        assert!(
            home.contains(&format!("href=\"{href}\"")),
            "{href} not in the menu"
        );
    }
    // the sitemap holds valid, encoded URLs
    let sitemap = s.read("public/sitemap.xml");
    let locs: Vec<&str> = sitemap
        .split("<loc>")
        .skip(1)
        .filter_map(|l| l.split("</loc>").next())
        .collect();
    assert_eq!(locs.len(), HOSTILE.len() + 1, "{sitemap}");
    for loc in &locs {
        assert!(
            !loc.contains([' ', '"', '<', '>', '#', '?', '\'']),
            "raw character in sitemap URL {loc:?}"
        );
    }
    assert!(sitemap.contains("<loc>https://example.org/ed/a%20b/</loc>"));
    assert!(sitemap.contains("<loc>https://example.org/ed/a%2520b/</loc>"));
    // and from disk
    let o = s.run(&["build", "--offline", "--output", "offline"]);
    assert!(o.status.success(), "{}", stderr(&o));
    check_output(&s.path().join("offline"), true);
}

#[test]
fn names_that_cannot_be_path_segments_are_errors() {
    for (name, why) in [
        ("content/..md", "`.` cannot be a URL path segment"),
        ("content/...md", "`..` cannot be a URL path segment"),
        ("content/d/..md", "`.` cannot be a URL path segment"),
        ("content/a\\b.md", "backslash"),
        ("content/a\u{1}b.md", "control character"),
        ("content/a\u{1b}[31mb.md", "control character"),
    ] {
        let s = Site::new();
        s.write("content/_index.md", &page("Accueil", "x"));
        s.write(name, &page("Piège", "x"));
        for o in [s.check(), s.build()] {
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{name:?}: {err}");
            assert!(
                err.contains(&format!("{name}: error: file name cannot become a URL")),
                "{name:?}: {err}"
            );
            assert!(err.contains(why), "{name:?}: {err}");
        }
    }
}

/// A file outside the edition root whose first line must never be shown.
fn outside_secret() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    fs::write(
        d.path().join("secret.txt"),
        "SECRET-TOKEN=hunter2\nsecond line\n",
    )
    .expect("write secret");
    fs::create_dir_all(d.path().join("dir")).expect("mkdir");
    fs::write(d.path().join("dir/page.md"), "SECRET-TOKEN=in a folder\n")
        .expect("write secret page");
    d
}

#[cfg(unix)]
fn link(target: &Path, site: &Site, rel: &str) {
    let at = site.path().join(rel);
    if let Some(p) = at.parent() {
        fs::create_dir_all(p).expect("mkdir");
    }
    std::os::unix::fs::symlink(target, at).expect("symlink");
}

#[cfg(unix)]
fn assert_refused(o: &std::process::Output, rel: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{rel}: {err}");
    assert!(
        err.contains(&format!(
            "{rel}: error: symbolic link leads outside the edition root"
        )),
        "{rel}: {err}"
    );
    assert!(!err.contains("SECRET"), "the target is quoted: {err}");
}

#[cfg(unix)]
#[test]
fn links_leaving_the_root_are_refused() {
    let outside = outside_secret();
    let secret = outside.path().join("secret.txt");
    for rel in [
        "content/x.md",
        "content/persons.toml",
        "static/env.txt",
        "templates/page.html",
        "site.toml",
    ] {
        let s = Site::new();
        s.write("content/_index.md", &page("Accueil", "x"));
        if rel == "site.toml" {
            fs::remove_file(s.path().join("site.toml")).expect("rm site.toml");
        }
        link(&secret, &s, rel);
        let b = s.build();
        assert_refused(&b, rel);
        assert!(!s.exists("public"), "{rel}: a site was written");
        // `check` reads neither static files nor (yet) templates
        if rel.starts_with("content/") || rel == "site.toml" {
            assert_refused(&s.check(), rel);
        }
    }
    // a linked folder, too
    for rel in ["content/dir", "static/dir", "templates/dir"] {
        let s = Site::new();
        s.write("content/_index.md", &page("Accueil", "x"));
        link(&outside.path().join("dir"), &s, rel);
        assert_refused(&s.build(), rel);
        assert!(!s.exists("public"), "{rel}: a site was written");
    }
}

#[cfg(unix)]
#[test]
fn links_inside_the_root_are_followed() {
    let s = Site::new();
    s.write("content/_index.md", &page("Accueil", "x"));
    s.write("shared/note.txt", "shared\n");
    s.write("shared/a.md", &page("A", "x"));
    link(&s.path().join("shared/note.txt"), &s, "static/note.txt");
    link(Path::new("../../shared/a.md"), &s, "content/d/a.md");
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(s.read("public/note.txt"), "shared\n");
    assert!(s.exists("public/d/a/index.html"));
}

#[test]
fn static_files_may_not_replace_generated_ones() {
    for (file, message) in [
        (
            "static/sitemap.xml",
            "static/sitemap.xml: error: collides with the generated sitemap.xml",
        ),
        (
            "static/robots.txt",
            "static/robots.txt: error: collides with the generated robots.txt",
        ),
        (
            "static/foo/index.html",
            "static/foo/index.html: error: collides with the page generated from content/foo.md",
        ),
        (
            "static/404.html",
            "static/404.html: error: collides with the page generated from the template 404.html",
        ),
        (
            "static/index.html",
            "static/index.html: error: collides with the page generated from content/_index.md",
        ),
    ] {
        let s = Site::new();
        s.write("content/_index.md", &page("Accueil", "x"));
        s.write("content/foo.md", &page("Foo", "x"));
        s.write(file, "mine\n");
        let o = s.build();
        assert_eq!(o.status.code(), Some(1), "{file}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{file}: {}", stderr(&o));
        assert!(!s.exists("public"), "{file}: a site was written");
    }
    // `.nojekyll` and the highlighting stylesheet may be given by the edition
    let s = Site::new();
    s.write("content/_index.md", &page("Accueil", "x"));
    s.write("static/.nojekyll", "");
    s.write("static/assets/highlight.css", "/* mine */\n");
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(s.read("public/assets/highlight.css"), "/* mine */\n");
}

/// Every output file is free of NUL bytes; the number of U+FFFD in them.
fn assert_no_nul(out: &Path) -> usize {
    let mut replaced = 0;
    for (rel, bytes) in tree(out) {
        // (the search index is binary: gzip streams)
        if rel.starts_with("pagefind") {
            continue;
        }
        assert!(
            !bytes.contains(&0),
            "{}: a NUL byte in the output",
            rel.display()
        );
        replaced += String::from_utf8_lossy(&bytes).matches('\u{FFFD}').count();
    }
    replaced
}

#[test]
fn nul_bytes_never_reach_the_output() {
    let s = Site::new();
    s.write("content/_index.md", &page("Accueil", "x"));
    // NUL in the title (a TOML escape), the body, raw HTML and a note
    s.write(
        "content/t.md",
        "+++\ntitle = \"Ti\\u0000tle\"\nkind = \"text\"\n+++\n\
         Body \0 text.[^1]\n\n<div class=\"raw\">raw\0html</div>\n\nInline <span>x\0y</span>.\n\n\
         [^1]: A note \0 here.\n",
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let replaced = assert_no_nul(&s.path().join("public"));
    assert!(
        replaced >= 5,
        "U+FFFD expected in place of NUL ({replaced})"
    );
    // a raw NUL in front matter is read as U+FFFD, as in the body
    s.write(
        "content/u.md",
        "+++\ntitle = \"U\"\ndescription = \"De\0sc\"\n+++\nx\n",
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_no_nul(&s.path().join("public"));
    assert!(s.read("public/u/index.html").contains("De\u{FFFD}sc"));
}
