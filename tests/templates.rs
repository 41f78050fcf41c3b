//! Templates that cannot bring apparat down, and `check` that validates
//! them (issue 11): cycles of includes, parents, imports and macros are
//! refused before anything is rendered, with the chain and its position;
//! `check` compiles every template; an unknown variable is reported once,
//! against the edition's template and line. Then a property test: arbitrary
//! template sets through `check` and `build`, never a panic or an abort.

mod common;

use std::path::Path;
use std::process::{Command, Output};

/// The fixture edition (tests/common) in a temporary folder.
fn edition() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_fixture(dir.path());
    dir
}

fn run(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apparat"))
        .args(args)
        .current_dir(root)
        .output()
        .expect("run apparat")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit code 1 (not a signal, not a panic's 101) and `want` in stderr.
fn fails_with(o: &Output, want: &str) {
    let err = stderr(o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "exit status {:?}:\n{err}",
        o.status
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(want), "expected `{want}` in:\n{err}");
}

/// Both `build` and `check` fail with `want`.
fn both_fail_with(root: &Path, want: &str) {
    fails_with(&run(root, &["build"]), want);
    fails_with(&run(root, &["check"]), want);
}

#[test]
fn a_template_that_includes_itself_is_refused() {
    let ed = edition();
    common::write(
        ed.path(),
        "templates/page.html",
        "<main>\n{% include \"page.html\" %}\n</main>\n",
    );
    both_fail_with(
        ed.path(),
        "templates/page.html:2:4: error: include cycle: page.html → page.html",
    );
}

#[test]
fn templates_that_include_each_other_are_refused() {
    let ed = edition();
    common::write(
        ed.path(),
        "templates/page.html",
        "<main>{% include \"a.html\" %}</main>\n",
    );
    common::write(
        ed.path(),
        "templates/a.html",
        "<div>\n<p>a</p>\n{% include \"b.html\" %}\n</div>\n",
    );
    common::write(
        ed.path(),
        "templates/b.html",
        "<p>b</p>{% if page %}{% include \"a.html\" %}{% endif %}\n",
    );
    both_fail_with(
        ed.path(),
        "templates/a.html:3:4: error: include cycle: a.html → b.html → a.html",
    );
}

#[test]
fn a_recursive_macro_is_refused() {
    let ed = edition();
    common::write(
        ed.path(),
        "templates/tree.html",
        "{% macro node(n) %}\n<li>{{ n }}\n  {{ self::node(n=n) }}</li>\n{% endmacro node %}\n",
    );
    common::write(
        ed.path(),
        "templates/page.html",
        "{% import \"tree.html\" as tree %}\n<ul>{{ tree::node(n=page.title) }}</ul>\n",
    );
    both_fail_with(
        ed.path(),
        "templates/tree.html:3:6: error: recursive macro (macros may not call themselves, directly or not): tree.html::node → tree.html::node",
    );
}

#[test]
fn mutually_recursive_macros_and_imports_are_refused() {
    let ed = edition();
    // tera loads imports recursively too: files that import each other
    common::write(
        ed.path(),
        "templates/x.html",
        "{% import \"y.html\" as y %}\n{% macro f() %}{{ y::g() }}{% endmacro f %}\n",
    );
    common::write(
        ed.path(),
        "templates/y.html",
        "{% import \"x.html\" as x %}\n{% macro g() %}{{ x::f() }}{% endmacro g %}\n",
    );
    common::write(
        ed.path(),
        "templates/page.html",
        "{% import \"x.html\" as x %}{{ x::f() }}\n",
    );
    both_fail_with(
        ed.path(),
        "templates/x.html:1:4: error: import cycle: x.html → y.html → x.html",
    );
    both_fail_with(
        ed.path(),
        "templates/x.html:2:19: error: recursive macro (macros may not call themselves, directly or not): x.html::f → y.html::g → x.html::f",
    );
}

#[test]
fn templates_that_extend_each_other_are_refused() {
    let ed = edition();
    common::write(
        ed.path(),
        "templates/page.html",
        "{% extends \"a.html\" %}{% block main %}x{% endblock main %}\n",
    );
    common::write(ed.path(), "templates/a.html", "{% extends \"b.html\" %}\n");
    common::write(
        ed.path(),
        "templates/b.html",
        "\n{% extends \"a.html\" %}\n",
    );
    both_fail_with(
        ed.path(),
        "templates/a.html:1:4: error: extends cycle: a.html → b.html → a.html",
    );
}

#[test]
fn a_chain_of_macros_too_deep_is_refused() {
    // no cycle, but 5,000 macros calling the next one overflow tera's stack
    let ed = edition();
    let n = 5000;
    let mut chain = String::new();
    for i in 0..n {
        let next = if i + 1 < n {
            format!("{{{{ self::m{}() }}}}", i + 1)
        } else {
            "end".to_string()
        };
        chain.push_str(&format!(
            "{{% macro m{i}() %}}{next}{{% endmacro m{i} %}}\n"
        ));
    }
    common::write(ed.path(), "templates/chain.html", &chain);
    common::write(
        ed.path(),
        "templates/page.html",
        "{% import \"chain.html\" as chain %}\n{{ chain::m0() }}\n",
    );
    both_fail_with(
        ed.path(),
        "templates/page.html:2:4: error: templates nested too deep",
    );
}

#[test]
fn a_template_nested_too_deep_is_refused() {
    let ed = edition();
    let deep = format!(
        "<p>\n{}x{}\n",
        "{% if page %}".repeat(3000),
        "{% endif %}".repeat(3000)
    );
    common::write(ed.path(), "templates/page.html", &deep);
    both_fail_with(ed.path(), "templates/page.html:2:");
    let brackets = format!("<p>\n{{{{ {}1{} }}}}\n", "(".repeat(5000), ")".repeat(5000));
    common::write(ed.path(), "templates/page.html", &brackets);
    both_fail_with(
        ed.path(),
        "templates/page.html:2:1: error: template nested more than",
    );
}

#[test]
fn check_reports_a_template_syntax_error_with_its_position() {
    let ed = edition();
    common::write(
        ed.path(),
        "templates/page.html",
        "<p>\n<h1>{{ page.title </h1>\n",
    );
    fails_with(
        &run(ed.path(), &["check"]),
        "templates/page.html:2:20: error: template syntax",
    );
}

#[test]
fn check_reports_an_unknown_filter_and_test() {
    let ed = edition();
    common::write(
        ed.path(),
        "templates/page.html",
        "<p>\n<h1>{{ page.title | shout }}</h1>\n{% if page is colourful %}x{% endif %}\n",
    );
    let o = run(ed.path(), &["check"]);
    fails_with(
        &o,
        "templates/page.html:2:21: error: unknown filter `shout`",
    );
    fails_with(
        &o,
        "templates/page.html:3:15: error: unknown test `colourful`",
    );
}

#[test]
fn check_reports_a_missing_include_and_macro() {
    let ed = edition();
    common::write(
        ed.path(),
        "templates/page.html",
        "{% import \"macros.html\" as m %}\n<div>\n  {% include \"nav.html\" %}\n{{ m::nothing() }}</div>\n",
    );
    let o = run(ed.path(), &["check"]);
    fails_with(
        &o,
        "templates/page.html:3:6: error: `include` names a missing template `nav.html`",
    );
    fails_with(
        &o,
        "templates/page.html:4:4: error: unknown macro `m::nothing`",
    );
    // and nothing of it is needed on the page for build to refuse it
    fails_with(
        &run(ed.path(), &["build"]),
        "templates/page.html:3:6: error: `include` names a missing template `nav.html`",
    );
}

#[test]
fn check_passes_the_built_in_templates() {
    let ed = edition();
    let o = run(ed.path(), &["check"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn an_unknown_variable_is_reported_once_against_the_editions_template() {
    let ed = edition();
    // the edition's base.html, extended by every built-in page template
    common::write(
        ed.path(),
        "templates/base.html",
        "<!doctype html>\n<title>{{ page.title }}</title>\n<p>{{ site.no_such_key }}</p>\n{% block main %}{% endblock main %}\n",
    );
    let o = run(ed.path(), &["build"]);
    fails_with(
        &o,
        "templates/base.html:3:7: error: variable `site.no_such_key` not found in the context",
    );
    let err = stderr(&o);
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    assert!(err.contains("1 error, 0 warnings"), "{err}");
}

// --- property test -------------------------------------------------------

/// A small deterministic generator (xorshift), as in tests/fuzz.rs, with
/// what the template being made may use: a clean set (half of them) has only
/// known names, no damage, and refers only to templates after its own in
/// [`NAMES`], so that it builds, while the others may be anything.
struct Rng {
    state: u64,
    clean: bool,
    /// Position in [`NAMES`] of the template being made.
    index: usize,
}

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Template names the generated sets use: three the fixture renders and
/// three of their own.
const NAMES: &[&str] = &[
    "page.html",
    "base.html",
    "macros.html",
    "a.html",
    "b.html",
    "c.html",
];

const FRAGMENTS: &[&str] = &[
    "<p>text</p>",
    "\n",
    "{{ page.title }}",
    "{{ page.title | upper }}",
    "{{ page.title | nosuch }}",
    "{{ missing_var }}",
    "{{ site.title ~ \"x\" }}",
    "{% if page.title %}",
    "{% if page is defined %}",
    "{% if page is nosuchtest %}",
    "{% else %}",
    "{% endif %}",
    "{% for t in texts %}",
    "{% for k, v in site %}",
    "{% endfor %}",
    "{% block main %}",
    "{% block head %}",
    "{% endblock main %}",
    "{% endblock %}",
    "{{ super() }}",
    "{% set x = 1 + 2 %}",
    "{{ x * 3 }}",
    "{{ range(end=3) | length }}",
    "{{ nosuchfn() }}",
    "{% filter upper %}",
    "{% endfilter %}",
    "{% raw %}{{ not parsed }}{% endraw %}",
    "{# a comment {{ x }} #}",
    "{% macro m1(n=1) %}",
    "{% macro m2() %}",
    "{% endmacro m1 %}",
    "{% endmacro m2 %}",
    "{% endmacro %}",
    "{{ self::m1(n=2) }}",
    "{{ self::m2() }}",
    "{{ mac::m1() }}",
    "{{ mac::m2() }}",
    "{{ macros::meta(citation=page.citation) }}",
    "{% break %}",
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "\"",
    "'",
    "(",
    ")",
    "[1, 2",
    "é«",
    "|",
    "::",
    "{{ ((((((1)))))) }}",
    "{{ not not not true }}",
    "{{ page[\"title\"] }}",
    "{{ page.toc[99].title }}",
    "{{ __tera_context }}",
];

/// An include of another template of the set (or of a missing one).
fn include(rng: &mut Rng) -> String {
    if rng.clean {
        // only templates that extend nothing, after this one
        let later = &NAMES[(rng.index + 1).max(2).min(NAMES.len())..];
        if later.is_empty() {
            return String::new();
        }
        let name = rng.pick(later);
        return format!("{{% include \"{name}\" %}}");
    }
    let name = rng.pick(NAMES);
    match rng.below(5) {
        0 | 1 => format!("{{% include \"{name}\" %}}"),
        2 => format!("{{% include \"{name}\" ignore missing %}}"),
        3 => format!("{{% include [\"nope.html\", \"{name}\"] %}}"),
        _ => "{% include \"nope.html\" %}".to_string(),
    }
}

/// Expressions, some with unknown variables, filters, tests or functions.
const EXPRS: &[&str] = &[
    "page.title",
    "page.title | upper",
    "page.title | nosuch",
    "missing_var",
    "site.title ~ \"x\"",
    "1 + 2 * 3",
    "range(end=3) | length",
    "nosuchfn()",
    "page[\"title\"]",
    "page.toc[99].title",
    "page is defined",
    "page is nosuchtest",
    "mac::m1(n=2)",
    "mac::m2()",
    "self::m1()",
    "macros::meta(citation=page.citation)",
    "texts | length",
    "(((1)))",
    "not page.title",
];

/// Expressions that render in the property test's edition.
const CLEAN_EXPRS: &[&str] = &[
    "page.title",
    "page.title | upper",
    "site.title ~ \"x\"",
    "1 + 2 * 3",
    "page[\"title\"]",
    "page is defined",
    "(((1)))",
    "not page.title",
];

/// A well-formed body: text, expressions and references, in blocks nested
/// at most `depth` more levels.
fn body(rng: &mut Rng, depth: usize, top: bool, blocks: &mut usize) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(5) {
        match rng.below(12) {
            0 => s.push_str("<p>text</p>\n"),
            1 if rng.clean => s.push_str(&format!("{{{{ {} }}}}", rng.pick(CLEAN_EXPRS))),
            1 => s.push_str(&format!("{{{{ {} }}}}", rng.pick(EXPRS))),
            2 => s.push_str(&format!("{{{{ {} }}}}", rng.pick(&EXPRS[..1]))),
            3 | 4 => s.push_str(&include(rng)),
            5 => s.push_str("{% set x = 2 %}{{ x }}"),
            6 => s.push_str("{% raw %}{{ not parsed }}{% endraw %}{# c #}"),
            _ if depth == 0 => s.push_str("{{ page.title }}"),
            // blocks only where tera allows them: not in loops, conditions or macros
            10 | 11 if !top => s.push_str("{{ page.title }}"),
            7 => s.push_str(&format!(
                "{{% if {} %}}{}{{% else %}}{}{{% endif %}}",
                rng.pick(if rng.clean { CLEAN_EXPRS } else { EXPRS }),
                body(rng, depth - 1, false, blocks),
                body(rng, depth - 1, false, blocks)
            )),
            8 => s.push_str(&format!(
                "{{% for t in texts %}}{{{{ t.title }}}}{}{{% endfor %}}",
                body(rng, depth - 1, false, blocks)
            )),
            9 => s.push_str(&format!(
                "{{% filter upper %}}{}{{% endfilter %}}",
                body(rng, depth - 1, false, blocks)
            )),
            _ => {
                *blocks += 1;
                let name = match *blocks {
                    1 => "main".to_string(),
                    2 => "head".to_string(),
                    n => format!("b{n}"),
                };
                s.push_str(&format!(
                    "{{% block {name} %}}{}{}{{% endblock {name} %}}",
                    if !rng.clean && rng.below(3) == 0 {
                        "{{ super() }}"
                    } else {
                        ""
                    },
                    body(rng, depth - 1, true, blocks)
                ));
            }
        }
    }
    s
}

/// One template: imports, macros and a body, or a child of another template
/// (blocks only); sometimes damaged by arbitrary fragments, deep nesting or
/// truncation.
fn template(rng: &mut Rng) -> String {
    let mut s = String::new();
    let mut blocks = 0;
    // in a clean set only page.html extends (base.html)
    let child = if rng.clean {
        rng.index == 0 && rng.below(2) == 0
    } else {
        rng.below(3) == 0
    };
    if child {
        let parent = if rng.clean {
            "base.html"
        } else {
            rng.pick(NAMES)
        };
        s.push_str(&format!("{{% extends \"{parent}\" %}}"));
    }
    for _ in 0..if rng.clean { 0 } else { rng.below(3) } {
        let name = rng.pick(&NAMES[2..]);
        let ns = rng.pick(&["mac", "macros"]);
        s.push_str(&format!("{{% import \"{name}\" as {ns} %}}\n"));
    }
    for m in ["m1", "m2"] {
        if rng.below(2) == 0 {
            s.push_str(&format!(
                "{{% macro {m}(n=1) %}}{}{{% endmacro {m} %}}\n",
                body(rng, 2, false, &mut 99)
            ));
        }
    }
    if child {
        for _ in 0..rng.below(3) {
            blocks += 1;
            s.push_str(&format!(
                "{{% block {} %}}{}{{% endblock %}}",
                ["main", "head", "b3"][blocks - 1],
                body(rng, 3, true, &mut 99)
            ));
        }
    } else {
        s.push_str(&body(rng, 4, true, &mut blocks));
    }
    // damage
    match if rng.clean { 99 } else { rng.below(8) } {
        0 => {
            let mut at = rng.below(s.len() + 1);
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            s.insert_str(at, rng.pick(FRAGMENTS));
        }
        1 => {
            let mut at = rng.below(s.len() + 1);
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            s.truncate(at);
        }
        2 => {
            // deep nesting, sometimes past the limit
            let n = 1 + rng.below(100);
            if rng.below(2) == 0 {
                s.push_str(&format!("{{{{ {}1{} }}}}", "(".repeat(n), ")".repeat(n)));
            } else {
                s.push_str(&"{% if true %}".repeat(n));
                s.push_str(&"{% endif %}".repeat(n));
            }
        }
        3 => {
            let junk: String = (0..rng.below(40))
                .map(|_| char::from_u32(rng.below(0x250) as u32).unwrap_or('?'))
                .collect();
            s.push_str(&junk);
        }
        _ => {}
    }
    s
}

const STAND_INS: &[(&str, &str)] = &[
    ("base.html", "<title>{{ page.title }}</title>{% block head %}{% endblock head %}{% block main %}{% endblock main %}"),
    ("macros.html", "{% macro meta(citation) %}{{ citation.source_line }}{% endmacro meta %}"),
    ("page.html", "{% extends \"base.html\" %}{% block main %}{{ page.content | safe }}{% endblock main %}"),
    ("text.html", "{% extends \"base.html\" %}{% block main %}{{ page.content | safe }}{% endblock main %}"),
    ("section.html", "{% extends \"base.html\" %}"),
    ("index.html", "{% extends \"base.html\" %}"),
    ("persons.html", "{% extends \"base.html\" %}"),
    ("register.html", "{% extends \"base.html\" %}"),
    ("index-entry.html", "{{ line.name }}"),
    ("source.html", "{{ source_html | safe }}"),
    ("404.html", "{% extends \"base.html\" %}"),
];

/// Writes a generated set of templates into the fixture's `templates/`.
fn write_set(root: &Path, rng: &mut Rng) {
    let dir = root.join("templates");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("templates dir");
    // small stand-ins for the built-in templates (quick to parse, and most
    // sets render); the generated templates replace some of them
    for (name, text) in STAND_INS {
        std::fs::write(dir.join(name), text).expect("write template");
    }
    rng.clean = rng.below(2) == 0;
    for (index, name) in NAMES.iter().enumerate() {
        rng.index = index;
        if rng.clean || rng.below(4) > 0 {
            std::fs::write(dir.join(name), template(rng)).expect("write template");
        }
    }
}

/// A small edition for the property test: few pages, so that a build is quick.
fn small_edition() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write(
        dir.path(),
        "site.toml",
        "title = \"T\"\nbase_url = \"https://example.org/\"\nlanguage = \"fr\"\n",
    );
    common::write(
        dir.path(),
        "content/_index.md",
        "+++\ntitle = \"Accueil\"\n+++\nx\n",
    );
    common::write(
        dir.path(),
        "content/a.md",
        "+++\ntitle = \"A\"\n+++\nUn texte.\n",
    );
    common::write(
        dir.path(),
        "content/t.md",
        "+++\ntitle = \"T\"\nkind = \"text\"\n+++\nUn texte.[^1]\n\n[^1]: Une note.\n",
    );
    dir
}

#[test]
fn arbitrary_templates_never_crash_check_or_build() {
    let ed = small_edition();
    let root = ed.path();
    let out = tempfile::tempdir().expect("tempdir");
    let opts = apparat::BuildOptions {
        root: root.to_path_buf(),
        output: Some(out.path().join("public")),
        base_url: None,
        drafts: false,
        offline: false,
        live_reload: false,
        ..Default::default()
    };
    let mut rng = Rng {
        state: 0x5eed_7e3a_1a7e_0011,
        clean: false,
        index: 0,
    };
    let (mut passed, mut refused) = (0, 0);
    let sets = 160;
    let start = std::time::Instant::now();
    for set in 0..sets {
        write_set(root, &mut rng);
        let result = std::panic::catch_unwind(|| {
            let (_, d) = apparat::check(&opts);
            let built = apparat::build(&opts);
            (d, built)
        });
        let Ok((checked, built)) = result else {
            panic!("set {set} panicked: templates in {}", root.display());
        };
        match built {
            Ok(_) => {
                passed += 1;
                assert!(
                    !checked.has_errors(),
                    "set {set}: check failed where build passed:\n{checked}"
                );
            }
            Err(d) => {
                refused += 1;
                assert!(d.has_errors(), "set {set}: build failed without an error");
                // every template error names its file
                for e in d.iter().filter(|e| e.is_error()) {
                    assert!(
                        e.path.starts_with("templates") || e.path.starts_with("content"),
                        "set {set}: {e}"
                    );
                }
            }
        }
        // a few through the real binary: exit 0 or 1, never a signal
        if set % 50 == 0 {
            for cmd in ["check", "build"] {
                let o = run(
                    root,
                    &[cmd, "--output", "public-bin"][..if cmd == "build" { 3 } else { 1 }],
                );
                let code = o.status.code();
                assert!(
                    code == Some(0) || code == Some(1),
                    "set {set}: `{cmd}` ended with {:?}:\n{}",
                    o.status,
                    stderr(&o)
                );
                if code == Some(1) {
                    assert!(stderr(&o).contains("error:"), "{}", stderr(&o));
                }
            }
        }
    }
    eprintln!(
        "{sets} template sets: {passed} built, {refused} refused, {} ms",
        start.elapsed().as_millis()
    );
    // the generator makes both kinds
    assert!(
        passed > 5 && refused > 5,
        "passed {passed}, refused {refused}"
    );
}

#[test]
fn a_serve_session_survives_a_cycle_and_recovers() {
    // `serve` renders through a Session: a cycle saved while it runs is an
    // error for that rebuild, and the next good save builds again
    let ed = edition();
    let opts = apparat::BuildOptions {
        root: ed.path().to_path_buf(),
        output: None,
        base_url: None,
        drafts: false,
        offline: false,
        live_reload: true,
        ..Default::default()
    };
    let mut session = apparat::Session::default();
    assert!(session.render(&opts, &[]).is_ok());
    common::write(
        ed.path(),
        "templates/page.html",
        "{% include \"page.html\" %}\n",
    );
    let changed = [ed.path().join("templates/page.html")];
    match session.render(&opts, &changed) {
        Ok(_) => panic!("a self-include was rendered"),
        Err(d) => assert!(d.to_string().contains("include cycle"), "{d}"),
    }
    std::fs::remove_file(&changed[0]).expect("remove template");
    assert!(session.render(&opts, &changed).is_ok());
}

/// tera's `get_env` would publish the build's environment (a CI token, say):
/// it is an error, and the value never reaches the output.
#[test]
fn templates_cannot_read_the_environment() {
    let dir = edition();
    let root = dir.path();
    common::write(
        root,
        "templates/index.html",
        "{% extends \"base.html\" %}{% block main %}[{{ get_env(name=\"APPARAT_SECRET_FOR_TEST\") }}]{% endblock main %}",
    );
    let o = Command::new(env!("CARGO_BIN_EXE_apparat"))
        .arg("build")
        .current_dir(root)
        .env("APPARAT_SECRET_FOR_TEST", "s3cr3t-value")
        .output()
        .expect("run apparat");
    fails_with(&o, "get_env");
    assert!(!stderr(&o).contains("s3cr3t-value"));
    assert!(!root.join("public/index.html").exists());
}
