//! Interface strings, from one table: the interface language is a setting
//! (`ui_language` in site.toml), not a template edit. Templates get the table
//! as `ui`; the generator uses [`t`].

use std::collections::BTreeMap;

/// (key, French, Spanish)
const STRINGS: &[(&str, &str, &str)] = &[
    ("contents", "Sommaire", "Índice"),
    ("home", "Accueil", "Inicio"),
    ("texts", "Textes", "Textos"),
    ("notes", "Notes", "Notas"),
    ("note", "Note", "Nota"),
    ("editorial_note", "Note de l'édition", "Nota de la edición"),
    ("editorial_notes", "Notes de l'édition", "Notas de la edición"),
    ("author_notes", "Notes de l'auteur", "Notas del autor"),
    ("backlink", "Retour à l'appel de la note {label}", "Volver a la llamada de la nota {label}"),
    ("backlink_n", "Retour à l'appel {n} de la note {label}", "Volver a la llamada {n} de la nota {label}"),
    ("emendations", "Apparat des corrections", "Aparato de enmiendas"),
    ("emendations_intro", "Leçons de la source corrigées par l'édition (leçon de l'édition ] leçon de la source).", "Lecturas de la fuente corregidas por la edición (lectura de la edición ] lectura de la fuente)."),
    ("source_reading", "source", "fuente"),
    ("supplied", "ajouté par l'édition", "añadido por la edición"),
    ("deleted", "supprimé par l'édition", "suprimido por la edición"),
    ("original", "Original", "Original"),
    ("translation", "Traduction", "Traducción"),
    ("gloss", "traduction", "traducción"),
    ("paragraph", "§", "§"),
    ("paragraph_link", "Lien permanent vers le paragraphe {n}", "Enlace permanente al párrafo {n}"),
    ("heading_link", "Lien vers cette section", "Enlace a esta sección"),
    ("persons", "Index des personnes", "Índice de personas"),
    ("in_note", "note", "nota"),
    ("see", "voir", "véase"),
    ("pseudonym", "pseudonyme", "seudónimo"),
    ("variant", "variante", "variante"),
    ("occurrences", "Occurrences", "Apariciones"),
    ("index_letters", "Index par lettre", "Índice por letra"),
    ("no_occurrence", "aucune occurrence dans les textes", "ninguna aparición en los textos"),
    ("previous", "Texte précédent", "Texto anterior"),
    ("next", "Texte suivant", "Texto siguiente"),
    ("cite", "Citer", "Citar"),
    ("cite_intro", "Citer cette édition", "Citar esta edición"),
    ("download_bibtex", "Télécharger BibTeX", "Descargar BibTeX"),
    ("download_csl", "Télécharger CSL-JSON", "Descargar CSL-JSON"),
    ("copy", "Copier", "Copiar"),
    ("copied", "Copié", "Copiado"),
    ("edit_page", "Modifier cette page", "Editar esta página"),
    ("view_source", "Source Markdown de cette page", "Fuente Markdown de esta página"),
    ("source_of", "Source Markdown", "Fuente Markdown"),
    ("back_to_text", "Retour au texte", "Volver al texto"),
    ("version", "Version", "Versión"),
    ("colophon", "Colophon", "Colofón"),
    ("skip", "Aller au texte", "Ir al texto"),
    ("not_found", "Page introuvable", "Página no encontrada"),
    ("not_found_text", "Cette page n'existe pas ou a été déplacée.", "Esta página no existe o ha sido trasladada."),
    ("close", "Fermer", "Cerrar"),
    ("source", "Source", "Fuente"),
    ("translation_of", "Version française", "Versión francesa"),
    ("translations", "Autres langues", "Otros idiomas"),
    ("example_source", "Source", "Fuente"),
    ("example_result", "Rendu", "Resultado"),
    ("apparatus", "Apparat", "Aparato"),
    ("site_nav", "Navigation du site", "Navegación del sitio"),
    ("toc", "Table du texte", "Tabla del texto"),
    ("text_nav", "Textes précédent et suivant", "Textos anterior y siguiente"),
    ("print", "Imprimer", "Imprimir"),
];

/// The table for a language (French unless `es`).
pub fn table(lang: &str) -> BTreeMap<&'static str, &'static str> {
    STRINGS
        .iter()
        .map(|(k, fr, es)| (*k, if lang == "es" { *es } else { *fr }))
        .collect()
}

/// One string; an unknown key gives the key itself.
pub fn t(lang: &str, key: &str) -> String {
    STRINGS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, fr, es)| if lang == "es" { *es } else { *fr })
        .unwrap_or(key)
        .to_string()
}
