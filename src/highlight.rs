//! Build-time syntax highlighting with syntect, as CSS classes (no inline
//! styles, so a strict Content-Security-Policy holds).
//!
//! The edition dialect (`md`, `markdown`, `example`: every source view) goes
//! through the `md` module, a fast emulation of syntect on
//! `apparat-markdown.sublime-syntax` with byte-identical output; syntect
//! itself remains for every other language, and for that dialect through
//! [`highlight_with_syntect`].

mod md;

use std::cell::RefCell;
use syntect::highlighting::ThemeSet;
use syntect::html::{css_for_theme_with_class_style, ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{SyntaxDefinition, SyntaxSet};
use syntect::util::LinesWithEndings;

const STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

thread_local! {
    /// One syntax set per thread: syntect compiles its regexes lazily inside the
    /// set, and threads sharing one set contend on those caches (measured: 1.5×
    /// the CPU time with 2 threads; see BENCHMARKS.md).
    static SYNTAXES: SyntaxSet = syntax_set();
    /// The fast highlighter of the edition dialect (`None` if its regexes
    /// failed to build, which would be a bug: syntect then takes over).
    static FAST_MD: RefCell<Option<md::Highlighter>> = RefCell::new(md::Highlighter::new().ok());
}

fn escape(s: &str) -> String {
    crate::text::escape_html(s)
}

/// `<pre><code>` with highlighted spans for `code` in language `lang`
/// (a syntect token such as `md`, `toml`, `rust`); unknown languages are escaped plain.
pub fn highlight(code: &str, lang: &str) -> String {
    if is_edition_dialect(lang) {
        let html = FAST_MD.with(|fast| {
            let mut fast = fast.try_borrow_mut().ok()?;
            let fast = fast.as_mut()?;
            // Spans and entities add about a third to a source text.
            let mut html = String::with_capacity(code.len() + code.len() / 2 + 128);
            html.push_str(&pre_open(lang));
            fast.highlight_into(code, &mut html);
            html.push_str(PRE_CLOSE);
            Some(html)
        });
        if let Some(html) = html {
            return html;
        }
    }
    highlight_with_syntect(code, lang)
}

/// [`highlight`] written to `out` as it is made: the edition dialect in
/// pieces of a few dozen kilobytes (a long source view is never held
/// whole), other languages at once. The bytes are [`highlight`]'s.
pub fn highlight_to(code: &str, lang: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    if is_edition_dialect(lang) {
        let done = FAST_MD.with(|fast| {
            let mut fast = fast.try_borrow_mut().ok()?;
            let fast = fast.as_mut()?;
            let mut buf = pre_open(lang);
            let mut flush = |b: &mut String| {
                out.write_all(b.as_bytes())?;
                b.clear();
                Ok(())
            };
            let r = fast
                .highlight_flushing(code, &mut buf, &mut flush)
                .and_then(|()| {
                    buf.push_str(PRE_CLOSE);
                    flush(&mut buf)
                });
            Some(r)
        });
        if let Some(r) = done {
            return r;
        }
    }
    out.write_all(highlight_with_syntect(code, lang).as_bytes())
}

/// [`highlight`] with syntect for every language, the edition dialect
/// included: the reference the fast highlighter is tested against.
#[doc(hidden)]
pub fn highlight_with_syntect(code: &str, lang: &str) -> String {
    SYNTAXES.with(|set| highlight_with(set, code, lang))
}

/// Whether `lang` names the edition dialect.
fn is_edition_dialect(lang: &str) -> bool {
    matches!(lang, "md" | "markdown" | "example")
}

/// The start of the `<pre><code>` around highlighted code in `lang`.
fn pre_open(lang: &str) -> String {
    let lang_class = escape(if lang.is_empty() { "text" } else { lang });
    format!("<pre class=\"code language-{lang_class}\"><code>")
}

/// The end of the `<pre><code>` around highlighted code.
const PRE_CLOSE: &str = "</code></pre>\n";

/// syntect's default syntaxes plus the edition dialect (`apparat-markdown.sublime-syntax`).
fn syntax_set() -> SyntaxSet {
    let mut builder = SyntaxSet::load_defaults_newlines().into_builder();
    if let Ok(def) = SyntaxDefinition::load_from_str(APPARAT_MD, true, None) {
        builder.add(def);
    }
    builder.build()
}

const APPARAT_MD: &str = include_str!("apparat-markdown.sublime-syntax");

fn highlight_with(set: &SyntaxSet, code: &str, lang: &str) -> String {
    let token = if is_edition_dialect(lang) {
        "apparat-md"
    } else {
        lang
    };
    let syntax = set.find_syntax_by_token(token);
    let body = match syntax {
        Some(syntax) => {
            let mut gen = ClassedHTMLGenerator::new_with_class_style(syntax, set, STYLE);
            let mut failed = false;
            for line in LinesWithEndings::from(code) {
                if gen
                    .parse_html_for_line_which_includes_newline(line)
                    .is_err()
                {
                    failed = true;
                    break;
                }
            }
            if failed {
                escape(code)
            } else {
                gen.finalize()
            }
        }
        None => escape(code),
    };
    format!("{}{body}{PRE_CLOSE}", pre_open(lang))
}

/// The stylesheet for the classes above: a light theme, and a dark one under
/// `prefers-color-scheme: dark`. Made once per process (decoding syntect's
/// themes is a few milliseconds of every serve rebuild otherwise).
pub fn stylesheet() -> &'static str {
    static CSS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CSS.get_or_init(make_stylesheet)
}

fn make_stylesheet() -> String {
    let themes = ThemeSet::load_defaults();
    let mut css = String::from("/* generated by apparat from syntect themes */\n");
    if let Some(light) = themes.themes.get("InspiredGitHub") {
        if let Ok(c) = css_for_theme_with_class_style(light, STYLE) {
            css.push_str(&c);
        }
    }
    if let Some(dark) = themes.themes.get("base16-ocean.dark") {
        if let Ok(c) = css_for_theme_with_class_style(dark, STYLE) {
            css.push_str("@media (prefers-color-scheme: dark) {\n");
            css.push_str(&c);
            css.push_str("}\n");
        }
    }
    css
}

#[cfg(test)]
mod tests {
    use super::{highlight, highlight_with_syntect};

    /// The fast highlighter and syntect give the same bytes for `code`.
    fn assert_same(code: &str) {
        let fast = highlight(code, "md");
        let slow = highlight_with_syntect(code, "md");
        if fast != slow {
            let at = fast
                .bytes()
                .zip(slow.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            let from = at.saturating_sub(80);
            panic!(
                "fast and syntect differ for {code:?} at byte {at}:\n fast:    {:?}\n syntect: {:?}",
                fast.get(from..(at + 80).min(fast.len())).unwrap_or(&fast),
                slow.get(from..(at + 80).min(slow.len())).unwrap_or(&slow),
            );
        }
    }

    #[test]
    fn the_fast_dialect_equals_syntect_on_the_edition() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).expect("content/ is readable") {
            let path = entry.expect("content/ entry").path();
            if path.extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(&path).expect("UTF-8 Markdown");
                assert_same(&text);
                count += 1;
            }
        }
        assert!(count >= 5, "only {count} files in {}", dir.display());
    }

    #[test]
    fn the_fast_dialect_equals_syntect_on_edge_cases() {
        let cases = [
            "",
            "\n",
            "\n\n\n",
            "x",
            "no trailing newline",
            "+++",
            "+++\n",
            "+++ \t\ntitle = \"T\"\n+++\t\nbody\n",
            "+++\n# a comment\ntitle = \"a # not a comment\" # a comment\n  key.sub-x_1\t= 3\n\
             [section]\n  [[array.of]]\n[sec] # c\nesc = \"a\\\"b\\\\\" tail \"x\\\n\
             flag = true\nno = false\nn = 12 x12 12x 1.5 truex xtrue _true true_\n\
             date = 2024-05-01\nkey=\"v\"\n=x\n k = 1\ntrue\ntrue = 1\n+++\n# Heading\n",
            "+++\nunclosed = \"string\nnext = 'single'\n",
            "+++\nwide = \"é\" é=1 a\u{200D}b = 2\n1\u{00B2} \u{00BD}1 \u{200C}1 1\u{200D} ١٢٣ x١\n+++\n",
            "+++\r\ntitle = \"crlf\"\r\n+++\r\n# H\r\n",
            "```\ncode *not* [^1]\n```\nafter *it*\n",
            "```rust\nfn main() {}\n~~~\n``` \t\n",
            "~~~\nunclosed fence at EOF\n**x**",
            "```",
            "```\n",
            "```\r\nx\r\n```\r\nstill fenced\r\n",
            "Un {~~a~>b~~} et {~~c~>d\nsuite~~} {~~x~~~}{~~~~} ~> ~~}\n",
            "{~~a~>b~~}",
            "{~~\r\n",
            "{~~ no end",
            "{++added++} {++a++}++} {++\n++} {+++++}\n",
            "[X](person:x) [Y](lang:la) [Z](https://x.org/?a=1&b=\"2\") ](person:) ]() ](x\n",
            "w*x* a*b* **bold** *it* x**y** ***z*** * x* *x * *é* é*x* _*x* 1*x*\n",
            "²*x* ½*x* \u{200D}*x* \u{200C}*x* \u{00A0}*x* *\u{00A0}x*\n",
            "**a*b** **\n* **\n",
            "# Titre\n## Sous-titre\n###### Six\n####### Sept\n#sans\n #pas\n#\ttab\n",
            "::: parallel\n:::\n::: \n:: col\n::\tcol\n::x\n :::\n",
            "¶ un\n  ¶ deux\n\t¶ trois\nx ¶ quatre\n",
            "> quote\n  > deep\nx > no\n",
            "[^1]: note\n[^a b]: x\n[^]: empty\n[^1] [^ 1] [^é] [^1]:\n",
            "`code` `unclosed\n`` ` `\n",
            "line\r\nwith *crlf*\r\n",
            "<&\"'> & < > \" ' &amp;\n",
            "Ünïcödé ✓ 日本語 \u{1F600} *ü*\n",
            "+++\n+++\n+++\n",
            "x\n+++\nin = 1\n+++\n",
        ];
        for case in cases {
            assert_same(case);
        }
    }

    #[test]
    fn aliases_use_the_fast_dialect_and_other_languages_syntect() {
        let code = "+++\ntitle = \"T\"\n+++\n# *T* {~~a~>b~~}\n";
        for lang in ["md", "markdown", "example"] {
            let html = highlight(code, lang);
            assert_eq!(html, highlight_with_syntect(code, lang));
            assert!(html.starts_with(&format!("<pre class=\"code language-{lang}\"><code><span")));
        }
        for (code, lang) in [
            ("[a]\nb = \"c\" # d\n", "toml"),
            ("fn main() { let x = \"<&>\"; }\n", "rust"),
            ("plain <text>\n", ""),
            ("plain <text>\n", "no-such-language"),
        ] {
            assert_eq!(highlight(code, lang), highlight_with_syntect(code, lang));
        }
    }

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn the_fast_dialect_equals_syntect_on_random_inputs() {
        /// The grammar's tokens and pieces of them, punctuation, blanks, line
        /// ends, and characters where Unicode classes matter.
        #[rustfmt::skip]
        const VOCABULARY: &[&str] = &[
            "+++", "+++ ", "```", "~~~", "```md", "#", "## ", "###### ", "####### ", ":::",
            "::", ":: ", "::\t", "[^", "[^1]", "[^n]:", "]:", "[", "]", "[s]", " ", "  ",
            "\t", ">", "¶", "{~~", "~>", "~~}", "~~", "~", "}", "{", "{++", "++}", "+", "](",
            "](person:", "](lang:", ")", "(", "**", "*", "*", "`", "\"", "\\", "=", " = ",
            "title", "true", "false", "12", "x1", "_a", "a.b-c", "word", "a", "_", "-", ".",
            "0", "#x", "é", "ß", "²", "½", "١", "５", "Ⅻ", "Ⓐ", "‿", "\u{301}", "\u{200D}",
            "\u{200C}", "\u{A0}", "\u{2028}", "\u{85}", "\u{B}", "\u{C}", "日本",
            "\u{1F600}", "<", "&", "'", "\r", "\r\n", "\n", "\n", "\n", "\n", "\n",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..3000 {
            let mut code = String::new();
            if rng.below(3) == 0 {
                code.push_str("+++\n");
            }
            let length = if rng.below(10) == 0 { 300 } else { 60 };
            for _ in 0..rng.below(length) {
                if rng.below(25) == 0 {
                    // Any character of the first planes' start.
                    let c = u32::try_from(rng.below(0x3000))
                        .ok()
                        .and_then(char::from_u32);
                    code.push(c.unwrap_or('?'));
                } else {
                    code.push_str(VOCABULARY[rng.below(VOCABULARY.len())]);
                }
            }
            assert_same(&code);
        }
    }

    #[test]
    fn the_edition_dialect_is_highlighted() {
        let html = super::highlight(
            "+++\ntitle = \"T\"\n+++\n# Titre\n\nUn [X](person:x)[^1] et {~~a~>b~~}.\n",
            "md",
        );
        for class in [
            "hl-punctuation",
            "hl-attribute-name",
            "hl-heading",
            "hl-footnote",
            "hl-emendation",
            "hl-link",
        ] {
            assert!(html.contains(class), "{class} missing in {html}");
        }
        assert!(!html.contains("style="));
    }
}
