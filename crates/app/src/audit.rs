//! The journal at the door: heads and proofs for anyone, entries and search for auditors,
//! verification for whoever holds the public key.
//!
//! Heads, proofs and verification are hashes only and act for nobody: R7 makes them public,
//! so they take no actor, pass no policy and are not journaled (journaling every anonymous
//! poll of the head would let anyone grow the journal at will). Everything that acts for
//! someone passes the gate: entries name actors and subjects, so reading them is journaled,
//! allowed or not; a checkpoint or a note is an act of its own.

use journal::{Hash, SignedTreeHead};
use policy::{Action, Resource};
use store::{JournalQuery, StoredEntry, Verified, VerifyError};

use crate::gate::{Ask, Sent};
use crate::{Actor, AppError, Cloison, VerifyingKey};

impl Cloison {
    /// The signed head of the whole journal.
    pub async fn journal_head(&self) -> Result<SignedTreeHead, AppError> {
        Ok(self.store.journal_head().await?)
    }

    /// The key that verifies this installation's heads.
    pub fn journal_public_key(&self) -> VerifyingKey {
        self.store.journal_public_key()
    }

    /// Signs and keeps a checkpoint head now. The act is journaled first, so the checkpoint
    /// covers its own record.
    pub async fn journal_checkpoint(&self, actor: &Actor) -> Result<SignedTreeHead, AppError> {
        let ask =
            Ask::function(Action::SignCheckpoint, Resource::Journal, "journal.checkpoint", "journal upkeep");
        self.note(actor, ask).await?;
        Ok(self.store.checkpoint().await?)
    }

    /// `head` as a C2SP checkpoint note under this installation's origin, for tools of the
    /// transparency-log ecosystem. Hashes only, like the head, so not journaled.
    pub fn journal_checkpoint_note(&self, head: &SignedTreeHead) -> Result<String, AppError> {
        Ok(self.store.checkpoint_note(head, &self.origin)?)
    }

    /// The origin the checkpoint notes carry.
    pub fn journal_origin(&self) -> &crate::Origin {
        &self.origin
    }

    /// The Merkle root of the first `size` entries.
    pub async fn journal_root(&self, size: u64) -> Result<Hash, AppError> {
        Ok(self.store.journal_root(size).await?)
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    pub async fn journal_inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, AppError> {
        Ok(self.store.inclusion_proof(index, size).await?)
    }

    /// The consistency proof between the trees of `old` and `new` entries.
    pub async fn journal_consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, AppError> {
        Ok(self.store.consistency_proof(old, new).await?)
    }

    /// One entry, read by the ethics committee; the reading is journaled, allowed or not.
    pub async fn journal_entry(&self, actor: &Actor, index: u64) -> Result<Sent<StoredEntry>, AppError> {
        let ask = Ask::function(Action::ReadJournalEntries, Resource::Journal, "journal.entry", "audit")
            .about(vec![format!("journal:{index}")]);
        self.read(actor, ask, |_| async move {
            self.store.journal_entry(index).await?.ok_or(AppError::NoSuchEntry(index))
        })
        .await
    }

    /// Entries about a subject or by an actor, for the ethics committee; the search is
    /// journaled, allowed or not.
    pub async fn journal_search(
        &self,
        actor: &Actor,
        query: &JournalQuery,
    ) -> Result<Sent<Vec<StoredEntry>>, AppError> {
        let subjects = query.subject.iter().chain(query.actor.iter()).cloned().collect();
        let ask = Ask::function(Action::ReadJournalEntries, Resource::Journal, "journal.search", "audit")
            .about(subjects);
        self.read(actor, ask, |_| async move { Ok(self.store.journal_search(query).await?) }).await
    }

    /// Recomputes the whole journal and checks it against every signed head.
    pub async fn journal_verify(
        &self,
        key: &VerifyingKey,
        progress: impl Fn(u64),
    ) -> Result<Verified, VerifyError> {
        self.store.verify_journal(key, progress).await
    }

    /// Verification asked for by someone (the ethics committee's "verify now" on the web):
    /// the gate decides as for reading entries, the asking is journaled, allowed or not, and
    /// the answer says whether the journal holds, with the first fault named when it does not.
    /// The database failing is our failure, not a verdict.
    pub async fn journal_verify_for(&self, actor: &Actor) -> Result<Sent<VerificationView>, AppError> {
        let ask = Ask::function(Action::ReadJournalEntries, Resource::Journal, "journal.verify", "audit");
        self.read(actor, ask, |_| async move {
            match self.store.verify_journal(&self.store.journal_public_key(), |_| {}).await {
                Ok(verified) => Ok(VerificationView { intact: true, verified: Some(verified), fault: None }),
                Err(VerifyError::Fault(fault)) => {
                    Ok(VerificationView { intact: false, verified: None, fault: Some(fault.to_string()) })
                }
                Err(other) => Err(AppError::Internal(store::StoreError::Journal(other.to_string()))),
            }
        })
        .await
    }

    /// Records an act that touched no data (a load test, a system event) and returns its
    /// index once durable.
    pub async fn journal_note(&self, actor: &Actor, act: &str, purpose: &str) -> Result<u64, AppError> {
        self.note(actor, Ask::function(Action::WriteJournalNote, Resource::Journal, act, purpose)).await
    }
}

/// What a verification asked for at the door found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerificationView {
    /// Every entry, row, index row and signed head checked out.
    pub intact: bool,
    /// What was checked, when intact.
    pub verified: Option<Verified>,
    /// The first fault, named, when not.
    pub fault: Option<String>,
}
