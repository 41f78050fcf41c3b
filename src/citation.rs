//! Citations of an edition text: Chicago, MLA, BibTeX, CSL-JSON, and the
//! Highwire (`citation_*`) and Dublin Core meta tags that Zotero reads.

use crate::config::Config;
use crate::content::Page;
use crate::i18n::Ui;
use crate::version::Version;

/// A citation in the interface language (its words, quotation marks and
/// separators come from the interface strings). Missing fields are left out,
/// with their separators.
pub struct Citation {
    ui: Ui,
    title: String,
    author: String,
    date: String,
    container: String,
    publisher: String,
    place: String,
    year: String,
    pages: String,
    chapter: String,
    lang: String,
    site: String,
    editors: Vec<String>,
    edition_year: String,
    url: String,
    key: String,
}

impl Citation {
    pub fn new(page: &Page, config: &Config, version: &Version) -> Citation {
        let src = page.front.source.clone().unwrap_or_default();
        let title = if page.front.subtitle.is_empty() {
            page.front.title.clone()
        } else {
            format!("{}. {}", page.front.title, page.front.subtitle)
        };
        let edition_year = config
            .edition_year
            .clone()
            .or_else(|| version.date.get(..4).map(str::to_string))
            .unwrap_or_default();
        Citation {
            ui: config.ui().clone(),
            title,
            author: page.front.author.clone(),
            date: if src.date.is_empty() {
                page.front.date.clone()
            } else {
                src.date.clone()
            },
            container: src.container,
            publisher: src.publisher,
            place: src.place,
            year: if src.year.is_empty() {
                page.front.date.get(..4).unwrap_or("").to_string()
            } else {
                src.year
            },
            pages: src.pages,
            chapter: src.chapter,
            lang: page
                .front
                .lang
                .clone()
                .unwrap_or_else(|| config.language.clone()),
            site: config.title.clone(),
            editors: config.editors.clone(),
            edition_year,
            url: format!("{}{}", config.base_url, page.url.trim_start_matches('/')),
            key: crate::markup::slugify(&page.rel).replace('-', ""),
        }
    }

    /// The same citation in the interface strings `ui`.
    pub fn with_ui(mut self, ui: Ui) -> Citation {
        self.ui = ui;
        self
    }

    fn s(&self, key: &'static str) -> &str {
        self.ui.get(key)
    }

    /// The printed source (container, place, publisher, date, chapter,
    /// pages), `*…*` around the container; empty if none is known.
    pub fn original(&self) -> String {
        let mut parts = vec![];
        if !self.container.is_empty() {
            parts.push(format!("*{}*", self.container));
        }
        if !self.place.is_empty() {
            parts.push(self.place.clone());
        }
        if !self.publisher.is_empty() {
            parts.push(self.publisher.clone());
        }
        if !self.date.is_empty() {
            parts.push(self.date.clone());
        } else if !self.year.is_empty() {
            parts.push(self.year.clone());
        }
        if !self.chapter.is_empty() {
            parts.push(format!("{} {}", self.s("cite_chapter"), self.chapter));
        }
        if !self.pages.is_empty() {
            parts.push(self.pages.clone());
        }
        parts.join(self.s("list_separator"))
    }

    fn edition(&self) -> String {
        let sep = self.s("list_separator");
        let mut s = self.s("cite_edition").to_string();
        if !self.site.is_empty() {
            s.push_str(&format!("{sep}*{}*", self.site));
        }
        if !self.editors.is_empty() {
            s.push_str(&format!(
                "{sep}{} {}",
                self.s("cite_editors"),
                self.editors.join(sep)
            ));
        }
        if !self.edition_year.is_empty() {
            s.push_str(&format!("{sep}{}", self.edition_year));
        }
        s
    }

    fn quoted(&self, s: &str) -> String {
        format!("{}{s}{}", self.s("quote_open"), self.s("quote_close"))
    }

    /// Chicago (notes and bibliography), with `*…*` for italics.
    pub fn chicago(&self) -> String {
        let author = if self.author.is_empty() {
            String::new()
        } else {
            format!("{}, ", self.author)
        };
        let sep = self.s("list_separator");
        let mut s = format!("{author}{}", self.quoted(&self.title));
        let original = self.original();
        if !original.is_empty() {
            s.push_str(&format!("{sep}{original}{}", self.s("cite_separator")));
        } else {
            s.push_str(sep);
        }
        s.push_str(&self.edition());
        if !self.url.is_empty() {
            s.push_str(&format!("{sep}{}", self.url));
        }
        s.push('.');
        s
    }

    /// MLA 9, with `*…*` for italics.
    pub fn mla(&self) -> String {
        let author = if self.author.is_empty() {
            String::new()
        } else {
            format!("{}. ", mla_name(&self.author))
        };
        // MLA: the edition statement opens a new sentence
        let edition = self.edition();
        let mut chars = edition.chars();
        let edition: String = match chars.next() {
            Some(c) => c.to_uppercase().chain(chars).collect(),
            None => edition,
        };
        let mut s = format!("{author}{}", self.quoted(&format!("{}.", self.title)));
        let original = self.original();
        if !original.is_empty() {
            s.push_str(&format!(" {original}."));
        }
        s.push_str(&format!(" {edition}"));
        if !self.url.is_empty() {
            s.push_str(&format!("{}{}", self.s("list_separator"), self.url));
        }
        s.push('.');
        s
    }

    pub fn bibtex(&self) -> String {
        let mut fields = vec![("title", self.title.clone())];
        if !self.author.is_empty() {
            fields.push(("author", self.author.clone()));
        }
        if !self.container.is_empty() {
            fields.push(("booktitle", self.container.clone()));
        }
        for (k, v) in [
            ("publisher", &self.publisher),
            ("address", &self.place),
            ("year", &self.year),
            ("chapter", &self.chapter),
            ("pages", &self.pages),
            ("language", &self.lang),
        ] {
            if !v.is_empty() {
                fields.push((k, v.clone()));
            }
        }
        if !self.url.is_empty() {
            fields.push(("url", self.url.clone()));
        }
        fields.push(("note", self.edition().replace('*', "")));
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("  {k} = {{{}}}", v.replace(['{', '}'], "")))
            .collect();
        let kind = if self.container.is_empty() {
            "misc"
        } else {
            "incollection"
        };
        format!("@{kind}{{{},\n{}\n}}\n", self.key, body.join(",\n"))
    }

    pub fn csl_json(&self) -> String {
        let mut item = serde_json::json!({
            "id": self.key,
            "type": if self.container.is_empty() { "document" } else if self.chapter.is_empty() { "article-newspaper" } else { "chapter" },
            "title": self.title,
            "note": self.edition().replace('*', ""),
        });
        // empty fields are left out
        for (k, v) in [
            ("container-title", &self.container),
            ("publisher", &self.publisher),
            ("publisher-place", &self.place),
            ("language", &self.lang),
            ("URL", &self.url),
        ] {
            if !v.is_empty() {
                item[k] = v.clone().into();
            }
        }
        if !self.author.is_empty() {
            let (family, given) = split_name(&self.author);
            item["author"] = serde_json::json!([{"family": family, "given": given}]);
        }
        let parts: Vec<serde_json::Value> = self
            .date
            .split('-')
            .filter_map(|p| p.parse::<u32>().ok())
            .map(serde_json::Value::from)
            .collect();
        if !parts.is_empty() {
            item["issued"] = serde_json::json!({"date-parts": [parts]});
        }
        if !self.pages.is_empty() {
            item["page"] = self
                .pages
                .trim_start_matches("p. ")
                .trim_start_matches("pp. ")
                .into();
        }
        if !self.chapter.is_empty() {
            item["chapter-number"] = self.chapter.clone().into();
        }
        let mut s = serde_json::to_string_pretty(&serde_json::json!([item])).unwrap_or_default();
        s.push('\n');
        s
    }

    /// (name, content) pairs for `<meta>`: Highwire Press and Dublin Core.
    pub fn meta(&self) -> Vec<(String, String)> {
        let mut m: Vec<(String, String)> = vec![("citation_title".into(), self.title.clone())];
        if !self.author.is_empty() {
            m.push(("citation_author".into(), self.author.clone()));
        }
        if !self.date.is_empty() {
            m.push((
                "citation_publication_date".into(),
                self.date.replace('-', "/"),
            ));
        }
        if !self.container.is_empty() {
            let key = if self.chapter.is_empty() {
                "citation_journal_title"
            } else {
                "citation_inbook_title"
            };
            m.push((key.into(), self.container.clone()));
        }
        if !self.publisher.is_empty() {
            m.push(("citation_publisher".into(), self.publisher.clone()));
        }
        if !self.pages.is_empty() {
            let first = self
                .pages
                .trim_start_matches("pp. ")
                .trim_start_matches("p. ");
            m.push((
                "citation_firstpage".into(),
                first.split('-').next().unwrap_or(first).to_string(),
            ));
        }
        m.push(("citation_language".into(), self.lang.clone()));
        m.push(("citation_public_url".into(), self.url.clone()));
        m.push(("DC.title".into(), self.title.clone()));
        if !self.author.is_empty() {
            m.push(("DC.creator".into(), self.author.clone()));
        }
        if !self.date.is_empty() {
            m.push(("DC.date".into(), self.date.clone()));
        }
        m.push(("DC.language".into(), self.lang.clone()));
        let original = self.original();
        if !original.is_empty() {
            m.push(("DC.source".into(), original.replace('*', "")));
        }
        m.push(("DC.publisher".into(), self.site.clone()));
        m.push(("DC.identifier".into(), self.url.clone()));
        m.push(("DC.type".into(), "Text".into()));
        m
    }
}

fn split_name(name: &str) -> (String, String) {
    match name.rsplit_once(' ') {
        Some((given, family)) => (family.to_string(), given.to_string()),
        None => (name.to_string(), String::new()),
    }
}

fn mla_name(name: &str) -> String {
    let (family, given) = split_name(name);
    if given.is_empty() {
        family
    } else {
        format!("{family}, {given}")
    }
}
