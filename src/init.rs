//! `apparat init`: a new edition, complete and building without a warning,
//! written in one of the interface languages (`fr`, `es`, `en`): a commented
//! site.toml, a home page, a sample text using every convention, a register,
//! the person index page, `.gitignore`, the GitHub Pages workflows and a
//! README for the edition's editors.
//!
//! The scaffold's files are embedded (src/init/LANG/). Placeholders:
//! `@TITLE@` (the title as a TOML string), `@TITLE_TEXT@` (as text),
//! `@VERSION@` (this apparat's version, which the workflows install),
//! `@REPOSITORY@` (apparat's repository, `repository` in Cargo.toml; empty if
//! this binary was built without one) and `@APPARAT@` (a Markdown link to it).

use std::fs;
use std::path::{Path, PathBuf};

/// The languages `init` writes an edition in.
pub const LANGUAGES: &[&str] = &["fr", "es", "en"];

macro_rules! scaffold {
    ($lang:literal, [$($content:literal),* $(,)?]) => {
        &[
            ("site.toml", include_str!(concat!("init/", $lang, "/site.toml"))),
            ("README.md", include_str!(concat!("init/", $lang, "/README.md"))),
            (".gitignore", include_str!(concat!("init/", $lang, "/gitignore"))),
            (
                ".github/workflows/pages.yml",
                include_str!(concat!("init/", $lang, "/workflows/pages.yml")),
            ),
            (
                ".github/workflows/check.yml",
                include_str!(concat!("init/", $lang, "/workflows/check.yml")),
            ),
            $((
                concat!("content/", $content),
                include_str!(concat!("init/", $lang, "/content/", $content)),
            ),)*
        ]
    };
}

const FR: &[(&str, &str)] = scaffold!(
    "fr",
    ["_index.md", "lettre.md", "personnes.md", "persons.toml"]
);
const ES: &[(&str, &str)] = scaffold!(
    "es",
    ["_index.md", "carta.md", "personas.md", "persons.toml"]
);
const EN: &[(&str, &str)] = scaffold!(
    "en",
    ["_index.md", "letter.md", "persons.md", "persons.toml"]
);

/// The scaffold of `lang` (one of [`LANGUAGES`]).
fn files(lang: &str) -> Option<&'static [(&'static str, &'static str)]> {
    match lang {
        "fr" => Some(FR),
        "es" => Some(ES),
        "en" => Some(EN),
        _ => None,
    }
}

/// The default title of a new edition.
fn default_title(lang: &str) -> &'static str {
    match lang {
        "fr" => "Mon édition",
        "es" => "Mi edición",
        _ => "My edition",
    }
}

/// apparat's own repository, from Cargo.toml (empty when not set).
pub const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// What `init` did: the files written, relative to the folder.
pub struct Created {
    pub files: Vec<PathBuf>,
    /// The binary knows no repository: the workflows need one set by hand.
    pub repository_missing: bool,
}

/// Writes a new edition in `lang` into `dir`, which must be missing or empty.
pub fn init(dir: &Path, lang: &str, title: Option<&str>) -> Result<Created, String> {
    let Some(files) = files(lang) else {
        return Err(format!(
            "unsupported language `{lang}`: `apparat init` writes an edition in {}",
            LANGUAGES.join(", ")
        ));
    };
    match fs::symlink_metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(format!(
                "{} exists and is not a folder: `apparat init` writes a new edition into an empty or new folder",
                dir.display()
            ))
        }
        Ok(_) => {
            let mut entries = fs::read_dir(dir)
                .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            if let Some(first) = entries.next() {
                let name = first
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .unwrap_or_default();
                return Err(format!(
                    "{} is not empty (it holds `{name}`): `apparat init` writes a new edition only into an empty or new folder, and never over existing files",
                    dir.display()
                ));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    }
    let title = title.unwrap_or_else(|| default_title(lang));
    let title_toml = toml::Value::String(title.to_string()).to_string();
    let apparat = if REPOSITORY.is_empty() {
        "apparat".to_string()
    } else {
        format!("[apparat]({REPOSITORY})")
    };
    let mut written = Vec::new();
    for (rel, text) in files {
        let text = text
            .replace("@TITLE@", &title_toml)
            .replace("@TITLE_TEXT@", title)
            .replace("@VERSION@", env!("CARGO_PKG_VERSION"))
            .replace("@REPOSITORY@", REPOSITORY)
            .replace("@APPARAT@", &apparat);
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(PathBuf::from(rel));
    }
    Ok(Created {
        files: written,
        repository_missing: REPOSITORY.is_empty(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_the_same_kinds_of_files() {
        for lang in LANGUAGES {
            let f = files(lang).unwrap_or_default();
            assert_eq!(f.len(), 9, "{lang}");
            assert!(f.iter().all(|(_, t)| !t.is_empty()), "{lang}");
        }
        assert!(files("de").is_none());
    }
}
