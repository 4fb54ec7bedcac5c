//! `journal verify --against FILE`: the journal now against a checkpoint saved earlier.
//!
//! Verification alone cannot see a database restored from an earlier copy: that copy agrees
//! with its own signed heads. A checkpoint saved before (by an auditor, with `journal checkpoint
//! --note > saved.note`) can: its size and root must be a prefix of the journal now (see
//! `app::Divergence`). A file that cannot be read, is not a checkpoint note, or is not signed by
//! the key verified with under the configured origin is the caller's input (exit 2, the file
//! named); a journal that departs from a good note failed verification, like an altered entry
//! (exit 1), and the message says which (rollback or fork) and the saved size.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use app::{AppError, Checkpoint, Cloison, Divergence, Hash, Verified, VerifyingKey};
use serde::Serialize;

use crate::Failure;
use crate::output::outln;

/// The saved note's text; an unreadable file is input, named.
pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::Invalid(format!("--against {}: cannot be read: {e}", path.display())).into())
}

/// The saved note as a checkpoint of this journal signed by `key`, or why it is not one.
pub fn open(app: &Cloison, path: &Path, note: &str, key: &VerifyingKey) -> Result<Checkpoint> {
    app.journal_open_note(note, key)
        .map_err(|e| Failure::Invalid(format!("--against {}: {e}", path.display())).into())
}

/// What a passed check says: the saved checkpoint and the verified journal it is a prefix of.
#[derive(Debug, Serialize)]
pub struct Consistent {
    /// The saved note.
    file: PathBuf,
    /// Entries in the saved checkpoint.
    saved_size: u64,
    /// Its root.
    saved_root: Hash,
    /// Entries verified now.
    size: u64,
}

impl fmt::Display for Consistent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "consistent with the checkpoint saved in {}: its {} entries (root {}) are the first of the journal's {}",
            self.file.display(),
            self.saved_size,
            self.saved_root,
            self.size
        )
    }
}

/// Judges the consistency check: a divergence is printed (as JSON for `--json`, like a fault)
/// and fails the command; a proof that could not be read is our failure.
pub fn judge(
    path: &Path,
    saved: &Checkpoint,
    verified: &Verified,
    consistency: Result<Result<(), Divergence>, AppError>,
    json: bool,
) -> Result<Consistent> {
    match consistency.context("the consistency proof against the saved checkpoint could not be read")? {
        Ok(()) => Ok(Consistent {
            file: path.to_owned(),
            saved_size: saved.size,
            saved_root: saved.root,
            size: verified.size,
        }),
        Err(divergence) => {
            if json {
                let mut answer = serde_json::to_value(&divergence)?;
                answer["ok"] = false.into();
                answer["against"] = serde_json::to_value(path)?;
                outln!("{}", serde_json::to_string_pretty(&answer)?)?;
            }
            bail!(
                "journal verification failed against the checkpoint saved in {}: {divergence}",
                path.display()
            )
        }
    }
}
