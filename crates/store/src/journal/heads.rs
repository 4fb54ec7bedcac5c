//! Signed tree heads: the latest head of the whole journal, rewritten by every commit, and
//! the append-only checkpoint heads; reading them, writing them, and signing a head as a
//! C2SP checkpoint note on demand.

use ed25519_dalek::{SigningKey, VerifyingKey};
use jiff::Timestamp;
use journal::{Origin, SignedTreeHead, TreeHead};
use sqlx::{AnyConnection, Row};

use super::rows::signed_head_from;
use crate::{Backend, Store, StoreError, corrupt};

/// The stored latest head, as the writer reads it at the start of a batch.
pub(super) struct Latest {
    pub(super) head: SignedTreeHead,
}

pub(super) async fn latest_in(
    conn: &mut AnyConnection,
    backend: Backend,
    lock: bool,
) -> Result<Latest, StoreError> {
    let sql = if lock && backend == Backend::Postgres {
        // Serialises journal writers across processes on PostgreSQL; SQLite's BEGIN
        // IMMEDIATE already did.
        "SELECT size, root, time_us, signature FROM journal_latest WHERE id = 1 FOR UPDATE"
    } else {
        LATEST_SQL
    };
    let row = sqlx::query(sql).fetch_optional(&mut *conn).await?;
    let row = row.ok_or_else(|| corrupt("the journal has no signed head"))?;
    Ok(Latest { head: signed_head_from(&row)? })
}

pub(super) async fn newest_checkpoint(conn: &mut AnyConnection) -> Result<(u64, i64), StoreError> {
    let row = sqlx::query(NEWEST_CHECKPOINT_SQL).fetch_optional(&mut *conn).await?;
    match row {
        Some(row) => Ok((row.try_get::<i64, _>("size")? as u64, row.try_get("time_us")?)),
        None => Ok((0, 0)),
    }
}

/// Writes a signed head with `sql`, whose parameters are size, root, time and signature in
/// that order: the latest head and the checkpoints share one binding.
async fn write_head(conn: &mut AnyConnection, sql: &str, head: &SignedTreeHead) -> Result<(), StoreError> {
    sqlx::query(sql)
        .bind(head.head.size as i64)
        .bind(head.head.root.as_bytes().to_vec())
        .bind(head.head.time_micros)
        .bind(head.signature.to_vec())
        .execute(conn)
        .await?;
    Ok(())
}

// Shared by the sqlx and the rusqlite writer: SQLite numbers `$n` parameters by position, as
// PostgreSQL does.
pub(super) const UPDATE_LATEST_SQL: &str =
    "UPDATE journal_latest SET size = $1, root = $2, time_us = $3, signature = $4 WHERE id = 1";
pub(super) const INSERT_CHECKPOINT_SQL: &str =
    "INSERT INTO journal_heads (size, root, time_us, signature) VALUES ($1, $2, $3, $4)";
pub(super) const NEWEST_CHECKPOINT_SQL: &str =
    "SELECT size, time_us FROM journal_heads ORDER BY size DESC LIMIT 1";

/// The query of the latest signed head.
pub(super) const LATEST_SQL: &str = "SELECT size, root, time_us, signature FROM journal_latest WHERE id = 1";

pub(super) async fn store_latest(conn: &mut AnyConnection, head: &SignedTreeHead) -> Result<(), StoreError> {
    write_head(conn, UPDATE_LATEST_SQL, head).await
}

pub(super) async fn store_checkpoint(
    conn: &mut AnyConnection,
    head: &SignedTreeHead,
) -> Result<(), StoreError> {
    write_head(conn, INSERT_CHECKPOINT_SQL, head).await
}

/// Makes sure a new journal has its signed empty head.
pub(crate) async fn initialise(store: &Store, key: &SigningKey) -> Result<(), StoreError> {
    let head =
        TreeHead { size: 0, root: journal::empty_root(), time_micros: Timestamp::now().as_microsecond() }
            .sign(key);
    sqlx::query(
        "INSERT INTO journal_latest (id, size, root, time_us, signature) VALUES (1, 0, $1, $2, $3) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(head.head.root.as_bytes().to_vec())
    .bind(head.head.time_micros)
    .bind(head.signature.to_vec())
    .execute(&store.write)
    .await?;
    Ok(())
}

impl Store {
    /// The public key that verifies this store's tree heads.
    pub fn journal_public_key(&self) -> VerifyingKey {
        self.journal_key
    }

    /// `head` as a C2SP checkpoint note of the log named `origin`, signed now with the journal
    /// key.
    ///
    /// Signed on demand rather than stored beside the head, since the origin is a setting of
    /// the installation, not of the data. The head's own signature is checked first: the key
    /// must never sign as a note a size and root the writer did not sign, or whoever can edit
    /// the head's row would obtain a valid checkpoint of their choosing.
    pub fn checkpoint_note(&self, head: &SignedTreeHead, origin: &Origin) -> Result<String, StoreError> {
        head.verify(&self.journal_key)
            .map_err(|_| corrupt("the journal's signed head does not verify with this installation's key"))?;
        Ok(journal::sign_note(origin, &head.head, &self.journal_signer))
    }

    /// The signed head of the whole journal.
    pub async fn journal_head(&self) -> Result<SignedTreeHead, StoreError> {
        if let Some(local) = &self.local {
            return local.with(|conn| {
                let mut statement = conn.prepare_cached(LATEST_SQL)?;
                let mut rows = statement.query([])?;
                signed_head_from(rows.next()?.ok_or_else(|| corrupt("the journal has no signed head"))?)
            });
        }
        let mut conn = self.read.acquire().await?;
        Ok(latest_in(&mut conn, self.backend, false).await?.head)
    }

    /// Checkpoint heads, oldest first, with size above `after`.
    pub async fn journal_checkpoints(
        &self,
        after: u64,
        limit: i64,
    ) -> Result<Vec<SignedTreeHead>, StoreError> {
        let rows = sqlx::query(
            "SELECT size, root, time_us, signature FROM journal_heads WHERE size > $1 ORDER BY size LIMIT $2",
        )
        .bind(after as i64)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(signed_head_from).collect()
    }
}
