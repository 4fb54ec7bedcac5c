//! The application's writes, as commands of the store's one writer.
//!
//! Each command runs inside the writer's transaction: it calls the store's persistence
//! primitives on [`WriteTx`] and returns the journal entries that describe what it did,
//! built from the acting party's entry template ([`crate::Cloison::entry`]). So the write and
//! its entries commit together (I1), and the journal's action names and outcomes are written
//! here, beside the use cases, not in the SQL crate. A refusal of bad input is journaled too,
//! as `refused:{code}`, and handed back as the command's output; only a database failure
//! fails the batch.

use domain::{Change, PartyId, Role};
use jiff::Timestamp;
use journal::Entry;
use store::{Applied, Command, Done, NewToken, StoreError, WriteTx, Written};

/// One request's register changes, all or nothing, each journaled under its own action with
/// the network users it concerns among its subjects (R4); a refusal journals the refused
/// change alone.
pub(crate) struct RegisterChanges {
    /// The acting party's entry; action, subjects and outcome are filled per change.
    pub(crate) template: Entry,
    /// The changes, each with the instant it is recorded at.
    pub(crate) changes: Vec<(Timestamp, Change)>,
}

impl RegisterChanges {
    /// The entry of one change: the change's own identifiers, then the network users whose
    /// data it is about, each once.
    fn describe(&self, change: &Change, concerned: &[PartyId], outcome: String) -> Entry {
        let mut subjects = change.subjects();
        for party in concerned {
            if !subjects.iter().any(|s| s == party.as_str()) {
                subjects.push(party.to_string());
            }
        }
        Entry { action: change.action().to_owned(), subjects, outcome, ..self.template.clone() }
    }
}

impl Command for RegisterChanges {
    type Output = Result<Vec<Written>, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        match tx.apply_all(&self.changes).await? {
            Applied::Written(written) => {
                let mut entries = Vec::with_capacity(written.len());
                let mut outputs = Vec::with_capacity(written.len());
                for ((_, change), (w, concerned, slot)) in self.changes.iter().zip(written) {
                    entries.push(slot.fill(self.describe(change, &concerned, "ok".into())));
                    outputs.push(w);
                }
                Ok(Done { output: Ok(outputs), entries })
            }
            Applied::Refused { index, error } => {
                let entries = self
                    .changes
                    .get(index)
                    .map(|(_, change)| tx.slot().fill(self.describe(change, &[], refused(&error))))
                    .into_iter()
                    .collect();
                Ok(Done { output: Err(error), entries })
            }
        }
    }
}

/// A new token for a party in a role, journaled about the party and the token's public id.
pub(crate) struct CreateToken {
    /// The acting administrator's entry.
    pub(crate) template: Entry,
    /// The secret and id drawn for it.
    pub(crate) token: NewToken,
    /// Whom it is for.
    pub(crate) party: String,
    /// The role it grants.
    pub(crate) role: Role,
}

impl Command for CreateToken {
    type Output = Result<NewToken, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let written = tx.create_token(&self.token, &self.party, self.role, Timestamp::now()).await;
        let subjects = vec![self.party, self.token.token_id.clone()];
        token_done(tx, self.template, subjects, written.map(|_| self.token))
    }
}

/// The revocation of a token by its public id, journaled about that id.
pub(crate) struct RevokeToken {
    /// The acting administrator's entry.
    pub(crate) template: Entry,
    /// The token's public id.
    pub(crate) token_id: String,
}

impl Command for RevokeToken {
    type Output = Result<(), StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let written = tx.revoke_token(&self.token_id, Timestamp::now()).await;
        token_done(tx, self.template, vec![self.token_id], written.map(|_| ()))
    }
}

/// A token operation's answer and entry, under the act the gate named in the template. Its
/// checks all come before its one write, so a refusal leaves nothing to undo; a database
/// error fails the batch, since the transaction may be spoilt (PostgreSQL aborts it).
pub(crate) fn token_done<T>(
    tx: &mut WriteTx,
    template: Entry,
    subjects: Vec<String>,
    result: Result<T, StoreError>,
) -> Result<Done<Result<T, StoreError>>, StoreError> {
    let outcome = match &result {
        Ok(_) => "ok".to_owned(),
        Err(e) if e.is_input() => refused(e),
        Err(e) => return Err(StoreError::Journal(e.to_string())),
    };
    let entry = tx.slot().fill(Entry { subjects, outcome, ..template });
    Ok(Done { output: result, entries: vec![entry] })
}

/// The journal's outcome of a refusal: its stable code, never its message (which may name
/// what the actor gave, and is answered to the actor alone).
pub(crate) fn refused(error: &StoreError) -> String {
    format!("refused:{}", error.code())
}

/// Writes an installation setting once, in the writer's transaction with its entry (I1):
/// the entry carries the digest of the value written, or `refused:duplicate`.
pub(crate) struct PutSetting {
    /// The acting party's entry; outcome and digest are filled here.
    pub(crate) template: Entry,
    /// The setting's name, checked by the use case.
    pub(crate) key: String,
    /// Its value.
    pub(crate) value: Vec<u8>,
}

impl Command for PutSetting {
    type Output = Result<(), StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let written = match tx.put_meta(&self.key, &self.value).await {
            // The store names its table; the caller gave a key.
            Err(StoreError::Duplicate { value, .. }) => Err(StoreError::Duplicate { field: "key", value }),
            Err(e) if !e.is_input() => return Err(e),
            other => other,
        };
        let (outcome, data_digest) = match &written {
            Ok(()) => ("ok".to_owned(), Some(journal::Hash::digest(&self.value))),
            Err(e) => (refused(e), None),
        };
        let entry = tx.slot().fill(Entry { outcome, data_digest, ..self.template });
        Ok(Done { output: written, entries: vec![entry] })
    }
}
