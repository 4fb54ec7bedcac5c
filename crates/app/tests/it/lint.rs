//! Nothing outside the gate writes a decision into the journal: the journal could otherwise
//! record a decision no policy made (I2, R7).

use std::path::{Path, PathBuf};

/// Every `.rs` file under each crate's `src/`.
fn sources() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("crates/").to_path_buf();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&crates)
        .expect("read crates/")
        .filter_map(Result::ok)
        .map(|e| e.path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    let mut files = Vec::new();
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

/// The production code of a source file: its lines before any `#[cfg(test)]`, comments cut.
fn code(file: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(file).expect("read source");
    text.lines()
        .take_while(|line| !line.trim_start().starts_with("#[cfg(test)]"))
        .enumerate()
        .map(|(n, line)| (n + 1, line.split("//").next().unwrap_or("").to_owned()))
        .collect()
}

#[test]
fn no_decision_is_written_outside_the_gate() {
    let files = sources();
    let gate = files.iter().find(|f| f.ends_with("app/src/gate.rs")).expect("the walk finds the gate");
    assert!(
        code(gate).iter().any(|(_, line)| line.contains("journal::Decision {")),
        "the gate builds decisions"
    );
    let mut offences = Vec::new();
    for file in &files {
        // The journal's decoder reads decisions back from their bytes; the policy crate makes
        // its own `policy::Decision`, which only the gate turns into a journal entry's.
        let own_type = ["journal/src/", "policy/src/"].iter().any(|dir| file.to_string_lossy().contains(dir));
        for (n, line) in code(file) {
            let literal = line.contains("allowed: true");
            let built = line.contains("Decision {") && !line.contains("struct") && !line.contains("impl");
            if literal || (built && !own_type && file != gate) {
                offences.push(format!("{}:{n}: {}", file.display(), line.trim()));
            }
        }
    }
    assert!(offences.is_empty(), "decisions written outside app/src/gate.rs:\n{}", offences.join("\n"));
}
