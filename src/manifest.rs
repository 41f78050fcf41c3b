//! The build manifest: what the last `build` wrote, unit by unit (a page with
//! its source view, a letter page of a divided index), with
//! each unit's fingerprint ([`crate::render::Renderer::fingerprint`]) and
//! the size and change time of every file it wrote. A rebuild over the same
//! output then renders again only the units whose fingerprint changed or
//! whose files are no longer exactly as written (a file edited, replaced or
//! removed by hand changes its change time, which no tool can set back).
//!
//! It lives beside the output folder (`.public.apparat.json`), so
//! it is never deployed. It is written after a successful commit only; a
//! missing, unreadable or foreign manifest (another apparat binary) means a
//! full render, never a wrong one.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A file as the last build left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub path: String,
    pub len: u64,
    /// Change time (seconds, nanoseconds): changes with any write, rename or
    /// change of mode, and cannot be set by hand.
    pub changed: (i64, i64),
}

/// One unit of the last build.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unit {
    pub fingerprint: u64,
    /// Page URLs it produced (for the sitemap).
    pub urls: Vec<String>,
    pub files: Vec<FileStamp>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// The apparat binary that wrote it.
    key: String,
    pub units: HashMap<String, Unit>,
}

/// Where the manifest of output folder `out` lives.
pub fn path_for(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    out.with_file_name(format!(".{name}.apparat.json"))
}

/// Identifies this apparat binary: its version, size and modification time.
pub fn build_key() -> String {
    let exe = std::env::current_exe()
        .and_then(fs::metadata)
        .map(|m| {
            let t = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            format!("{}-{t}", m.len())
        })
        .unwrap_or_default();
    format!("apparat {} {exe}", env!("CARGO_PKG_VERSION"))
}

/// The stamp of `out/rel`, if it is a regular file.
pub fn stamp(out: &Path, rel: &str) -> Option<FileStamp> {
    let m = fs::symlink_metadata(out.join(rel)).ok()?;
    if !m.is_file() {
        return None;
    }
    #[cfg(unix)]
    let changed = {
        use std::os::unix::fs::MetadataExt;
        (m.ctime(), m.ctime_nsec())
    };
    #[cfg(not(unix))]
    let changed = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| (d.as_secs() as i64, i64::from(d.subsec_nanos())))
        .unwrap_or_default();
    Some(FileStamp {
        path: rel.to_string(),
        len: m.len(),
        changed,
    })
}

impl Manifest {
    pub fn new(key: String) -> Manifest {
        Manifest {
            key,
            units: HashMap::new(),
        }
    }

    /// Whether the manifest at `path` was written by the binary `key`
    /// (its first bytes read, not the whole).
    pub fn written_by(path: &Path, key: &str) -> bool {
        use std::io::Read;
        let Ok(head) = serde_json::to_string(key) else {
            return false;
        };
        let head = format!("{{\"key\":{head}");
        let mut bytes = vec![0; head.len()];
        fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut bytes))
            .is_ok_and(|()| bytes == head.as_bytes())
    }

    /// The manifest at `path`, if it was written by the binary `key`.
    pub fn load(path: &Path, key: &str) -> Option<Manifest> {
        let text = fs::read(path).ok()?;
        let m: Manifest = serde_json::from_slice(&text).ok()?;
        (m.key == key).then_some(m)
    }

    /// The unit `name` if its fingerprint is `fingerprint` and every file it
    /// wrote is still in `out` exactly as written.
    pub fn intact(&self, name: &str, fingerprint: u64, out: &Path) -> Option<&Unit> {
        let unit = self.units.get(name)?;
        let ok = unit.fingerprint == fingerprint
            && unit
                .files
                .iter()
                .all(|f| stamp(out, &f.path).as_ref() == Some(f));
        ok.then_some(unit)
    }

    /// Writes the manifest (to a temporary file, renamed into place).
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        let bytes = serde_json::to_vec(self).map_err(io::Error::other)?;
        fs::write(&tmp, bytes)?;
        fs::rename(&tmp, path).inspect_err(|_| {
            let _ = fs::remove_file(&tmp);
        })
    }
}
