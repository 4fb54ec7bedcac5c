//! The writer's transaction, as commands see it.
//!
//! The journal writer begins one [`WriteTx`] per batch and hands it to each command in turn;
//! the register (`register.rs`) and the tokens (`tokens.rs`) add their persistence
//! primitives to it, and the writer appends the batch's entries and commits it. A command
//! never commits: it only holds `&mut WriteTx`, so its writes and its journal entries stay
//! one unit (I1).

use std::sync::Arc;

use sqlx::{Any, Transaction};

use crate::bound::{PendingRow, SETTINGS, Slot, Table};
use crate::{Backend, Sealer, Store, StoreError};

/// One write transaction: reads, checks and writes of the batch's commands; nothing is
/// visible to others until the writer commits it, and a dropped transaction rolls back.
pub struct WriteTx {
    pub(crate) tx: Transaction<'static, Any>,
    pub(crate) sealer: Arc<Sealer>,
    pub(crate) backend: Backend,
    /// Savepoints opened so far, to name the next one.
    savepoints: u32,
    /// The sequence number of the entry the running command will make next: every row it
    /// writes now names it (`journal_seq`).
    next_entry: u64,
    /// Rows written since the last [`WriteTx::slot`], to bind to the next entry.
    pending: Vec<PendingRow>,
}

/// An open savepoint of a [`WriteTx`]; give it back to [`WriteTx::release`] or
/// [`WriteTx::rollback_to`]. Not `Clone`, so it is closed once.
#[derive(Debug)]
#[must_use = "a savepoint is closed by release or rollback_to"]
pub struct Savepoint {
    name: String,
    /// What to restore of the binding state when rolled back to.
    pending: usize,
    next_entry: u64,
}

impl Store {
    /// Starts a write transaction.
    pub(crate) async fn begin(&self) -> Result<WriteTx, StoreError> {
        let tx = match self.backend {
            // IMMEDIATE takes the write lock now, so the checks below read what the insert
            // will be judged against, and no other process can upgrade in between.
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        };
        Ok(WriteTx {
            tx,
            sealer: self.sealer.clone(),
            backend: self.backend,
            savepoints: 0,
            next_entry: 0,
            pending: Vec::new(),
        })
    }
}

impl WriteTx {
    /// The database transaction, for other modules of the store that write in the same unit.
    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Where the next command's entries start in the journal.
    pub(crate) fn start_command(&mut self, first_entry: u64) {
        self.next_entry = first_entry;
        self.pending.clear();
    }

    /// Where the command that just ran stopped: the sequence number after its last slot,
    /// and how many rows it wrote that no entry binds (which fails the batch).
    pub(crate) fn end_command(&mut self) -> (u64, usize) {
        (self.next_entry, std::mem::take(&mut self.pending).len())
    }

    /// The `journal_seq` of a row written now: the entry the next slot will hold.
    pub(crate) fn journal_seq(&self) -> i64 {
        self.next_entry as i64
    }

    /// Binds a row just written to the next slot, from what the database returned for it
    /// (`INSERT … RETURNING` the table's columns, in order).
    pub(crate) fn bind(&mut self, table: &'static Table, row: &sqlx::any::AnyRow) -> Result<(), StoreError> {
        let (key, encoding) = table.encode(row)?;
        self.pending.push(PendingRow { table: table.name, key, encoding });
        Ok(())
    }

    /// The place of the command's next entry, with the rows written since the last slot: a
    /// command takes one slot per entry, in the order it returns the entries, and fills each
    /// with [`Slot::fill`]. A refusal that wrote nothing takes a slot too.
    pub fn slot(&mut self) -> Slot {
        let slot = Slot { sequence: self.next_entry, rows: std::mem::take(&mut self.pending) };
        self.next_entry += 1;
        slot
    }

    /// Commits: when this returns, the writes are durable.
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Opens a savepoint: what is written after it can be undone alone by
    /// [`WriteTx::rollback_to`], so a command refusing halfway through several writes leaves
    /// nothing of them while the rest of the batch goes on. Savepoints nest.
    pub async fn savepoint(&mut self) -> Result<Savepoint, StoreError> {
        self.savepoints += 1;
        let name = format!("cloison_savepoint_{}", self.savepoints);
        sqlx::query(&format!("SAVEPOINT {name}")).execute(self.conn()).await?;
        Ok(Savepoint { name, pending: self.pending.len(), next_entry: self.next_entry })
    }

    /// Keeps what was written since `savepoint`.
    pub async fn release(&mut self, savepoint: Savepoint) -> Result<(), StoreError> {
        sqlx::query(&format!("RELEASE SAVEPOINT {}", savepoint.name)).execute(self.conn()).await?;
        Ok(())
    }

    /// Undoes what was written since `savepoint`, and closes it. After a database error
    /// inside the savepoint this also clears PostgreSQL's aborted state, so the batch can
    /// go on.
    pub async fn rollback_to(&mut self, savepoint: Savepoint) -> Result<(), StoreError> {
        sqlx::query(&format!("ROLLBACK TO SAVEPOINT {}", savepoint.name)).execute(self.conn()).await?;
        sqlx::query(&format!("RELEASE SAVEPOINT {}", savepoint.name)).execute(self.conn()).await?;
        self.pending.truncate(savepoint.pending);
        self.next_entry = savepoint.next_entry;
        Ok(())
    }

    /// Records a meta value once, in this transaction, so the value and the journal entry
    /// that describes it commit together; a second write of the same name is refused.
    pub async fn put_meta(&mut self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        let exists: Option<Vec<u8>> = sqlx::query_scalar("SELECT value FROM meta WHERE name = $1")
            .bind(name)
            .fetch_optional(self.conn())
            .await?;
        if exists.is_some() {
            return Err(StoreError::Duplicate { field: "meta", value: name.to_owned() });
        }
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO meta (name, value, journal_seq) VALUES ($1, $2, $3) RETURNING {}",
            SETTINGS.column_list()
        ))
        .bind(name)
        .bind(value)
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&SETTINGS, &row)
    }
}
