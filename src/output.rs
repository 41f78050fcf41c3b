//! write: the whole site goes into a temporary sibling of the output folder,
//! which then replaces the old output in two renames. A failed build never
//! touches the previous output.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

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

/// Writes `files` then swaps the folder in.
pub fn write_atomic(out: &Path, files: &[SiteFile]) -> io::Result<()> {
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
    let result = (|| {
        for f in files {
            let dest = tmp.join(&f.path);
            if let Some(dir) = dest.parent() {
                fs::create_dir_all(dir)?;
            }
            fs::write(&dest, &f.bytes)?;
        }
        Ok::<(), io::Error>(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    swap_in(&tmp, out)
}

/// Replaces `out` by `tmp`.
pub fn swap_in(tmp: &Path, out: &Path) -> io::Result<()> {
    if out.exists() {
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
        fs::remove_dir_all(&old)?;
    } else {
        fs::rename(tmp, out)?;
    }
    Ok(())
}

/// Every file under `dir`, sorted, as (relative path, bytes).
pub fn read_tree(dir: &Path) -> io::Result<Vec<SiteFile>> {
    let mut files = Vec::new();
    if !dir.is_dir() {
        return Ok(files);
    }
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        let entry = entry.map_err(io::Error::other)?;
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .map_err(io::Error::other)?
                .to_string_lossy()
                .replace('\\', "/");
            files.push(SiteFile {
                path: rel,
                bytes: fs::read(entry.path())?,
            });
        }
    }
    Ok(files)
}
