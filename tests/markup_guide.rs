//! docs/markup.md, the markup reference, checked against the real binary so
//! that it cannot go stale. The guide's own conventions (documented at its
//! top) are read from its fenced blocks:
//!
//! - ```` ```LANG title="PATH" ```` is a complete file of an edition. The
//!   files of one `##` section of the guide, with the base files (those also
//!   marked `base`), form one fixture edition, which `apparat build` must
//!   build with no error and no warning.
//! - ```` ```LANG title="PATH" expect="error" ```` (or `expect="warning"`)
//!   is a file written wrong on purpose: it is added to its section's
//!   edition (replacing the file at the same path), and the next ```` ```text ````
//!   block of the section quotes the diagnostics the build must print, each
//!   line `path:line:col: error: …` exactly.
//! - ```` ```html output="public/PATH" ```` is an excerpt of what the build
//!   of its section's edition writes: every line of it is found in that file.

mod fixture;
use fixture::{stderr, stdout, Site};

const GUIDE: &str = include_str!("../docs/markup.md");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Clean,
    Error,
    Warning,
}

#[derive(Debug, Clone)]
struct File {
    path: String,
    text: String,
    expect: Expect,
    base: bool,
    /// Line of the opening fence in the guide.
    line: usize,
    /// For an `expect` file: the diagnostics the guide quotes.
    quoted: Vec<String>,
}

#[derive(Debug, Clone)]
struct Excerpt {
    file: String,
    text: String,
    line: usize,
}

#[derive(Debug, Default)]
struct Section {
    heading: String,
    files: Vec<File>,
    excerpts: Vec<Excerpt>,
}

/// The value of `key="…"` in a fence's info string.
fn attr(info: &str, key: &str) -> Option<String> {
    let pat = format!("{key}=\"");
    let start = info.find(&pat)? + pat.len();
    let end = info[start..].find('"')? + start;
    Some(info[start..end].to_string())
}

fn has_word(info: &str, word: &str) -> bool {
    info.split_whitespace().any(|w| w == word)
}

/// The guide's `##` sections with their files, expected diagnostics and
/// output excerpts.
fn sections() -> Vec<Section> {
    let mut out: Vec<Section> = vec![Section::default()];
    let lines: Vec<&str> = GUIDE.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(h) = line.strip_prefix("## ") {
            out.push(Section {
                heading: h.trim().to_string(),
                ..Section::default()
            });
            i += 1;
            continue;
        }
        let ticks = line.len() - line.trim_start_matches('`').len();
        if ticks < 3 {
            i += 1;
            continue;
        }
        let info = line[ticks..].trim();
        let open = i + 1;
        let mut j = open;
        while j < lines.len() {
            let l = lines[j].trim_end();
            if l.len() >= ticks && l.chars().all(|c| c == '`') {
                break;
            }
            j += 1;
        }
        let mut text = lines[open..j.min(lines.len())].join("\n");
        text.push('\n');
        let Some(sec) = out.last_mut() else { break };
        let lang = info.split_whitespace().next().unwrap_or("");
        if let Some(path) = attr(info, "title") {
            let expect = match attr(info, "expect").as_deref() {
                None => Expect::Clean,
                Some("error") => Expect::Error,
                Some("warning") => Expect::Warning,
                Some(other) => panic!("docs/markup.md:{}: unknown expect=\"{other}\"", i + 1),
            };
            sec.files.push(File {
                path,
                text,
                expect,
                base: has_word(info, "base"),
                line: i + 1,
                quoted: Vec::new(),
            });
        } else if let Some(file) = attr(info, "output") {
            sec.excerpts.push(Excerpt {
                file,
                text,
                line: i + 1,
            });
        } else if lang == "text" {
            // the diagnostics quoted for the last wrong file still without them
            let quoted: Vec<String> = text
                .lines()
                .filter(|l| l.contains(": error: ") || l.contains(": warning: "))
                .map(str::to_string)
                .collect();
            if let Some(f) = sec
                .files
                .iter_mut()
                .rev()
                .find(|f| f.expect != Expect::Clean && f.quoted.is_empty())
            {
                f.quoted = quoted;
            }
        }
        i = j + 1;
    }
    out
}

/// An edition of the base files, the section's correct files and `extra`.
fn edition(base: &[File], sec: &Section, extra: Option<&File>) -> Site {
    let s = Site::new();
    // Site::new writes a French site.toml: the base replaces it
    let mut files: Vec<&File> = base.iter().collect();
    files.extend(sec.files.iter().filter(|f| f.expect == Expect::Clean));
    files.extend(extra);
    for f in files {
        s.write(&f.path, &f.text);
    }
    s
}

fn both(o: &std::process::Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

#[test]
fn every_example_of_the_markup_guide_builds_as_the_guide_says() {
    let secs = sections();
    let base: Vec<File> = secs
        .iter()
        .flat_map(|s| s.files.iter().filter(|f| f.base).cloned())
        .collect();
    assert!(
        base.iter().any(|f| f.path == "site.toml"),
        "docs/markup.md: no base site.toml"
    );
    let (mut pages, mut wrong, mut excerpts) = (0, 0, 0);
    for sec in &secs {
        let own: Vec<&File> = sec.files.iter().filter(|f| !f.base).collect();
        if own.is_empty() && sec.excerpts.is_empty() {
            continue;
        }
        let name = &sec.heading;
        let s = edition(&base, sec, None);
        let o = s.build();
        let all = both(&o);
        assert!(
            o.status.success(),
            "docs/markup.md, section `{name}`: the build failed:\n{all}"
        );
        assert!(
            !all.contains("warning") && !all.contains("error"),
            "docs/markup.md, section `{name}`: the build printed:\n{all}"
        );
        pages += own.iter().filter(|f| f.expect == Expect::Clean).count();
        for ex in &sec.excerpts {
            excerpts += 1;
            let html = s.read(&ex.file);
            for l in ex.text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                // the lines that begin alike, to show what the file has instead
                let head: String = l.chars().take(12).collect();
                let near: Vec<&str> = html.lines().filter(|h| h.contains(&head)).collect();
                assert!(
                    html.contains(l),
                    "docs/markup.md:{}: `{l}` is not in {}; lines like it:\n{}",
                    ex.line,
                    ex.file,
                    near.join("\n")
                );
            }
        }
        for f in own.iter().filter(|f| f.expect != Expect::Clean) {
            wrong += 1;
            assert!(
                !f.quoted.is_empty(),
                "docs/markup.md:{}: a wrong example needs a ```text block quoting its diagnostic",
                f.line
            );
            let s = edition(&base, sec, Some(f));
            let o = s.build();
            let all = both(&o);
            assert!(!all.contains("panicked"), "{all}");
            match f.expect {
                Expect::Error => assert_eq!(
                    o.status.code(),
                    Some(1),
                    "docs/markup.md:{}: expected the build to fail:\n{all}",
                    f.line
                ),
                _ => assert!(
                    o.status.success(),
                    "docs/markup.md:{}: expected the build to succeed:\n{all}",
                    f.line
                ),
            }
            for q in &f.quoted {
                assert!(
                    all.lines().any(|l| l == q),
                    "docs/markup.md:{}: the build did not print\n{q}\nbut:\n{all}",
                    f.line
                );
            }
        }
    }
    // the guide is read as this test expects: it cannot pass on nothing
    assert!(pages >= 15, "only {pages} complete examples found");
    assert!(wrong >= 10, "only {wrong} wrong examples found");
    assert!(excerpts >= 8, "only {excerpts} output excerpts found");
}
