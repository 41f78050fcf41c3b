//! The edition's version, read from git (never from the clock).

use serde::Serialize;
use std::path::Path;

/// The version of the edition, read from git (never from the clock).
#[derive(Serialize, Clone, Default, Debug)]
pub struct Version {
    pub commit: String,
    pub short: String,
    pub date: String,
}

/// The commit and its date, read from git; empty outside a repository.
pub fn git_version(root: &Path) -> Version {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["log", "-1", "--format=%H%n%cs"])
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let s = String::from_utf8_lossy(&o.stdout);
            let mut lines = s.lines();
            let commit = lines.next().unwrap_or("").to_string();
            let date = lines.next().unwrap_or("").to_string();
            Version {
                short: commit.get(..10).unwrap_or(&commit).to_string(),
                commit,
                date,
            }
        }
        _ => Version::default(),
    }
}
