//! Writes an edition whose one text has N notes, for the one-page benchmark
//! (bench/one_page.sh, BENCHMARKS.md "One huge page").
//!
//! cargo run --release --example one_page -- N DIR
//!
//! DIR holds site.toml, content/_index.md, content/persons.toml (50 persons),
//! content/personnes.md and content/texte.md: N paragraphs, each with a note
//! call, every third with a person mention, every seventh with an
//! emendation; the N note texts at the end, every fifth with a mention.
//! Deterministic: the same N gives the same files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const PERSONS: usize = 50;

const WORDS: &[&str] = &[
    "la",
    "revue",
    "publie",
    "une",
    "lettre",
    "du",
    "comité",
    "central",
    "et",
    "les",
    "camarades",
    "répondent",
    "que",
    "le",
    "congrès",
    "se",
    "tiendra",
    "à",
    "Lima",
    "en",
    "mars",
    "après",
    "longue",
    "discussion",
    "sur",
    "question",
    "paysanne",
    "indigène",
];

fn sentence(seed: usize, words: usize) -> String {
    let mut s = String::new();
    for k in 0..words {
        if k > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[(seed * 7 + k * 13 + k * k) % WORDS.len()]);
    }
    s
}

fn register() -> String {
    let mut s = String::new();
    for p in 0..PERSONS {
        let _ = write!(
            s,
            "[[person]]\nid = \"p{p}\"\nname = \"Personne {p}\"\nsort = \"Personne, {p:03}\"\ndescription = {{ fr = \"Personne fictive {p}.\", es = \"Persona ficticia {p}.\" }}\n\n"
        );
    }
    s
}

fn page(n: usize) -> String {
    let mut s = String::from(
        "+++\ntitle = \"Une page de banc d'essai\"\nkind = \"text\"\nlang = \"fr\"\nweight = 1\n+++\n\n",
    );
    for i in 1..=n {
        if i % 500 == 1 {
            let _ = write!(s, "## Partie {}\n\n", i / 500 + 1);
        }
        s.push_str(&sentence(i, 24));
        if i % 3 == 0 {
            let p = i % PERSONS;
            let _ = write!(s, " avec [Personne {p}](person:p{p})");
        }
        if i % 7 == 0 {
            s.push_str(" du {~~septembre~>octobre~~}");
        }
        let _ = write!(s, ".[^{i}]\n\n");
    }
    for i in 1..=n {
        let _ = write!(s, "[^{i}]: {}", sentence(i + 3, 12));
        if i % 5 == 0 {
            let p = (i / 5) % PERSONS;
            let _ = write!(s, ", selon [Personne {p}](person:p{p})");
        }
        s.push_str(".\n\n");
    }
    s
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)
}

fn generate(n: usize, dir: &Path) -> std::io::Result<()> {
    write(
        &dir.join("site.toml"),
        "title = \"Une page\"\nbase_url = \"https://example.org/one/\"\nlanguage = \"fr\"\npersons_page = \"personnes\"\n",
    )?;
    write(
        &dir.join("content/_index.md"),
        "+++\ntitle = \"Accueil\"\n+++\n\nUne seule [page](/texte/).\n",
    )?;
    write(
        &dir.join("content/personnes.md"),
        "+++\ntitle = \"Index des personnes\"\ntemplate = \"persons.html\"\n+++\n\nIndex.\n",
    )?;
    write(&dir.join("content/persons.toml"), &register())?;
    write(&dir.join("content/texte.md"), &page(n))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(n), Some(dir)) = (
        args.first().and_then(|s| s.parse::<usize>().ok()),
        args.get(1),
    ) else {
        eprintln!("usage: one_page N DIR");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    match generate(n, &dir) {
        Ok(()) => {
            println!("{n} notes on one page → {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("one_page: {e}");
            ExitCode::from(1)
        }
    }
}
