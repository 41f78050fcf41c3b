//! Interface strings: one table per interface language (`fr`, `es`, `en`).
//! The interface language is a setting (`ui_language` in site.toml, by
//! default the primary subtag of `language`), and every string can be
//! replaced from site.toml's `[ui]` table. Templates get the strings as `ui`;
//! the generator uses [`t`].
//!
//! French strings carry French typography themselves (a no-break space before
//! `:` and inside « »); Spanish and English strings never do.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The interface languages that have a table.
pub const SUPPORTED: &[&str] = &["fr", "es", "en"];

/// (key, French, Spanish, English)
const STRINGS: &[(&str, &str, &str, &str)] = &[
    ("contents", "Sommaire", "Índice", "Contents"),
    ("home", "Accueil", "Inicio", "Home"),
    ("texts", "Textes", "Textos", "Texts"),
    // the header menu of the index pages (persons and the declared registers)
    ("indexes", "Index", "Índices", "Indexes"),
    ("notes", "Notes", "Notas", "Notes"),
    ("note", "Note", "Nota", "Note"),
    ("editorial_note", "Note de l'édition", "Nota de la edición", "Editorial note"),
    ("editorial_notes", "Notes de l'édition", "Notas de la edición", "Editorial notes"),
    ("author_notes", "Notes de l'auteur", "Notas del autor", "Author’s notes"),
    ("editor_notes", "Notes de l'éditeur", "Notas del editor", "Editor’s notes"),
    // the label of numbered notes (`[^1]`): by default the author's,
    // editor's or translator's as `numbered_notes` says in site.toml
    ("numbered_notes", "Notes de l'auteur", "Notas del autor", "Author’s notes"),
    ("translator_notes", "Notes du traducteur", "Notas del traductor", "Translator’s notes"),
    ("backlink", "Retour à l'appel de la note {label}", "Volver a la llamada de la nota {label}", "Back to the call of note {label}"),
    ("backlink_n", "Retour à l'appel {n} de la note {label}", "Volver a la llamada {n} de la nota {label}", "Back to call {n} of note {label}"),
    ("emendations", "Apparat des corrections", "Aparato de enmiendas", "Apparatus of emendations"),
    ("emendations_intro", "Leçons de la source corrigées par l'édition (leçon de l'édition ] leçon de la source).", "Lecturas de la fuente corregidas por la edición (lectura de la edición ] lectura de la fuente).", "Readings of the source corrected by the edition (edition’s reading ] source’s reading)."),
    ("source_reading", "source", "fuente", "source"),
    ("supplied", "ajouté par l'édition", "añadido por la edición", "supplied by the edition"),
    ("deleted", "supprimé par l'édition", "suprimido por la edición", "deleted by the edition"),
    ("original", "Original", "Original", "Original"),
    ("translation", "Traduction", "Traducción", "Translation"),
    ("translation_credit", "traduction de l'édition", "traducción de la edición", "translated by the edition"),
    ("gloss", "traduction", "traducción", "translation"),
    ("paragraph", "§", "§", "§"),
    ("paragraph_link", "Lien permanent vers le paragraphe {n}", "Enlace permanente al párrafo {n}", "Permanent link to paragraph {n}"),
    ("heading_link", "Lien vers cette section", "Enlace a esta sección", "Link to this section"),
    ("persons", "Index des personnes", "Índice de personas", "Index of persons"),
    ("register_data", "Le registre en données", "El registro en datos", "The register as data"),
    ("in_note", "note", "nota", "note"),
    ("see", "voir", "véase", "see"),
    ("pseudonym", "pseudonyme", "seudónimo", "pseudonym"),
    ("variant", "variante", "variante", "variant"),
    ("conjecture_by", "identification conjecturale ({by})", "identificación conjetural ({by})", "conjectural identification ({by})"),
    ("occurrences", "Occurrences", "Apariciones", "Occurrences"),
    ("index_letters", "Index par lettre", "Índice por letra", "Index by letter"),
    // an editorial page (home, section, any page not a text) in the index
    ("editorial_page", "page de l'édition", "página de la edición", "page of the edition"),
    // a mention on a page without numbered paragraphs, in the index
    ("mention", "mention", "mención", "mention"),
    ("no_occurrence", "aucune occurrence dans les textes", "ninguna aparición en los textos", "no occurrence in the texts"),
    ("previous", "Texte précédent", "Texto anterior", "Previous text"),
    ("next", "Texte suivant", "Texto siguiente", "Next text"),
    ("cite", "Citer", "Citar", "Cite"),
    ("cite_intro", "Citer cette édition", "Citar esta edición", "Cite this edition"),
    ("download_bibtex", "Télécharger BibTeX", "Descargar BibTeX", "Download BibTeX"),
    ("download_csl", "Télécharger CSL-JSON", "Descargar CSL-JSON", "Download CSL-JSON"),
    ("copy", "Copier", "Copiar", "Copy"),
    ("copied", "Copié", "Copiado", "Copied"),
    ("edit_page", "Modifier cette page", "Editar esta página", "Edit this page"),
    ("view_source", "Source Markdown de cette page", "Fuente Markdown de esta página", "Markdown source of this page"),
    ("source_of", "Source Markdown", "Fuente Markdown", "Markdown source"),
    ("back_to_text", "Retour au texte", "Volver al texto", "Back to the text"),
    ("version", "Version", "Versión", "Version"),
    ("colophon", "Colophon", "Colofón", "Colophon"),
    ("skip", "Aller au texte", "Ir al texto", "Skip to the text"),
    ("not_found", "Page introuvable", "Página no encontrada", "Page not found"),
    ("not_found_text", "Cette page n'existe pas ou a été déplacée.", "Esta página no existe o ha sido trasladada.", "This page does not exist or has moved."),
    ("close", "Fermer", "Cerrar", "Close"),
    ("source", "Source", "Fuente", "Source"),
    ("translation_of", "Version française", "Versión francesa", "French version"),
    ("translations", "Autres langues", "Otros idiomas", "Other languages"),
    // a translated text and its parallel reading view ({lang}: the original's language)
    ("translation_notice", "Traduction de l'édition. Seul le texte original ({lang}) fait foi.", "Traducción de la edición. Solo el texto original ({lang}) hace fe.", "Translated by the edition. Only the original text ({lang}) is authoritative."),
    ("parallel_view", "Texte et traduction en regard", "Texto y traducción en paralelo", "Text and translation side by side"),
    ("parallel_text_only", "Traduction seule", "Solo la traducción", "Translation only"),
    ("example_source", "Source", "Fuente", "Source"),
    ("example_result", "Rendu", "Resultado", "Result"),
    ("apparatus", "Apparat", "Aparato", "Apparatus"),
    ("site_nav", "Navigation du site", "Navegación del sitio", "Site navigation"),
    ("toc", "Table du texte", "Tabla del texto", "Outline of the text"),
    ("text_nav", "Textes précédent et suivant", "Textos anterior y siguiente", "Previous and next texts"),
    ("print", "Imprimer", "Imprimir", "Print"),
    // search (the header's box, the search page)
    ("search", "Recherche", "Búsqueda", "Search"),
    ("search_label", "Rechercher dans l'édition", "Buscar en la edición", "Search the edition"),
    ("search_button", "Rechercher", "Buscar", "Search"),
    ("search_filters", "Affiner", "Filtrar", "Refine"),
    ("search_by_text", "Texte", "Texto", "Text"),
    ("search_by_language", "Langue", "Idioma", "Language"),
    ("search_by_kind", "Type", "Tipo", "Kind"),
    ("search_kind_text", "texte", "texto", "text"),
    ("search_kind_note", "note", "nota", "note"),
    ("search_kind_editorial", "page de l'édition", "página de la edición", "editorial page"),
    ("search_kind_register", "index des personnes", "índice de personas", "index of persons"),
    ("search_kind_index", "index", "índice", "index"),
    ("search_loading", "Recherche en cours…", "Buscando…", "Searching…"),
    ("search_results", "{n} pages trouvées", "{n} páginas encontradas", "{n} pages found"),
    ("search_one_result", "1 page trouvée", "1 página encontrada", "1 page found"),
    ("search_none", "Aucun résultat.", "Ningún resultado.", "No results."),
    ("search_more", "Autres passages", "Otros pasajes", "More passages"),
    ("search_needs_server", "La recherche ne fonctionne que sur le site servi par un serveur web, pas sur des fichiers ouverts depuis le disque.", "La búsqueda solo funciona en el sitio servido por un servidor web, no en archivos abiertos desde el disco.", "Search works only when the site is served by a web server, not on files opened from disk."),
    ("search_failed", "La recherche n'a pas pu se charger.", "No se pudo cargar la búsqueda.", "Search could not be loaded."),
    ("search_persons_hint", "Les personnes citées sont dans l'index des personnes.", "Las personas citadas están en el índice de personas.", "The persons mentioned are in the index of persons."),
    ("search_no_script", "Les résultats de la recherche ont besoin de JavaScript. Les personnes citées sont dans l'index des personnes.", "Los resultados de la búsqueda necesitan JavaScript. Las personas citadas están en el índice de personas.", "Search results need JavaScript. The persons mentioned are in the index of persons."),
    // punctuation of labels and citations
    ("colon", "\u{a0}:", ":", ":"),
    ("list_separator", ", ", ", ", ", "),
    ("quote_open", "«\u{202f}", "«", "“"),
    ("quote_close", "\u{202f}»", "»", "”"),
    ("cite_separator", "\u{202f}; ", "; ", "; "),
    // citations
    ("cite_edition", "édition critique numérique", "edición crítica digital", "critical digital edition"),
    ("cite_editors", "éd.", "ed.", "ed."),
    ("cite_chapter", "chap.", "cap.", "chap."),
    // language names (`lang_` + a language tag or its primary subtag)
    ("lang_fr", "français", "francés", "French"),
    ("lang_es", "espagnol", "español", "Spanish"),
    ("lang_en", "anglais", "inglés", "English"),
    ("lang_de", "allemand", "alemán", "German"),
    ("lang_it", "italien", "italiano", "Italian"),
    ("lang_pt", "portugais", "portugués", "Portuguese"),
    ("lang_la", "latin", "latín", "Latin"),
    ("lang_qu", "quechua", "quechua", "Quechua"),
    ("lang_ru", "russe", "ruso", "Russian"),
    ("lang_ca", "catalan", "catalán", "Catalan"),
    ("lang_el", "grec", "griego", "Greek"),
    ("lang_ay", "aymara", "aimara", "Aymara"),
];

/// The supported interface language for `tag`, if any: itself, or its
/// primary subtag (`es-CU` → `es`).
pub fn supported(tag: &str) -> Option<&'static str> {
    let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    SUPPORTED.iter().copied().find(|l| *l == primary)
}

/// The keys of the search page's strings, and of language names (its filters).
pub fn search_keys() -> impl Iterator<Item = &'static str> {
    STRINGS
        .iter()
        .map(|(k, ..)| *k)
        .filter(|k| k.starts_with("search") || k.starts_with("lang_"))
}

/// Whether `key` may be set in `[ui]`: a key of the tables, or `lang_` and
/// a known language tag (the name of that language).
pub fn is_key(key: &str) -> bool {
    STRINGS.iter().any(|(k, ..)| *k == key)
        || key.strip_prefix("lang_").is_some_and(crate::lang::is_known)
}

/// The interface strings of one edition: a table, with the edition's overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Ui {
    lang: String,
    strings: Arc<BTreeMap<String, String>>,
}

impl Serialize for Ui {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.strings.serialize(s)
    }
}

impl Ui {
    /// The table of `lang` (a supported language; English otherwise).
    pub fn new(lang: &str) -> Ui {
        let lang = supported(lang).unwrap_or("en");
        let col = SUPPORTED.iter().position(|l| *l == lang).unwrap_or(2);
        let strings = STRINGS
            .iter()
            .map(|&(k, fr, es, en)| (k.to_string(), [fr, es, en][col].to_string()))
            .collect();
        Ui {
            lang: lang.to_string(),
            strings: Arc::new(strings),
        }
    }

    /// The interface language (`fr`, `es` or `en`).
    pub fn lang(&self) -> &str {
        &self.lang
    }

    /// Replaces (or adds) one string.
    pub fn set(&mut self, key: &str, value: &str) {
        Arc::make_mut(&mut self.strings).insert(key.to_string(), value.to_string());
    }

    pub fn get_opt(&self, key: &str) -> Option<&str> {
        self.strings.get(key).map(String::as_str)
    }

    /// The name of language `tag` in the interface language: the interface
    /// string `lang_TAG`, else `lang_PRIMARY`, else the tag itself.
    pub fn language_name(&self, tag: &str) -> String {
        let primary = tag.split('-').next().unwrap_or(tag);
        self.get_opt(&format!("lang_{tag}"))
            .or_else(|| self.get_opt(&format!("lang_{primary}")))
            .unwrap_or(tag)
            .to_string()
    }

    /// One string; an unknown key gives the key itself.
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.get_opt(key).unwrap_or(key)
    }
}

/// One string; an unknown key gives the key itself.
pub fn t(ui: &Ui, key: &str) -> String {
    ui.get(key).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_complete_and_only_french_has_french_spacing() {
        for &(k, fr, es, en) in STRINGS {
            assert!(!fr.is_empty() && !es.is_empty() && !en.is_empty(), "{k}");
            for s in [es, en] {
                assert!(!s.contains(['\u{a0}', '\u{202f}']), "{k}: {s:?}");
                assert!(!s.contains(" :") && !s.contains(" ;"), "{k}: {s:?}");
            }
        }
        assert_eq!(supported("es-CU"), Some("es"));
        assert_eq!(supported("de"), None);
        assert!(is_key("lang_nah") || !crate::lang::is_known("nah"));
        assert!(is_key("lang_de") && is_key("contents") && !is_key("nope"));
        assert_eq!(Ui::new("en").get("contents"), "Contents");
    }
}
