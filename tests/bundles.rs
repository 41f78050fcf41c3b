//! Issue 12, "Page bundles": files beside the pages in content/ are copied
//! beside their page's output, and links to them resolve online and
//! `--offline`; collisions are errors; links leaving the root are refused.

mod fixture;
use fixture::*;
use std::path::Path;

const SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"><rect width=\"1\" height=\"1\"/></svg>\n";

fn bundled_site() -> Site {
    let s = Site::new();
    s.write(
        "content/_index.md",
        "+++\ntitle = \"Accueil\"\n+++\nAccueil.\n",
    );
    s.write(
        "content/textos/carta.md",
        "+++\ntitle = \"Carta\"\n+++\n![Retrato](/textos/retrato.svg) et [la photo](/cartas/foto.jpg).\n",
    );
    s.write("content/textos/retrato.svg", SVG);
    s.write(
        "content/cartas/_index.md",
        "+++\ntitle = \"Cartas\"\n+++\n![Foto](foto.jpg)\n",
    );
    s.write_bytes("content/cartas/foto.jpg", b"\xff\xd8\xff JPEG");
    s.write("content/cartas/.hidden", "not published");
    s
}

/// The `src`/`href` values of `html` that name `needle`.
fn links_to(html: &str, needle: &str) -> Vec<String> {
    html.split(['"', '\''])
        .filter(|v| v.ends_with(needle) && !v.contains(' ') && !v.contains('<'))
        .map(str::to_string)
        .collect()
}

/// Resolves a relative link from the page file `page` (inside `out`).
#[track_caller]
fn assert_resolves(out: &Path, page: &str, needle: &str, bytes: &[u8]) {
    let html = std::fs::read_to_string(out.join(page)).expect("page");
    let links = links_to(&html, needle);
    assert!(!links.is_empty(), "no link to {needle} in {page}:\n{html}");
    for l in links {
        assert!(!l.starts_with('/'), "{l} in {page} is not relative");
        let target = out.join(page).parent().expect("dir").join(&l);
        let got = std::fs::read(&target).unwrap_or_else(|e| panic!("{l} from {page}: {e}"));
        assert_eq!(got, bytes, "{l} from {page}");
    }
}

#[test]
fn files_beside_pages_are_copied_and_their_links_resolve() {
    let s = bundled_site();
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = s.path().join("public");
    assert_eq!(s.read("public/textos/retrato.svg"), SVG);
    assert!(!s.exists("public/cartas/.hidden"));
    assert_resolves(
        &out,
        "textos/carta/index.html",
        "retrato.svg",
        SVG.as_bytes(),
    );
    assert_resolves(
        &out,
        "textos/carta/index.html",
        "foto.jpg",
        b"\xff\xd8\xff JPEG",
    );
    assert_resolves(&out, "cartas/index.html", "foto.jpg", b"\xff\xd8\xff JPEG");

    let o = s.run(&["build", "--offline", "--output", "offline"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = s.path().join("offline");
    assert_resolves(
        &out,
        "textos/carta/index.html",
        "retrato.svg",
        SVG.as_bytes(),
    );
    assert_resolves(&out, "cartas/index.html", "foto.jpg", b"\xff\xd8\xff JPEG");
}

#[test]
fn a_bundled_file_at_the_path_of_a_page_or_a_static_file_is_an_error() {
    let s = bundled_site();
    s.write("content/x.md", "+++\ntitle = \"X\"\n+++\nX.\n");
    s.write("content/x/index.html", "<p>mine</p>");
    s.write("content/textos/data.json", "{}");
    s.write("static/textos/data.json", "{}");
    s.write("content/sitemap.xml", "<urlset/>");
    let o = s.build();
    assert_fails_with(&o, "content/x/index.html");
    assert_fails_with(&o, "the page generated from content/x.md");
    assert_fails_with(&o, "content/textos/data.json");
    assert_fails_with(&o, "static/textos/data.json");
    assert_fails_with(&o, "the generated sitemap.xml");
    assert!(!s.exists("public"));
}

#[cfg(unix)]
#[test]
fn a_bundled_link_leaving_the_root_is_refused_and_never_read() {
    let s = bundled_site();
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret.txt"), "secret").expect("write");
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        s.path().join("content/textos/secret.txt"),
    )
    .expect("symlink");
    let o = s.build();
    assert_fails_with(&o, "content/textos/secret.txt");
    assert_fails_with(&o, "outside the edition root");
    assert!(!s.exists("public/textos/secret.txt"));
}
