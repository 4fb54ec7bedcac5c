//! The journal at the door: heads and proofs for anyone, entries and search for auditors,
//! verification for whoever holds the public key.
//!
//! Heads and proofs are hashes only, so reading them reveals nothing and is not journaled.
//! Entries name actors and subjects, so reading them is itself journaled.

use std::ops::Range;

use journal::{Hash, SignedTreeHead};
use store::{JournalQuery, StoredEntry, Verified, VerifyError};

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

    /// Signs and keeps a checkpoint head now.
    pub async fn journal_checkpoint(&self) -> Result<SignedTreeHead, AppError> {
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

    /// One entry, read by an auditor; the reading is journaled.
    pub async fn journal_entry(&self, actor: &Actor, index: u64) -> Result<Option<StoredEntry>, AppError> {
        let entry = self.store.journal_entry(index).await?;
        let outcome = if entry.is_some() { "ok" } else { "not_found" };
        let note =
            self.entry(actor, "journal.entry", vec![format!("journal:{index}")], "audit", outcome, None);
        self.store.append(vec![note]).await.map_err(AppError::Internal)?;
        Ok(entry)
    }

    /// Entries about a subject or by an actor, for the ethics committee; journaled.
    pub async fn journal_search(
        &self,
        actor: &Actor,
        query: &JournalQuery,
    ) -> Result<Vec<StoredEntry>, AppError> {
        let found = self.store.journal_search(query).await?;
        let subjects = query.subject.iter().chain(query.actor.iter()).cloned().collect();
        let note = self.entry(actor, "journal.search", subjects, "audit", "ok", None);
        self.store.append(vec![note]).await.map_err(AppError::Internal)?;
        Ok(found)
    }

    /// Recomputes the whole journal and checks it against every signed head.
    pub async fn journal_verify(
        &self,
        key: &VerifyingKey,
        progress: impl Fn(u64),
    ) -> Result<Verified, VerifyError> {
        self.store.verify_journal(key, progress).await
    }

    /// Records an action that touched no register data (a load test, a system event) and
    /// returns its index once durable.
    pub async fn journal_note(
        &self,
        actor: &Actor,
        action: &str,
        purpose: &str,
    ) -> Result<Range<u64>, AppError> {
        let note = self.entry(actor, action, Vec::new(), purpose, "ok", None);
        Ok(self.store.append(vec![note]).await.map_err(AppError::Internal)?.entries)
    }
}
