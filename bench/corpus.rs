//! Deterministic synthetic editions for the benchmark and the determinism test.
//!
//! `generate(n, dir, opts)` writes, from a fixed seed:
//! - `dir/apparat/`: an apparat edition (site.toml, content/persons.toml with
//!   500 persons, content/personnes.md, content/_index.md, content/textes/*.md);
//! - `dir/plain/`: the same texts as plain Markdown (standard footnotes,
//!   mentions as ordinary links, emendations resolved to their reading, the
//!   parallel block as ordinary paragraphs) laid out as a Hugo site with
//!   minimal templates.
//!
//! Each text: ~1,500 words of French-like prose, 12 notes, 20 person mentions
//! (2 of them inside notes), one French/Spanish parallel block of 3 segments,
//! 3 emendations, 2 headings. The PRNG is a splitmix64 of our own: the same
//! `n` gives the same bytes on every machine.
//!
//! Shared by `examples/gen_corpus.rs` and `tests/determinism.rs` through `#[path]`.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

pub const SEED: u64 = 0x00A9_9A7A_7E01_u64;
pub const PERSONS: usize = 500;
pub const NOTES: usize = 12;
pub const MENTIONS: usize = 20;
pub const EMENDATIONS: usize = 3;

/// splitmix64.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0); the tiny modulo bias does not matter here.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    pub fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len())]
    }
}

const FIRST: &[&str] = &[
    "Jules",
    "Marcel",
    "Henri",
    "Louise",
    "Amédée",
    "Élise",
    "Gaston",
    "Suzanne",
    "Léon",
    "Madeleine",
    "Émile",
    "Jeanne",
    "Paul",
    "Hélène",
    "Raymond",
    "Thérèse",
    "André",
    "Berthe",
    "Lucien",
    "Odette",
    "Étienne",
    "Marthe",
    "René",
    "Simone",
    "Fernand",
    "Cécile",
    "Gérard",
    "Yvonne",
    "Joseph",
    "Agnès",
    "Victor",
    "Renée",
    "Maurice",
    "Geneviève",
    "Pierre",
    "Irène",
    "Jacques",
    "Noémie",
    "Félix",
    "Adèle",
];

const LAST: &[&str] = &[
    "Dupont",
    "Lefèvre",
    "Moreau",
    "Girard",
    "Bérenger",
    "Rousseau",
    "Fournier",
    "Chevalier",
    "Mercier",
    "Lambert",
    "Bonnet",
    "Faure",
    "André",
    "Gauthier",
    "Perrin",
    "Morel",
    "Guérin",
    "Boyer",
    "Roussel",
    "Clément",
    "Garnier",
    "Lemoine",
    "Renaud",
    "Vidal",
    "Aubert",
    "Brunet",
    "Blanchard",
    "Dufour",
    "Ménard",
    "Noël",
    "Picard",
    "Barbier",
    "Arnaud",
    "Marchand",
    "Caron",
    "Rivière",
    "Leclerc",
    "Joly",
    "Huet",
    "Collin",
    "Prévost",
    "Durand",
    "Benoît",
    "Hébert",
    "Lacroix",
    "Royer",
    "Carpentier",
    "Poirier",
    "Charpentier",
    "Maréchal",
    "Étienne",
    "Aubry",
    "Delaunay",
    "Masson",
    "Ollivier",
    "Bouvier",
    "Émery",
    "Lebrun",
    "Dumas",
    "Cordier",
];

const DET_M: &[&str] = &["le", "un", "ce", "notre", "leur", "chaque", "tout"];
const DET_F: &[&str] = &["la", "une", "cette", "notre", "leur", "chaque", "toute"];
const NOUN_M: &[&str] = &[
    "mouvement",
    "journal",
    "parti",
    "congrès",
    "camarade",
    "rapport",
    "pays",
    "ouvrier",
    "comité",
    "article",
    "débat",
    "programme",
    "syndicat",
    "gouvernement",
    "témoignage",
    "voyage",
    "secrétaire",
    "bureau",
    "document",
    "projet",
    "peuple",
    "dirigeant",
    "exil",
    "manifeste",
    "courrier",
    "travail",
    "procès",
    "numéro",
    "volume",
    "chapitre",
];
const NOUN_F: &[&str] = &[
    "lettre",
    "revue",
    "conférence",
    "question",
    "révolution",
    "campagne",
    "classe",
    "presse",
    "délégation",
    "doctrine",
    "réunion",
    "politique",
    "section",
    "grève",
    "résolution",
    "organisation",
    "situation",
    "histoire",
    "thèse",
    "réponse",
    "critique",
    "province",
    "imprimerie",
    "correspondance",
    "mémoire",
    "rédaction",
    "assemblée",
    "tendance",
];
const ADJ: &[&str] = &[
    "communiste",
    "latine",
    "ouvrière",
    "nationale",
    "révolutionnaire",
    "critique",
    "célèbre",
    "ancienne",
    "publique",
    "longue",
    "première",
    "dernière",
    "étrangère",
    "officielle",
    "importante",
    "décisive",
    "secrète",
    "singulière",
    "politique",
    "sociale",
];
const VERB: &[&str] = &[
    "publie",
    "rappelle",
    "annonce",
    "critique",
    "défend",
    "prépare",
    "reçoit",
    "adresse",
    "organise",
    "soutient",
    "présente",
    "attaque",
    "discute",
    "transmet",
    "signale",
    "évoque",
    "reprend",
    "examine",
    "condamne",
    "accueille",
];
const PREP: &[&str] = &[
    "dans", "pour", "contre", "avec", "sans", "selon", "depuis", "vers", "après", "avant",
    "malgré", "entre",
];
const PLACE: &[&str] = &[
    "Lima",
    "Paris",
    "Moscou",
    "Buenos Aires",
    "Montevideo",
    "Madrid",
    "Genève",
    "Berlin",
    "Mexico",
    "Santiago",
    "La Havane",
    "Rome",
    "Cuzco",
    "Arequipa",
];
const CONNECT: &[&str] = &[
    "Cependant",
    "Ainsi",
    "En effet",
    "Pourtant",
    "Dès lors",
    "De plus",
    "Enfin",
    "Toutefois",
    "Par ailleurs",
    "Au reste",
];

const ES_WORDS: &[&str] = &[
    "el",
    "la",
    "movimiento",
    "revista",
    "carta",
    "obrero",
    "partido",
    "congreso",
    "publica",
    "recuerda",
    "anuncia",
    "contra",
    "con",
    "según",
    "desde",
    "después",
    "historia",
    "política",
    "revolución",
    "campaña",
    "clase",
    "prensa",
    "delegación",
    "doctrina",
    "reunión",
    "nacional",
    "primera",
    "última",
    "extranjera",
    "oficial",
    "importante",
    "decisiva",
    "secreta",
    "social",
    "trabajo",
    "pueblo",
    "documento",
    "proyecto",
    "respuesta",
    "crítica",
];

/// A person of the register.
pub struct Person {
    pub id: String,
    pub first: String,
    pub last: String,
    pub born: Option<u32>,
    pub died: Option<u32>,
    pub variant: Option<String>,
    pub pseudonym: Option<String>,
}

impl Person {
    pub fn name(&self) -> String {
        format!("{} {}", self.first, self.last)
    }
}

fn ascii_slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

pub fn persons() -> Vec<Person> {
    let mut rng = Rng::new(SEED ^ 0x5045_5253);
    (0..PERSONS)
        .map(|i| {
            let first = rng.pick(FIRST).to_string();
            let last = rng.pick(LAST).to_string();
            let born = if i % 3 == 0 {
                None
            } else {
                Some(1850 + rng.below(60) as u32)
            };
            let died = born.map(|b| b + 30 + rng.below(50) as u32);
            let variant = (i % 10 == 3).then(|| {
                let initial: String = first.chars().take(1).collect();
                format!("{initial}. {last}")
            });
            let pseudonym = (i % 25 == 7).then(|| format!("{} {}", rng.pick(FIRST), "le Rouge"));
            Person {
                id: format!("{}-{}-{i:03}", ascii_slug(&last), ascii_slug(&first)),
                first,
                last,
                born,
                died,
                variant,
                pseudonym,
            }
        })
        .collect()
}

fn register_toml(persons: &[Person]) -> String {
    let mut s = String::from("# Synthetic register (bench/corpus.rs).\n");
    for p in persons {
        let _ = writeln!(s, "\n[[person]]");
        let _ = writeln!(s, "id = \"{}\"", p.id);
        let _ = writeln!(s, "name = \"{}\"", p.name());
        let _ = writeln!(s, "sort = \"{}, {}\"", p.last, p.first);
        if let Some(b) = p.born {
            let _ = writeln!(s, "born = \"{b}\"");
        }
        if let Some(d) = p.died {
            let _ = writeln!(s, "died = \"{d}\"");
        }
        let _ = writeln!(
            s,
            "description = {{ fr = \"Militant et publiciste, correspondant de la revue pour {}.\", es = \"Militante y publicista, corresponsal de la revista para {}.\" }}",
            PLACE[p.id.len() % PLACE.len()],
            PLACE[p.id.len() % PLACE.len()]
        );
        if let Some(v) = &p.variant {
            let _ = writeln!(s, "variants = [\"{v}\"]");
        }
        if let Some(ps) = &p.pseudonym {
            let _ = writeln!(s, "pseudonyms = [\"{ps}\"]");
        }
    }
    s
}

/// A piece of prose, rendered in the edition syntax or in plain Markdown.
enum Piece {
    Text(String),
    Mention { form: String, id: String },
    Note(usize),
    Emend { source: String, reading: String },
}

enum Block {
    Para(Vec<Piece>),
    Heading(String),
    Parallel { fr: Vec<String>, es: Vec<String> },
}

struct Text {
    title: String,
    date: String,
    author: String,
    description: String,
    blocks: Vec<Block>,
    notes: Vec<Vec<Piece>>,
}

fn sentence(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.below(4) == 0 {
        s.push_str(rng.pick(CONNECT));
        s.push_str(", ");
    }
    let fem = rng.below(2) == 0;
    let (det, noun) = if fem {
        (rng.pick(DET_F), rng.pick(NOUN_F))
    } else {
        (rng.pick(DET_M), rng.pick(NOUN_M))
    };
    s.push_str(det);
    s.push(' ');
    s.push_str(noun);
    if rng.below(2) == 0 {
        s.push(' ');
        s.push_str(rng.pick(ADJ));
    }
    s.push(' ');
    s.push_str(rng.pick(VERB));
    s.push(' ');
    let fem2 = rng.below(2) == 0;
    if fem2 {
        s.push_str(rng.pick(DET_F));
        s.push(' ');
        s.push_str(rng.pick(NOUN_F));
    } else {
        s.push_str(rng.pick(DET_M));
        s.push(' ');
        s.push_str(rng.pick(NOUN_M));
    }
    s.push(' ');
    s.push_str(rng.pick(PREP));
    s.push(' ');
    if rng.below(3) == 0 {
        s.push_str(rng.pick(PLACE));
    } else {
        s.push_str(rng.pick(DET_F));
        s.push(' ');
        s.push_str(rng.pick(NOUN_F));
        s.push(' ');
        s.push_str(rng.pick(ADJ));
    }
    s.push('.');
    // capitalise
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

fn es_segment(rng: &mut Rng, n: usize) -> String {
    let mut s = String::from("La");
    for _ in 0..n {
        s.push(' ');
        s.push_str(rng.pick(ES_WORDS));
    }
    s.push('.');
    s
}

fn make_text(i: usize, persons: &[Person]) -> Text {
    let mut rng = Rng::new(SEED.wrapping_add((i as u64).wrapping_mul(0x1000_0001)));
    let title = format!("Lettre {} : {} {}", i + 1, rng.pick(NOUN_F), rng.pick(ADJ));
    let date = format!(
        "19{:02}-{:02}-{:02}",
        20 + rng.below(20),
        1 + rng.below(12),
        1 + rng.below(28)
    );
    let author = persons[rng.below(persons.len())].name();
    let description = sentence(&mut rng);
    // 12 body paragraphs of ~85 words; 18 mentions in the body, 2 in notes
    let paras = 12;
    let mut mention_para: Vec<usize> = (0..MENTIONS - 2).map(|_| rng.below(paras)).collect();
    mention_para.sort();
    let emend_para: Vec<usize> = (0..EMENDATIONS).map(|_| rng.below(paras)).collect();
    let mut blocks = Vec::new();
    let mut note = 0;
    for p in 0..paras {
        if p == 4 || p == 9 {
            blocks.push(Block::Heading(format!(
                "{} {}",
                rng.pick(NOUN_M),
                rng.pick(ADJ)
            )));
        }
        if p == 6 {
            let segs = 3;
            let fr = (0..segs)
                .map(|s| {
                    let t = format!("{} {}", sentence(&mut rng), sentence(&mut rng));
                    if s == 1 {
                        format!("¶ {t}")
                    } else {
                        t
                    }
                })
                .collect();
            let es = (0..segs)
                .map(|s| {
                    let t = es_segment(&mut rng, 16);
                    if s == 1 {
                        format!("¶ {t}")
                    } else {
                        t
                    }
                })
                .collect();
            blocks.push(Block::Parallel { fr, es });
        }
        let mut pieces = Vec::new();
        let mut n_words = 0;
        let mentions_here = mention_para.iter().filter(|&&m| m == p).count();
        let emends_here = emend_para.iter().filter(|&&m| m == p).count();
        let mut sentences = Vec::new();
        while n_words < 85 {
            let s = sentence(&mut rng);
            n_words += words(&s);
            sentences.push(s);
        }
        let ns = sentences.len();
        for (k, s) in sentences.into_iter().enumerate() {
            pieces.push(Piece::Text(if k == 0 { s } else { format!(" {s}") }));
            if k < mentions_here {
                let person = &persons[rng.below(persons.len())];
                let form = match (&person.variant, rng.below(3)) {
                    (Some(v), 0) => v.clone(),
                    (_, 1) => person.last.clone(),
                    _ => person.name(),
                };
                pieces.push(Piece::Text(format!(" Il {} ", rng.pick(VERB))));
                pieces.push(Piece::Mention {
                    form,
                    id: person.id.clone(),
                });
                pieces.push(Piece::Text(".".into()));
            }
            if k < emends_here {
                let w = rng.pick(NOUN_F);
                let mut bad = w.to_string();
                bad.insert(1, 'x');
                pieces.push(Piece::Text(" Voir la ".into()));
                pieces.push(Piece::Emend {
                    source: bad,
                    reading: w.to_string(),
                });
                pieces.push(Piece::Text(".".into()));
            }
            if k == ns / 2 && note < NOTES {
                note += 1;
                pieces.push(Piece::Note(note));
            }
        }
        blocks.push(Block::Para(pieces));
    }
    let notes = (0..NOTES)
        .map(|k| {
            let mut v = vec![Piece::Text(format!(
                "{} {}",
                sentence(&mut rng),
                sentence(&mut rng)
            ))];
            if k == 2 || k == 7 {
                let person = &persons[rng.below(persons.len())];
                v.push(Piece::Text(" Voir ".into()));
                v.push(Piece::Mention {
                    form: person.name(),
                    id: person.id.clone(),
                });
                v.push(Piece::Text(".".into()));
            }
            v
        })
        .collect();
    Text {
        title,
        date,
        author,
        description,
        blocks,
        notes,
    }
}

fn pieces_md(out: &mut String, pieces: &[Piece], plain: bool) {
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Mention { form, id } => {
                if plain {
                    let _ = write!(out, "[{form}](/personnes/#{id})");
                } else {
                    let _ = write!(out, "[{form}](person:{id})");
                }
            }
            Piece::Note(n) => {
                let _ = write!(out, "[^{n}]");
            }
            Piece::Emend { source, reading } => {
                if plain {
                    out.push_str(reading);
                } else {
                    let _ = write!(out, "{{~~{source}~>{reading}~~}}");
                }
            }
        }
    }
}

fn text_md(t: &Text, weight: usize, plain: bool) -> String {
    let mut s = String::with_capacity(12_000);
    s.push_str("+++\n");
    let _ = writeln!(s, "title = \"{}\"", t.title);
    let _ = writeln!(s, "date = \"{}\"", t.date);
    if !plain {
        let _ = writeln!(s, "author = \"{}\"", t.author);
        s.push_str("kind = \"text\"\nlang = \"fr\"\n");
    }
    let _ = writeln!(s, "weight = {weight}");
    let _ = writeln!(s, "description = \"{}\"", t.description);
    s.push_str("+++\n\n");
    for b in &t.blocks {
        match b {
            Block::Para(p) => {
                pieces_md(&mut s, p, plain);
                s.push_str("\n\n");
            }
            Block::Heading(h) => {
                let _ = write!(s, "## {h}\n\n");
            }
            Block::Parallel { fr, es } => {
                if !plain {
                    s.push_str("::: parallel\n\n:: fr original\n\n");
                }
                for seg in fr {
                    let _ = write!(s, "{seg}\n\n");
                }
                if !plain {
                    s.push_str(":: es translation\n\n");
                }
                for seg in es {
                    let _ = write!(s, "{seg}\n\n");
                }
                if !plain {
                    s.push_str(":::\n\n");
                }
            }
        }
    }
    for (k, n) in t.notes.iter().enumerate() {
        let _ = write!(s, "[^{}]: ", k + 1);
        pieces_md(&mut s, n, plain);
        s.push_str("\n\n");
    }
    s
}

/// How the generated apparat edition's templates are set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    /// The built-in templates as they are. The built-in `base.html` lists every
    /// text in the navigation of every page: output grows as N².
    Builtin,
    /// `templates/base.html` overrides the built-in one without the per-page
    /// list of every text (the home page and the 404 page still list them).
    Editorial,
}

/// The built-in base.html with the `{% for t in texts %}…{% endfor %}` loop of
/// the site navigation removed; unchanged if that loop is not found.
fn editorial_base(builtin: &str) -> String {
    let Some(nav) = builtin.find("<nav class=\"site-nav\"") else {
        return builtin.to_string();
    };
    let Some(start) = builtin[nav..].find("{% for t in texts %}").map(|i| nav + i) else {
        return builtin.to_string();
    };
    let Some(end) = builtin[start..]
        .find("{% endfor %}")
        .map(|i| start + i + "{% endfor %}".len())
    else {
        return builtin.to_string();
    };
    format!("{}{}", &builtin[..start], &builtin[end..])
}

const HUGO_CONFIG: &str = r#"baseURL = "https://example.org/bench/"
title = "Édition synthétique"
languageCode = "fr"
disableKinds = ["taxonomy", "term", "RSS"]
enableRobotsTXT = true
"#;

const HUGO_BASEOF: &str = r#"<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>{{ .Title }} · {{ .Site.Title }}</title>
<link rel="stylesheet" href="{{ "style.css" | relURL }}">
</head>
<body>
<header><a href="{{ "/" | relURL }}">{{ .Site.Title }}</a> · <a href="{{ "personnes/" | relURL }}">Personnes</a></header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
"#;

const HUGO_SINGLE: &str = r#"{{ define "main" }}<article>
<h1>{{ .Title }}</h1>
{{ with .Date }}<p class="date">{{ .Format "2006-01-02" }}</p>{{ end }}
{{ .Content }}
<nav>{{ with .PrevInSection }}<a rel="prev" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a rel="next" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>
</article>{{ end }}
"#;

const HUGO_LIST: &str = r#"{{ define "main" }}<h1>{{ .Title }}</h1>
{{ .Content }}
<ol>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
{{ end }}</ol>{{ end }}
"#;

const HUGO_INDEX: &str = r#"{{ define "main" }}<h1>{{ .Site.Title }}</h1>
{{ .Content }}
<ol>{{ range (where .Site.RegularPages "Section" "textes") }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
{{ end }}</ol>{{ end }}
"#;

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> io::Result<()> {
    if let Some(d) = path.parent() {
        fs::create_dir_all(d)?;
    }
    fs::write(path, bytes)
}

/// Writes `dir/apparat` and `dir/plain` for `n` texts. Existing files are overwritten.
pub fn generate(n: usize, dir: &Path, nav: Nav) -> io::Result<()> {
    let persons = persons();
    let ed = dir.join("apparat");
    let plain = dir.join("plain");
    write(
        &ed.join("site.toml"),
        "title = \"Édition synthétique\"\nsubtitle = \"Corpus de banc d'essai\"\nbase_url = \"https://example.org/bench/\"\nlanguage = \"fr\"\nui_language = \"fr\"\nauthors = [\"apparat\"]\neditors = [\"bench/corpus.rs\"]\noutput_dir = \"public\"\npersons_page = \"personnes\"\n",
    )?;
    write(&ed.join("content/persons.toml"), register_toml(&persons))?;
    write(
        &ed.join("content/_index.md"),
        "+++\ntitle = \"Édition synthétique\"\nkind = \"page\"\ntemplate = \"index.html\"\n+++\n\nUne édition engendrée pour mesurer apparat.\n",
    )?;
    write(
        &ed.join("content/personnes.md"),
        "+++\ntitle = \"Index des personnes\"\nkind = \"page\"\ntemplate = \"persons.html\"\nweight = 1000000\n+++\n\nToutes les personnes nommées dans les textes.\n",
    )?;
    match nav {
        Nav::Editorial => write(
            &ed.join("templates/base.html"),
            editorial_base(include_str!("../src/templates/base.html")),
        )?,
        Nav::Builtin => {
            let p = ed.join("templates/base.html");
            if p.exists() {
                fs::remove_file(p)?;
            }
        }
    }
    write(&plain.join("config.toml"), HUGO_CONFIG)?;
    write(&plain.join("layouts/_default/baseof.html"), HUGO_BASEOF)?;
    write(&plain.join("layouts/_default/single.html"), HUGO_SINGLE)?;
    write(&plain.join("layouts/_default/list.html"), HUGO_LIST)?;
    write(&plain.join("layouts/index.html"), HUGO_INDEX)?;
    write(
        &plain.join("static/style.css"),
        "body { max-width: 40em; }\n",
    )?;
    write(
        &plain.join("content/_index.md"),
        "+++\ntitle = \"Édition synthétique\"\n+++\n\nUne édition engendrée pour mesurer apparat.\n",
    )?;
    let mut register = String::from(
        "+++\ntitle = \"Index des personnes\"\n+++\n\nToutes les personnes nommées dans les textes.\n\n",
    );
    for p in &persons {
        let _ = writeln!(register, "### {}, {} {{#{}}}\n", p.last, p.first, p.id);
    }
    write(&plain.join("content/personnes.md"), register)?;
    // The texts are written in place, a file only if its bytes change, and
    // the texts of a larger corpus removed: a corpus made again is not
    // deleted and written anew, since ext4 allocates the next build's files
    // slowly next to inodes freed minutes before (see bench/run.sh).
    let dirs = [ed.join("content/textes"), plain.join("content/textes")];
    for d in &dirs {
        fs::create_dir_all(d)?;
    }
    let mut names = std::collections::HashSet::new();
    for i in 0..n {
        let t = make_text(i, &persons);
        let name = format!("t{:05}.md", i + 1);
        write_if_changed(&dirs[0].join(&name), &text_md(&t, i + 1, false))?;
        write_if_changed(&dirs[1].join(&name), &text_md(&t, i + 1, true))?;
        names.insert(name);
    }
    for d in &dirs {
        for entry in fs::read_dir(d)? {
            let entry = entry?;
            if !names.contains(entry.file_name().to_string_lossy().as_ref()) {
                fs::remove_file(entry.path())?;
            }
        }
    }
    Ok(())
}

/// Writes `text` at `path` unless the file already holds exactly it.
fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(());
    }
    fs::write(path, text)
}
