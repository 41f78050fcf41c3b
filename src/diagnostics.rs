//! Diagnostics collected across every stage and printed together, rustc-style:
//!
//! ```text
//! content/a.md:12:5: error: unknown person id `humbert`
//!    |
//! 12 | text [Humbert](person:humbert)
//!    |     ^
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, with a position when one is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub path: PathBuf,
    /// 1-based line and column (in characters); 0 when unknown.
    pub line: usize,
    pub col: usize,
    pub message: String,
    /// The offending source line, quoted under the message.
    pub snippet: Option<String>,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let path = self.path.display();
        if self.line > 0 {
            write!(
                f,
                "{path}:{}:{}: {sev}: {}",
                self.line, self.col, self.message
            )?;
        } else {
            write!(f, "{path}: {sev}: {}", self.message)?;
        }
        if let Some(snippet) = &self.snippet {
            let num = self.line.to_string();
            let pad = " ".repeat(num.len());
            let caret_pad = " ".repeat(self.col.saturating_sub(1));
            write!(f, "\n{pad} |\n{num} | {snippet}\n{pad} | {caret_pad}^")?;
        }
        Ok(())
    }
}

/// The byte offset of each line's start in `text` (the first: 0).
fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    starts
}

/// A source text with a line index, to turn byte offsets into `line:col`.
/// Once a build has read what it needs of it, a large edition's page keeps
/// its text packed ([`SourceMap::pack`]); [`SourceMap::text`] gives it back.
#[derive(Debug, Clone)]
pub struct SourceMap {
    pub path: PathBuf,
    /// The text, unless it is packed.
    text: String,
    packed: Option<crate::pack::Packed>,
    line_starts: Vec<usize>,
}

impl SourceMap {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Self {
        SourceMap {
            path: path.into(),
            line_starts: line_starts(&text),
            text,
            packed: None,
        }
    }

    /// The text (unpacked if it is packed).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match &self.packed {
            None => self.text.as_str().into(),
            // (packed from a String: valid UTF-8, whole)
            Some(p) => p
                .unpack()
                .map(|b| {
                    String::from_utf8(b)
                        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
                })
                .unwrap_or_default()
                .into(),
        }
    }

    /// The text's length in bytes.
    pub fn len(&self) -> usize {
        self.packed.as_ref().map_or(self.text.len(), |p| p.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps the text LZ4-compressed ([`crate::pack::Packed`]), and no
    /// line index (made again from the text for a diagnostic).
    pub fn pack(&mut self) {
        self.pack_in(None);
    }

    /// [`SourceMap::pack`], the text set aside in `spill` if there is one.
    pub fn pack_in(&mut self, spill: Option<&std::sync::Arc<crate::pack::Spill>>) {
        if self.packed.is_none() {
            let text = std::mem::take(&mut self.text);
            self.packed = Some(crate::pack::Packed::new_in(&text, spill));
            self.line_starts = Vec::new();
        }
    }

    /// The byte offset of each line's start.
    fn starts(&self, text: &str) -> std::borrow::Cow<'_, [usize]> {
        if self.line_starts.is_empty() {
            line_starts(text).into()
        } else {
            self.line_starts.as_slice().into()
        }
    }

    /// 1-based line and column (counted in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let text = self.text();
        let (line, col, _) = self.locate(&text, offset);
        (line, col)
    }

    /// Line, column and the line's text of a byte offset of `text` (this
    /// map's text, unpacked once by the caller).
    fn locate(&self, text: &str, offset: usize) -> (usize, usize, String) {
        let starts = self.starts(text);
        let offset = offset.min(text.len());
        let line = match starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = starts[line];
        let mut at = offset;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let col = text.get(start..at).map_or(0, |t| t.chars().count()) + 1;
        let end = starts.get(line + 1).map(|e| e - 1).unwrap_or(text.len());
        let snippet = text
            .get(start..end)
            .unwrap_or_default()
            .trim_end_matches('\r')
            .to_string();
        (line + 1, col, snippet)
    }

    pub fn diag(
        &self,
        severity: Severity,
        offset: usize,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, col, snippet) = self.locate(&self.text(), offset);
        Diagnostic {
            severity,
            path: self.path.clone(),
            line,
            col,
            message: message.into(),
            snippet: Some(snippet),
        }
    }

    pub fn error(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        self.diag(Severity::Error, offset, message)
    }

    pub fn warning(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        self.diag(Severity::Warning, offset, message)
    }
}

/// Every problem of a run.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// An error without a position in a file (or at a whole file).
    pub fn file_error(&mut self, path: &Path, message: impl Into<String>) {
        self.items.push(Diagnostic {
            severity: Severity::Error,
            path: path.to_path_buf(),
            line: 0,
            col: 0,
            message: message.into(),
            snippet: None,
        });
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// Distinct errors (the same error from many pages counts once, as it is printed once).
    pub fn error_count(&self) -> usize {
        self.sorted().iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.sorted().len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sorted by file and position so that output is stable.
    pub fn sorted(&self) -> Vec<Diagnostic> {
        let mut v = self.items.clone();
        v.sort_by(|a, b| {
            (&a.path, a.line, a.col, a.severity, &a.message)
                .cmp(&(&b.path, b.line, b.col, b.severity, &b.message))
        });
        v.dedup();
        v
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.sorted() {
            writeln!(f, "{d}\n")?;
        }
        let (e, w) = (self.error_count(), self.warning_count());
        if e + w > 0 {
            write!(
                f,
                "{e} error{}, {w} warning{}",
                if e == 1 { "" } else { "s" },
                if w == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}

/// The message of a TOML error, without its own position (diagnostics give it).
pub fn toml_message(e: &toml::de::Error) -> String {
    e.message().trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_source_gives_the_same_line_col_and_snippet() {
        let text =
            "---\ntitle: T\n---\n\nPremière ligne.\r\nDeuxième — ligne, ici.\nfin".to_string();
        let plain = SourceMap::new("content/t.md", text.clone());
        let mut packed = plain.clone();
        packed.pack();
        assert!(packed.line_starts.is_empty() && packed.text.is_empty());
        assert_eq!(packed.text(), text.as_str());
        assert_eq!(packed.len(), text.len());
        for offset in (0..=text.len() + 3).filter(|&o| o > text.len() || text.is_char_boundary(o)) {
            let (a, b) = (plain.error(offset, "x"), packed.error(offset, "x"));
            assert_eq!(
                (a.line, a.col, &a.snippet),
                (b.line, b.col, &b.snippet),
                "{offset}"
            );
        }
        let at = text.find("ici").unwrap_or_default();
        let d = packed.error(at, "x");
        assert_eq!((d.line, d.col), (6, 19));
        assert_eq!(d.snippet.as_deref(), Some("Deuxième — ligne, ici."));
    }

    #[test]
    fn line_col_counts_characters() {
        let sm = SourceMap::new("a.md", "ab\nçé x\n".to_string());
        assert_eq!(sm.line_col(0), (1, 1));
        assert_eq!(sm.line_col(3), (2, 1));
        // 'x' is after two 2-byte chars and a space
        assert_eq!(sm.line_col(3 + 5), (2, 4));
        let d = sm.error(8, "boom");
        assert_eq!(
            d.to_string(),
            "a.md:2:4: error: boom\n  |\n2 | çé x\n  |    ^"
        );
    }
}
