//! Nothing outside the gate writes a decision into the journal: the journal could otherwise
//! record a decision no policy made (I2, R7).

use std::path::{Path, PathBuf};

/// The sources of the crates that use the journal's entries: every crate but `journal` (which
/// defines the type) and `policy` (which makes decisions, and never journals them).
fn sources() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("crates/").to_path_buf();
    let mut files = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&crates)
        .expect("read crates/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| !p.ends_with("journal") && !p.ends_with("policy"))
        .map(|p| p.join("src"))
        .filter(|p| p.is_dir())
        .collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn no_decision_is_written_outside_the_gate() {
    let files = sources();
    assert!(files.iter().any(|f| f.ends_with("app/src/gate.rs")), "the walk finds the gate: {files:?}");
    let mut offences = Vec::new();
    for file in &files {
        if file.ends_with("app/src/gate.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read source");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains("allowed: true") || code.contains("Decision {") && !code.contains("struct") {
                offences.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(offences.is_empty(), "decisions built outside app/src/gate.rs:\n{}", offences.join("\n"));
}
