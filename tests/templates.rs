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
        "templates/x.html:1:4: error: template cycle: x.html → y.html → x.html",
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
fn a_chain_of_includes_too_deep_is_refused() {
    let ed = edition();
    common::write(
        ed.path(),
        "templates/page.html",
        "{% include \"d000.html\" %}\n",
    );
    let n = 400;
    for i in 0..n {
        let next = if i + 1 < n {
            format!("{{% include \"d{:03}.html\" %}}", i + 1)
        } else {
            "end".to_string()
        };
        common::write(ed.path(), &format!("templates/d{i:03}.html"), &next);
    }
    both_fail_with(ed.path(), "error: templates nested too deep");
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
        "templates/page.html:2:19: error: template syntax",
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

/// A small deterministic generator (xorshift), as in tests/fuzz.rs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
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

/// A reference to another template of the set.
fn reference(rng: &mut Rng) -> String {
    let name = rng.pick(NAMES);
    match rng.below(7) {
        0 => format!("{{% include \"{name}\" %}}"),
        1 => format!("{{% include \"{name}\" ignore missing %}}"),
        2 => format!("{{% include [\"nope.html\", \"{name}\"] %}}"),
        3 => format!("{{% import \"{name}\" as mac %}}"),
        4 => format!("{{% extends \"{name}\" %}}"),
        5 => "{% include \"nope.html\" %}".to_string(),
        _ => format!("{{% import \"{name}\" as macros %}}"),
    }
}

/// One template: fragments, references, sometimes deep repetitions and
/// arbitrary bytes.
fn template(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.below(4) == 0 {
        s.push_str(&reference(rng));
    }
    for _ in 0..rng.below(14) {
        match rng.below(10) {
            0 | 1 => s.push_str(&reference(rng)),
            2 => {
                // deep nesting, sometimes past the limit
                let n = 1 + rng.below(150);
                let (open, close) = *[
                    ("{% if true %}", "{% endif %}"),
                    ("{{ ", " }}"),
                    ("(", ")"),
                    ("{% for i in [1] %}", "{% endfor %}"),
                ]
                .get(rng.below(4))
                .unwrap_or(&("", ""));
                if open == "{{ " {
                    s.push_str(&format!("{{{{ {}1{} }}}}", "(".repeat(n), ")".repeat(n)));
                } else {
                    s.push_str(&open.repeat(n));
                    s.push('x');
                    s.push_str(&close.repeat(n));
                }
            }
            3 => {
                let len = rng.below(12);
                let junk: String = (0..len)
                    .map(|_| char::from_u32(rng.below(0x250) as u32).unwrap_or('?'))
                    .collect();
                s.push_str(&junk);
            }
            _ => s.push_str(rng.pick(FRAGMENTS)),
        }
    }
    s
}

/// Writes a generated set of templates into the fixture's `templates/`.
fn write_set(root: &Path, rng: &mut Rng) {
    let dir = root.join("templates");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("templates dir");
    let count = 1 + rng.below(NAMES.len());
    for _ in 0..count {
        let name = rng.pick(NAMES);
        std::fs::write(dir.join(name), template(rng)).expect("write template");
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
        html_budget: None,
    };
    let mut rng = Rng(0x5eed_7e3a_1a7e_0011);
    let (mut passed, mut refused) = (0, 0);
    let sets = 300;
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
        if set % 60 == 0 {
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
    // the generator makes both kinds
    assert!(
        passed > 5 && refused > 5,
        "passed {passed}, refused {refused}"
    );
}
