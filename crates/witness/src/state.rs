//! What the witness holds, on disk: per log, the latest checkpoint it cosigned.
//!
//! A witness that forgets what it cosigned would cosign a rollback after a restart, so the
//! state is written before any answer, atomically: the new file is written and synced beside
//! the old one, then renamed over it, and the directory synced, so a crash leaves either the
//! old state or the new one, never a torn file. A small JSON file rather than a database: the
//! state is one size and one root per log, rewritten whole, and an operator can read it.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use journal::witness::Held;
use journal::{Checkpoint, Hash, Origin};
use serde::{Deserialize, Serialize};

/// Why the state file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file system refused.
    #[error("witness state file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a state this witness wrote.
    #[error("witness state file {path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the log or field.
        reason: String,
    },
}

/// One log's entry in the file.
#[derive(Serialize, Deserialize)]
struct Entry {
    size: u64,
    /// Standard base64, as in the checkpoints themselves.
    root: String,
}

/// The file's shape: `{"logs": {"<origin>": {"size": 7, "root": "<base64>"}}}`.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    logs: std::collections::BTreeMap<String, Entry>,
}

/// The state file of one witness.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The state kept at `path`.
    pub fn new(path: impl Into<PathBuf>) -> StateFile {
        StateFile { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> StateError {
        StateError::Io { path: self.path.clone(), source }
    }

    fn corrupt(&self, reason: String) -> StateError {
        StateError::Corrupt { path: self.path.clone(), reason }
    }

    /// What the witness holds; nothing if the file does not exist yet (a new witness).
    pub fn load(&self) -> Result<Held, StateError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Held::new()),
            Err(e) => return Err(self.io(e)),
        };
        let file: File = serde_json::from_str(&text).map_err(|e| self.corrupt(e.to_string()))?;
        let mut held = Held::new();
        for (origin, entry) in file.logs {
            let parsed: Origin = origin.parse().map_err(|e| self.corrupt(format!("log {origin:?}: {e}")))?;
            let root: [u8; 32] = BASE64
                .decode(&entry.root)
                .ok()
                .and_then(|bytes| bytes.try_into().ok())
                .ok_or_else(|| self.corrupt(format!("log {origin}: root is not 32 bytes in base64")))?;
            held.insert(parsed, Checkpoint { size: entry.size, root: Hash::from_bytes(root) });
        }
        Ok(held)
    }

    /// Replaces the file with `held`, durably, before returning.
    pub fn store(&self, held: &Held) -> Result<(), StateError> {
        let file = File {
            logs: held
                .iter()
                .map(|(origin, c)| {
                    (origin.to_string(), Entry { size: c.size, root: BASE64.encode(c.root.as_bytes()) })
                })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&file).map_err(|e| self.corrupt(e.to_string()))?;
        text.push('\n');
        let directory = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut temporary = self.path.clone().into_os_string();
        temporary.push(".new");
        let temporary = PathBuf::from(temporary);
        let mut out = std::fs::File::create(&temporary).map_err(|e| self.io(e))?;
        out.write_all(text.as_bytes()).map_err(|e| self.io(e))?;
        out.sync_all().map_err(|e| self.io(e))?;
        drop(out);
        std::fs::rename(&temporary, &self.path).map_err(|e| self.io(e))?;
        // The rename is durable only once the directory is.
        std::fs::File::open(&directory).and_then(|d| d.sync_all()).map_err(|e| self.io(e))?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_a_missing_file_holds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateFile::new(dir.path().join("witness.json"));
        assert!(state.load().unwrap().is_empty());
        let held =
            Held::from([(Origin::default(), Checkpoint { size: 7, root: journal::leaf_hash(b"seven") })]);
        state.store(&held).unwrap();
        assert_eq!(state.load().unwrap(), held);
        assert!(!dir.path().join("witness.json.new").exists(), "the temporary file was renamed");
    }

    #[test]
    fn a_damaged_file_is_refused_naming_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("witness.json");
        std::fs::write(&path, r#"{"logs": {"a.example/log": {"size": 1, "root": "AAAA"}}}"#).unwrap();
        let error = StateFile::new(&path).load().unwrap_err().to_string();
        assert!(error.contains("a.example/log") && error.contains("root"), "{error}");
        std::fs::write(&path, "not json").unwrap();
        assert!(StateFile::new(&path).load().is_err());
    }
}
