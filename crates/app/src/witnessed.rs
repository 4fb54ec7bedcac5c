//! The checkpoint as witnesses cosigned it, kept in memory and published in place of the bare
//! one.
//!
//! A checkpoint signed by the journal key alone cannot show that the log tells everyone the
//! same story: whoever holds the key can sign a fork or a rolled-back tree. Once outside
//! witnesses have cosigned a checkpoint (c2sp.org/tlog-witness), that note — the log's
//! signature followed by the witnesses' lines — is what `/v1/journal/checkpoint` serves, so a
//! reader can demand cosignatures of witnesses it trusts. The front end that talks to the
//! witnesses (the `witness` crate, under `cloison serve`) verifies their lines against the
//! configured keys and hands the result here; this module only refuses a note that is not
//! this journal's own checkpoint, so nothing else can ever be published under its name.
//!
//! Kept in memory, not in the database: cosignatures are the witnesses' statements, re-obtained
//! within seconds of a restart, and the store keeps only what the journal itself signs.

use crate::{AppError, Cloison, StoreError};

impl Cloison {
    /// Publishes `note`, a checkpoint of this journal carrying witnesses' cosignature lines,
    /// as the answer of [`Cloison::journal_published_checkpoint`]. The caller has verified
    /// the cosignatures; the journal's own signature is checked here.
    pub fn journal_publish_cosigned(&self, note: String) -> Result<(), AppError> {
        journal::open_note(&note, &self.origin, &self.journal_public_key()).map_err(|e| {
            AppError::Invalid(StoreError::Config { field: "cosigned checkpoint", reason: e.to_string() })
        })?;
        // A poisoned lock only means a publisher panicked between two whole assignments.
        let mut published = self.cosigned.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        *published = Some(note);
        Ok(())
    }

    /// The checkpoint note to publish: the latest one witnesses cosigned, or, until one has
    /// been (or when no witness is configured), the current head's, signed by the journal
    /// alone. The cosigned one may trail the head by the witnesses' round trip.
    pub async fn journal_published_checkpoint(&self) -> Result<String, AppError> {
        let cosigned = self.cosigned.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        match cosigned {
            Some(note) => Ok(note),
            None => {
                let head = self.journal_head().await?;
                self.journal_checkpoint_note(&head)
            }
        }
    }
}
