//! Emendations in CriticMarkup: `{~~source~>reading~~}` (substitution or, with
//! an empty reading, deletion) and `{++supplied++}` (addition).

/// A piece of a text run: plain text or an emendation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Emend {
        source: &'a str,
        reading: &'a str,
        /// byte offset of `{` in the run
        at: usize,
    },
    Add {
        reading: &'a str,
        at: usize,
    },
    /// A malformed construct: offset and message.
    Bad {
        at: usize,
        message: &'static str,
    },
}

/// Splits a text run into plain text and emendations.
pub fn split(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest_start = 0;
    let mut i = text.find('{').unwrap_or(text.len());
    while i < text.len() {
        let tail = &text[i..];
        if tail.starts_with("{~~") {
            if rest_start < i {
                out.push(Piece::Text(&text[rest_start..i]));
            }
            let inner_start = i + 3;
            match text[inner_start..].find("~~}") {
                None => {
                    out.push(Piece::Bad {
                        at: i,
                        message: "unclosed emendation: `{~~` needs a closing `~~}`",
                    });
                    out.push(Piece::Text(&text[i..]));
                    return out;
                }
                Some(rel_end) => {
                    let inner = &text[inner_start..inner_start + rel_end];
                    match inner.find("~>") {
                        None => out.push(Piece::Bad {
                            at: i,
                            message: "emendation without a reading: write `{~~source~>reading~~}`",
                        }),
                        Some(arrow) => {
                            let source = &inner[..arrow];
                            let reading = &inner[arrow + 2..];
                            if source.is_empty() && reading.is_empty() {
                                out.push(Piece::Bad {
                                    at: i,
                                    message: "emendation without a reading: both the source reading and the edition's reading are empty",
                                });
                            } else if source.is_empty() {
                                out.push(Piece::Bad {
                                    at: i,
                                    message: "emendation without a source reading: use `{++text++}` for an addition",
                                });
                            } else {
                                out.push(Piece::Emend {
                                    source,
                                    reading,
                                    at: i,
                                });
                            }
                        }
                    }
                    i = inner_start + rel_end + 3;
                    rest_start = i;
                    continue;
                }
            }
        } else if tail.starts_with("{++") {
            if rest_start < i {
                out.push(Piece::Text(&text[rest_start..i]));
            }
            let inner_start = i + 3;
            match text[inner_start..].find("++}") {
                None => {
                    out.push(Piece::Bad {
                        at: i,
                        message: "unclosed addition: `{++` needs a closing `++}`",
                    });
                    out.push(Piece::Text(&text[i..]));
                    return out;
                }
                Some(rel_end) => {
                    let reading = &text[inner_start..inner_start + rel_end];
                    if reading.is_empty() {
                        out.push(Piece::Bad {
                            at: i,
                            message: "addition without a reading: `{++…++}` is empty",
                        });
                    } else {
                        out.push(Piece::Add { reading, at: i });
                    }
                    i = inner_start + rel_end + 3;
                    rest_start = i;
                    continue;
                }
            }
        }
        // on to the next `{`
        let next = i + tail.chars().next().map(char::len_utf8).unwrap_or(1);
        i = match text[next..].find('{') {
            Some(j) => next + j,
            None => text.len(),
        };
    }
    if rest_start < text.len() {
        out.push(Piece::Text(&text[rest_start..]));
    }
    out
}

/// Why an emendation left open by its text run is in fact closed further
/// on: Markdown cut the run at something an emendation cannot hold (inline
/// markup or a line break). `rest` is the source from the emendation's
/// `{~~` or `{++` on. `None` when no closing mark follows in the same
/// paragraph (the emendation is really unclosed).
pub fn cut_by_markup(rest: &str) -> Option<String> {
    let (close, shape, example) = if rest.starts_with("{~~") {
        ("~~}", "`{~~source~>reading~~}`", "{~~a~>b~~}")
    } else if rest.starts_with("{++") {
        ("++}", "`{++reading++}`", "{++a++}")
    } else {
        return None;
    };
    // the paragraph ends at the first blank line
    let para_end = rest
        .match_indices('\n')
        .find(|&(i, _)| {
            rest[i + 1..]
                .split('\n')
                .next()
                .is_some_and(|l| l.trim().is_empty())
        })
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    let inner_end = rest[3..para_end].find(close)? + 3;
    let inner = &rest[3..inner_end];
    if inner.contains('\n') {
        return Some(format!(
            "emendation cut by a line break: write {shape} on one line"
        ));
    }
    let what = if inner.contains("[^") {
        return Some(format!(
            "note call inside an emendation: the inside of {shape} is plain text; put the call after it, as in `{example}[^1]`"
        ));
    } else if inner.contains('[') {
        "a link"
    } else if inner.contains('*') || inner.contains('_') {
        "emphasis"
    } else if inner.contains('`') {
        "code"
    } else if inner.contains('<') {
        "HTML"
    } else {
        "inline markup"
    };
    Some(format!(
        "{what} inside an emendation: the inside of {shape} is plain text (no emphasis, link, code, note call or HTML); put the markup around the whole emendation, as in `*{example}*` or `[{example}](person:ID)`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_substitutions_and_additions() {
        let v = split("a {~~Mariâtegui~>Mariátegui~~} b{++.++}");
        assert_eq!(
            v,
            vec![
                Piece::Text("a "),
                Piece::Emend {
                    source: "Mariâtegui",
                    reading: "Mariátegui",
                    at: 2
                },
                Piece::Text(" b"),
                Piece::Add {
                    reading: ".",
                    at: 34
                },
            ]
        );
    }

    #[test]
    fn reports_malformed() {
        assert!(matches!(split("x {~~a~~}")[1], Piece::Bad { at: 2, .. }));
        assert!(matches!(split("{~~a~>b")[0], Piece::Bad { at: 0, .. }));
        assert!(matches!(split("{~~~>~~}")[0], Piece::Bad { .. }));
        assert_eq!(split("plain [sic]"), vec![Piece::Text("plain [sic]")]);
        // after an emendation, the scan resumes on a multi-byte character
        assert_eq!(split("{++a++}”{")[1], Piece::Text("”{"));
    }

    #[test]
    fn explains_emendations_cut_by_markup() {
        let m = cut_by_markup("{~~*a*~>b~~} c").unwrap_or_default();
        assert!(m.starts_with("emphasis inside an emendation"), "{m}");
        let m = cut_by_markup("{++[x](person:y)++}").unwrap_or_default();
        assert!(m.starts_with("a link inside an emendation"), "{m}");
        let m = cut_by_markup("{~~a\nb~>c~~}").unwrap_or_default();
        assert!(m.starts_with("emendation cut by a line break"), "{m}");
        // closed only in the next paragraph: really unclosed
        assert_eq!(cut_by_markup("{~~a *b*\n\nc~>d~~}"), None);
        assert_eq!(cut_by_markup("{~~a~>b"), None);
    }
}
