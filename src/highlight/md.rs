//! A fast highlighter for the edition dialect, `apparat-markdown.sublime-syntax`.
//!
//! It emulates, rule for rule, what syntect does with that grammar and
//! `ClassedHTMLGenerator` (class style `hl-` prefixed), and produces the very
//! same bytes (tested against syntect in `super::tests`), an order of
//! magnitude faster. If the grammar file changes, this module must follow.
//!
//! # How syntect runs the grammar
//!
//! * The input is cut after each `\n` (the `\n` stays with its line); every
//!   line is matched on its own, `^` matching only at its start and `$` only
//!   before its `\n` or at its end (so a `\r` before `\n` is ordinary text).
//! * In a context, each rule is searched from the current position; the
//!   earliest match wins, ties going to the rule written first. The match
//!   becomes one token, the text before it is plain, and the search resumes
//!   at the end of the match, in the context the rule pushes or pops to. When
//!   nothing matches, the rest of the line is plain.
//! * An empty match of a rule without push or pop is ignored (only `.*\n?`
//!   of `fenced` can produce one, at the end of a line without `\n`).
//! * No context has a meta scope, so a token is one `<span>` with its scope's
//!   classes, and plain text is bare. The whole input is wrapped in one span
//!   for the syntax's scope, opened at the start and closed at the end;
//!   empty input gives an empty string. Text is escaped like syntect does
//!   (`&<>"'`).
//!
//! # Emulation
//!
//! A context's rules are a multi-pattern regex (`regex_automata`), whose
//! leftmost-first semantics across patterns are exactly the rule above:
//! earliest position, then the first pattern. `main` is split in two: its
//! first seven rules, all anchored with `^`, are tried at a line's start
//! only (a match there beats every later rule), then the others are searched.
//! What the engine lacks is checked by hand:
//!
//! * the lookbehind `(?<![\w*])` of the italic rule, and the `\b` around the
//!   front-matter constants: a candidate that fails the check is dropped and
//!   the search resumes one character later (sound because the candidate was
//!   the earliest match of every rule and, at its position, of every rule
//!   before it, and no rule after it can start with the same character);
//! * the lookahead `(?=[ \t]*=)` of the attribute rule, by matching the `=`
//!   too and trimming it (and the blanks before it) from the token;
//! * word characters: syntect runs on fancy-regex (pure Rust, on the `regex`
//!   crates), whose `\w` and `\b` are Unicode's, as here (checked on every
//!   code point in the tests below). `\s`, `\d` and `.` agree too.
//!
//! `emendation` and `fenced` are scanned by hand.
//!
//! # Known difference
//!
//! fancy-regex, syntect's engine, gives up a match attempt after 1,000,000
//! backtracking steps (its default limit), and syntect then treats the rule
//! as not matching. With these rules that takes a line of the order of a
//! million characters (for instance a `{++…++}` addition that long may stay
//! plain in syntect; the threshold was measured at ten million characters
//! under Oniguruma's limit, ten times higher, and not measured again); on
//! such lines the highlighting here may differ from syntect's.

use regex_automata::meta::{Cache, Regex};
use regex_automata::{Anchored, Input};

/// The span around the whole input: the scope `text.html.markdown.apparat`.
const OUTER: &str = "<span class=\"hl-text hl-html hl-markdown hl-apparat\">";

const FRONTMATTER_MARK: &str = "<span class=\"hl-punctuation hl-section hl-frontmatter\">";
const RAW_BLOCK: &str = "<span class=\"hl-markup hl-raw hl-block\">";
const EMENDATION_MARK: &str = "<span class=\"hl-punctuation hl-definition hl-emendation\">";
const EMENDATION_OPERATOR: &str = "<span class=\"hl-keyword hl-operator hl-emendation\">";

/// Where the parser is: `main` and the three contexts it pushes (which push
/// nothing themselves, so the stack is never deeper).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Context {
    Main,
    Emendation,
    Frontmatter,
    Fenced,
}

/// The rules of `main`, in the grammar's order: regex, opening span,
/// context pushed.
const MAIN: [(&str, &str, Option<Context>); 15] = [
    (
        r"^\+\+\+[ \t]*(?m:$)",
        FRONTMATTER_MARK,
        Some(Context::Frontmatter),
    ),
    (r"^(?:```|~~~).*(?m:$)", RAW_BLOCK, Some(Context::Fenced)),
    (
        r"^#{1,6}[ \t].*(?m:$)",
        "<span class=\"hl-markup hl-heading\">",
        None,
    ),
    (
        r"^:::.*(?m:$)|^::[ \t].*(?m:$)",
        "<span class=\"hl-keyword hl-control hl-parallel\">",
        None,
    ),
    (
        r"^\[\^[^\]\n]+\]:",
        "<span class=\"hl-entity hl-name hl-tag hl-footnote\">",
        None,
    ),
    (r"^[ \t]*>", "<span class=\"hl-markup hl-quote\">", None),
    (
        r"^[ \t]*¶",
        "<span class=\"hl-keyword hl-control hl-paragraph\">",
        None,
    ),
    (
        r"\[\^[^\]\s]+\]",
        "<span class=\"hl-constant hl-other hl-footnote\">",
        None,
    ),
    (r"\{~~", EMENDATION_MARK, Some(Context::Emendation)),
    (
        r"\{\+\+[^\n]*?\+\+\}",
        "<span class=\"hl-string hl-other hl-addition\">",
        None,
    ),
    (
        r"\]\((?:person|lang):[^)\n]*\)",
        "<span class=\"hl-string hl-other hl-link\">",
        None,
    ),
    (
        r"\]\([^)\n]*\)",
        "<span class=\"hl-markup hl-underline hl-link\">",
        None,
    ),
    (
        r"\*\*[^*\n]+\*\*",
        "<span class=\"hl-markup hl-bold\">",
        None,
    ),
    // Preceded in the grammar by the lookbehind `(?<![\w*])`, checked by hand.
    (
        r"\*[^*\s][^*\n]*\*",
        "<span class=\"hl-markup hl-italic\">",
        None,
    ),
    (
        r"`[^`\n]*`",
        "<span class=\"hl-markup hl-raw hl-inline\">",
        None,
    ),
];

/// The rules of [`MAIN`] anchored at the start of a line (`^`) come first:
/// they are tried at a line's start only, before the others.
const LINE_START_RULES: usize = 7;

/// The pattern id of the italic rule in [`MAIN`].
const ITALIC: usize = 13;

/// The rules of `frontmatter`, in the grammar's order: regex, opening span,
/// whether the rule pops back to `main`.
const FRONTMATTER: [(&str, &str, bool); 6] = [
    (r"^\+\+\+[ \t]*(?m:$)", FRONTMATTER_MARK, true),
    (r"#.*(?m:$)", "<span class=\"hl-comment hl-line\">", false),
    (
        r"^[ \t]*\[[^\]\n]+\]",
        "<span class=\"hl-entity hl-name hl-tag hl-section\">",
        false,
    ),
    // `^[ \t]*[A-Za-z_][\w.-]*(?=[ \t]*=)`: the lookahead is matched, then
    // trimmed from the token.
    (
        r"^[ \t]*[A-Za-z_][\w.\-&&[^\x{200C}\x{200D}]]*[ \t]*=",
        "<span class=\"hl-entity hl-other hl-attribute-name\">",
        false,
    ),
    (
        r#""(?:[^"\\\n]|\\.)*""#,
        "<span class=\"hl-string hl-quoted hl-double\">",
        false,
    ),
    // `\b(true|false|\d+)\b`: the word boundaries are checked by hand.
    (
        r"true|false|\d+",
        "<span class=\"hl-constant hl-language\">",
        false,
    ),
];

/// The pattern ids of the attribute and constant rules in [`FRONTMATTER`].
const ATTRIBUTE: usize = 3;
const CONSTANT: usize = 5;

/// The compiled rules and their search caches, for one thread.
pub(super) struct Highlighter {
    /// The rules of `main` anchored at a line's start.
    line_start: Regex,
    line_start_cache: Cache,
    /// The other rules of `main`.
    inline: Regex,
    inline_cache: Cache,
    frontmatter: Regex,
    frontmatter_cache: Cache,
    /// Word characters (`\w`, in a class or for `\b`): the same in
    /// regex-automata and in fancy-regex, syntect's engine.
    word: Regex,
    word_cache: Cache,
}

impl Highlighter {
    pub(super) fn new() -> Result<Highlighter, Box<regex_automata::meta::BuildError>> {
        let patterns = MAIN.map(|rule| rule.0);
        let line_start = Regex::new_many(&patterns[..LINE_START_RULES])?;
        let inline = Regex::new_many(&patterns[LINE_START_RULES..])?;
        let frontmatter = Regex::new_many(&FRONTMATTER.map(|rule| rule.0))?;
        let word = Regex::new(r"\w")?;
        Ok(Highlighter {
            line_start_cache: line_start.create_cache(),
            line_start,
            inline_cache: inline.create_cache(),
            inline,
            frontmatter_cache: frontmatter.create_cache(),
            frontmatter,
            word_cache: word.create_cache(),
            word,
        })
    }

    /// Appends to `out` the HTML syntect's `ClassedHTMLGenerator` makes of
    /// `code` (without the `<pre><code>` around it).
    pub(super) fn highlight_into(&mut self, code: &str, out: &mut String) {
        let mut keep = |_: &mut String| Ok(());
        // (keeping everything cannot fail)
        let _ = self.highlight_flushing(code, out, &mut keep);
    }

    /// [`Self::highlight_into`], calling `flush` with `out` whenever it
    /// holds more than a few dozen kilobytes (`flush` takes them out), so
    /// that a long source need not be held whole.
    pub(super) fn highlight_flushing(
        &mut self,
        code: &str,
        out: &mut String,
        flush: &mut dyn FnMut(&mut String) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        const FLUSH_AT: usize = 64 << 10;
        if code.is_empty() {
            return Ok(());
        }
        out.push_str(OUTER);
        let mut context = Context::Main;
        for line in code.split_inclusive('\n') {
            context = self.line(line, context, out);
            if out.len() > FLUSH_AT {
                flush(out)?;
            }
        }
        out.push_str("</span>");
        Ok(())
    }

    /// Highlights one line (with its `\n`, if any) starting in `context`;
    /// returns the context at its end.
    fn line(&mut self, line: &str, mut context: Context, out: &mut String) -> Context {
        let mut pos = 0;
        loop {
            let token = match context {
                Context::Main => self.main_token(line, pos),
                Context::Emendation => emendation_token(line, pos),
                Context::Frontmatter => self.frontmatter_token(line, pos),
                Context::Fenced => fenced_token(line, pos),
            };
            let Some(token) = token else { break };
            push_escaped(out, &line[pos..token.start]);
            match token.span {
                Some(span) => {
                    out.push_str(span);
                    push_escaped(out, &line[token.start..token.end]);
                    out.push_str("</span>");
                }
                None => push_escaped(out, &line[token.start..token.end]),
            }
            pos = token.end;
            context = token.next;
        }
        push_escaped(out, &line[pos..]);
        context
    }

    /// The next token of `main` in `line` from `pos`.
    fn main_token(&mut self, line: &str, pos: usize) -> Option<Token> {
        if pos == 0 {
            // A match at the line's start of a rule anchored there beats any
            // other: it is the earliest, and these rules come first.
            let input = Input::new(line).anchored(Anchored::Yes);
            if let Some(found) = self
                .line_start
                .search_with(&mut self.line_start_cache, &input)
            {
                let (_, span, push) = MAIN[found.pattern().as_usize()];
                return Some(Token {
                    start: found.start(),
                    end: found.end(),
                    span: Some(span),
                    next: push.unwrap_or(Context::Main),
                });
            }
        }
        let mut from = pos;
        loop {
            let input = Input::new(line).range(from..);
            let found = self.inline.search_with(&mut self.inline_cache, &input)?;
            let rule = LINE_START_RULES + found.pattern().as_usize();
            let start = found.start();
            if rule == ITALIC && self.word_or_star_before(line, start) {
                // The lookbehind fails; the candidate starts with `*`, one byte.
                from = start + 1;
                continue;
            }
            let (_, span, push) = MAIN[rule];
            return Some(Token {
                start,
                end: found.end(),
                span: Some(span),
                next: push.unwrap_or(Context::Main),
            });
        }
    }

    /// The next token of `frontmatter` in `line` from `pos`.
    fn frontmatter_token(&mut self, line: &str, pos: usize) -> Option<Token> {
        let mut from = pos;
        loop {
            let input = Input::new(line).range(from..);
            let found = self
                .frontmatter
                .search_with(&mut self.frontmatter_cache, &input)?;
            let rule = found.pattern().as_usize();
            let (start, mut end) = (found.start(), found.end());
            match rule {
                ATTRIBUTE => {
                    // Trim the lookahead `[ \t]*=` off the token.
                    end = line[..end - 1].trim_end_matches([' ', '\t']).len();
                }
                CONSTANT => {
                    let boundary_before = !self.word_before(line, start);
                    let boundary_after = !self.word_at(line, end);
                    if !(boundary_before && boundary_after) {
                        // Only one alternative can start here (`t`, `f` or a
                        // digit), and a shorter digit run ends before a digit:
                        // there is no match at `start`.
                        from = start + line[start..].chars().next().map_or(1, char::len_utf8);
                        continue;
                    }
                }
                _ => {}
            }
            let (_, span, pop) = FRONTMATTER[rule];
            return Some(Token {
                start,
                end,
                span: Some(span),
                next: if pop {
                    Context::Main
                } else {
                    Context::Frontmatter
                },
            });
        }
    }

    /// Whether the character before `at` is in `[\w*]`.
    fn word_or_star_before(&mut self, line: &str, at: usize) -> bool {
        let Some(c) = line[..at].chars().next_back() else {
            return false;
        };
        if c.is_ascii() {
            return c == '*' || c == '_' || c.is_ascii_alphanumeric();
        }
        let input = Input::new(line)
            .range(at - c.len_utf8()..at)
            .anchored(Anchored::Yes);
        self.word
            .search_with(&mut self.word_cache, &input)
            .is_some()
    }

    /// Whether the character before `at` is a word character for `\b`.
    fn word_before(&mut self, line: &str, at: usize) -> bool {
        match line[..at].chars().next_back() {
            Some(c) => self.is_word(line, at - c.len_utf8(), c),
            None => false,
        }
    }

    /// Whether the character at `at` is a word character for `\b`.
    fn word_at(&mut self, line: &str, at: usize) -> bool {
        match line[at..].chars().next() {
            Some(c) => self.is_word(line, at, c),
            None => false,
        }
    }

    /// Whether `c`, at `at` in `line`, is a word character for `\b`.
    fn is_word(&mut self, line: &str, at: usize, c: char) -> bool {
        if c.is_ascii() {
            return c == '_' || c.is_ascii_alphanumeric();
        }
        let input = Input::new(line)
            .range(at..at + c.len_utf8())
            .anchored(Anchored::Yes);
        self.word
            .search_with(&mut self.word_cache, &input)
            .is_some()
    }
}

/// A match: its bytes in the line, its opening span (`None`: no scope, plain
/// text), and the context after it.
struct Token {
    start: usize,
    end: usize,
    span: Option<&'static str>,
    next: Context,
}

/// The next token of `emendation` from `pos`: `~>`, `~~}` (pops), or the
/// line's `\n` (pops, without a scope).
fn emendation_token(line: &str, pos: usize) -> Option<Token> {
    let bytes = line.as_bytes();
    let mut i = pos;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                return Some(Token {
                    start: i,
                    end: i + 1,
                    span: None,
                    next: Context::Main,
                })
            }
            b'~' if bytes.get(i + 1) == Some(&b'>') => {
                return Some(Token {
                    start: i,
                    end: i + 2,
                    span: Some(EMENDATION_OPERATOR),
                    next: Context::Emendation,
                })
            }
            b'~' if bytes.get(i + 1) == Some(&b'~') && bytes.get(i + 2) == Some(&b'}') => {
                return Some(Token {
                    start: i,
                    end: i + 3,
                    span: Some(EMENDATION_MARK),
                    next: Context::Main,
                })
            }
            _ => i += 1,
        }
    }
    None
}

/// The next token of `fenced` from `pos`: the closing fence
/// `^(```|~~~)[ \t]*$` (pops), else the rest of the line (`.*\n?`, ignored
/// when empty).
fn fenced_token(line: &str, pos: usize) -> Option<Token> {
    if pos == 0 {
        let content = line.strip_suffix('\n').unwrap_or(line);
        if let Some(rest) = content
            .strip_prefix("```")
            .or_else(|| content.strip_prefix("~~~"))
        {
            if rest.bytes().all(|b| b == b' ' || b == b'\t') {
                return Some(Token {
                    start: 0,
                    end: content.len(),
                    span: Some(RAW_BLOCK),
                    next: Context::Main,
                });
            }
        }
    }
    (pos < line.len()).then_some(Token {
        start: pos,
        end: line.len(),
        span: Some(RAW_BLOCK),
        next: Context::Fenced,
    })
}

/// Appends `text` escaped as syntect's `Escape` does.
fn push_escaped(out: &mut String, text: &str) {
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'\'' => "&#39;",
            b'"' => "&quot;",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(entity);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

#[cfg(test)]
mod tests {
    use super::Highlighter;
    use syntect::parsing::Regex;

    /// The hand-made word checks agree with syntect's regex engine
    /// on every code point: `[\w*]` in the italic rule's lookbehind, and the
    /// word characters of `\b`.
    #[test]
    fn word_characters_are_syntect_s() {
        let Ok(mut fast) = Highlighter::new() else {
            panic!("the highlighter's regexes build");
        };
        let lookbehind = Regex::new(r"(?<![\w*])\*".to_string());
        let boundary = Regex::new(r"\Aa\b".to_string());
        let mut differ = Vec::new();
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            let starred = format!("{c}*");
            let at = c.len_utf8();
            let engine_class = !lookbehind.search(&starred, at, starred.len(), None);
            if fast.word_or_star_before(&starred, at) != engine_class {
                differ.push(("[\\w*]", c));
            }
            let after_a = format!("a{c}");
            let engine_word = !boundary.search(&after_a, 0, after_a.len(), None);
            if fast.word_at(&after_a, 1) != engine_word
                || fast.word_before(&starred, at) != engine_word
            {
                differ.push(("\\b", c));
            }
        }
        assert!(
            differ.is_empty(),
            "differences with syntect's engine: {differ:?}"
        );
    }
}
