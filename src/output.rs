//! write: a failed build never touches the previous output.
//!
//! Into a fresh output folder, the whole site goes into a temporary sibling,
//! renamed into place at the end. Over an existing output folder, only what
//! changed is written: each file is compared with the previous output's file at
//! the same path; a changed or new file is written into the temporary sibling.
//! Only once every page has been rendered and written there does the commit
//! move the changed files into the output (the replaced files and the files
//! that are no longer part of the site are moved aside first, and moved back if
//! a step of the commit fails), then delete what was moved aside. A rebuild
//! where little changed thus reads the old output but writes and deletes little.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A file of the site, relative to the output folder.
pub struct SiteFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

fn sibling(out: &Path, tag: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    out.with_file_name(format!(".{name}.apparat-{tag}-{}", std::process::id()))
}

/// A new output being prepared. [`Staging::put`] may be called from several
/// threads; nothing changes at `out` before [`Staging::commit`]; dropped
/// uncommitted, the temporary folder is removed.
pub struct Staging {
    out: PathBuf,
    tmp: PathBuf,
    /// The output folder exists: update it in place, file by file.
    in_place: bool,
    written: Mutex<Written>,
    done: bool,
}

#[derive(Default)]
struct Written {
    /// Every path of the new site.
    all: HashSet<String>,
    /// Paths written into the temporary folder (in place: the changed ones).
    changed: Vec<String>,
}

/// One step of an in-place commit, to undo it.
enum Step {
    /// `out/rel` moved to `aside/rel`.
    Aside(String),
    /// `tmp/rel` moved to `out/rel`.
    Placed(String),
    /// `out/rel` created as a folder.
    Dir(String),
}

impl Staging {
    pub fn new(out: &Path) -> io::Result<Staging> {
        if let Some(parent) = out.parent() {
            if !parent.as_os_str().is_empty() {
                fs::create_dir_all(parent)?;
            }
        }
        let tmp = sibling(out, "new");
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir_all(&tmp)?;
        let in_place = fs::symlink_metadata(out)
            .map(|m| m.is_dir())
            .unwrap_or(false);
        Ok(Staging {
            out: out.to_path_buf(),
            tmp,
            in_place,
            written: Mutex::new(Written::default()),
            done: false,
        })
    }

    /// Adds one file (`rel`: relative to the output folder). In place, a file
    /// equal to the previous output's is not written again.
    pub fn put(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let unchanged = self.in_place && same_bytes(&self.out.join(rel), bytes);
        if !unchanged {
            let dest = self.tmp.join(rel);
            if let Some(dir) = dest.parent() {
                fs::create_dir_all(dir)?;
            }
            fs::write(&dest, bytes)?;
        }
        let mut w = self
            .written
            .lock()
            .map_err(|_| io::Error::other("a writer thread panicked"))?;
        w.all.insert(rel.to_string());
        if !unchanged {
            w.changed.push(rel.to_string());
        }
        Ok(())
    }

    /// Keeps the previous output's file at `rel` as it is (over an existing
    /// output only: the caller knows it is already what this build makes).
    pub fn keep(&self, rel: &str) -> io::Result<()> {
        if !self.in_place {
            return Err(io::Error::other("nothing to keep in a fresh output"));
        }
        let mut w = self
            .written
            .lock()
            .map_err(|_| io::Error::other("a writer thread panicked"))?;
        w.all.insert(rel.to_string());
        Ok(())
    }

    /// Whether the output existed: the build updates it in place.
    pub fn in_place(&self) -> bool {
        self.in_place
    }

    /// Makes the new site the output.
    pub fn commit(mut self) -> io::Result<()> {
        self.done = true;
        let r = self.try_commit();
        if self.tmp.exists() {
            let _ = fs::remove_dir_all(&self.tmp);
        }
        r
    }

    fn try_commit(&self) -> io::Result<()> {
        let written = std::mem::take(
            &mut *self
                .written
                .lock()
                .map_err(|_| io::Error::other("a writer thread panicked"))?,
        );
        let mut dirs: HashSet<&str> = HashSet::new();
        for p in &written.all {
            dirs.extend(ancestors(p));
        }
        if let Some(p) = dirs.iter().filter(|d| written.all.contains(**d)).min() {
            return Err(io::Error::other(format!(
                "`{p}` is both a file and a folder of the site"
            )));
        }
        drop(dirs);
        if self.in_place {
            commit_in_place(&self.out, &self.tmp, written)
        } else {
            swap_in(&self.tmp, &self.out)
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Whether the regular file at `path` holds exactly `bytes`.
fn same_bytes(path: &Path, bytes: &[u8]) -> bool {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() && m.len() == bytes.len() as u64 => {
            fs::read(path).is_ok_and(|old| old == bytes)
        }
        _ => false,
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

/// The folders `a`, `a/b` of `a/b/c`.
fn ancestors(rel: &str) -> impl Iterator<Item = &str> {
    rel.match_indices('/').map(move |(i, _)| &rel[..i])
}

/// Updates `out` to hold exactly the files of `written` (the changed ones
/// waiting in `tmp`); on failure, undoes every step taken.
fn commit_in_place(out: &Path, tmp: &Path, mut written: Written) -> io::Result<()> {
    let aside = sibling(out, "old");
    if aside.exists() {
        fs::remove_dir_all(&aside)?;
    }
    fs::create_dir_all(&aside)?;
    let mut steps: Vec<Step> = Vec::new();
    let result = apply(out, tmp, &aside, &mut written, &mut steps);
    if result.is_err() {
        for step in steps.iter().rev() {
            let _ = match step {
                Step::Placed(rel) => fs::rename(out.join(rel), tmp.join(rel)),
                Step::Dir(rel) => fs::remove_dir(out.join(rel)),
                Step::Aside(rel) => fs::rename(aside.join(rel), out.join(rel)),
            };
        }
    }
    let _ = fs::remove_dir_all(&aside);
    result
}

fn apply(
    out: &Path,
    tmp: &Path,
    aside: &Path,
    written: &mut Written,
    steps: &mut Vec<Step>,
) -> io::Result<()> {
    let mut dirs: HashSet<&str> = HashSet::new();
    for p in &written.all {
        dirs.extend(ancestors(p));
    }
    let move_aside = |rel: &str, steps: &mut Vec<Step>| -> io::Result<()> {
        let to = aside.join(rel);
        if let Some(d) = to.parent() {
            fs::create_dir_all(d)?;
        }
        fs::rename(out.join(rel), to)?;
        steps.push(Step::Aside(rel.to_string()));
        Ok(())
    };
    // what is no longer part of the site goes aside
    let mut todo = vec![String::new()];
    while let Some(prefix) = todo.pop() {
        let mut names = Vec::new();
        for entry in fs::read_dir(out.join(&prefix))? {
            let entry = entry?;
            names.push((entry.file_name(), entry.file_type()?.is_dir()));
        }
        for (name, is_dir) in names {
            let Some(name) = name.to_str() else {
                // not UTF-8: never a path of the site
                let rel = join(&prefix, &name.to_string_lossy());
                let to = aside.join(&rel);
                if let Some(d) = to.parent() {
                    fs::create_dir_all(d)?;
                }
                fs::rename(out.join(&prefix).join(&name), &to)?;
                steps.push(Step::Aside(rel));
                continue;
            };
            let rel = join(&prefix, name);
            if is_dir && dirs.contains(rel.as_str()) {
                todo.push(rel);
            } else if is_dir || !written.all.contains(&rel) || dirs.contains(rel.as_str()) {
                move_aside(&rel, steps)?;
            }
        }
    }
    // changed and new files go in, replacing the old ones
    written.changed.sort();
    for rel in &written.changed {
        for d in ancestors(rel) {
            if !out.join(d).exists() {
                fs::create_dir(out.join(d))?;
                steps.push(Step::Dir(d.to_string()));
            }
        }
        if fs::symlink_metadata(out.join(rel)).is_ok() {
            move_aside(rel, steps)?;
        }
        fs::rename(tmp.join(rel), out.join(rel))?;
        steps.push(Step::Placed(rel.clone()));
    }
    Ok(())
}

/// Writes `files` then makes them the output.
pub fn write_atomic(out: &Path, files: &[SiteFile]) -> io::Result<()> {
    let staging = Staging::new(out)?;
    for f in files {
        staging.put(&f.path, &f.bytes)?;
    }
    staging.commit()
}

/// Replaces `out` by `tmp`.
pub fn swap_in(tmp: &Path, out: &Path) -> io::Result<()> {
    if out.exists() || fs::symlink_metadata(out).is_ok() {
        let old = sibling(out, "old");
        if old.exists() {
            fs::remove_dir_all(&old)?;
        }
        fs::rename(out, &old)?;
        if let Err(e) = fs::rename(tmp, out) {
            // put the previous site back
            let _ = fs::rename(&old, out);
            return Err(e);
        }
        if fs::symlink_metadata(&old).is_ok_and(|m| m.is_dir()) {
            fs::remove_dir_all(&old)?;
        } else {
            fs::remove_file(&old)?;
        }
    } else {
        fs::rename(tmp, out)?;
    }
    Ok(())
}

/// Every file under `root/dir` (`static`), sorted, as (path relative to
/// `dir`, bytes). Symbolic links that lead outside the edition root are
/// refused (never read) and, like unreadable files, reported in `diags`.
pub fn read_tree(
    root: &Path,
    dir: &str,
    diags: &mut crate::diagnostics::Diagnostics,
) -> Vec<SiteFile> {
    let mut found = Vec::new();
    if !root.join(dir).is_dir() {
        return found;
    }
    let mut paths = Vec::new();
    crate::content::walk_files(root, dir, diags, |_, rel| paths.push(rel));
    for rel in paths {
        let Ok(inner) = rel.strip_prefix(dir) else {
            continue;
        };
        let path = inner.to_string_lossy().replace('\\', "/");
        match fs::read(root.join(&rel)) {
            Ok(bytes) => found.push(SiteFile { path, bytes }),
            Err(e) => diags.file_error(&rel, format!("cannot read file: {e}")),
        }
    }
    found
}
