//! A CSL style decided in advance for one item type.
//!
//! hayagriva evaluates a style's `choose` conditions for every item it
//! formats, and the bundled Chicago and MLA styles test the item's type in
//! most of their macros: for the « Cite » box of each text, that was about
//! 40 % of all the work of a build (callgrind, BENCHMARKS.md). Every text of
//! an edition has one of a few CSL types, so each style is decided once per
//! type: a branch whose only test is the type is known to be true or false,
//! false branches are dropped, and the first true one ends its `choose`.
//! The branches that test anything else (variables, position, locator…) are
//! kept as they are, for hayagriva to decide per item. The result formats
//! every item of that type exactly as the whole style does (tested below,
//! for both styles, every type apparat writes and the three locales).

use hayagriva::citationberg::taxonomy::Kind;
use hayagriva::citationberg::{
    Choose, ChooseBranch, ChooseMatch, ElseBranch, IndependentStyle, LayoutRenderingElement,
    NamesChild,
};
use std::str::FromStr;

/// `style` with every branch that tests only the item's type decided for
/// items of CSL type `item_type`.
pub(super) fn for_type(style: &IndependentStyle, item_type: &str) -> IndependentStyle {
    let kind = Kind::from_str(item_type).ok();
    // hayagriva's test for a CSL-JSON item: its type, parsed, equals the kind
    let is = |k: &Kind| kind == Some(*k);
    let mut style = style.clone();
    decide_all(&mut style.citation.layout.elements, &is);
    if let Some(bibliography) = style.bibliography.as_mut() {
        decide_all(&mut bibliography.layout.elements, &is);
    }
    for m in &mut style.macros {
        decide_all(&mut m.children, &is);
    }
    style
}

fn decide_all(elements: &mut [LayoutRenderingElement], is: &impl Fn(&Kind) -> bool) {
    for element in elements {
        match element {
            LayoutRenderingElement::Group(group) => decide_all(&mut group.children, is),
            LayoutRenderingElement::Names(names) => {
                for child in &mut names.children {
                    if let NamesChild::Substitute(s) = child {
                        decide_all(&mut s.children, is);
                    }
                }
            }
            LayoutRenderingElement::Choose(choose) => decide(choose, is),
            _ => {}
        }
    }
}

/// The value of a branch whose only test is the item's type; `None` for a
/// branch that tests anything else (hayagriva decides it per item).
fn type_test(branch: &ChooseBranch, is: &impl Fn(&Kind) -> bool) -> Option<bool> {
    let only_type = branch.disambiguate.is_none()
        && branch.is_numeric.is_none()
        && branch.is_uncertain_date.is_none()
        && branch.locator.is_none()
        && branch.position.is_none()
        && branch.variable.is_none();
    match &branch.type_ {
        Some(kinds) if only_type => Some(branch.match_.test(kinds.iter().map(is))),
        _ => None,
    }
}

/// A branch with no test: hayagriva's conditions are then an empty list,
/// which "all" accepts and "any" refuses.
fn constant(value: bool, children: Vec<LayoutRenderingElement>) -> ChooseBranch {
    ChooseBranch {
        disambiguate: None,
        is_numeric: None,
        is_uncertain_date: None,
        locator: None,
        position: None,
        type_: None,
        variable: None,
        match_: if value {
            ChooseMatch::All
        } else {
            ChooseMatch::Any
        },
        children,
    }
}

fn decide(choose: &mut Choose, is: &impl Fn(&Kind) -> bool) {
    let mut branches: Vec<ChooseBranch> = std::iter::once(choose.if_.clone())
        .chain(choose.else_if.drain(..))
        .collect();
    let mut otherwise = choose.otherwise.take();
    let mut kept: Vec<ChooseBranch> = Vec::with_capacity(branches.len());
    for mut branch in branches.drain(..) {
        match type_test(&branch, is) {
            Some(false) => {}
            Some(true) => {
                // taken whenever no kept branch before it is: the else
                otherwise = Some(ElseBranch {
                    children: std::mem::take(&mut branch.children),
                });
                break;
            }
            None => kept.push(branch),
        }
    }
    for branch in &mut kept {
        decide_all(&mut branch.children, is);
    }
    if let Some(o) = otherwise.as_mut() {
        decide_all(&mut o.children, is);
    }
    let mut kept = kept.into_iter();
    match kept.next() {
        Some(first) => {
            choose.if_ = first;
            choose.else_if = kept.collect();
            choose.otherwise = otherwise;
        }
        None => {
            choose.if_ = match otherwise {
                Some(o) => constant(true, o.children),
                None => constant(false, vec![]),
            };
            choose.else_if = vec![];
            choose.otherwise = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{csl_style, format_with};
    use crate::config::CitationStyle;
    use hayagriva::citationberg::json as csl_json;
    use serde_json::{json, Map, Value};

    /// Records of every CSL type apparat writes, with and without each of
    /// the fields a text's front matter may leave out.
    fn records() -> Vec<Value> {
        let mut out = vec![];
        for ty in ["document", "article-newspaper", "chapter"] {
            for mask in 0u32..32 {
                let mut r = Map::new();
                r.insert("id".into(), "t".into());
                r.insert("type".into(), ty.into());
                r.insert("title".into(), "Deux témoignages inédits".into());
                let on = |bit: u32| mask & (1 << bit) != 0;
                if on(0) {
                    r.insert(
                        "author".into(),
                        json!([{"family": "Paris", "given": "Robert"}]),
                    );
                }
                if on(1) {
                    r.insert("issued".into(), json!({"date-parts": [[1930, 6, 15]]}));
                }
                if on(2) {
                    r.insert("container-title".into(), "Homenaje a Jorge Basadre".into());
                    r.insert("chapter-number".into(), "12".into());
                }
                if on(3) {
                    r.insert("publisher".into(), "PUCP".into());
                    r.insert("publisher-place".into(), "Lima".into());
                }
                if on(4) {
                    r.insert("page".into(), "413-438".into());
                    r.insert("language".into(), "fr".into());
                }
                r.insert("note".into(), "Édition critique numérique".into());
                out.push(Value::Object(r));
            }
        }
        out
    }

    #[test]
    fn a_style_decided_for_a_type_formats_as_the_whole_style() {
        let mut compared = 0;
        for style in [CitationStyle::Chicago, CitationStyle::Mla] {
            let Some(whole) = csl_style(style) else {
                panic!("{} is bundled", style.csl_name());
            };
            for record in records() {
                let ty = record["type"].as_str().unwrap_or_default().to_string();
                let decided = super::for_type(whole, &ty);
                let Ok(item) = serde_json::from_value::<csl_json::Item>(record.clone()) else {
                    panic!("a valid record: {record}");
                };
                for lang in ["fr", "es", "en"] {
                    let expected = format_with(&item, whole, style, lang);
                    assert!(!expected.is_empty(), "{record} in {lang}");
                    assert_eq!(
                        format_with(&item, &decided, style, lang),
                        expected,
                        "{} {lang}: {record}",
                        style.csl_name()
                    );
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 2 * 3 * 32 * 3);
    }

    /// What the box shows, formatted as hayagriva's documentation does it:
    /// the archived style as it is, one citation in a bibliography driver,
    /// every bundled locale; the note (a note-form style) or the
    /// bibliography entry (another style).
    fn reference(item: &csl_json::Item, style: CitationStyle, lang: &str) -> String {
        use hayagriva::{BibliographyDriver, BibliographyRequest, CitationItem, CitationRequest};
        let Some(hayagriva::citationberg::Style::Independent(csl)) =
            hayagriva::archive::ArchivedStyle::by_name(style.csl_name()).map(|s| s.get())
        else {
            panic!("{} is bundled", style.csl_name());
        };
        static LOCALES: std::sync::OnceLock<Vec<hayagriva::citationberg::Locale>> =
            std::sync::OnceLock::new();
        let locales = LOCALES.get_or_init(hayagriva::archive::locales);
        let locale = Some(super::super::csl_locale(lang));
        let mut driver = BibliographyDriver::new();
        driver.citation(CitationRequest::new(
            vec![CitationItem::with_entry(item)],
            &csl,
            locale.clone(),
            locales,
            None,
        ));
        let rendered = driver.finish(BibliographyRequest::new(&csl, locale, locales));
        let mut html = String::new();
        if style.note_form() {
            for note in rendered.citations {
                super::super::children_html(&note.citation, &mut html);
            }
            while html.ends_with('.') {
                html.pop();
            }
        } else if let Some(bib) = rendered.bibliography {
            for entry in bib.items {
                super::super::children_html(&entry.content, &mut html);
            }
        }
        html
    }

    /// The box's shortcuts (the style decided per type, the locales it can
    /// read, no bibliography layout for a note or citation layout for an
    /// entry) change nothing it shows. The es-ES
    /// locale is left out: apparat patches it on purpose.
    #[test]
    fn the_box_formats_as_hayagrivas_driver_does() {
        let mut compared = 0;
        for style in [CitationStyle::Chicago, CitationStyle::Mla] {
            for record in records() {
                let ty = record["type"].as_str().unwrap_or_default().to_string();
                let Ok(item) = serde_json::from_value::<csl_json::Item>(record.clone()) else {
                    panic!("a valid record: {record}");
                };
                for lang in ["fr", "en"] {
                    let expected = reference(&item, style, lang);
                    assert!(!expected.is_empty(), "{record} in {lang}");
                    assert_eq!(
                        super::super::format_item(&item, &ty, style, lang),
                        expected,
                        "{} {lang}: {record}",
                        style.csl_name()
                    );
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 2 * 3 * 32 * 2);
    }
}
