//! A CSL style decided in advance for one shape of record.
//!
//! hayagriva evaluates a style's `choose` conditions for every item it
//! formats, and the bundled Chicago and MLA styles test the item's type and
//! which variables it has in most of their macros: for the « Cite » box of
//! each text, that was about 40 % of all the work of a build (callgrind,
//! BENCHMARKS.md). Every text's record has one of a few shapes (a CSL type
//! and a set of fields, see `Citation::record`), so each style is decided
//! once per shape: a branch whose tests are all on the type or on variables
//! the record lacks is known to be true or false, false branches are
//! dropped, and the first true one ends its `choose`. A branch that tests
//! anything else (a variable the record has, which hayagriva may suppress
//! once used; position, locator…) is kept as it is, for hayagriva to decide
//! per item. The result formats every record of that shape exactly as the
//! whole style does (tested below, for both styles and every shape apparat
//! writes).

use hayagriva::citationberg::taxonomy::{Kind, Variable};
use hayagriva::citationberg::{
    Choose, ChooseBranch, ChooseMatch, ElseBranch, IndependentStyle, LayoutRenderingElement,
    NamesChild, SortKey, TestPosition, TextTarget,
};
use std::collections::HashSet;
use std::str::FromStr;

/// Variables that hayagriva makes from something other than the field of
/// the same name (the citation, another field): never decided absent.
const DERIVED: &[&str] = &[
    "citation-number",
    "citation-label",
    "first-reference-note-number",
    "locator",
    "year-suffix",
    "page-first",
    "editortranslator",
];

/// What is known of every record a decided style formats: its CSL type and
/// the fields it has.
struct Shape<'a> {
    kind: Option<Kind>,
    fields: &'a [String],
    /// The style renders the first citation of the item, alone, without a
    /// locator, and nothing else (a note-form style without its
    /// bibliography, in the box): its `position` and `locator` tests are known.
    first_citation: bool,
}

impl Shape<'_> {
    /// hayagriva's test for a CSL-JSON item: its type, parsed, equals the kind.
    fn is(&self, k: &Kind) -> bool {
        self.kind == Some(*k)
    }

    /// The value of a position test for the first citation of an item, with
    /// no other citation before it.
    fn position(&self, p: &TestPosition) -> Option<bool> {
        self.first_citation.then_some(*p == TestPosition::First)
    }

    /// The record has no field for `v` (so hayagriva finds it empty).
    fn lacks(&self, v: &Variable) -> bool {
        let name = v.to_string();
        !DERIVED.contains(&name.as_str()) && !self.fields.contains(&name)
    }
}

/// `style` decided for records of CSL type `item_type` with the fields
/// `fields` (their CSL-JSON names); with `first_citation`, for rendering the
/// first citation of such a record, alone, and nothing else.
pub(super) fn for_shape(
    style: &IndependentStyle,
    item_type: &str,
    fields: &[String],
    first_citation: bool,
) -> IndependentStyle {
    let shape = Shape {
        kind: Kind::from_str(item_type).ok(),
        fields,
        first_citation,
    };
    let mut style = style.clone();
    decide_all(&mut style.citation.layout.elements, &shape);
    if let Some(bibliography) = style.bibliography.as_mut() {
        decide_all(&mut bibliography.layout.elements, &shape);
    }
    for m in &mut style.macros {
        decide_all(&mut m.children, &shape);
    }
    keep_reached_macros(&mut style);
    style
}

/// Drops the macros that the decided style can no longer call: hayagriva
/// looks a macro up by name through the whole list at every call
/// (`StyleContext::get_macro`), which was a quarter of the box's
/// formatting once the branches were decided. A macro is reached from a
/// layout or a sort key, or from a macro reached.
fn keep_reached_macros(style: &mut IndependentStyle) {
    let mut todo: Vec<&str> = Vec::new();
    let bibliography_sort = style.bibliography.as_ref().map(|b| &b.sort);
    let sorts = std::iter::once(&style.citation.sort).chain(bibliography_sort);
    for sort in sorts.flatten() {
        for key in &sort.keys {
            if let SortKey::MacroName { name, .. } = key {
                todo.push(name);
            }
        }
    }
    calls(&style.citation.layout.elements, &mut todo);
    if let Some(b) = &style.bibliography {
        calls(&b.layout.elements, &mut todo);
    }
    let mut reached: HashSet<&str> = HashSet::new();
    while let Some(name) = todo.pop() {
        if reached.insert(name) {
            for m in style.macros.iter().filter(|m| m.name == name) {
                calls(&m.children, &mut todo);
            }
        }
    }
    let reached: HashSet<String> = reached.into_iter().map(str::to_string).collect();
    style.macros.retain(|m| reached.contains(&m.name));
}

/// The macros that `elements` call, added to `out`.
fn calls<'s>(elements: &'s [LayoutRenderingElement], out: &mut Vec<&'s str>) {
    for element in elements {
        match element {
            LayoutRenderingElement::Text(t) => {
                if let TextTarget::Macro { name } = &t.target {
                    out.push(name);
                }
            }
            LayoutRenderingElement::Group(group) => calls(&group.children, out),
            LayoutRenderingElement::Names(names) => {
                for child in &names.children {
                    if let NamesChild::Substitute(s) = child {
                        calls(&s.children, out);
                    }
                }
            }
            LayoutRenderingElement::Choose(choose) => {
                for branch in std::iter::once(&choose.if_).chain(&choose.else_if) {
                    calls(&branch.children, out);
                }
                if let Some(o) = &choose.otherwise {
                    calls(&o.children, out);
                }
            }
            _ => {}
        }
    }
}

fn decide_all(elements: &mut [LayoutRenderingElement], shape: &Shape) {
    for element in elements {
        match element {
            LayoutRenderingElement::Group(group) => decide_all(&mut group.children, shape),
            LayoutRenderingElement::Names(names) => {
                for child in &mut names.children {
                    if let NamesChild::Substitute(s) = child {
                        decide_all(&mut s.children, shape);
                    }
                }
            }
            LayoutRenderingElement::Choose(choose) => decide(choose, shape),
            _ => {}
        }
    }
}

/// What is known of one test of a branch: its value, if known, and whether
/// hayagriva's evaluating it could change what follows (querying a variable
/// the record has suppresses it inside a `substitute`).
type Test = (Option<bool>, bool);

/// A branch's tests in the order hayagriva evaluates them
/// (`BranchConditionIter`): disambiguate, is-numeric, is-uncertain-date,
/// locator, position, type, variable.
fn tests(branch: &ChooseBranch, shape: &Shape) -> Vec<Test> {
    // a variable the record lacks is empty, and querying it shows nothing
    // (it would only suppress an empty variable)
    let variable = |v: &Variable| {
        if shape.lacks(v) {
            (Some(false), false)
        } else {
            (None, true)
        }
    };
    let mut out: Vec<Test> = Vec::new();
    if branch.disambiguate.is_some() {
        out.push((None, false));
    }
    out.extend(branch.is_numeric.iter().flatten().map(variable));
    for d in branch.is_uncertain_date.iter().flatten() {
        out.push(variable(&Variable::Date(*d)));
    }
    // the box's citation has no locator
    for _ in branch.locator.iter().flatten() {
        out.push((shape.first_citation.then_some(false), false));
    }
    for p in branch.position.iter().flatten() {
        out.push((shape.position(p), false));
    }
    for k in branch.type_.iter().flatten() {
        out.push((Some(shape.is(k)), false));
    }
    out.extend(branch.variable.iter().flatten().map(variable));
    out
}

/// The value of a branch when its known tests decide it, as hayagriva
/// would evaluate it (in order, stopping at the first test that decides):
/// a test decides the branch only if no test before it could change what
/// follows. `None`: hayagriva decides it per item.
fn known_value(branch: &ChooseBranch, shape: &Shape) -> Option<bool> {
    let tests = tests(branch, shape);
    if tests.is_empty() {
        return None;
    }
    // the value of a test that ends the evaluation, and the branch's then
    let (stop, result) = match branch.match_ {
        ChooseMatch::All => (false, false),
        ChooseMatch::Any => (true, true),
        ChooseMatch::None => (true, false),
    };
    let mut effects = false;
    let mut unknown = false;
    for (value, effect) in tests {
        match value {
            Some(v) if v == stop && !effects => return Some(result),
            Some(_) => {}
            None => unknown = true,
        }
        effects |= effect;
    }
    // every test known, none ending the evaluation
    (!unknown).then_some(!result)
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

fn decide(choose: &mut Choose, shape: &Shape) {
    let mut branches: Vec<ChooseBranch> = std::iter::once(choose.if_.clone())
        .chain(choose.else_if.drain(..))
        .collect();
    let mut otherwise = choose.otherwise.take();
    let mut kept: Vec<ChooseBranch> = Vec::with_capacity(branches.len());
    for mut branch in branches.drain(..) {
        match known_value(&branch, shape) {
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
        decide_all(&mut branch.children, shape);
    }
    if let Some(o) = otherwise.as_mut() {
        decide_all(&mut o.children, shape);
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

    /// A record of every shape the box formats (`Citation::formatted`):
    /// each CSL type apparat writes, with its container and chapter number
    /// as the type has them, with and without each field a text's front
    /// matter may leave out.
    fn records() -> Vec<Value> {
        let mut out = vec![];
        for ty in ["document", "article-newspaper", "chapter"] {
            for mask in 0u32..64 {
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
                if ty != "document" {
                    r.insert("container-title".into(), "Homenaje a Jorge Basadre".into());
                }
                if ty == "chapter" {
                    r.insert("chapter-number".into(), "12".into());
                }
                if on(2) {
                    r.insert("publisher".into(), "PUCP".into());
                }
                if on(3) {
                    r.insert("publisher-place".into(), "Lima".into());
                }
                if on(4) {
                    r.insert("page".into(), "413-438".into());
                }
                if on(5) {
                    r.insert("language".into(), "fr".into());
                }
                r.insert("note".into(), "Édition critique numérique".into());
                out.push(Value::Object(r));
            }
        }
        out
    }

    #[test]
    fn a_style_decided_for_a_shape_formats_as_the_whole_style() {
        let mut compared = 0;
        for style in [CitationStyle::Chicago, CitationStyle::Mla] {
            let Some(whole) = csl_style(style) else {
                panic!("{} is bundled", style.csl_name());
            };
            for record in records() {
                let ty = record["type"].as_str().unwrap_or_default().to_string();
                let Ok(item) = serde_json::from_value::<csl_json::Item>(record.clone()) else {
                    panic!("a valid record: {record}");
                };
                let fields: Vec<String> = item.0.keys().cloned().collect();
                let decided = super::for_shape(whole, &ty, &fields, false);
                // the macros it can no longer call are gone
                assert!(
                    decided.macros.len() < whole.macros.len(),
                    "{} of {} macros kept",
                    decided.macros.len(),
                    whole.macros.len()
                );
                for lang in ["fr", "es", "en"] {
                    let expected = format_with(&item, whole, style, lang, false);
                    assert!(!expected.is_empty(), "{record} in {lang}");
                    assert_eq!(
                        format_with(&item, &decided, style, lang, false),
                        expected,
                        "{} {lang}: {record}",
                        style.csl_name()
                    );
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 2 * 3 * 64 * 3);
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
        let locale = Some(super::super::csl_locale(lang));
        // (apparat patches es-ES on purpose: its own locales for Spanish)
        let locales: &[hayagriva::citationberg::Locale] = if lang == "es" {
            super::super::locales::for_request(&[locale.as_ref()])
        } else {
            LOCALES.get_or_init(hayagriva::archive::locales)
        };
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

    /// The box's shortcuts (the style decided per shape, the locales it can
    /// read, no bibliography layout for a note or citation layout for an
    /// entry, the note rendered alone) change nothing it shows (in Spanish,
    /// with the es-ES locale as apparat patches it).
    #[test]
    fn the_box_formats_as_hayagrivas_driver_does() {
        let mut compared = 0;
        for style in [CitationStyle::Chicago, CitationStyle::Mla] {
            for record in records() {
                let ty = record["type"].as_str().unwrap_or_default().to_string();
                let Ok(item) = serde_json::from_value::<csl_json::Item>(record.clone()) else {
                    panic!("a valid record: {record}");
                };
                for lang in ["fr", "es", "en"] {
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
        assert_eq!(compared, 2 * 3 * 64 * 3);
    }
}
