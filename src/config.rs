//! `site.toml` → [`Config`].

use crate::diagnostics::{Diagnostics, SourceMap};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The edition's settings. Unknown keys are an error.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    /// Absolute URL of the published site, possibly with a path
    /// (`https://user.github.io/repo/`). Used only where an absolute URL is required.
    #[serde(default)]
    pub base_url: String,
    /// Default language of the edition's pages (BCP 47).
    #[serde(default = "default_language")]
    pub language: String,
    /// Language of the interface strings (`fr` or `es`).
    #[serde(default)]
    pub ui_language: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub editors: Vec<String>,
    /// Year of the digital edition, used in citations.
    #[serde(default)]
    pub edition_year: Option<String>,
    /// Repository on a forge, e.g. `https://github.com/user/repo`.
    #[serde(default)]
    pub repository: Option<String>,
    /// Branch used for "edit this page" links.
    #[serde(default = "default_branch")]
    pub repository_branch: String,
    #[serde(default = "default_output")]
    pub output_dir: String,
    /// Content path (without `.md`) of the person index page.
    #[serde(default = "default_persons_page")]
    pub persons_page: String,
    /// Above this many occurrences, the person index is divided into one page
    /// per initial letter, and mentions link to their letter's page (0: never).
    #[serde(default = "default_persons_split")]
    pub persons_split: usize,
    /// Credit shown on translation columns of parallel blocks.
    #[serde(default = "default_credit")]
    pub translation_credit: String,
    /// Free values passed to templates as `site.extra`.
    #[serde(default)]
    pub extra: toml::Table,
}

fn default_language() -> String {
    "fr".into()
}
fn default_branch() -> String {
    "main".into()
}
fn default_output() -> String {
    "public".into()
}
fn default_persons_page() -> String {
    "personnes".into()
}
fn default_persons_split() -> usize {
    2000
}
fn default_credit() -> String {
    "traduction de l'édition".into()
}

impl Config {
    /// Reads and validates `site.toml` in `root`.
    pub fn load(root: &Path, diags: &mut Diagnostics) -> Option<Config> {
        let path = Path::new("site.toml");
        let full = root.join(path);
        if crate::content::link_leaves_root(root, &full) {
            diags.file_error(path, crate::content::LINK_OUTSIDE);
            return None;
        }
        let bytes = match std::fs::read(&full) {
            Ok(b) => b,
            Err(e) => {
                diags.file_error(path, format!("cannot read site.toml: {e}"));
                return None;
            }
        };
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let sm = SourceMap::new(path, String::from_utf8_lossy(e.as_bytes()).into_owned());
                diags.push(sm.error(e.utf8_error().valid_up_to(), "file is not valid UTF-8"));
                return None;
            }
        };
        let sm = SourceMap::new(path, crate::markup::replace_nul(text));
        match toml::from_str::<Config>(&sm.text) {
            Ok(mut c) => {
                for field in [&mut c.title, &mut c.subtitle, &mut c.description] {
                    *field = field.replace('\'', "’");
                }
                if !c.base_url.is_empty() && !c.base_url.ends_with('/') {
                    c.base_url.push('/');
                }
                if !crate::lang::is_known(&c.language) {
                    diags.push(sm.error(0, format!("unknown language tag `{}`", c.language)));
                }
                Some(c)
            }
            Err(e) => {
                let offset = e.span().map(|s| s.start).unwrap_or(0);
                diags.push(sm.error(offset, toml_message(&e)));
                None
            }
        }
    }

    pub fn ui_lang(&self) -> &str {
        self.ui_language.as_deref().unwrap_or(&self.language)
    }
}

/// The first line of a toml error message, without its own position report.
pub fn toml_message(e: &toml::de::Error) -> String {
    e.message().trim().to_string()
}
