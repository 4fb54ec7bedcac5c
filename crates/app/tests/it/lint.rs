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

/// The top-level module a source file belongs to within its crate (`None`: the crate root).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_string_lossy().into_owned();
    match first.as_str() {
        "lib.rs" | "main.rs" => None,
        name => Some(name.trim_end_matches(".rs").to_owned()),
    }
}

/// No two modules of a crate import from each other, directly or around a circle: each
/// module says what it is, and what it needs comes from below it (the crate root's
/// re-exports aside, which name items, not modules).
#[test]
fn no_module_imports_from_a_module_that_imports_it_back() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("crates/").to_path_buf();
    let mut checked = 0;
    for krate in std::fs::read_dir(&crates).expect("read crates/").filter_map(Result::ok) {
        let src = krate.path().join("src");
        if !src.is_dir() {
            continue;
        }
        let files: Vec<PathBuf> = sources().into_iter().filter(|f| f.starts_with(&src)).collect();
        let modules: std::collections::BTreeSet<String> =
            files.iter().filter_map(|f| top_module(&src, f)).collect();
        let mut edges: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            Default::default();
        for file in &files {
            let Some(from) = top_module(&src, file) else { continue };
            for (_, line) in code(file) {
                for (i, _) in line.match_indices("crate::") {
                    let rest = &line[i + "crate::".len()..];
                    let name: String =
                        rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    let braced = rest.starts_with('{');
                    let named: Vec<String> = if braced {
                        let inner = rest[1..].split('}').next().unwrap_or("");
                        inner
                            .split(',')
                            .map(|s| s.trim().split("::").next().unwrap_or("").to_owned())
                            .collect()
                    } else {
                        vec![name]
                    };
                    for to in named {
                        if to != from && modules.contains(&to) {
                            edges.entry(from.clone()).or_default().insert(to);
                        }
                    }
                }
            }
        }
        // A circle exists when some module reaches itself.
        for start in &modules {
            let mut seen = std::collections::BTreeSet::new();
            let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
            while let Some((at, path)) = stack.pop() {
                for next in edges.get(&at).into_iter().flatten() {
                    assert!(
                        next != start,
                        "{}: an import circle: {} -> {next}",
                        krate.path().display(),
                        path.join(" -> ")
                    );
                    if seen.insert(next.clone()) {
                        let mut longer = path.clone();
                        longer.push(next.clone());
                        stack.push((next.clone(), longer));
                    }
                }
            }
        }
        checked += modules.len();
    }
    assert!(checked > 20, "the walk found the workspace's modules ({checked})");
}
