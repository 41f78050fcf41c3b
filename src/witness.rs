//! The settings of collation, as front matter (`[witness]`) and `site.toml`
//! (`[collation]`) write them: plain data, read by `content` and `config`,
//! used by `collate`.

use serde::{Deserialize, Serialize};

/// `[witness]` in a text's front matter.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessRef {
    /// The witness file, relative to the site root.
    pub file: String,
    /// The parts of the witness the text transcribes, in order; the whole
    /// file when empty.
    #[serde(default)]
    pub spans: Vec<SpanRef>,
}

/// One span: from the first occurrence of `from` to the end of the first
/// occurrence of `to` after it, or the inclusive 1-based `lines`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpanRef {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub lines: Option<[usize; 2]>,
}

/// `[collation]` in `site.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The declared silent normalisations, by name ([`crate::collate::NORMALISATIONS`]).
    #[serde(default)]
    pub normalize: Vec<String>,
    /// `"warning"` (default) or `"error"`: the severity of an unrecorded change.
    #[serde(default)]
    pub unrecorded: Level,
    /// Declared substitutions of the witness's own conventions, e.g. an
    /// encoded quotation mark: `{ name = "…", witness = "&quot;", edition = "\"" }`.
    #[serde(default)]
    pub replace: Vec<Replace>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Warning,
    Error,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replace {
    pub name: String,
    pub witness: String,
    pub edition: String,
}
