//! Records the git commit the binary was built from, for `apparat --version`
//! (`0.1.0 (commit 1a2b3c4d5e, 2026-11-29)`; "unknown commit" outside a git
//! checkout, e.g. from a crates.io package).

use std::process::Command;

fn main() {
    let out = Command::new("git")
        .args(["log", "-1", "--format=%h %cs", "--abbrev=10"])
        .output();
    let commit = match out {
        Ok(o) if o.status.success() => {
            let s = String::from_utf8_lossy(&o.stdout).trim().to_string();
            match s.split_once(' ') {
                Some((hash, date)) => format!("commit {hash}, {date}"),
                None => "unknown commit".to_string(),
            }
        }
        _ => "unknown commit".to_string(),
    };
    println!("cargo:rustc-env=APPARAT_COMMIT={commit}");
    // again when HEAD moves (a commit, a checkout)
    for f in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if std::path::Path::new(f).exists() {
            println!("cargo:rerun-if-changed={f}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
