//! Small text helpers shared by every stage (a leaf: it imports nothing of
//! the crate).

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // CommonMark's rule for input, applied to every value printed:
            // U+0000 (a TOML `\u0000` escape, say) becomes U+FFFD
            '\0' => out.push('\u{FFFD}'),
            _ => out.push(c),
        }
    }
    out
}

/// U+0000 replaced by U+FFFD, as CommonMark requires of its input: applied to
/// every source file as it is read, so that no NUL byte reaches the output
/// from a body, raw HTML, a note or front matter.
pub fn replace_nul(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    }
}
