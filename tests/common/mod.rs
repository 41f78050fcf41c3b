//! Shared by the integration tests: a small edition written into a temp folder.

#![allow(dead_code)]

use std::fs;
use std::path::Path;

/// The text page of the fixture; tests edit it.
pub const TEXT_MD: &str = r#"+++
title = "Un texte de l'édition"
author = "Jeanne Dupont"
date = "1930-04-27"
kind = "text"
weight = 10
description = "Le texte de l'édition miniature."

[source]
title = "Un texte"
container = "Le Journal"
place = "Paris"
date = "1930-04-27"
year = "1930"
pages = "p. 3"
+++

## Première partie

Premier paragraphe, où parle [Jeanne Dupont](person:dupont) d'une {~~erreur~>correction~~}.[^1]

Second paragraphe, qui renvoie à [l'autre page](/apropos/#contexte) et au [premier paragraphe](#p-1).

[^1]: Une note de l'auteur, qui renvoie à [l'index](/personnes/#dupont).
"#;

pub fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    if let Some(dir) = p.parent() {
        fs::create_dir_all(dir).expect("create fixture folder");
    }
    fs::write(&p, text).expect("write fixture file");
}

/// Writes a complete small edition into `root`.
pub fn write_fixture(root: &Path) {
    write(
        root,
        "site.toml",
        r#"title = "Édition miniature"
subtitle = "pour les tests"
description = "Une édition de test."
base_url = "https://example.org/mini/"
language = "fr"
authors = ["Jeanne Dupont"]
editors = ["les tests"]
persons_page = "personnes"
"#,
    );
    write(
        root,
        "content/_index.md",
        r#"+++
title = "Édition miniature"
+++

## Bienvenue

Lire [le texte](/texte/), sa [note](/texte/#p-2), [à propos](/apropos/) et
[l'index des personnes](/personnes/#dupont). Les [données](/data.json) et la
[bibliographie](/refs.bib).
"#,
    );
    write(root, "content/texte.md", TEXT_MD);
    write(
        root,
        "content/apropos.md",
        r#"+++
title = "À propos"
weight = 50
+++

## Contexte

Retour à [l'accueil](/) ; voir aussi [le texte](/texte/).
"#,
    );
    write(
        root,
        "content/personnes.md",
        r#"+++
title = "Index des personnes"
template = "persons.html"
weight = 40
+++

Les personnes nommées dans l'édition.
"#,
    );
    write(
        root,
        "content/persons.toml",
        r#"[[person]]
id = "dupont"
name = "Jeanne Dupont"
sort = "Dupont, Jeanne"
born = "1900"
description = { fr = "Autrice du texte.", es = "Autora del texto." }
"#,
    );
    write(
        root,
        "static/assets/style.css",
        "body { font-family: serif; }\n",
    );
    write(root, "static/assets/print.css", "nav { display: none; }\n");
    write(root, "static/assets/apparat.js", "\"use strict\";\n");
    write(
        root,
        "static/assets/favicon.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"><rect width=\"1\" height=\"1\"/></svg>\n",
    );
    write(root, "static/data.json", "{\"ok\": true}\n");
    write(root, "static/refs.bib", "@book{x, title = {X}}\n");
    write(root, "static/notes.txt", "notes\n");
    write(root, "static/fonts/f.woff2", "wOF2");
    write(root, "static/img/p.png", "\u{89}PNG");
    write(root, "static/img/p.jpg", "JPEG");
}
