//! Property test: arbitrary bytes and arbitrary Markdown built from the
//! edition's constructs go through load, parse and resolve without panicking.
//! Deterministic (fixed seed), so a failure reproduces.

use apparat::config::Config;
use apparat::content::{parse_page, Content};
use apparat::diagnostics::{Diagnostics, SourceMap};
use apparat::edition::{parse_all, resolve};

#[path = "../bench/corpus.rs"]
mod corpus;
use corpus::Rng;

const TOKENS: &[&str] = &[
    "[^1]",
    "[^ed-a]",
    "[^*]",
    "[^",
    "]",
    "[",
    "](",
    ")",
    "[^1]: ",
    "\n\n",
    "\n",
    "    ",
    "{~~",
    "~>",
    "~~}",
    "{++",
    "++}",
    "::: parallel",
    ":: fr original",
    ":: es translation",
    ":: xx nonsense",
    ":::",
    "::",
    "¶ ",
    "(person:",
    "person:avila",
    "(lang:es \"glose\")",
    "(lang:",
    "lang:zz",
    "+++",
    "*",
    "_",
    "`",
    "```",
    "```example\n",
    "> ",
    "- ",
    "1. ",
    "| a | b |\n|---|---|\n",
    "# ",
    "## Titre {#id}",
    "<span>",
    "&amp;",
    "é",
    "Á",
    "«",
    "»",
    "\u{feff}",
    "\r\n",
    "\t",
    "\\",
    "\"",
    "'",
    "Mariátegui",
    "[Avila](person:avila)",
    "[X](person:nobody)",
    "[Y](lang:es)",
    "{~~a~>b~~}",
    "{~~~>~~}",
    "text ",
    "mot ",
];

fn config() -> Config {
    toml::from_str("title = \"T\"").expect("config")
}

fn run(text: String) {
    let mut diags = Diagnostics::default();
    let sm = SourceMap::new("content/fuzz.md", text.clone());
    let mut content = Content::default();
    if let Some(p) = parse_page(sm, &mut diags) {
        content.pages.push(p);
    }
    // also parse the raw text as a body, whatever its front matter
    let body = SourceMap::new("content/raw.md", text);
    let opts =
        apparat::edition::parse_options(&config(), content.pages.first().unwrap_or(&dummy()));
    let _ = apparat::markup::parse(&body.text(), 0, &body, &opts, &mut diags);
    let entries = parse_all(&config(), content.pages, &mut diags);
    let ed = resolve(&config(), &content.register, entries, &mut diags);
    // every diagnostic formats
    let _ = diags.to_string();
    let _ = ed.index.len();
}

fn dummy() -> apparat::content::Page {
    let mut d = Diagnostics::default();
    parse_page(
        SourceMap::new(
            "content/d.md",
            "+++\ntitle = \"d\"\nkind = \"text\"\n+++\n".into(),
        ),
        &mut d,
    )
    .expect("dummy")
}

#[test]
fn arbitrary_markdown_never_panics() {
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    for _ in 0..1500 {
        let mut s = String::new();
        if rng.below(2) == 0 {
            s.push_str("+++\ntitle = \"F\"\nkind = \"text\"\n+++\n");
        }
        for _ in 0..rng.below(60) {
            s.push_str(TOKENS[rng.below(TOKENS.len())]);
        }
        run(s);
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = Rng::new(42);
    for _ in 0..1500 {
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        run(format!("+++\ntitle = \"B\"\n+++\n{text}"));
        run(text);
    }
}
