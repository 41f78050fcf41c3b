//! Translations of edition texts: a text whose front matter says
//! `translation_of = "…"` translates another text paragraph by paragraph.
//!
//! - [`check`]: the translation must have the same numbered paragraphs (§)
//!   and the same author's notes as its original, each note first called in
//!   the same §; every difference is a `path:line:col` error;
//! - [`ui_for`]: a translation in another interface language than the edition's
//!   (a Spanish translation of a French edition) gets that language's
//!   interface strings;
//! - [`parallel_rows`]: the original and the translation side by side, § N
//!   beside § N, for the parallel reading view (`<translation>/parallel/`).
//!
//! Nothing here knows a language or an edition: any text may have a
//! translation in any language that has an interface table.

use crate::config::Config;
use crate::content::{Kind, Page};
use crate::diagnostics::Diagnostics;
use crate::edition::{Edition, Entry};
use crate::i18n::Ui;
use crate::markup::Series;
use foldhash::HashMap;
use lol_html::{element, rewrite_str, RewriteStrSettings};
use serde::Serialize;
use std::collections::BTreeMap;

/// The folder, under a translation's URL, of its parallel reading view.
pub const PARALLEL_DIR: &str = "parallel/";

/// The interface strings of a translation, when they are not the
/// edition's (see [`Config::ui_for_page`]).
pub fn ui_for(config: &Config, page: &Page) -> Option<Ui> {
    config.ui_for_page(page)
}

/// The interface language of a page: its own when [`ui_for`] gives it a
/// table, else the edition's (as `ui_language`, or `language`, is written).
pub fn ui_lang_of(config: &Config, page: &Page) -> String {
    match ui_for(config, page) {
        Some(ui) => ui.lang().to_string(),
        None => config
            .ui_language
            .clone()
            .unwrap_or_else(|| config.language.clone()),
    }
}

/// Byte offset of the value of front-matter key `key` in the page source
/// (0 if absent), for diagnostics.
fn key_offset(page: &Page, key: &str) -> usize {
    let src = page.src.text();
    let head = src.get(..page.body_start).unwrap_or("");
    let mut at = 0;
    for line in head.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                let value = line.find('=').map(|i| i + 1).unwrap_or(0);
                let pad = line[value..].len() - line[value..].trim_start().len();
                return at + value + pad;
            }
        }
        at += line.len();
    }
    0
}

/// Every check of translations: the page translated exists; a translated
/// text translates a text, with the same § and author's notes.
pub fn check(ed: &Edition, diags: &mut Diagnostics) {
    let by_rel: HashMap<&str, &Entry> = ed
        .entries
        .iter()
        .map(|e| (e.page.rel.as_str(), &**e))
        .collect();
    for e in &ed.entries {
        let page = &e.page;
        let Some(target) = page.front.translation_of.as_deref() else {
            continue;
        };
        let at = key_offset(page, "translation_of");
        let Some(orig) = by_rel.get(target.trim_matches('/')).copied() else {
            diags.push(page.src.error(
                at,
                format!(
                    "`translation_of = \"{target}\"` names no page: give the original's path in content/ without `.md` (e.g. `textes/lettre` for content/textes/lettre.md)"
                ),
            ));
            continue;
        };
        let (kt, ko) = (page.front.kind, orig.page.front.kind);
        if kt == Kind::Text || ko == Kind::Text {
            if kt != ko {
                diags.push(page.src.error(
                    at,
                    format!(
                        "a translation has the kind of its original: `{}` is `kind = \"{}\"`, this page `kind = \"{}\"`",
                        orig.page.src.path.display(),
                        kind_name(ko),
                        kind_name(kt)
                    ),
                ));
                continue;
            }
            align(e, orig, at, diags);
        }
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Text => "text",
        Kind::Page => "page",
    }
}

/// A translated text against its original: same number of §, same author's
/// note labels, each first called in the same §.
fn align(tr: &Entry, orig: &Entry, at: usize, diags: &mut Diagnostics) {
    let src = &tr.page.src;
    let orig_path = orig.page.src.path.display();
    let (nt, no) = (tr.doc.paragraphs, orig.doc.paragraphs);
    if nt != no {
        diags.push(src.error(
            at,
            format!(
                "this translation has {nt} numbered paragraphs and its original `{orig_path}` has {no}: a translation keeps the original's paragraphs, § 1 to § {no}, one for one"
            ),
        ));
    }
    let author = |e: &Entry| -> BTreeMap<String, (usize, Option<u32>)> {
        e.document()
            .notes
            .iter()
            .filter(|n| n.series == Series::Author)
            .map(|n| (n.label.clone(), (n.offset, n.para)))
            .collect()
    };
    let (t_notes, o_notes) = (author(tr), author(orig));
    for (label, (_, para)) in &o_notes {
        if !t_notes.contains_key(label) {
            let place = para
                .map(|p| format!(" (called in § {p})"))
                .unwrap_or_default();
            diags.push(src.error(
                at,
                format!(
                    "note `[^{label}]` of the original `{orig_path}`{place} has no translation: add its call and a line `[^{label}]: …`"
                ),
            ));
        }
    }
    for (label, (offset, para)) in &t_notes {
        match o_notes.get(label) {
            None => diags.push(src.error(
                *offset,
                format!(
                    "note `[^{label}]` is not a note of the original `{orig_path}`: a translation keeps the original's note labels (the translation's own notes are editorial notes, `[^ed-…]`)"
                ),
            )),
            Some((_, op)) if op != para && nt == no => {
                let show = |p: &Option<u32>| p.map(|p| format!("§ {p}")).unwrap_or("no §".into());
                diags.push(src.error(
                    *offset,
                    format!(
                        "note `[^{label}]` is first called in {} here and in {} of the original `{orig_path}`: call it in the same paragraph",
                        show(para),
                        show(op)
                    ),
                ))
            }
            Some(_) => {}
        }
    }
}

/// One row of the parallel view: § `n` of the original and of the
/// translation (`n` = 0: what comes before § 1, such as a heading).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub n: u32,
    pub original: String,
    pub translation: String,
}

/// The body HTML of a text (as parse writes it) cut into its §: element
/// `k` holds what precedes § 1 for k = 0, else § k with the notes and
/// unnumbered blocks that follow it. § k starts at the tag that carries
/// the paragraph marker `k` ([`crate::markup::markers`]; a paragraph, a
/// block, a parallel figure).
fn split_paragraphs(html: &str, count: u32) -> Vec<&str> {
    let mut cuts = Vec::with_capacity(count as usize + 2);
    cuts.push(0);
    let mut from = 0;
    for n in 1..=count {
        let attr = format!(" {}=\"{n}\"", crate::markup::markers().para);
        let Some(i) = html[from..].find(&attr) else {
            break;
        };
        let start = html[..from + i].rfind('<').unwrap_or(from + i);
        cuts.push(start);
        from += i + attr.len();
    }
    cuts.push(html.len());
    cuts.windows(2).map(|w| &html[w[0]..w[1]]).collect()
}

/// `html` with every id (and every link to an id of the page) prefixed
/// with `prefix`, and each § made a plain block: two texts can then share
/// one page. The row carries the § number instead.
fn prefix_ids(html: &str, prefix: &str) -> Result<String, String> {
    let para = &crate::markup::markers().para;
    let handlers = vec![element!("*", |el| {
        if let Some(n) = el.get_attribute(para) {
            el.remove_attribute(para);
            el.set_attribute("id", &format!("{prefix}p-{n}"))?;
        } else if let Some(id) = el.get_attribute("id") {
            el.set_attribute("id", &format!("{prefix}{id}"))?;
        }
        if let Some(href) = el.get_attribute("href") {
            if let Some(frag) = href.strip_prefix('#') {
                el.set_attribute("href", &format!("#{prefix}{frag}"))?;
            }
        }
        Ok(())
    })];
    rewrite_str(
        html,
        RewriteStrSettings {
            element_content_handlers: handlers,
            ..RewriteStrSettings::new()
        },
    )
    .map_err(|e| e.to_string())
}

/// A note call made by parse (`markup`) with its id and its link to the
/// note prefixed, as [`prefix_ids`] prefixes the ids of a column.
fn prefix_call(call: &str, prefix: &str) -> String {
    call.replace(" id=\"", &format!(" id=\"{prefix}"))
        .replace(" href=\"#", &format!(" href=\"#{prefix}"))
}

/// The id prefixes of the two columns: their language tags, or `o-` and
/// `t-` when the tags are equal.
pub fn prefixes(orig_lang: &str, tr_lang: &str) -> (String, String) {
    let safe = |l: &str| crate::markup::slugify(l);
    let (o, t) = (safe(orig_lang), safe(tr_lang));
    if o.is_empty() || t.is_empty() || o == t {
        ("o-".into(), "t-".into())
    } else {
        (format!("{o}-"), format!("{t}-"))
    }
}

/// The rows of the parallel view of `tr` beside `orig`, § N with § N.
pub fn parallel_rows(
    orig_html: &str,
    orig: &Entry,
    tr_html: &str,
    tr: &Entry,
    prefixes: &(String, String),
) -> Result<Vec<Row>, String> {
    let o = split_paragraphs(orig_html, orig.doc.paragraphs);
    let t = split_paragraphs(tr_html, tr.doc.paragraphs);
    let rows = o.len().max(t.len());
    let mut out = Vec::with_capacity(rows);
    for k in 0..rows {
        let original = prefix_ids(o.get(k).copied().unwrap_or(""), &prefixes.0)?;
        let translation = prefix_ids(t.get(k).copied().unwrap_or(""), &prefixes.1)?;
        if k == 0 && original.trim().is_empty() && translation.trim().is_empty() {
            continue;
        }
        out.push(Row {
            n: k as u32,
            original,
            translation,
        });
    }
    Ok(out)
}

/// The citation of a page. A translation is cited as its original (the
/// title of its `[source]`, as published), in the translation's interface
/// strings, with the credit of the translation before the edition's name.
pub fn citation(
    page: &Page,
    config: &Config,
    version: &crate::version::Version,
) -> crate::citation::Citation {
    if page.front.translation_of.is_none() {
        return crate::citation::Citation::new(page, config, version);
    }
    let mut ui = ui_for(config, page).unwrap_or_else(|| config.ui().clone());
    let edition = format!(
        "{}{}{}",
        ui.get("translation_credit"),
        ui.get("list_separator"),
        ui.get("cite_edition")
    );
    ui.set("cite_edition", &edition);
    let source_title = page.front.source.as_ref().map(|s| s.title.as_str());
    match source_title.filter(|t| !t.is_empty()) {
        Some(title) => {
            let mut cited = page.clone();
            cited.front.title = title.to_string();
            cited.front.subtitle.clear();
            crate::citation::Citation::new(&cited, config, version).with_ui(ui)
        }
        None => crate::citation::Citation::new(page, config, version).with_ui(ui),
    }
}

/// Adds to a page's context what templates need to link translations:
/// `ui_lang` (the page's interface language), `translation_of`, and for a
/// translated text `original` (its original's title, URL and language),
/// `parallel_url` and `translation_notice`; each of `translations` that
/// is a translated text of this one gets its `parallel_url`.
pub fn extend_page(
    value: &mut serde_json::Value,
    config: &Config,
    entry: &Entry,
    original: Option<&Entry>,
    ui: Option<&Ui>,
) {
    let page = &entry.page;
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    obj.insert("ui_lang".into(), ui_lang_of(config, page).into());
    obj.insert(
        "translation_of".into(),
        page.front.translation_of.clone().into(),
    );
    let shown_ui = ui.unwrap_or_else(|| config.ui());
    if let Some(ui) = ui {
        let doc = entry.document();
        if !doc.emendations.is_empty() {
            obj.insert(
                "emendations_html".into(),
                crate::markup::emendation_list(&doc.emendations, ui).into(),
            );
        }
    }
    if let Some(orig) = original {
        let lang = lang_of(config, &orig.page);
        let name = language_name(shown_ui, &lang);
        obj.insert(
            "parallel_url".into(),
            format!("{}{PARALLEL_DIR}", page.url).into(),
        );
        obj.insert(
            "translation_notice".into(),
            shown_ui
                .get("translation_notice")
                .replace("{lang}", &name)
                .into(),
        );
        obj.insert(
            "original".into(),
            serde_json::json!({
                "title": orig.page.front.title,
                "url": orig.page.url,
                "lang": lang,
            }),
        );
    } else if page.front.kind == Kind::Text && page.front.translation_of.is_none() {
        if let Some(serde_json::Value::Array(trs)) = obj.get_mut("translations") {
            for tr in trs.iter_mut().filter_map(|t| t.as_object_mut()) {
                let is_text = tr.get("kind").and_then(|k| k.as_str()) == Some("text");
                let url = tr.get("url").and_then(|u| u.as_str()).map(str::to_string);
                if let (true, Some(url)) = (is_text, url) {
                    tr.insert("parallel_url".into(), format!("{url}{PARALLEL_DIR}").into());
                }
            }
        }
    }
}

/// A page's language (its own, else the edition's).
fn lang_of(config: &Config, page: &Page) -> String {
    page.front
        .lang
        .clone()
        .unwrap_or_else(|| config.language.clone())
}

/// The name of language `tag` in the interface strings `ui` (its tag if
/// the table has no name for it).
fn language_name(ui: &Ui, tag: &str) -> String {
    let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    [format!("lang_{tag}"), format!("lang_{primary}")]
        .iter()
        .find_map(|k| ui.get_opt(k).map(str::to_string))
        .unwrap_or_else(|| tag.to_string())
}

/// The context of the parallel reading view of translation `tr` (whose
/// body HTML is `tr_html`), from the context of its page: `rows` (§ N of
/// the original beside § N of the translation), `columns` (language and
/// name of each), `original`, and `page` with the view's own URL.
pub fn parallel_context(
    config: &Config,
    ctx: &mut tera::Context,
    orig: &Entry,
    tr: &Entry,
    tr_html: &str,
) -> Result<(), String> {
    // a build past its HTML budget holds the body packed, or let it go
    let reparsed;
    let orig_html = if orig.dropped || orig.packed.is_some() {
        reparsed = orig
            .unpacked_html()
            .unwrap_or_else(|| orig.body_again(config));
        reparsed.as_str()
    } else {
        orig.doc.html.as_str()
    };
    let (olang, tlang) = (lang_of(config, &orig.page), lang_of(config, &tr.page));
    let prefixes = prefixes(&olang, &tlang);
    let rows = parallel_rows(orig_html, orig, tr_html, tr, &prefixes)?;
    let ui = ui_for(config, &tr.page).unwrap_or_else(|| config.ui().clone());
    let url = format!("{}{PARALLEL_DIR}", tr.page.url);
    if let Some(mut page) = ctx.get("page").cloned() {
        if let Some(obj) = page.as_object_mut() {
            obj.insert("text_url".into(), tr.page.url.clone().into());
            obj.insert(
                "permalink".into(),
                format!("{}{}", config.base_url, url.trim_start_matches('/')).into(),
            );
            obj.insert("url".into(), url.into());
            obj.insert("content".into(), "".into());
            // the calls from the two titles, with the ids of their columns
            obj.insert(
                "title_note".into(),
                prefix_call(&tr.document().title_call, &prefixes.1).into(),
            );
            if let Some(o) = obj.get_mut("original").and_then(|o| o.as_object_mut()) {
                o.insert(
                    "title_note".into(),
                    prefix_call(&orig.document().title_call, &prefixes.0).into(),
                );
            }
        }
        ctx.insert("page", &page);
    }
    ctx.insert("rows", &rows);
    ctx.insert(
        "columns",
        &serde_json::json!([
            { "lang": olang, "name": language_name(&ui, &olang), "prefix": prefixes.0, "role": "original" },
            { "lang": tlang, "name": language_name(&ui, &tlang), "prefix": prefixes.1, "role": "translation" },
        ]),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split_paragraphs;

    #[test]
    fn paragraphs_are_cut_at_their_markers_only() {
        let m = &crate::markup::markers().para;
        let html = format!("<h2>T</h2>\n<p {m}=\"1\">a</p>\n<div class=\"note\">n</div>\n<div class=\"block\" {m}=\"2\">\n<blockquote>b</blockquote>\n</div>\n<figure class=\"parallel\" data-para=\"9\" {m}=\"3\">c</figure>\n");
        let parts = split_paragraphs(&html, 3);
        assert_eq!(parts.len(), 4);
        assert!(parts[3].starts_with("<figure"));
        assert_eq!(parts[0], "<h2>T</h2>\n");
        assert!(parts[1].starts_with(&format!("<p {m}=\"1\">")) && parts[1].contains("note"));
        assert!(parts[2].contains("blockquote"));
    }
}
