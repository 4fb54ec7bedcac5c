//! The journal against a checkpoint saved earlier: what catches a rollback or a fork.
//!
//! Verification alone proves that the journal agrees with its own signed heads. A database
//! restored from an earlier copy, or truncated and re-signed by whoever holds the journal key,
//! agrees with its own heads too. What it cannot agree with is a checkpoint somebody kept from
//! before: the kept (size, root) must be a prefix of the journal now, which an RFC 6962
//! consistency proof shows in O(log n) hashes. The check is the journal crate's
//! `verify_consistency`, fed with the store's proof, so a bug in the store's proofs makes it
//! fail rather than pass.
//!
//! A checkpoint comes as the C2SP signed note `journal checkpoint --note` printed, so an
//! auditor's saved copy, a witness's and a monitor's are all the same file. Its signature is
//! checked under this installation's origin with the key the caller verifies with: a note of
//! another log, or one edited since, proves nothing and is refused as input.

use journal::{Checkpoint, Hash, NoteError};
use serde::Serialize;
use store::Verified;

use crate::{AppError, Cloison, VerifyingKey};

/// How the journal departs from a checkpoint saved earlier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Divergence {
    /// The journal has fewer entries than the checkpoint had: it was rolled back to an earlier
    /// copy or truncated (and, if it verifies, re-signed).
    #[error(
        "rollback: the saved checkpoint has {saved_size} entries (root {saved_root}), the journal only {size}"
    )]
    Rollback {
        /// Entries in the saved checkpoint.
        saved_size: u64,
        /// Its root.
        saved_root: Hash,
        /// Entries in the journal now.
        size: u64,
    },
    /// The journal's first entries are not those the checkpoint signed: history was rewritten
    /// (a copy restored and written to again, or entries replaced and the journal re-signed).
    #[error(
        "fork: the journal's first {saved_size} entries have root {root_at_saved_size}, not the saved checkpoint's {saved_root}"
    )]
    Fork {
        /// Entries in the saved checkpoint.
        saved_size: u64,
        /// Its root.
        saved_root: Hash,
        /// The journal's root over its first `saved_size` entries now.
        root_at_saved_size: Hash,
        /// Entries in the journal now.
        size: u64,
    },
}

impl Cloison {
    /// Opens `note` as a checkpoint of this journal (this installation's origin) signed by
    /// `key`: its size and root, or why it is not one.
    pub fn journal_open_note(&self, note: &str, key: &VerifyingKey) -> Result<Checkpoint, NoteError> {
        journal::open_note(note, self.journal_origin(), key)
    }

    /// Whether the journal, as `verified` found it, extends `saved`: `Ok(Ok(()))` when the
    /// saved checkpoint is a prefix of it, `Ok(Err(_))` naming how it departs, `Err` when the
    /// proof could not be read. Call it after a successful verification, whose size and root
    /// it proves against, so that the proof's nodes are ones verification checked.
    pub async fn journal_consistent_with(
        &self,
        saved: &Checkpoint,
        verified: &Verified,
    ) -> Result<Result<(), Divergence>, AppError> {
        if saved.size > verified.size {
            return Ok(Err(Divergence::Rollback {
                saved_size: saved.size,
                saved_root: saved.root,
                size: verified.size,
            }));
        }
        let proof = self.journal_consistency_proof(saved.size, verified.size).await?;
        if journal::verify_consistency(saved.size, verified.size, &saved.root, &verified.root, &proof).is_ok()
        {
            return Ok(Ok(()));
        }
        Ok(Err(Divergence::Fork {
            saved_size: saved.size,
            saved_root: saved.root,
            root_at_saved_size: self.journal_root(saved.size).await?,
            size: verified.size,
        }))
    }
}
