//! The SQLite commit path of entries alone, and the WAL checkpointer.
//!
//! Most batches carry only entries (the journaled reads of the API). On SQLite the writer
//! commits those through its own `rusqlite` connection with prepared one-row inserts, and a
//! thread of its own copies the WAL back into the database file, so commits seldom wait for
//! a checkpoint.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use journal::{Entry, Frontier, SignedTreeHead};

use super::batch::{Appended, Closing};
use super::heads::{INSERT_CHECKPOINT_SQL, LATEST_SQL, NEWEST_CHECKPOINT_SQL, UPDATE_LATEST_SQL};
use super::nodes::load_frontier_local;
use super::rows::signed_head_from;
use crate::{StoreError, corrupt};

/// The SQLite side of the writer: its own connection, opened on first use, and the WAL
/// checkpointer, kept running while this lives.
pub(super) struct LocalWriter {
    path: PathBuf,
    connection: Option<Arc<std::sync::Mutex<rusqlite::Connection>>>,
    /// `None` if the checkpointer could not start; then the writer's connection checkpoints
    /// on its own commits.
    checkpointer: Option<std::sync::mpsc::Sender<()>>,
}

impl LocalWriter {
    /// Starts the checkpointer of the SQLite file at `path`.
    pub(super) fn start(path: &Path) -> LocalWriter {
        // A checkpointer that cannot start leaves SQLite's own checkpoints on commit in force.
        let checkpointer = spawn_checkpointer(path)
            .inspect_err(|e| tracing::warn!(error = %e, "WAL checkpoints stay on the writer's commits"))
            .ok();
        LocalWriter { path: path.to_owned(), connection: None, checkpointer }
    }

    /// A batch of entries alone, committed through a synchronous connection with prepared
    /// one-row inserts on a blocking thread.
    ///
    /// Through sqlx every statement is a hop to the connection's worker thread and every
    /// value a copy into its argument buffer; a batch of a few hundred entries paid that more
    /// than SQLite's own work. Commands keep the sqlx path, which their reads and writes
    /// are written for; a batch that carries one goes there whole, so each
    /// transaction stays one batch in arrival order. Both connections take SQLite's write
    /// lock with `BEGIN IMMEDIATE`, and only the writer's task writes, so they never contend.
    ///
    /// `works` holds each request's entries in order, `None` for a checkpoint; `frontier` and
    /// `checkpoint` are the writer's caches, handed back updated in the answer.
    pub(super) async fn commit(
        &mut self,
        key: &SigningKey,
        frontier: Option<Frontier>,
        checkpoint: Option<(u64, i64)>,
        works: Vec<Option<Vec<Entry>>>,
    ) -> Result<LocalCommit, StoreError> {
        let connection = match &self.connection {
            Some(c) => Arc::clone(c),
            None => {
                let opened = Arc::new(std::sync::Mutex::new(open_local_writer(
                    &self.path,
                    self.checkpointer.is_some(),
                )?));
                self.connection = Some(Arc::clone(&opened));
                opened
            }
        };
        let key = key.clone();
        tokio::task::spawn_blocking(move || {
            let mut connection = connection.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            commit_local(&mut connection, &key, frontier, checkpoint, works)
        })
        .await
        .map_err(|e| StoreError::Journal(format!("the journal's SQLite writer stopped: {e}")))?
    }
}

/// A read-write connection to the SQLite file that waits its turn for the write lock.
fn open_read_write(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    let connection = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(Duration::from_secs(10))?;
    Ok(connection)
}

/// The writer's own read-write connection to the SQLite file, with the store's durability
/// settings: every commit is on disk before it is acknowledged.
fn open_local_writer(path: &std::path::Path, checkpointer: bool) -> Result<rusqlite::Connection, StoreError> {
    let connection = open_read_write(path)?;
    connection.set_prepared_statement_cache_capacity(16);
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    // The checkpointer copies the WAL back into the file on a thread of its own, so commits
    // rarely wait for that copy and its fsync (measured: a tenth of the writer's time, and
    // pauses of 20 ms every thousand pages, when the writer checkpointed every 1,000 frames).
    // But under sustained appends its copy never catches up with the newest frame, so the
    // WAL would never restart from its beginning and would grow without bound (measured:
    // 2.2 GB in 12 s of the append bench). So the writer still checkpoints, seldom: what the
    // checkpointer has not copied yet, between two of its own commits, so the copy completes
    // and its next commit restarts the WAL. The WAL then stays near that size and its blocks
    // are rewritten in place instead of allocated afresh (measured: 4.2 against 1.2 µs per
    // frame, and 42,000 against 74,000 appends/s pipelined).
    if checkpointer {
        connection.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_FRAMES)?;
        connection.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    }
    Ok(connection)
}

/// How often the checkpointer copies committed WAL frames back into the database file.
/// Measured on the append bench: every 100 ms, the checkpoints' writes slowed the WAL's own
/// fsyncs (8 writers 2,740/s against 4,925/s at one second).
const CHECKPOINT_WAL_EVERY: Duration = Duration::from_secs(1);

/// WAL frames after which the writer checkpoints on its own commit (8,192 frames: 32 MiB of
/// pages). Measured on the append bench, pipelined: 4,096 gave 66,600/s, 8,192 73,500/s,
/// 16,384 72,900/s.
const WRITER_CHECKPOINT_FRAMES: i64 = 8192;

/// Bytes of WAL kept on disk when it restarts: a burst that grew it beyond this is cut back,
/// while the usual size is kept allocated for reuse.
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// A WAL of at least this many frames, all copied back and idle, is emptied.
const TRUNCATE_WAL_FRAMES: i64 = 1024;

/// One round of the checkpointer; returns the WAL's frame count, to pass back as `previous`
/// next round.
///
/// PASSIVE copies what no reader still needs and never waits for the writer or a reader.
/// Under sustained commits it copies the bulk, and the writer's own rare checkpoint the
/// rest ([`WRITER_CHECKPOINT_FRAMES`]). When writes stop (after a bulk load), nothing
/// restarts the WAL, and readers keep finding their pages in a WAL the file already holds,
/// and the file stays large on disk. So
/// a large WAL that is fully copied and has not grown for a whole round is truncated. Never
/// under load: TRUNCATE waits for readers while holding the write lock, which would stall
/// the writer's commits.
fn checkpoint_wal(connection: &rusqlite::Connection, previous: i64) -> rusqlite::Result<i64> {
    let (busy, log, copied): (i64, i64, i64) =
        connection
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    if busy == 0 && log >= TRUNCATE_WAL_FRAMES && copied == log && log == previous {
        connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        return Ok(0);
    }
    Ok(log)
}

/// Starts the thread that checkpoints the WAL of the SQLite file at `path` while `alive` is
/// held; it runs a last checkpoint and stops once `alive` is dropped.
///
/// PASSIVE: it copies what no reader still needs and never blocks the writer or a reader.
/// Once everything is copied, the writer's next transaction restarts the WAL from its
/// beginning, which keeps the file from growing.
fn spawn_checkpointer(path: &std::path::Path) -> Result<std::sync::mpsc::Sender<()>, StoreError> {
    let connection = open_read_write(path)?;
    let (alive, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("cloison-checkpoint".into())
        .spawn(move || {
            let mut frames = -1;
            loop {
                let stop = !matches!(
                    stopped.recv_timeout(CHECKPOINT_WAL_EVERY),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                );
                match checkpoint_wal(&connection, frames) {
                    Ok(now) => frames = now,
                    Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; the next one retries"),
                }
                if stop {
                    return;
                }
            }
        })
        .map_err(|e| StoreError::Journal(format!("cannot start the WAL checkpointer: {e}")))?;
    Ok(alive)
}

/// What [`commit_local`] hands back to the writer: its state after the commit, and the answers.
pub(super) struct LocalCommit {
    pub(super) frontier: Frontier,
    /// Size and time of the newest checkpoint head.
    pub(super) checkpoint: (u64, i64),
    /// The sequence numbers of each request's entries.
    pub(super) ranges: Vec<Range<u64>>,
    /// The signed head after the commit.
    pub(super) head: SignedTreeHead,
}

/// One transaction of entries on the writer's SQLite connection: what the writer's batch does,
/// without commands. Returns the frontier and newest checkpoint after the commit.
fn commit_local(
    connection: &mut rusqlite::Connection,
    key: &SigningKey,
    frontier: Option<Frontier>,
    checkpoint: Option<(u64, i64)>,
    works: Vec<Option<Vec<Entry>>>,
) -> Result<LocalCommit, StoreError> {
    let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let stored = {
        let mut statement = tx.prepare_cached(LATEST_SQL)?;
        let mut rows = statement.query([])?;
        let row = rows.next()?.ok_or_else(|| corrupt("the journal has no signed head"))?;
        signed_head_from(row)?
    };
    let stored_size = stored.head.size;
    let mut frontier = match frontier {
        Some(f) if f.size() == stored_size => f,
        _ => load_frontier_local(&tx, stored_size)?,
    };
    let checkpoint = match checkpoint {
        Some(c) => c,
        None => tx
            .prepare_cached(NEWEST_CHECKPOINT_SQL)?
            .query([])?
            .next()?
            .map(|row| Ok::<_, rusqlite::Error>((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)?)))
            .transpose()?
            .unwrap_or((0, 0)),
    };
    let mut appended = Appended::default();
    let mut force_checkpoint = false;
    let mut ranges = Vec::with_capacity(works.len());
    for work in works {
        let entries = match work {
            Some(entries) => entries,
            None => {
                force_checkpoint = true;
                Vec::new()
            }
        };
        ranges.push(appended.push(&mut frontier, entries, false)?);
    }
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO journal_entries (seq, time_us, actor, action, entry, leaf_hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut subject = tx.prepare_cached(
            "INSERT INTO journal_subjects (subject, seq, time_us) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )?;
        for row in &appended.rows {
            insert.execute(rusqlite::params![
                row.seq,
                row.time_us,
                row.actor,
                row.action,
                row.bytes,
                row.leaf.as_bytes().as_slice()
            ])?;
            for name in &row.subjects {
                subject.execute(rusqlite::params![name, row.seq, row.time_us])?;
            }
        }
        let mut node =
            tx.prepare_cached("INSERT INTO journal_nodes (leaf, level, hash) VALUES (?1, ?2, ?3)")?;
        for (leaf, level, hash) in &appended.nodes {
            node.execute(rusqlite::params![leaf, level, hash.as_bytes().as_slice()])?;
        }
    }
    let closing = Closing::new(key, &frontier, stored_size, force_checkpoint, Some(checkpoint));
    let head_values = |head: &SignedTreeHead| {
        (
            head.head.size as i64,
            head.head.root.as_bytes().to_vec(),
            head.head.time_micros,
            head.signature.to_vec(),
        )
    };
    if closing.rewrite_latest {
        tx.prepare_cached(UPDATE_LATEST_SQL)?.execute(head_values(&closing.head))?;
    }
    if closing.checkpoint_due {
        tx.prepare_cached(INSERT_CHECKPOINT_SQL)?.execute(head_values(&closing.head))?;
    }
    tx.commit()?;
    let checkpoint = if closing.checkpoint_due { (closing.head.head.size, closing.now) } else { checkpoint };
    Ok(LocalCommit { frontier, checkpoint, ranges, head: closing.head })
}
