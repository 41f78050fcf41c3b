//! hayagriva's bundled CSL locales, each decoded only when a request can
//! read it. `hayagriva::archive::locales()` decodes all sixty of them (at
//! N = 100 texts, 14 % of a build's instructions, most of it serde's error
//! messages for the enum variants it tries), while a request for a locale
//! reads only that locale, its language's default dialect and en-US
//! (hayagriva's lookup order, `StyleContext::lookup_locale`): only those
//! are decoded, once per process.

use hayagriva::citationberg::{Locale, LocaleCode};
use std::sync::{Mutex, OnceLock};

/// The `xml:lang` of a bundled locale, read without decoding the rest.
#[derive(serde::Deserialize)]
struct Lang {
    #[serde(rename = "@xml:lang")]
    lang: Option<String>,
}

/// Each bundled locale's language, in the archive's order.
fn langs() -> &'static [Option<String>] {
    static LANGS: OnceLock<Vec<Option<String>>> = OnceLock::new();
    LANGS.get_or_init(|| {
        hayagriva::archive::LOCALES
            .iter()
            .map(|bytes| {
                ciborium::from_reader::<Lang, _>(*bytes)
                    .ok()
                    .and_then(|l| l.lang)
            })
            .collect()
    })
}

/// The bundled locale of `code`, decoded (and patched, see [`patch`]) once.
fn bundled(code: &str) -> Option<&'static Locale> {
    type Decoded = Vec<OnceLock<Option<Locale>>>;
    static DECODED: OnceLock<Decoded> = OnceLock::new();
    let i = langs().iter().position(|l| l.as_deref() == Some(code))?;
    let cells = DECODED.get_or_init(|| langs().iter().map(|_| OnceLock::new()).collect());
    cells
        .get(i)?
        .get_or_init(|| {
            let bytes = hayagriva::archive::LOCALES.get(i)?;
            let mut locale: Locale = ciborium::from_reader(*bytes).ok()?;
            patch(&mut locale);
            Some(locale)
        })
        .as_ref()
}

/// The bundled locales a request may read when it asks for the locales
/// `codes` (the request's own, the style's default): each, its language's
/// default dialect, and en-US. Made once per set of codes.
pub fn for_request(codes: &[Option<&LocaleCode>]) -> &'static [Locale] {
    type Made = Vec<(Vec<String>, &'static [Locale])>;
    static MADE: OnceLock<Mutex<Made>> = OnceLock::new();
    let mut wanted: Vec<String> = Vec::new();
    for code in codes.iter().flatten() {
        wanted.push(code.0.clone());
        wanted.extend(code.fallback().map(|f| f.0));
    }
    wanted.push(LocaleCode::en_us().0);
    let mut seen = std::collections::HashSet::new();
    wanted.retain(|c| seen.insert(c.clone()));
    let mut made = match MADE.get_or_init(Default::default).lock() {
        Ok(made) => made,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some((_, found)) = made.iter().find(|(w, _)| *w == wanted) {
        return found;
    }
    // (a few per process: one per language and style asked for)
    let locales: Vec<Locale> = wanted.iter().filter_map(|c| bundled(c)).cloned().collect();
    let locales: &'static [Locale] = Vec::leak(locales);
    made.push((wanted, locales));
    locales
}

/// The es-ES locale leaves the term `chapter-number` in English (« chap. »,
/// which Chicago prints before a chapter's number): it takes the locale's
/// own words for the term `chapter` (« cap. », « capítulo »).
fn patch(locale: &mut Locale) {
    use hayagriva::citationberg::taxonomy::{Kind, NumberVariable, Term};
    if locale.lang.as_ref().map(|l| l.0.as_str()) != Some("es-ES") {
        return;
    }
    let Some(terms) = locale.terms.as_mut() else {
        return;
    };
    let number = Term::NumberVariable(NumberVariable::ChapterNumber);
    let words: Vec<_> = terms
        .terms
        .iter()
        .filter(|t| t.name == Term::Kind(Kind::Chapter))
        .cloned()
        .map(|mut t| {
            t.name = number;
            t
        })
        .collect();
    if !words.is_empty() {
        terms.terms.retain(|t| t.name != number);
        terms.terms.extend(words);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The locales a request gets are those of the whole archive that
    /// hayagriva's lookup can reach for it, decoded the same way.
    #[test]
    fn a_request_gets_the_archives_locales_it_can_read() {
        let all = hayagriva::archive::locales();
        let fr = LocaleCode("fr-CA".to_string());
        let got = for_request(&[Some(&fr), None]);
        let codes: Vec<&str> = got
            .iter()
            .filter_map(|l| l.lang.as_ref().map(|c| c.0.as_str()))
            .collect();
        assert_eq!(codes, ["fr-CA", "fr-FR", "en-US"]);
        for l in got {
            assert!(all.contains(l), "{:?} differs from the archive's", l.lang);
        }
        // the same request, the same slice
        assert!(std::ptr::eq(got, for_request(&[Some(&fr), None])));
        // every bundled locale's language is read without decoding it
        assert_eq!(langs().iter().flatten().count(), all.len());
    }
}
