//! write: apparat writes only where it owns the output, and replaces it whole.
//!
//! **Ownership.** An output folder may be written only if it is missing,
//! empty, or was written by apparat (it holds the marker file [`MARKER`], or
//! the build manifest of an older apparat lies beside it); anything else is
//! refused unless `--force` is given ([`claim`]). A folder that is, contains
//! or lies inside the edition's root, `content/`, `templates/`, `static/` or
//! `.git` is always refused, and so is a file or a symbolic link.
//!
//! **Atomicity.** Every build writes a complete new tree into a staging
//! folder beside the output (`.NAME.apparat-new-PID`): files that a rebuild
//! makes with the same bytes as the previous output (or that the manifest
//! says are unchanged) are hard-linked from it instead of written again
//! (copied where the file system has no hard links). Only when every page has
//! been rendered and staged does the commit swap the two trees in one step:
//! `renameat2(RENAME_EXCHANGE)` on Linux, `renamex_np(RENAME_SWAP)` on macOS,
//! so that at every instant the output is either the complete old tree or the
//! complete new one, whenever the build is killed. Elsewhere (Windows, other
//! Unixes, file systems without the exchange) the swap is two renames, and for
//! the instant between them the output folder is missing while the old tree
//! sits in `.NAME.apparat-old-PID`. Then the old tree is deleted.
//!
//! A lock file beside the output (`.NAME.apparat.lock`) keeps two builds from
//! writing the same output at once; holding it, a build first removes the
//! staging folders that killed builds left behind (any PID).

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

/// A file of the site, relative to the output folder.
pub struct SiteFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The file that apparat leaves in every output folder it writes, by which a
/// later build knows that it may replace the folder.
pub const MARKER: &str = ".apparat-output";

const MARKER_TEXT: &str = "This folder was written by apparat. A build replaces it whole: \
do not keep files of your own here.\n";

/// The sibling names apparat uses beside an output folder `out`:
/// `.NAME.apparat-TAG…`.
fn sibling_name(out: &Path, tag: &str) -> String {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    format!(".{name}.apparat{tag}")
}

fn sibling(out: &Path, tag: &str) -> PathBuf {
    out.with_file_name(sibling_name(out, &format!("-{tag}-{}", std::process::id())))
}

/// `path` made absolute, with `.` and `..` resolved and the longest part of
/// it that exists resolved through symbolic links, so that two spellings of
/// one folder compare equal.
fn resolved(path: &Path) -> io::Result<PathBuf> {
    let abs = std::path::absolute(path)?;
    let mut lexical = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                lexical.pop();
            }
            other => lexical.push(other),
        }
    }
    let mut tail = Vec::new();
    let mut head = lexical.as_path();
    loop {
        if let Ok(mut real) = head.canonicalize() {
            for part in tail.iter().rev() {
                real.push(part);
            }
            return Ok(real);
        }
        match (head.file_name(), head.parent()) {
            (Some(name), Some(parent)) => {
                tail.push(name.to_os_string());
                head = parent;
            }
            _ => return Ok(lexical),
        }
    }
}

/// Whether apparat may write the output folder `out` of the edition at
/// `root`; the error says why not and how to proceed. `force`: replace a
/// folder of foreign files (never the edition's own folders).
pub fn claim(root: &Path, out: &Path, force: bool) -> Result<(), String> {
    let shown = out.display();
    let (root_r, out_r) = match (resolved(root), resolved(out)) {
        (Ok(r), Ok(o)) => (r, o),
        (Err(e), _) | (_, Err(e)) => {
            return Err(format!("cannot resolve the output folder `{shown}`: {e}"))
        }
    };
    let whole = "a build replaces its output folder whole: choose another output folder \
                 (`--output` or `output_dir` in site.toml)";
    if out_r == root_r {
        return Err(format!(
            "the output folder `{shown}` is the edition's own folder; {whole}"
        ));
    }
    if root_r.starts_with(&out_r) {
        return Err(format!(
            "the output folder `{shown}` contains the edition's folder; {whole}"
        ));
    }
    for name in ["content", "templates", "static", ".git"] {
        let p = root_r.join(name);
        if out_r.starts_with(&p) {
            return Err(format!(
                "the output folder `{shown}` is inside the edition's `{name}`; {whole}"
            ));
        }
        if p.starts_with(&out_r) {
            return Err(format!(
                "the output folder `{shown}` contains the edition's `{name}`; {whole}"
            ));
        }
    }
    let meta = match fs::symlink_metadata(out) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read the output folder `{shown}`: {e}")),
        Ok(m) => m,
    };
    if meta.file_type().is_symlink() {
        return Err(format!(
            "the output `{shown}` is a symbolic link; a build replaces its output folder whole and \
             does not follow links: give the folder itself"
        ));
    }
    if !meta.is_dir() {
        return Err(format!(
            "the output `{shown}` is a file, not a folder; remove it or choose another output folder"
        ));
    }
    let owned = fs::symlink_metadata(out.join(MARKER)).is_ok_and(|m| m.is_file())
        || crate::manifest::path_for(out).is_file();
    if owned || force {
        return Ok(());
    }
    let mut names: Vec<String> = fs::read_dir(out)
        .map_err(|e| format!("cannot read the output folder `{shown}`: {e}"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    match names.first() {
        None => Ok(()),
        Some(first) => Err(format!(
            "the output folder `{shown}` holds files that apparat did not write (such as `{first}`), \
             and a build replaces its output folder whole: choose another output folder, empty this \
             one, or build with `--force` to replace it and everything in it"
        )),
    }
}

/// Holds the lock beside an output folder for the length of a build.
fn lock(out: &Path) -> io::Result<fs::File> {
    let path = out.with_file_name(sibling_name(out, ".lock"));
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(io::Error::other(format!(
            "another apparat build is writing this output folder (it holds `{}`)",
            path.display()
        ))),
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Removes the staging folders that killed builds left beside `out`.
fn remove_leftovers(out: &Path) -> io::Result<()> {
    let Some(dir) = out.parent() else {
        return Ok(());
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefixes = [
        sibling_name(out, "-new-"),
        sibling_name(out, "-old-"),
        sibling_name(out, ".tmp-"),
    ];
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours = prefixes.iter().any(|p| {
            name.strip_prefix(p.as_str())
                .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        });
        if ours {
            remove_any(&entry.path())?;
        }
    }
    Ok(())
}

/// Removes a folder with everything in it, or a file.
fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// A new output being prepared. [`Staging::put`] and [`Staging::keep`] may be
/// called from several threads; nothing changes at `out` before
/// [`Staging::commit`]; dropped uncommitted, the staging folder is removed.
pub struct Staging {
    out: PathBuf,
    tmp: PathBuf,
    /// The output folder exists: unchanged files are linked from it.
    previous: bool,
    paths: Mutex<Vec<String>>,
    _lock: fs::File,
    done: bool,
}

impl Staging {
    /// Starts a build of `out` (which [`claim`] allowed).
    pub fn new(out: &Path) -> io::Result<Staging> {
        if let Some(parent) = out.parent() {
            if !parent.as_os_str().is_empty() {
                fs::create_dir_all(parent)?;
            }
        }
        let lock = lock(out)?;
        remove_leftovers(out)?;
        let tmp = sibling(out, "new");
        fs::create_dir(&tmp)?;
        let previous = fs::symlink_metadata(out).is_ok_and(|m| m.is_dir());
        Ok(Staging {
            out: out.to_path_buf(),
            tmp,
            previous,
            paths: Mutex::new(Vec::new()),
            _lock: lock,
            done: false,
        })
    }

    fn record(&self, rel: &str) -> io::Result<()> {
        self.paths
            .lock()
            .map_err(|_| io::Error::other("a writer thread panicked"))?
            .push(rel.to_string());
        Ok(())
    }

    /// Adds one file (`rel`: relative to the output folder). A file equal to
    /// the previous output's is linked, not written again.
    pub fn put(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let dest = self.tmp.join(rel);
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir)?;
        }
        let old = self.out.join(rel);
        if self.previous && same_bytes(&old, bytes) {
            link_or_copy(&old, &dest)?;
        } else {
            fs::write(&dest, bytes)?;
        }
        self.record(rel)
    }

    /// Keeps the previous output's file at `rel` as it is (the caller knows
    /// it is already what this build makes).
    pub fn keep(&self, rel: &str) -> io::Result<()> {
        if !self.previous {
            return Err(io::Error::other("nothing to keep in a fresh output"));
        }
        let dest = self.tmp.join(rel);
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir)?;
        }
        link_or_copy(&self.out.join(rel), &dest)?;
        self.record(rel)
    }

    /// Whether the output existed: unchanged files are linked from it.
    pub fn in_place(&self) -> bool {
        self.previous
    }

    /// Makes the new site the output, in one step, then deletes the old one.
    pub fn commit(mut self) -> io::Result<()> {
        self.done = true;
        let r = self.try_commit();
        // after the swap, the staging folder holds the old tree; after a
        // failure, the new one
        let removed = remove_any(&self.tmp);
        r.and(removed)
    }

    fn try_commit(&self) -> io::Result<()> {
        let paths = std::mem::take(
            &mut *self
                .paths
                .lock()
                .map_err(|_| io::Error::other("a writer thread panicked"))?,
        );
        let all: HashSet<&str> = paths.iter().map(String::as_str).collect();
        if all.contains(MARKER) {
            return Err(io::Error::other(format!(
                "`{MARKER}` is a name apparat keeps for itself in the output folder"
            )));
        }
        let mut dirs: HashSet<&str> = HashSet::new();
        for p in &paths {
            dirs.extend(ancestors(p));
        }
        if let Some(p) = dirs.iter().filter(|d| all.contains(**d)).min() {
            return Err(io::Error::other(format!(
                "`{p}` is both a file and a folder of the site"
            )));
        }
        fs::write(self.tmp.join(MARKER), MARKER_TEXT)?;
        if fs::symlink_metadata(&self.out).is_ok() {
            exchange(&self.tmp, &self.out)
        } else {
            fs::rename(&self.tmp, &self.out)
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = remove_any(&self.tmp);
        }
    }
}

/// Links `from` to `to`, or copies it where links cannot be made.
fn link_or_copy(from: &Path, to: &Path) -> io::Result<()> {
    match fs::hard_link(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(e),
        Err(_) => fs::copy(from, to).map(|_| ()),
    }
}

/// Swaps the folders `new` and `out` in one step where the system can.
#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
fn exchange(new: &Path, out: &Path) -> io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    use rustix::io::Errno;
    match renameat_with(CWD, new, CWD, out, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(()),
        // the kernel or the file system has no exchange
        Err(e) if e == Errno::INVAL || e == Errno::NOSYS || e == Errno::NOTSUP => {
            swap_by_renames(new, out)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
fn exchange(new: &Path, out: &Path) -> io::Result<()> {
    swap_by_renames(new, out)
}

/// The swap in two renames, where there is no exchange: between them the
/// output is missing, and the old tree is in `.NAME.apparat-old-PID`.
/// Afterwards `new` holds the old tree, as after an exchange.
fn swap_by_renames(new: &Path, out: &Path) -> io::Result<()> {
    let old = sibling(out, "old");
    fs::rename(out, &old)?;
    if let Err(e) = fs::rename(new, out) {
        // put the previous site back
        let _ = fs::rename(&old, out);
        return Err(e);
    }
    fs::rename(&old, new)
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

/// The folders `a`, `a/b` of `a/b/c`.
fn ancestors(rel: &str) -> impl Iterator<Item = &str> {
    rel.match_indices('/').map(move |(i, _)| &rel[..i])
}

/// Writes `files` then makes them the output (no ownership check: see [`claim`]).
pub fn write_atomic(out: &Path, files: &[SiteFile]) -> io::Result<()> {
    let staging = Staging::new(out)?;
    for f in files {
        staging.put(&f.path, &f.bytes)?;
    }
    staging.commit()
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
