//! Writes a synthetic edition for the benchmark (see bench/corpus.rs and BENCHMARKS.md).
//!
//! cargo run --release --example gen_corpus -- N DIR [--builtin-nav]
//!
//! DIR/apparat: the apparat edition; DIR/plain: the same texts as a Hugo site.

#[path = "../bench/corpus.rs"]
mod corpus;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let nav = if args.iter().any(|a| a == "--builtin-nav") {
        corpus::Nav::Builtin
    } else {
        corpus::Nav::Editorial
    };
    let pos: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let (Some(n), Some(dir)) = (
        pos.first().and_then(|s| s.parse::<usize>().ok()),
        pos.get(1),
    ) else {
        eprintln!("usage: gen_corpus N DIR [--builtin-nav]");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    match corpus::generate(n, &dir, nav) {
        Ok(()) => {
            println!(
                "{n} texts → {}/apparat and {}/plain",
                dir.display(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_corpus: {e}");
            ExitCode::from(1)
        }
    }
}
