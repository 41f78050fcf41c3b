//! Benchmark of issue 7: in `apparat serve`, the time from saving a text to
//! the reload event the pages receive.
//!
//!     serve_latency APPARAT_BINARY EDITION_ROOT [EDITS]
//!
//! Starts `apparat serve --port 0` on the edition (a corpus written by
//! `gen_corpus`), listens to the live-reload channel like a page does, then
//! edits texts one after the other, as an editor saves them, and measures
//! from the end of each write to the `reload` event. Two kinds of edit,
//! EDITS of each (default 11): a word changed in a paragraph (the person
//! index does not change), and a person mention added (the index changes).
//! Every edited file is restored at the end. Prints every latency, then the
//! median, minimum and maximum of each kind.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: serve_latency APPARAT_BINARY EDITION_ROOT [EDITS]");
        std::process::exit(2);
    }
    let bin = PathBuf::from(&args[1]);
    let root = PathBuf::from(&args[2]);
    let edits: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(11);
    if let Err(e) = run(&bin, &root, edits) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(bin: &Path, root: &Path, edits: usize) -> Result<(), String> {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(["serve", "--port", "0", "--root"])
        .arg(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    // the server's lines, echoed with a time stamp; the URL is sent back
    let (url_tx, url_rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("serving ") {
                let _ = url_tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
            }
            println!("  serve: {line}");
        }
    });
    let url = url_rx
        .recv_timeout(Duration::from_secs(900))
        .map_err(|_| "the server did not start")?;
    println!(
        "first build and start: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or("")
        .to_string();

    // the live-reload channel, read by a thread that time-stamps each event
    let mut stream = TcpStream::connect(&addr).map_err(|e| format!("connect {addr}: {e}"))?;
    write!(
        stream,
        "GET /__apparat/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let (ev_tx, ev_rx) = mpsc::channel::<(String, Instant)>();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Some(e) = line.strip_prefix("event: ") {
                let _ = ev_tx.send((e.to_string(), Instant::now()));
            }
        }
    });
    match ev_rx.recv_timeout(Duration::from_secs(10)) {
        Ok((e, _)) if e == "hello" => {}
        other => return Err(format!("expected the hello event, got {other:?}")),
    }

    let texts: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(root.join("content/textes"))
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        v.sort();
        v
    };
    if texts.len() < 2 * edits {
        return Err("not enough texts for the edits".into());
    }
    let person = first_person(&texts[0])?;
    let mut originals: Vec<(PathBuf, String)> = Vec::new();
    let mut results: Vec<(&str, Vec<f64>)> = vec![("word", Vec::new()), ("mention", Vec::new())];
    for k in 0..2 * edits {
        // spread over the corpus, alternating the two kinds
        let path = &texts[(k * 7919) % texts.len()];
        let kind = k % 2;
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        originals.push((path.clone(), text.clone()));
        let body = text.rfind("\n+++\n").map(|i| i + 5).unwrap_or(0);
        let (head, rest) = text.split_at(body);
        let new = if kind == 0 {
            format!(
                "{head}{}",
                rest.replacen(" une ", " cette ", 1)
                    .replacen(" la ", " cette ", 1)
            )
        } else {
            format!(
                "{head}{}",
                rest.replacen(". ", &format!(", avec [X](person:{person}). "), 1)
            )
        };
        if new == text {
            return Err(format!("no edit possible in {}", path.display()));
        }
        // drain stale events, then save and time
        while ev_rx.try_recv().is_ok() {}
        std::fs::write(path, &new).map_err(|e| e.to_string())?;
        let saved = Instant::now();
        let ms = loop {
            match ev_rx.recv_timeout(Duration::from_secs(60)) {
                Ok((e, at)) if e == "reload" => break at.duration_since(saved).as_secs_f64() * 1e3,
                Ok((e, _)) if e == "error-page" => return Err("the edit broke the build".into()),
                Ok(_) => continue,
                Err(_) => return Err("no reload event within 60 s".into()),
            }
        };
        println!(
            "edit {k:2} ({}) {}: {ms:.0} ms",
            results[kind].0,
            path.display()
        );
        results[kind].1.push(ms);
        std::thread::sleep(Duration::from_millis(600));
    }
    for (path, text) in originals.iter().rev() {
        let _ = std::fs::write(path, text);
    }
    std::thread::sleep(Duration::from_millis(1500));
    let _ = child.kill();
    let _ = child.wait();
    for (kind, mut v) in results {
        v.sort_by(f64::total_cmp);
        println!(
            "save → reload, {kind} edits: median {:.0} ms, min {:.0} ms, max {:.0} ms ({} edits)",
            v[v.len() / 2],
            v[0],
            v[v.len() - 1],
            v.len()
        );
    }
    Ok(())
}

/// A person id mentioned in a text.
fn first_person(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let at = text.find("(person:").ok_or("no person mention")?;
    let rest = &text[at + 8..];
    Ok(rest[..rest.find(')').unwrap_or(0)].to_string())
}
