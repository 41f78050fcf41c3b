//! write: apparat writes only where it owns the output, and replaces it whole.
//!
//! **Ownership.** An output folder may be written only if it is missing,
//! empty, or was written by apparat (it holds the marker file [`MARKER`], or
//! the build manifest of an older apparat lies beside it); anything else is
//! refused unless `--force` is given ([`claim`]). A folder that is, contains
//! or lies inside the edition's root, `content/`, `templates/`, `static/` or
//! `.git` is always refused, and so is a file or a symbolic link.
//!
//! **Atomicity.** Every build stages a complete new tree beside the output:
//! into a new folder (`.NAME.apparat-new-PID`), or, for a rebuild, into the
//! spare tree that the previous swap kept (see [`Staging`]). Files that a
//! rebuild makes with the same bytes as the previous output (or that the
//! manifest says are unchanged) are hard-linked from it instead of written
//! again (copied where the file system has no hard links). Only when every page has
//! been rendered and staged does the commit swap the two trees in one step:
//! `renameat2(RENAME_EXCHANGE)` on Linux, `renamex_np(RENAME_SWAP)` on macOS,
//! so that at every instant the output is either the complete old tree or the
//! complete new one, whenever the build is killed. Elsewhere (Windows, other
//! Unixes, file systems without the exchange) the swap is two renames, and for
//! the instant between them the output folder is missing while the old tree
//! sits in `.NAME.apparat-old-PID`. The old tree is then kept as the next
//! build's spare tree.
//!
//! A lock file beside the output (`.NAME.apparat.lock`) keeps two builds from
//! writing the same output at once; holding it, a build first removes the
//! staging folders that killed builds left behind (any PID).

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// A file of the site, relative to the output folder.
pub struct SiteFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// A page's bytes as they are read back: whole, or a file to be read a
/// piece at a time (so that a large page is never held whole).
pub enum PageBytes {
    Whole(Vec<u8>),
    File(fs::File),
}

impl PageBytes {
    /// A reader of the bytes.
    pub fn reader(&mut self) -> Box<dyn io::Read + '_> {
        match self {
            PageBytes::Whole(bytes) => Box::new(bytes.as_slice()),
            PageBytes::File(file) => Box::new(file),
        }
    }

    /// The bytes, whole.
    pub fn whole(self) -> io::Result<Vec<u8>> {
        match self {
            PageBytes::Whole(bytes) => Ok(bytes),
            PageBytes::File(mut file) => {
                let mut bytes = Vec::new();
                io::Read::read_to_end(&mut file, &mut bytes)?;
                Ok(bytes)
            }
        }
    }
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

/// Removes a folder with everything in it, or a file; nothing if there is
/// nothing there (or a file where a folder of its path was).
/// Whether files `a` and `b` hold the same bytes (read in pieces).
fn same_bytes(a: &Path, b: &Path) -> io::Result<bool> {
    let (mut a, mut b) = (fs::File::open(a)?, fs::File::open(b)?);
    let (mut x, mut y) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = read_full(&mut a, &mut x)?;
        let m = read_full(&mut b, &mut y)?;
        if x[..n] != y[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

/// Fills `buf` from `f` as far as `f` goes; how many bytes were read.
fn read_full(f: &mut fs::File, buf: &mut [u8]) -> io::Result<usize> {
    use io::Read;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn remove_any(path: &Path) -> io::Result<()> {
    let gone = |e: &io::Error| {
        matches!(
            e.kind(),
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
        )
    };
    let r = match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) => Err(e),
    };
    match r {
        Err(e) if gone(&e) => Ok(()),
        r => r,
    }
}

/// Where a build stages the new tree.
enum Target {
    /// A new folder, filled from nothing (`.NAME.apparat-new-PID`).
    Fresh,
    /// The spare tree: the output of the build before the last one, kept
    /// after the last swap, brought up to date file by file. Its files, by
    /// path, with their inode numbers (0 where the system has none), and
    /// its folders.
    Spare(std::collections::HashMap<String, u64>, Vec<String>),
}

/// A new output being prepared. [`Staging::put`] and [`Staging::keep`] may be
/// called from several threads; nothing changes at `out` before
/// [`Staging::commit`]; dropped uncommitted, a fresh staging folder is removed
/// (a spare tree is left marked as unfinished, and made again next time).
///
/// A rebuild stages into the **spare tree**: after each swap the previous
/// output is kept beside the new one (`.NAME.apparat-spare`), and the next
/// build brings it up to date (files that did not change are hard links to
/// the output's; changed files are written under a temporary name and
/// renamed, never written in place, since they may share their inode with
/// the output; files that are no longer part of the site are removed) and
/// then swaps it in. A rebuild where little changed thus writes little, and
/// creates and deletes no folders. A spare tree that a killed build left half
/// updated is marked (`.NAME.apparat-spare.dirty`) and made again from the
/// output.
pub struct Staging {
    out: PathBuf,
    tmp: PathBuf,
    target: Target,
    /// The output folder exists: unchanged files are linked from it.
    previous: bool,
    paths: Mutex<Vec<String>>,
    /// Files of the output linked into the new tree (their change time changed).
    relinked: Mutex<HashSet<String>>,
    /// Folders of the staging tree known to exist (made or found by this
    /// build), so that a file's folder is made once, not looked for at
    /// every file: a `mkdir` that fails was 7 % of a fresh build's CPU.
    folders: Mutex<HashSet<PathBuf>>,
    /// For temporary names in the spare tree.
    counter: std::sync::atomic::AtomicU64,
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
        let previous = fs::symlink_metadata(out).is_ok_and(|m| m.is_dir());
        let spare = out.with_file_name(sibling_name(out, "-spare"));
        let dirty = out.with_file_name(sibling_name(out, "-spare.dirty"));
        let usable = previous
            && fs::symlink_metadata(&spare).is_ok_and(|m| m.is_dir())
            && fs::symlink_metadata(&dirty).is_err();
        let (tmp, target) = if usable {
            fs::write(&dirty, "")?;
            let (files, dirs) = list_files(&spare)?;
            (spare, Target::Spare(files, dirs))
        } else {
            remove_any(&spare)?;
            remove_any(&dirty)?;
            let tmp = sibling(out, "new");
            fs::create_dir(&tmp)?;
            (tmp, Target::Fresh)
        };
        Ok(Staging {
            out: out.to_path_buf(),
            tmp,
            target,
            previous,
            paths: Mutex::new(Vec::new()),
            relinked: Mutex::new(HashSet::new()),
            folders: Mutex::new(HashSet::new()),
            counter: std::sync::atomic::AtomicU64::new(0),
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

    /// A temporary name inside the staging tree (renamed over its file).
    fn temp_name(&self) -> PathBuf {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.tmp.join(format!(".apparat-tmp-{n}"))
    }

    /// Makes `tmp/rel` ready to be replaced: its folders exist (a file in
    /// the way of one is removed), and a folder at its place is removed.
    fn make_room(&self, rel: &str) -> io::Result<PathBuf> {
        let dest = self.tmp.join(rel);
        let folders = || self.folders.lock().unwrap_or_else(PoisonError::into_inner);
        if let Target::Spare(..) = self.target {
            for dir in ancestors(rel) {
                let d = self.tmp.join(dir);
                if fs::symlink_metadata(&d).is_ok_and(|m| !m.is_dir()) {
                    // looked at again under the lock: another thread may
                    // have removed it and made a folder there since, with
                    // files in it
                    let mut known = folders();
                    if fs::symlink_metadata(&d).is_ok_and(|m| !m.is_dir()) {
                        known.clear();
                        remove_any(&d)?;
                    }
                }
            }
            if fs::symlink_metadata(&dest).is_ok_and(|m| m.is_dir()) {
                // (the folders known to exist may have been in it)
                folders().clear();
                fs::remove_dir_all(&dest)?;
            }
        }
        if let Some(dir) = dest.parent() {
            // (under the lock: no thread removes a file in the way while
            // another makes the folder)
            let mut known = folders();
            if !known.contains(dir) {
                fs::create_dir_all(dir)?;
                known.insert(dir.to_path_buf());
            }
        }
        Ok(dest)
    }

    /// Puts the output's file at `rel` into the staging tree, as a link.
    fn link_from_output(&self, rel: &str, old: &fs::Metadata) -> io::Result<()> {
        let from = self.out.join(rel);
        if self.link(rel, old, &from)? {
            self.relinked
                .lock()
                .map_err(|_| io::Error::other("a writer thread panicked"))?
                .insert(rel.to_string());
        }
        Ok(())
    }

    /// Links `from` to `rel` in the staging tree; false if it already was.
    fn link(&self, rel: &str, old: &fs::Metadata, from: &Path) -> io::Result<bool> {
        match &self.target {
            Target::Fresh => {
                let dest = self.make_room(rel)?;
                link_or_copy(from, &dest).map(|_| true)
            }
            Target::Spare(files, _) => {
                if files
                    .get(rel)
                    .is_some_and(|&ino| ino != 0 && ino == inode(old))
                {
                    // already the same file
                    return Ok(false);
                }
                let dest = self.make_room(rel)?;
                let tmp = self.temp_name();
                link_or_copy(from, &tmp)?;
                fs::rename(&tmp, &dest).map(|_| true)
            }
        }
    }

    /// Adds one file (`rel`: relative to the output folder). A file equal to
    /// the previous output's is linked, not written again.
    pub fn put(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let old = self.out.join(rel);
        if self.previous {
            if let Ok(m) = fs::symlink_metadata(&old) {
                if m.is_file() && m.len() == bytes.len() as u64 && fs::read(&old)? == bytes {
                    self.link_from_output(rel, &m)?;
                    return self.record(rel);
                }
            }
        }
        let dest = self.make_room(rel)?;
        match self.target {
            Target::Fresh => fs::write(&dest, bytes)?,
            Target::Spare(..) => {
                // never in place: the spare's file may be the output's too
                let tmp = self.temp_name();
                fs::write(&tmp, bytes)?;
                fs::rename(&tmp, &dest)?;
            }
        }
        self.record(rel)
    }

    /// [`Staging::put`] with bytes that `write` writes as they are made, so
    /// that a large file is never held whole: into a temporary file of the
    /// staging tree, then linked from the previous output instead if equal
    /// to its file, else renamed into place.
    pub fn put_with(
        &self,
        rel: &str,
        write: &mut dyn FnMut(&mut dyn io::Write) -> io::Result<()>,
    ) -> io::Result<()> {
        let tmp = self.temp_name();
        let written = fs::File::create(&tmp).and_then(|file| {
            let mut w = io::BufWriter::with_capacity(1 << 16, file);
            write(&mut w)?;
            w.into_inner().map_err(|e| e.into_error())?;
            Ok(())
        });
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        if self.previous {
            let old = self.out.join(rel);
            if let Ok(m) = fs::symlink_metadata(&old) {
                if m.is_file() && m.len() == fs::metadata(&tmp)?.len() && same_bytes(&old, &tmp)? {
                    fs::remove_file(&tmp)?;
                    self.link_from_output(rel, &m)?;
                    return self.record(rel);
                }
            }
        }
        let dest = self.make_room(rel)?;
        fs::rename(&tmp, &dest)?;
        self.record(rel)
    }

    /// Keeps the previous output's file at `rel` as it is (the caller knows
    /// it is already what this build makes).
    pub fn keep(&self, rel: &str) -> io::Result<()> {
        if !self.previous {
            return Err(io::Error::other("nothing to keep in a fresh output"));
        }
        let m = fs::symlink_metadata(self.out.join(rel))?;
        self.link_from_output(rel, &m)?;
        self.record(rel)
    }

    /// A file put or kept in the staging tree, to be read.
    pub fn read(&self, rel: &str) -> io::Result<PageBytes> {
        fs::File::open(self.tmp.join(rel)).map(PageBytes::File)
    }

    /// Whether the output existed: unchanged files are linked from it.
    pub fn has_previous(&self) -> bool {
        self.previous
    }

    /// Makes the new site the output, in one step. The old output becomes
    /// the spare tree of the next build. Returns the files of the output
    /// that were linked into the new tree (their change time changed).
    pub fn commit(mut self) -> io::Result<HashSet<String>> {
        self.done = true;
        let r = self.try_commit();
        if r.is_err() {
            if let Target::Fresh = self.target {
                let _ = remove_any(&self.tmp);
            }
        }
        r?;
        let relinked = std::mem::take(
            &mut *self
                .relinked
                .lock()
                .map_err(|_| io::Error::other("a writer thread panicked"))?,
        );
        Ok(relinked)
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
        if let Target::Spare(files, old_dirs) = &self.target {
            // what is no longer part of the site, then folders no longer
            // needed, deepest first
            for rel in files.keys() {
                let rel = rel.as_str();
                if !all.contains(rel) && !dirs.contains(rel) && rel != MARKER {
                    remove_any(&self.tmp.join(rel))?;
                }
            }
            let mut gone: Vec<&String> = old_dirs
                .iter()
                .filter(|d| !dirs.contains(d.as_str()) && !all.contains(d.as_str()))
                .collect();
            gone.sort_by_key(|d| std::cmp::Reverse(d.matches('/').count()));
            for d in gone {
                remove_any(&self.tmp.join(d))?;
            }
        }
        let marker = self.tmp.join(MARKER);
        if fs::read(&marker).ok().as_deref() != Some(MARKER_TEXT.as_bytes()) {
            fs::write(&marker, MARKER_TEXT)?;
        }
        let spare = self.out.with_file_name(sibling_name(&self.out, "-spare"));
        let dirty = self
            .out
            .with_file_name(sibling_name(&self.out, "-spare.dirty"));
        if fs::symlink_metadata(&self.out).is_ok() {
            exchange(&self.tmp, &self.out)?;
            // the staging folder now holds the old output: the next spare
            // (if it cannot be kept, the next build makes one again)
            if self.tmp != spare && fs::rename(&self.tmp, &spare).is_err() {
                let _ = remove_any(&self.tmp);
            }
            let _ = remove_any(&dirty);
            Ok(())
        } else {
            fs::rename(&self.tmp, &self.out)
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            if let Target::Fresh = self.target {
                let _ = remove_any(&self.tmp);
            }
        }
    }
}

/// The files under `dir`, by relative path, with their inode numbers (read
/// with the directory, without a `stat` of each file), and its folders.
type Listing = (std::collections::HashMap<String, u64>, Vec<String>);

fn list_files(dir: &Path) -> io::Result<Listing> {
    let mut files = std::collections::HashMap::new();
    let mut dirs = Vec::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1) {
        let entry = entry.map_err(io::Error::other)?;
        let Ok(rel) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let Some(rel) = rel.to_str() else {
            // not UTF-8: never a path of the site
            remove_any(entry.path())?;
            continue;
        };
        let rel = rel.replace('\\', "/");
        if entry.file_type().is_dir() {
            dirs.push(rel);
            continue;
        }
        #[cfg(unix)]
        let ino = walkdir::DirEntryExt::ino(&entry);
        #[cfg(not(unix))]
        let ino = 0;
        files.insert(rel, ino);
    }
    Ok((files, dirs))
}

#[cfg(unix)]
fn inode(m: &fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(m)
}

#[cfg(not(unix))]
fn inode(_: &fs::Metadata) -> u64 {
    0
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

/// The folders `a`, `a/b` of `a/b/c`.
fn ancestors(rel: &str) -> impl Iterator<Item = &str> {
    rel.match_indices('/').map(move |(i, _)| &rel[..i])
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
