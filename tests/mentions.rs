//! Issue 12, "Mentions everywhere count": a person mentioned on an editorial
//! page (the home page, a section, any page) is in the person index, marked
//! as an editorial page's mention, after the texts'; the index never says
//! "no occurrence" for a person linked on the site.

mod fixture;
use fixture::*;

#[test]
fn mentions_on_editorial_pages_are_indexed_and_marked() {
    let s = Site::with_register();
    s.write(
        "site.toml",
        "title = \"Test edition\"\nbase_url = \"https://example.org/ed/\"\nlanguage = \"es\"\npersons_page = \"personnes\"\n",
    );
    s.write(
        "content/_index.md",
        "+++\ntitle = \"Inicio\"\n+++\nUna carta de [Humbert-Droz](person:humbert-droz).\n",
    );
    s.write(
        "content/seccion/_index.md",
        "+++\ntitle = \"Sección\"\n+++\nSobre [Ávila](person:avila).\n",
    );
    s.write(
        "content/seccion/acerca.md",
        "+++\ntitle = \"Acerca\"\n+++\nY [Álvarez](person:alvarez).\n",
    );
    s.write(
        "content/texto.md",
        "+++\ntitle = \"Un texto\"\nkind = \"text\"\n+++\nEl texto nombra a [Luis](person:humbert-droz).\n",
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let index = s.read("public/personnes/index.html");
    assert!(!index.contains("ninguna aparición"), "{index}");
    let entry = |id: &str| {
        let start = index
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no entry {id}:\n{index}"));
        let end = index[start..]
            .find("</li>\n</ul>")
            .map_or(index.len(), |e| start + e);
        index[start..end].to_string()
    };
    // the home page's mention, after the text's, marked as an editorial page's
    let hd = entry("humbert-droz");
    let text = hd.find("Un texto").expect("the text's mention");
    let home = hd.find("Inicio").expect("the home page's mention");
    assert!(text < home, "{hd}");
    assert!(hd.contains("class=\"on-page\""), "{hd}");
    assert!(hd.contains("página de la edición"), "{hd}");
    assert!(
        hd.contains("href=\"../#m-humbert-droz-1\">mención 1</a>"),
        "{hd}"
    );
    // a section page and a page in a section
    assert!(entry("avila").contains("Sección"), "{}", entry("avila"));
    assert!(entry("alvarez").contains("Acerca"), "{}", entry("alvarez"));
}
