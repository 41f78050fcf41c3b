//! Issue 12, "Templates made to be extended": an edition replaces one block
//! of the built-in `base.html` (its footer) with a three-line child template;
//! and docs/templates.md, the template reference, names exactly the variables
//! the built-in templates get (top-level and second-level keys), checked
//! against the real context of each, so that it cannot go stale.

mod fixture;
use fixture::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// An edition with every kind of page: home, section with a page, editorial
/// page, text (with its source view), person index, 404.
fn every_kind() -> Site {
    let s = Site::with_register();
    s.write(
        "site.toml",
        &format!("{SITE_TOML}\n[[registers]]\nid = \"org\"\npage = \"organisations\"\n"),
    );
    s.write(
        "content/org.toml",
        "[[entry]]\nid = \"ic\"\nname = \"Internationale communiste\"\n",
    );
    s.write(
        "content/organisations.md",
        "+++\ntitle = \"Organisations\"\n+++\n",
    );
    s.write(
        "content/_index.md",
        "+++\ntitle = \"Accueil\"\n+++\nVoir [Luis](person:humbert-droz) et l'[I.C.](org:ic).\n",
    );
    s.write(
        "content/rubrique/_index.md",
        "+++\ntitle = \"Rubrique\"\n+++\nUne rubrique.\n",
    );
    s.write(
        "content/rubrique/page.md",
        "+++\ntitle = \"Une page\"\n+++\n[Ávila](person:avila).\n",
    );
    s.write(
        "content/texte.md",
        "+++\ntitle = \"Un texte\"\nkind = \"text\"\nauthor = \"A\"\ndate = \"1930\"\n[source]\ncontainer = \"Le Journal\"\nyear = \"1930\"\n+++\n## Partie\n\n[Álvarez](person:alvarez) {~~a~>b~~}.[^1][^ed-a]\n\n[^1]: Note.\n\n[^ed-a]: Note de l'édition.\n",
    );
    s
}

#[test]
fn an_edition_replaces_the_footer_with_a_three_line_child_template() {
    let s = every_kind();
    s.write(
        "templates/base.html",
        "{% extends \"apparat/base.html\" %}\n{% block footer %}<footer class=\"mine\">{{ site.title }}, CC BY 4.0</footer>{% endblock footer %}\n",
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    for page in [
        "public/index.html",
        "public/texte/index.html",
        "public/personnes/index.html",
        "public/404.html",
    ] {
        let html = s.read(page);
        assert!(
            html.contains("<footer class=\"mine\">Test edition, CC BY 4.0</footer>"),
            "{page}:\n{html}"
        );
        assert!(!html.contains("colophon"), "{page}");
        // the rest of base.html is still there
        assert!(
            html.contains("class=\"site-header\"") && html.contains("<main id=\"main\">"),
            "{page}"
        );
    }
}

#[test]
fn the_colophon_and_navigation_blocks_can_be_replaced_and_extended() {
    let s = every_kind();
    s.write(
        "templates/base.html",
        "{% extends \"apparat/base.html\" %}\n{% block colophon %}<p class=\"mine\">Colophon</p>{% endblock colophon %}\n{% block navigation %}{{ super() }}<p class=\"after-nav\">+</p>{% endblock navigation %}\n",
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let html = s.read("public/index.html");
    assert!(html.contains("<footer class=\"site-footer\""), "{html}");
    assert!(html.contains("<p class=\"mine\">Colophon</p>"), "{html}");
    assert!(
        html.contains("</nav><p class=\"after-nav\">+</p>"),
        "{html}"
    );
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The context a template got, from a page that prints it.
fn dumped(s: &Site, file: &str) -> Value {
    let html = s.read(file);
    serde_json::from_str(&unescape(html.trim())).unwrap_or_else(|e| panic!("{file}: {e}\n{html}"))
}

/// `key` and `key.sub` (`key[].sub` for a list of objects) for every key of
/// a context; the interface strings (`ui`) are one table, not listed.
fn keys(ctx: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Some(obj) = ctx.as_object() else {
        return out;
    };
    for (k, v) in obj {
        out.insert(k.clone());
        if k == "ui" {
            continue;
        }
        let (sub, prefix) = match v {
            Value::Array(a) => (a.first(), format!("{k}[]")),
            other => (Some(other), k.clone()),
        };
        if let Some(Value::Object(o)) = sub {
            for kk in o.keys() {
                out.insert(format!("{prefix}.{kk}"));
            }
        }
    }
    out
}

/// The variables docs/templates.md lists, by template: in each section
/// `## \`NAME.html\``, the first cell of each table row, `` `key` ``.
fn documented() -> BTreeMap<String, BTreeSet<String>> {
    let doc = include_str!("../docs/templates.md");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            current = h
                .trim()
                .strip_prefix('`')
                .and_then(|h| h.strip_suffix('`'))
                .filter(|h| h.ends_with(".html"))
                .map(str::to_string);
            continue;
        }
        let Some(t) = &current else { continue };
        if let Some(cell) = line.strip_prefix("| `") {
            if let Some(end) = cell.find('`') {
                out.entry(t.clone())
                    .or_default()
                    .insert(cell[..end].to_string());
            }
        }
    }
    out
}

#[test]
fn the_template_reference_names_exactly_the_variables_of_each_template() {
    let s = every_kind();
    // the context as JSON; naming `texts` and `nav` gets them (they are
    // given only to templates that name them)
    let dump = "{{ __tera_context | escape | safe }}{% if false %}{{ texts }}{{ nav }}{% endif %}";
    // (template, the output file that it renders)
    let cases = [
        ("index.html", "public/index.html"),
        ("section.html", "public/rubrique/index.html"),
        ("page.html", "public/rubrique/page/index.html"),
        ("text.html", "public/texte/index.html"),
        ("source.html", "public/texte/source/index.html"),
        ("persons.html", "public/personnes/index.html"),
        ("register.html", "public/organisations/index.html"),
        ("404.html", "public/404.html"),
    ];
    for (t, _) in cases {
        s.write(&format!("templates/{t}"), dump);
    }
    s.write("templates/index-entry.html", dump);
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = documented();
    let mut actual: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (t, file) in cases {
        let ctx = dumped(&s, file);
        if t == "persons.html" {
            // each index line's html is index-entry.html's own context
            let line = ctx["persons"][0]["html"].as_str().expect("persons[0].html");
            let entry: Value = serde_json::from_str(&unescape(line)).expect("index-entry context");
            actual.insert("index-entry.html".into(), keys(&entry));
        }
        actual.insert(t.to_string(), keys(&ctx));
    }
    for (t, keys) in &actual {
        let documented = doc.get(t).cloned().unwrap_or_default();
        let missing: Vec<_> = keys.difference(&documented).collect();
        let stale: Vec<_> = documented.difference(keys).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "docs/templates.md, `{t}`: undocumented {missing:?}; documented but absent {stale:?}"
        );
    }
    let extra: Vec<_> = doc.keys().filter(|t| !actual.contains_key(*t)).collect();
    assert!(
        extra.is_empty(),
        "docs/templates.md documents unknown templates {extra:?}"
    );
}
